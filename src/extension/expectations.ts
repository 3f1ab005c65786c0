import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { GateRunOptions } from '../core/gate/index.ts';
import { resolveExpectations, type ExpectationLayer, type Expectations } from '../core/signing/expectations.ts';
import type { SignerPattern } from '../core/signing/policy.ts';
import { loadPolicy } from '../core/gate/policy.ts';
import { policyLayer } from '../core/gate/index.ts';
import { loadPolicyRules, type PolicyRules } from '../core/policyFile.ts';
import type { PresentOptions } from '../core/present.ts';
import { ruleSettings, toolLocations, toolTimeoutMs, trustedPathSetting, trustedSetting } from './settings.ts';

/**
 * What the extension trusts, as plain data for the engine: the settings as one expectation layer
 * (the CLI's flags are the other kind), and where the promotion policy may come from. Every face
 * (Verify, the report panel, the tree, exports) asks here, so they all judge a signature the same
 * way `model-inspect verify|gate` does with the same inputs.
 */

let refreshedRoot: string | undefined;

/** Where the opt-in TUF refresh writes its trusted root (used when no root is configured). */
export function setRefreshedRootFile(file: string): void {
  refreshedRoot = file;
}

function pattern(exactKey: string, regexpKey: string, scope: vscode.Uri): SignerPattern[] {
  const exact = trustedSetting<string>(exactKey, '', scope).trim();
  const regexp = trustedSetting<string>(regexpKey, '', scope).trim();
  // Both set is a conflict the user must resolve; the exact value is the stricter reading.
  return exact ? [{ exact }] : regexp ? [{ regexp }] : [];
}

/** The `modelInspect.signing.*` settings as an expectation layer (trust-restricted, see settings.ts). */
export function settingsLayer(scope: vscode.Uri): ExpectationLayer {
  const folder = vscode.workspace.getWorkspaceFolder(scope)?.uri.fsPath ?? path.dirname(scope.fsPath);
  const key = trustedPathSetting('signing.publicKey', scope);
  const configuredRoot = trustedPathSetting('signing.trustedRoot', scope);
  return {
    origin: 'settings',
    source: `modelInspect.signing settings${vscode.workspace.isTrusted ? '' : ' (user settings only: untrusted workspace)'}`,
    baseDir: folder,
    keys: key ? [key] : [],
    identities: pattern('signing.certificateIdentity', 'signing.certificateIdentityRegexp', scope),
    issuers: pattern('signing.certificateOidcIssuer', 'signing.certificateOidcIssuerRegexp', scope),
    certificateChain: trustedPathSetting('signing.certificateChain', scope),
    trustedRoot: configuredRoot ?? (refreshedRoot && fs.existsSync(refreshedRoot) ? refreshedRoot : undefined),
    builderId: trustedSetting<string>('signing.builderId', '', scope).trim() || undefined,
    sourceRepository: trustedSetting<string>('signing.sourceRepository', '', scope).trim() || undefined,
  };
}

/** Where the gate's policy comes from in this workspace (never from inside the model folder). */
function policySource(root: string): Pick<GateRunOptions, 'policyFile' | 'stopAt' | 'search'> {
  const scope = vscode.Uri.file(root);
  return {
    policyFile: trustedPathSetting('gate.policyFile', scope),
    stopAt: vscode.workspace.getWorkspaceFolder(scope)?.uri.fsPath,
    // An untrusted workspace's files decide nothing: its .model-inspect.yaml is not read.
    search: vscode.workspace.isTrusted
      ? true
      : 'the workspace is not trusted, so its .model-inspect.yaml files are not used',
  };
}

/** Everything the gate needs from the extension for one model, the same for the panel, the tree and exports. */
export function gateOptions(root: string): GateRunOptions {
  const scope = vscode.Uri.file(root);
  return {
    ...policySource(root),
    expectations: [settingsLayer(scope)],
    // The settings' rule layer; the gate adds the policy's `rules:` after it, as for a document.
    rules: [ruleSettings(scope)],
    tools: toolLocations(root),
    toolTimeoutMs: toolTimeoutMs(scope),
  };
}

/** The expectations `Verify…` uses for a file or folder: the settings, then the policy above it. */
export async function verifyExpectations(target: vscode.Uri): Promise<Expectations> {
  const st = fs.statSync(target.fsPath);
  const dir = st.isDirectory() ? target.fsPath : path.dirname(target.fsPath);
  const src = policySource(dir);
  const policy = await loadPolicy(dir, {
    file: src.policyFile,
    stopAt: src.stopAt,
    search: src.search,
    inspected: target.fsPath,
  });
  return resolveExpectations([settingsLayer(target), policyLayer(policy, dir)], { inspected: target.fsPath });
}

/** The policy's `rules:` per folder, until a policy file or the settings change. */
const policyRules = new Map<string, Promise<PolicyRules>>();

/** Forget the policies read so far (a `.model-inspect.yaml` or the settings changed). */
export function forgetPolicyRules(): void {
  policyRules.clear();
}

/**
 * How findings about a file are presented in the editor: the `modelInspect.rules.*` settings first,
 * then the `rules:` of the policy the gate would use for the file's folder (never one inside the
 * folder), and whether inline comments count. The same layers as `model-inspect` for that file.
 */
export async function presentationFor(uri: vscode.Uri): Promise<Pick<PresentOptions, 'rules' | 'inline'>> {
  const settings = ruleSettings(uri);
  if (uri.scheme !== 'file') return { rules: [settings], inline: true };
  const dir = path.dirname(uri.fsPath);
  let loaded = policyRules.get(dir);
  if (!loaded) {
    const source = policySource(dir);
    loaded = loadPolicyRules(dir, {
      file: source.policyFile,
      stopAt: source.stopAt,
      search: source.search,
      inspected: dir,
    }).catch(() => ({ inline: true, findings: [] }));
    policyRules.set(dir, loaded);
  }
  const policy = await loaded;
  return { rules: [settings, ...(policy.rules ? [policy.rules] : [])], inline: policy.inline };
}

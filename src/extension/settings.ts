import path from 'node:path';
import * as vscode from 'vscode';
import { isSeverity, type Severity } from '../core/findings.ts';
import type { RuleSettings } from '../core/ruleSettings.ts';

export const SECTION = 'modelInspect';

/**
 * Per-rule settings for a resource (settings are resource-scoped, so a folder can differ). They
 * decide what the gate blocks on, so in an untrusted workspace only the user's own values count:
 * a downloaded repository's `.vscode/settings.json` cannot turn `scan/*` off.
 */
export function ruleSettings(scope?: vscode.Uri): RuleSettings {
  const raw = trustedSetting<Record<string, string>>('rules.severity', {}, scope);
  const severity: Record<string, Severity | 'off'> = {};
  for (const [id, v] of Object.entries(raw ?? {})) if (isSeverity(v) || v === 'off') severity[id] = v;
  const disabled: unknown = trustedSetting<string[]>('rules.disabled', [], scope);
  return {
    severity,
    disabled: Array.isArray(disabled) ? disabled.filter((x): x is string => typeof x === 'string') : [],
    source: 'modelInspect.rules settings',
  };
}

export function setting<T>(key: string, fallback: T, scope?: vscode.Uri): T {
  return vscode.workspace.getConfiguration(SECTION, scope).get<T>(key) ?? fallback;
}

/**
 * A setting that decides trust (expected signers, keys, trusted roots, scan limits): in an
 * untrusted workspace only the user's own value counts, never the workspace's (`.vscode/settings.json`
 * is part of what is being inspected); without one, the safe default. Declared in package.json's
 * `capabilities.untrustedWorkspaces.restrictedConfigurations` too; this is the code's half.
 */
export function trustedSetting<T>(key: string, fallback: T, scope?: vscode.Uri): T {
  if (vscode.workspace.isTrusted) return setting(key, fallback, scope);
  return vscode.workspace.getConfiguration(SECTION, scope).inspect<T>(key)?.globalValue ?? fallback;
}

/**
 * The time limit of one external tool run (ms): the user's value only in an untrusted workspace,
 * and within the schema's range (10 s to 2 h), since 0 would mean no limit at all for execFile.
 */
export function toolTimeoutMs(scope?: vscode.Uri): number {
  const s = Number(trustedSetting<number>('tools.timeoutSeconds', 600, scope));
  return Math.min(7200, Math.max(10, Number.isFinite(s) ? s : 600)) * 1000;
}

/**
 * A setting that names a file that decides trust (a public key, a trusted root, a CA, a policy):
 * ignored in an untrusted workspace. Relative paths are relative to the resource's workspace folder.
 */
export function trustedPathSetting(key: string, scope?: vscode.Uri): string | undefined {
  if (!vscode.workspace.isTrusted) return undefined;
  const v = setting<string>(key, '', scope).trim();
  if (!v) return undefined;
  if (path.isAbsolute(v)) return v;
  const folder = scope ? vscode.workspace.getWorkspaceFolder(scope) : vscode.workspace.workspaceFolders?.[0];
  return folder ? path.join(folder.uri.fsPath, v) : v;
}

/** External tool paths from settings, honoured only in a trusted workspace. */
export function toolLocations(root: string): { configured: Partial<Record<'syft' | 'grype' | 'trivy', string>> } {
  if (!vscode.workspace.isTrusted) return { configured: {} };
  const scope = vscode.Uri.file(root);
  const pick = (k: string) => setting<string>(`tools.${k}Path`, '', scope).trim() || undefined;
  return { configured: { syft: pick('syft'), grype: pick('grype'), trivy: pick('trivy') } };
}

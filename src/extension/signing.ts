import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { WEIGHT_EXTENSIONS } from '../core/areas.ts';
import { editorMessage, plainMessage } from '../core/messageText.ts';
import { keyFingerprint } from '../core/signing/keys.ts';
import {
  isEncryptedCosignKey,
  KeyError,
  signPath,
  verifyPath,
  type SignatureResult,
  type VerificationReport,
  type VerifyOptions,
} from '../core/signing/index.ts';
import { verifyOptionsFor } from '../core/signing/expectations.ts';
import { setRefreshedRootFile, verifyExpectations } from './expectations.ts';
import { PUBLIC_GOOD_FULCIO, PUBLIC_GOOD_REKOR, SIGSTORE_OAUTH_ISSUER } from '../core/signing/endpoints.ts';
import type { Services } from './services.ts';
import { countWork } from './work.ts';
import { defaultKeyDir, modelFolderAround, publicKeyBeside } from '../core/signing/keyLocation.ts';
import { describePreflight, preflightFlagged, signPreflight } from '../core/signing/preflight.ts';
import type { SignResult } from '../core/signing/sign.ts';
import { setting, trustedPathSetting } from './settings.ts';

/**
 * Sign… and Verify… on weight files and model folders (explorer menu and command palette),
 * Generate Key Pair, and the opt-in trusted-root refresh. Key passwords live in SecretStorage
 * only; results are a notification with "Show Details" (the output channel).
 */

const WEIGHT_FILTER = { 'Model files': WEIGHT_EXTENSIONS.map((e) => e.slice(1)), 'All files': ['*'] };

function secretKeyFor(keyFile: string): string {
  return `modelInspect.signing.password:${crypto.createHash('sha256').update(path.resolve(keyFile)).digest('hex')}`;
}

async function pickTarget(uri: vscode.Uri | undefined, verb: string): Promise<vscode.Uri | undefined> {
  if (uri instanceof vscode.Uri) return uri;
  const active = vscode.window.activeTextEditor?.document.uri;
  const picked = await vscode.window.showOpenDialog({
    title: `${verb}: choose a weight file or a model folder`,
    canSelectFiles: true,
    canSelectFolders: true,
    canSelectMany: false,
    defaultUri:
      active?.scheme === 'file'
        ? vscode.Uri.file(path.dirname(active.fsPath))
        : vscode.workspace.workspaceFolders?.[0]?.uri,
    filters: WEIGHT_FILTER,
  });
  return picked?.[0];
}

async function verifyOptions(target: vscode.Uri): Promise<{ options: VerifyOptions; sources: string[] }> {
  // The same resolver as `model-inspect verify` and the gate: settings, then the policy above the
  // target; never the model card (its claims are evidence).
  const e = await verifyExpectations(target);
  return { options: verifyOptionsFor(e), sources: [...e.notes, ...e.refused] };
}

let refreshedRootDir: vscode.Uri;

function logResult(log: vscode.LogOutputChannel, s: SignatureResult): void {
  const line = (k: string, v: string | undefined) => {
    if (v) log.info(`  ${k}: ${v}`);
  };
  (s.verified ? log.info : log.error).call(
    log,
    `${s.verified ? 'VERIFIED' : 'NOT VERIFIED'} ${s.signatureFile} (${s.format}) for ${s.file}`,
  );
  line('signer', s.identity);
  line('issuer', s.issuer);
  line('key', s.key);
  line('time', s.time);
  for (const t of s.tlog ?? [])
    line('tlog', `index ${t.logIndex}${t.integratedTime ? `, integrated ${t.integratedTime}` : ''}`);
  line('predicate', s.predicateType);
  for (const f of s.failures) log.error(`  FAILED: ${f}`);
  for (const n of s.notes) line('note', n);
}

/** Verifies and notifies; resolves with the report (the notification is not awaited, so callers and tests get the result at once). */
async function runVerify(
  svc: Services,
  uri: vscode.Uri | undefined,
  extraKeys: readonly string[] = [],
): Promise<VerificationReport | undefined> {
  const target = await pickTarget(uri, 'Verify');
  if (!target) return undefined;
  const { options: resolved, sources } = await verifyOptions(target);
  // Verify after Sign: the public key of the key just used verifies too (the user's own action names it).
  const options = extraKeys.length ? { ...resolved, keys: [...(resolved.keys ?? []), ...extraKeys] } : resolved;
  for (const k of extraKeys) sources.push(`public key ${k}: the key Sign… just used`);
  countWork(target.fsPath, 'verifications');
  const report = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `Verifying ${path.basename(target.fsPath)}`,
      cancellable: true,
    },
    (_p, token) => {
      const ac = new AbortController();
      token.onCancellationRequested(() => ac.abort());
      return verifyPath(target.fsPath, { ...options, signal: ac.signal });
    },
  );
  svc.log.info(
    `verify ${target.fsPath}${vscode.workspace.isTrusted ? '' : ' (untrusted workspace: key, trusted root and CA settings ignored)'}`,
  );
  for (const s of sources) svc.log.info(`  ${s}`);
  for (const s of report.signatures) logResult(svc.log, s);
  let message: string;
  if (report.signatures.length === 0) message = `No signature found for ${path.basename(target.fsPath)}.`;
  else if (report.verified) {
    const s = report.signatures[0];
    message = `Verified ${path.basename(target.fsPath)}: ${s.identity ? `signed by ${s.identity}` : s.key ? `signed with ${s.key}` : 'signed'}${s.time ? ` at ${s.time}` : ''}${report.signatures.length > 1 ? ` (${report.signatures.length} signatures)` : ''}.`;
  } else {
    const bad = report.signatures.find((s) => !s.verified)!;
    message = `NOT verified ${path.basename(target.fsPath)}: ${bad.failures[0] !== undefined ? plainMessage(editorMessage(bad.failures[0])) : 'see details'}`;
  }
  const show = report.verified
    ? vscode.window.showInformationMessage
    : report.signatures.length
      ? vscode.window.showErrorMessage
      : vscode.window.showWarningMessage;
  void show(message, 'Show Details').then((c) => {
    if (c === 'Show Details') svc.log.show(true);
  });
  return report;
}

async function askPassword(svc: Services, keyFile: string, confirm = false): Promise<string | undefined> {
  const stored = await svc.context.secrets.get(secretKeyFor(keyFile));
  if (stored !== undefined) return stored;
  const pw = await vscode.window.showInputBox({
    title: `Password for ${path.basename(keyFile)}`,
    password: true,
    ignoreFocusOut: true,
    prompt: "The key password (kept in VS Code's secret storage only if you choose so)",
  });
  if (pw === undefined) return undefined;
  if (confirm) {
    const again = await vscode.window.showInputBox({
      title: 'Repeat the password',
      password: true,
      ignoreFocusOut: true,
    });
    if (again !== pw) {
      void vscode.window.showErrorMessage('The passwords do not match.');
      return undefined;
    }
  }
  return pw;
}

async function offerToRemember(svc: Services, keyFile: string, pw: string): Promise<void> {
  if ((await svc.context.secrets.get(secretKeyFor(keyFile))) !== undefined) return;
  const choice = await vscode.window.showInformationMessage(
    `Remember the password for ${path.basename(keyFile)} in VS Code's secret storage?`,
    'Remember',
    'Not now',
  );
  if (choice === 'Remember') await svc.context.secrets.store(secretKeyFor(keyFile), pw);
}

/**
 * Keyless signing, the browser sign-in and the TUF refresh: loaded on first use (a chunk of its
 * own in the build), never at activation.
 */
const online = () => import('../core/signing/online.ts');
/** Private keys (cosign.key's scrypt + NaCl): loaded on first Sign… or Generate Key Pair. */
const privateKeys = () => import('../core/signing/privateKeys.ts');

/** Endpoints for keyless signing: settings only in trusted workspaces (they decide where the identity goes). */
function endpoint(key: string, fallback: string): string {
  return (vscode.workspace.isTrusted && setting<string>(key, '').trim()) || fallback;
}

async function runKeylessSign(svc: Services, target: vscode.Uri): Promise<void> {
  const issuer = endpoint('signing.oidcIssuer', SIGSTORE_OAUTH_ISSUER);
  const fulcioURL = endpoint('signing.fulcioUrl', PUBLIC_GOOD_FULCIO);
  const rekorURL = endpoint('signing.rekorUrl', PUBLIC_GOOD_REKOR);
  const ok = await vscode.window.showWarningMessage(
    `Keyless signing goes online: you sign in at ${new URL(issuer).host} in your browser, ${new URL(fulcioURL).host} issues a short-lived certificate for your identity, and the signature is recorded publicly in ${new URL(rekorURL).host} (your e-mail or workload identity becomes public).`,
    { modal: true },
    'Sign In and Sign',
  );
  if (ok !== 'Sign In and Sign') return;
  const { browserIdentityToken, signPathKeyless, tokenIdentity } = await online();
  const res = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `Keyless signing ${path.basename(target.fsPath)}: waiting for the browser sign-in`,
      cancellable: true,
    },
    (_p, token) => {
      const ac = new AbortController();
      token.onCancellationRequested(() => ac.abort());
      const identity = {
        getToken: async () => {
          const t = await browserIdentityToken({
            issuer,
            openBrowser: (url) => vscode.env.openExternal(vscode.Uri.parse(url, true)),
            signal: ac.signal,
          });
          const who = tokenIdentity(t);
          svc.log.info(`signed in as ${who.subject ?? '(unknown)'} (${who.issuer ?? 'unknown issuer'})`);
          return t;
        },
      };
      return signPathKeyless(target.fsPath, { identity, fulcioURL, rekorURL, signal: ac.signal });
    },
  );
  svc.log.info(
    `signed ${res.path} keylessly as ${res.identity ?? '(unknown)'} → ${res.signatureFile} (${res.format}, ${res.digest}${res.logIndex !== undefined ? `, Rekor index ${res.logIndex}` : ''})`,
  );
  const choice = await vscode.window.showInformationMessage(
    `Signed ${path.basename(target.fsPath)} as ${res.identity ?? 'you'}: ${path.basename(res.signatureFile)} written${res.logIndex !== undefined ? `, transparency log index ${res.logIndex}` : ''}.`,
    'Show Details',
  );
  if (choice) svc.log.show(true);
}

/** What Sign… did (returned to callers and tests). */
export interface SignCommandResult {
  signed?: SignResult;
  /** Why nothing was signed, when the user declined. */
  declined?: string;
  /** Verify after Sign: the report, the public key it used, and whether it was recorded in the settings. */
  verification?: VerificationReport;
  publicKey?: string;
  recorded?: boolean;
}

/**
 * A signature vouches for the content to everyone who verifies it: content the scanner flags, or
 * could not analyse, is named and the user asked before anything is signed.
 */
async function confirmContent(target: vscode.Uri): Promise<string | undefined> {
  const name = path.basename(target.fsPath);
  const check = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Scanning ${name} before signing`, cancellable: true },
    (_p, token) => {
      const ac = new AbortController();
      token.onCancellationRequested(() => ac.abort());
      return signPreflight(target.fsPath, ac.signal);
    },
  );
  if (!preflightFlagged(check)) return undefined;
  const why = describePreflight(check);
  const go = await vscode.window.showWarningMessage(
    `Sign ${name} anyway? ${why}. Whoever verifies the signature will take this content as what you meant to ship.`,
    { modal: true },
    'Sign Anyway',
  );
  return go === 'Sign Anyway' ? undefined : why;
}

/**
 * Verify after Sign: with the public key beside the private key (cosign.pub beside cosign.key),
 * else one the user picks; then, when the settings name no key, an offer to record it so the
 * panel, the tree and Verify… check with it from now on (user settings: nothing is written into
 * the workspace or the model folder).
 */
async function verifyAfterSign(
  svc: Services,
  target: vscode.Uri,
  keyFile: string,
  key: crypto.KeyObject,
): Promise<SignCommandResult> {
  let pub = await publicKeyBeside(keyFile, key);
  if (!pub) {
    const picked = await vscode.window.showOpenDialog({
      title: `Verify: choose the public key of ${path.basename(keyFile)} (for example cosign.pub)`,
      canSelectMany: false,
      defaultUri: vscode.Uri.file(path.dirname(keyFile)),
      filters: { 'Public keys': ['pub', 'pem'], 'All files': ['*'] },
    });
    if (!picked?.[0]) return {};
    pub = picked[0].fsPath;
  }
  const verification = await runVerify(svc, target, [pub]);
  let recorded = false;
  if (verification?.verified && vscode.workspace.isTrusted && !trustedPathSetting('signing.publicKey', target)) {
    const choice = await vscode.window.showInformationMessage(
      `Record ${path.basename(pub)} as your public key (setting modelInspect.signing.publicKey), so the report panel, the tree and Verify… check signatures with it?`,
      'Record in Settings',
      'Not Now',
    );
    if (choice === 'Record in Settings') {
      await vscode.workspace
        .getConfiguration('modelInspect')
        .update('signing.publicKey', pub, vscode.ConfigurationTarget.Global);
      recorded = true;
    }
  }
  return { verification, publicKey: pub, recorded };
}

async function runSign(svc: Services, uri: vscode.Uri | undefined): Promise<SignCommandResult | undefined> {
  const target = await pickTarget(uri, 'Sign');
  if (!target) return undefined;
  const declined = await confirmContent(target);
  if (declined) return { declined };
  let keyFile = trustedPathSetting('signing.privateKey', target);
  if (!keyFile) {
    const how = await vscode.window.showQuickPick(
      [
        { label: 'With a key…', description: 'cosign.key or a PEM private key; offline', value: 'key' },
        {
          label: 'Keyless (Sigstore)…',
          description: 'browser sign-in, Fulcio certificate, Rekor entry; online',
          value: 'keyless',
        },
      ],
      { title: `Sign ${path.basename(target.fsPath)}` },
    );
    if (!how) return undefined;
    if (how.value === 'keyless') {
      await runKeylessSign(svc, target);
      return {};
    }
  }
  if (!keyFile) {
    const picked = await vscode.window.showOpenDialog({
      title: 'Sign: choose the private key (cosign.key or PEM)',
      canSelectMany: false,
      filters: { 'Private keys': ['key', 'pem'], 'All files': ['*'] },
    });
    if (!picked?.[0]) return undefined;
    keyFile = picked[0].fsPath;
  }
  const keyText = fs.readFileSync(keyFile, 'utf8');
  let password: string | undefined;
  let key;
  const { loadPrivateKey } = await privateKeys();
  try {
    key = await loadPrivateKey(keyText, async () => {
      password = await askPassword(svc, keyFile!);
      if (password === undefined) throw new KeyError('cancelled');
      return password;
    });
  } catch (e) {
    if ((e as Error).message === 'cancelled') return undefined;
    // A stored password that no longer works is dropped, so the next attempt asks again.
    await svc.context.secrets.delete(secretKeyFor(keyFile));
    void vscode.window.showErrorMessage(`Cannot use ${path.basename(keyFile)}: ${(e as Error).message}`);
    return undefined;
  }
  const isDir = fs.statSync(target.fsPath).isDirectory();
  const res = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `Signing ${path.basename(target.fsPath)}`,
      cancellable: true,
    },
    (_p, token) => {
      const ac = new AbortController();
      token.onCancellationRequested(() => ac.abort());
      return signPath(target.fsPath, key, { signal: ac.signal });
    },
  );
  svc.log.info(
    `signed ${res.path} → ${res.signatureFile} (${res.format}, ${res.digest}${res.files !== undefined ? `, ${res.files} files` : ''}) with ${keyFile} (key fingerprint ${keyFingerprint(key)})`,
  );
  if (password !== undefined && isEncryptedCosignKey(keyText)) await offerToRemember(svc, keyFile, password);
  const keys = res.excludedPrivateKeys ?? [];
  for (const k of keys)
    svc.log.warn(
      `  ${k} is a private key inside the model folder: left out of the signature; move it out of the folder`,
    );
  const written = `Signed ${path.basename(target.fsPath)}: ${isDir ? 'model.sig (OpenSSF model signing)' : path.basename(res.signatureFile)} written.`;
  const choice = keys.length
    ? await vscode.window.showWarningMessage(
        `${written} Not signed: ${keys.join(', ')}, ${keys.length === 1 ? 'a private key' : 'private keys'} inside the model folder; move ${keys.length === 1 ? 'it' : 'them'} out before the model is shared.`,
        'Verify',
        'Show Details',
      )
    : await vscode.window.showInformationMessage(written, 'Verify', 'Show Details');
  if (choice === 'Verify') return { signed: res, ...(await verifyAfterSign(svc, target, keyFile, key)) };
  if (choice === 'Show Details') svc.log.show(true);
  return { signed: res };
}

/** Where Generate Key Pair wrote, or why it did not (for tests and callers). */
export interface GenerateKeyPairResult {
  keyFile?: string;
  pubFile?: string;
  refused?: string;
}

async function runGenerateKeyPair(svc: Services): Promise<GenerateKeyPairResult | undefined> {
  // Outside every model by default: a key generated into a model folder ships with the model.
  const keyDir = defaultKeyDir();
  fs.mkdirSync(keyDir, { recursive: true, mode: 0o700 });
  const folder = await vscode.window.showOpenDialog({
    title: 'Generate Key Pair: folder for cosign.key and cosign.pub (keep it out of model folders)',
    canSelectFiles: false,
    canSelectFolders: true,
    defaultUri: vscode.Uri.file(keyDir),
  });
  if (!folder?.[0]) return undefined;
  const model = await modelFolderAround(folder[0].fsPath);
  if (model) {
    const go = await vscode.window.showWarningMessage(
      `${folder[0].fsPath} is inside the model folder ${model}. A private key there is shipped with the model to everyone who gets it (signing always leaves it out, and the report flags it). Write the key pair there anyway?`,
      { modal: true },
      'Write Here Anyway',
    );
    if (go !== 'Write Here Anyway') return { refused: `inside the model folder ${model}` };
  }
  const keyFile = path.join(folder[0].fsPath, 'cosign.key');
  const pubFile = path.join(folder[0].fsPath, 'cosign.pub');
  if (fs.existsSync(keyFile) || fs.existsSync(pubFile)) {
    void vscode.window.showErrorMessage(
      `${folder[0].fsPath} already has cosign.key or cosign.pub; not overwriting a key.`,
    );
    return { refused: 'a key is already there' };
  }
  const pw = await vscode.window.showInputBox({
    title: 'Password for the new private key',
    password: true,
    ignoreFocusOut: true,
    prompt: 'cosign.key is written encrypted with this password (scrypt + secretbox, as cosign does)',
  });
  if (pw === undefined) return undefined;
  const again = await vscode.window.showInputBox({
    title: 'Repeat the password',
    password: true,
    ignoreFocusOut: true,
  });
  if (again !== pw) {
    void vscode.window.showErrorMessage('The passwords do not match.');
    return { refused: 'the passwords do not match' };
  }
  const { generateCosignKeyPair } = await privateKeys();
  const pair = generateCosignKeyPair(pw);
  fs.writeFileSync(keyFile, pair.privateKeyPem, { mode: 0o600, flag: 'wx' });
  fs.writeFileSync(pubFile, pair.publicKeyPem, { mode: 0o644, flag: 'wx' });
  const fingerprint = keyFingerprint(crypto.createPublicKey(pair.publicKeyPem));
  svc.log.info(`generated ${keyFile} (encrypted) and ${pubFile}, key fingerprint ${fingerprint}`);
  await offerToRemember(svc, keyFile, pw);
  void vscode.window.showInformationMessage(
    `Wrote ${keyFile} (encrypted) and ${pubFile} (key fingerprint ${fingerprint}). Share cosign.pub; keep cosign.key private.`,
  );
  return { keyFile, pubFile };
}

async function runRefreshTrustedRoot(svc: Services): Promise<void> {
  if (!setting<boolean>('signing.allowOnlineTrustedRootRefresh', false) || !vscode.workspace.isTrusted) {
    const open = await vscode.window.showWarningMessage(
      'Refreshing the Sigstore trusted root goes online (tuf-repo-cdn.sigstore.dev). Allow it with the setting "modelInspect.signing.allowOnlineTrustedRootRefresh" (trusted workspaces only).',
      'Open Setting',
    );
    if (open)
      await vscode.commands.executeCommand(
        'workbench.action.openSettings',
        'modelInspect.signing.allowOnlineTrustedRootRefresh',
      );
    return;
  }
  try {
    const { refreshTrustedRoot } = await online();
    const r = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Refreshing the Sigstore trusted root (TUF)' },
      () => refreshTrustedRoot(refreshedRootDir.fsPath),
    );
    svc.log.info(
      `trusted root refreshed through TUF: ${r.file} (${r.tlogs} transparency logs, ${r.certificateAuthorities} CAs)`,
    );
    void vscode.window.showInformationMessage(
      `Sigstore trusted root refreshed (${r.tlogs} logs, ${r.certificateAuthorities} CAs).`,
    );
  } catch (e) {
    svc.log.error(`trusted root refresh failed: ${(e as Error).message}`);
    void vscode.window.showErrorMessage(`Trusted root refresh failed: ${(e as Error).message}`);
  }
}

async function runForgetPasswords(svc: Services): Promise<void> {
  const keyFile = trustedPathSetting('signing.privateKey');
  const picked = keyFile
    ? [vscode.Uri.file(keyFile)]
    : await vscode.window.showOpenDialog({ title: 'Forget the stored password of which key?', canSelectMany: false });
  if (!picked?.[0]) return;
  await svc.context.secrets.delete(secretKeyFor(picked[0].fsPath));
  void vscode.window.showInformationMessage(`Forgot the stored password for ${path.basename(picked[0].fsPath)}.`);
}

function guarded<T>(svc: Services, name: string, fn: () => Promise<T>): Promise<T | undefined> {
  return fn().catch((e: unknown) => {
    svc.log.error(`${name} failed: ${(e as Error)?.message ?? String(e)}`);
    void vscode.window
      .showErrorMessage(`${name} failed: ${(e as Error)?.message ?? String(e)}`, 'Show Details')
      .then((c) => {
        if (c) svc.log.show(true);
      });
    return undefined;
  });
}

export function registerSigning(svc: Services): void {
  refreshedRootDir = vscode.Uri.joinPath(svc.context.globalStorageUri, 'sigstore');
  setRefreshedRootFile(path.join(refreshedRootDir.fsPath, 'trusted_root.json'));
  svc.context.subscriptions.push(
    vscode.commands.registerCommand('modelInspect.signing.verify', (uri?: vscode.Uri) =>
      guarded(svc, 'Verify', () => runVerify(svc, uri)),
    ),
    vscode.commands.registerCommand('modelInspect.signing.sign', (uri?: vscode.Uri) =>
      guarded(svc, 'Sign', () => runSign(svc, uri)),
    ),
    vscode.commands.registerCommand('modelInspect.signing.generateKeyPair', () =>
      guarded(svc, 'Generate Key Pair', () => runGenerateKeyPair(svc)),
    ),
    vscode.commands.registerCommand('modelInspect.signing.refreshTrustedRoot', () =>
      guarded(svc, 'Refresh Trusted Root', () => runRefreshTrustedRoot(svc)),
    ),
    vscode.commands.registerCommand('modelInspect.signing.forgetPassword', () =>
      guarded(svc, 'Forget Key Password', () => runForgetPasswords(svc)),
    ),
  );
}

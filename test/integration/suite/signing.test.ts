import * as assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import { signPath, type VerificationReport } from '../../../src/core/signing/index.ts';
import { activateExtension, EXTENSION_ID } from './util.ts';

/**
 * Replaces one `vscode.window` function for the length of a test: the extension and this suite
 * share the extension's API object, so dialogs and toasts are answered here and recorded.
 */
function stubWindow<K extends keyof typeof vscode.window>(name: K, impl: (typeof vscode.window)[K]): () => void {
  const w = vscode.window as unknown as Record<string, unknown>;
  const original = w[name];
  w[name] = impl;
  return () => {
    w[name] = original;
  };
}

/** A valid one-tensor safetensors file: clean content the scanner reads in full. */
function safetensorsBytes(): Buffer {
  const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([len, header, Buffer.alloc(4)]);
}

/** A protocol-2 pickle that calls os.system: what a malicious checkpoint holds. */
const EVIL_PICKLE = Buffer.from('\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03.', 'latin1');

/** Sign…/Verify… inside a real VS Code: commands, explorer menus, settings, and the verify result. */
suite('signing', () => {
  let dir = '';
  suiteSetup(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-int-sign-'));
  });
  suiteTeardown(async () => {
    await vscode.workspace
      .getConfiguration('modelInspect')
      .update('signing.publicKey', undefined, vscode.ConfigurationTarget.Global);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the signing commands are registered and on the explorer menu for weight files and folders', async () => {
    const ext = await activateExtension();
    const commands = await vscode.commands.getCommands(true);
    for (const c of [
      'modelInspect.signing.sign',
      'modelInspect.signing.verify',
      'modelInspect.signing.generateKeyPair',
      'modelInspect.signing.refreshTrustedRoot',
    ])
      assert.ok(commands.includes(c), c);
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as {
      contributes: { menus: Record<string, { command: string; when?: string }[]> };
    };
    const menu = pkg.contributes.menus['explorer/context'].filter((m) => m.command.startsWith('modelInspect.signing.'));
    assert.equal(menu.length, 2);
    for (const m of menu) assert.match(m.when ?? '', /explorerResourceIsFolder/);
    assert.ok(ext.isActive);
  });

  test('Verify on a signed model folder reports the signer; a changed file is named', async () => {
    const model = path.join(dir, 'model');
    fs.mkdirSync(model);
    fs.writeFileSync(path.join(model, 'model.safetensors'), crypto.randomBytes(4096));
    fs.writeFileSync(path.join(model, 'config.json'), '{}');
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pub = path.join(dir, 'cosign.pub');
    fs.writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }));
    await signPath(model, privateKey);
    await vscode.workspace
      .getConfiguration('modelInspect')
      .update('signing.publicKey', pub, vscode.ConfigurationTarget.Global);
    const ok = await vscode.commands.executeCommand<VerificationReport>(
      'modelInspect.signing.verify',
      vscode.Uri.file(model),
    );
    assert.ok(ok, 'the command returns the report');
    if (vscode.workspace.isTrusted) {
      assert.equal(ok.verified, true, ok.signatures[0]?.failures.join(' | '));
      assert.equal(ok.signatures[0].format, 'model-signing');
      fs.writeFileSync(path.join(model, 'config.json'), '{"changed":true}');
      const bad = await vscode.commands.executeCommand<VerificationReport>(
        'modelInspect.signing.verify',
        vscode.Uri.file(model),
      );
      assert.equal(bad.verified, false);
      assert.deepEqual(bad.signatures[0].manifest?.changed, ['config.json']);
      // A single weight file: the streamed two-thread path (worker thread inside the extension host).
      const weights = path.join(dir, 'w.gguf');
      fs.writeFileSync(weights, crypto.randomBytes(3 * 1024 * 1024));
      await signPath(weights, privateKey);
      const file = await vscode.commands.executeCommand<VerificationReport>(
        'modelInspect.signing.verify',
        vscode.Uri.file(weights),
      );
      assert.equal(file.verified, true, file.signatures[0]?.failures.join(' | '));
      assert.equal(file.signatures[0].format, 'sigstore-bundle');
    } else {
      // Untrusted workspace: the key setting is ignored, so the key signature cannot be checked.
      assert.equal(ok.verified, false);
    }
  });

  test('Generate Key Pair starts outside the workspace and asks before writing into a model folder', async () => {
    await activateExtension();
    const model = path.join(dir, 'keygen-model');
    fs.mkdirSync(model);
    fs.writeFileSync(path.join(model, 'model.safetensors'), crypto.randomBytes(64));
    const dialogs: vscode.OpenDialogOptions[] = [];
    const warnings: string[] = [];
    const restore = [
      stubWindow('showOpenDialog', async (o?: vscode.OpenDialogOptions) => {
        dialogs.push(o ?? {});
        return [vscode.Uri.file(model)];
      }),
      stubWindow('showWarningMessage', (async (m: string) => {
        warnings.push(m);
        return undefined;
      }) as typeof vscode.window.showWarningMessage),
      stubWindow('showInputBox', async () => undefined),
    ];
    try {
      const r = await vscode.commands.executeCommand<{ keyFile?: string; refused?: string }>(
        'modelInspect.signing.generateKeyPair',
      );
      assert.equal(dialogs.length, 1);
      assert.equal(dialogs[0].defaultUri?.fsPath, path.join(os.homedir(), '.model-inspect', 'keys'));
      assert.equal(warnings.length, 1, 'one modal warning');
      assert.match(warnings[0], /inside the model folder/);
      assert.match(r?.refused ?? '', /inside the model folder/);
      assert.deepEqual(fs.readdirSync(model), ['model.safetensors'], 'nothing written after Cancel');
    } finally {
      for (const f of restore) f();
    }
  });

  test('Sign… asks before signing a folder the scanner flags; Cancel signs nothing', async () => {
    await activateExtension();
    const model = path.join(dir, 'flagged');
    fs.mkdirSync(model);
    fs.writeFileSync(path.join(model, 'model.safetensors'), safetensorsBytes());
    fs.writeFileSync(path.join(model, 'extra.pkl'), EVIL_PICKLE);
    const modals: string[] = [];
    let answer: string | undefined;
    const restore = [
      stubWindow('showWarningMessage', (async (m: string, o?: vscode.MessageOptions) => {
        if (typeof o === 'object' && o?.modal) modals.push(m);
        return answer;
      }) as typeof vscode.window.showWarningMessage),
      stubWindow('showQuickPick', (async () => undefined) as typeof vscode.window.showQuickPick),
    ];
    try {
      const r = await vscode.commands.executeCommand<{ declined?: string }>(
        'modelInspect.signing.sign',
        vscode.Uri.file(model),
      );
      assert.equal(modals.length, 1, 'one modal question');
      assert.match(modals[0], /extra\.pkl as dangerous/);
      assert.match(r?.declined ?? '', /extra\.pkl/);
      assert.equal(fs.existsSync(path.join(model, 'model.sig')), false, 'nothing signed after Cancel');
      // "Sign Anyway" goes on to the key choice (here dismissed: nothing signed, no second question).
      answer = 'Sign Anyway';
      const r2 = await vscode.commands.executeCommand<{ declined?: string } | undefined>(
        'modelInspect.signing.sign',
        vscode.Uri.file(model),
      );
      assert.equal(modals.length, 2);
      assert.equal(r2, undefined);
    } finally {
      for (const f of restore) f();
    }
  });

  test('Verify after Sign uses cosign.pub beside the key, else asks for one, and offers to record it', async () => {
    await activateExtension();
    if (!vscode.workspace.isTrusted) return;
    const model = path.join(dir, 'verify-after-sign');
    fs.mkdirSync(model);
    fs.writeFileSync(path.join(model, 'model.safetensors'), safetensorsBytes());
    fs.writeFileSync(path.join(model, 'config.json'), '{}');
    const keys = path.join(dir, 'vas-keys');
    fs.mkdirSync(keys);
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    fs.writeFileSync(path.join(keys, 'cosign.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    fs.writeFileSync(path.join(keys, 'cosign.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    const config = vscode.workspace.getConfiguration('modelInspect');
    await config.update('signing.privateKey', path.join(keys, 'cosign.key'), vscode.ConfigurationTarget.Global);
    await config.update('signing.publicKey', undefined, vscode.ConfigurationTarget.Global);
    const infos: string[] = [];
    let record = 'Record in Settings';
    const dialogs: vscode.OpenDialogOptions[] = [];
    const restore = [
      stubWindow('showInformationMessage', (async (m: string) => {
        infos.push(m);
        if (m.startsWith('Signed ')) return 'Verify';
        if (m.startsWith('Record ')) return record;
        return undefined;
      }) as typeof vscode.window.showInformationMessage),
      stubWindow('showOpenDialog', async (o?: vscode.OpenDialogOptions) => {
        dialogs.push(o ?? {});
        return [vscode.Uri.file(path.join(dir, 'vas-elsewhere.pub'))];
      }),
    ];
    try {
      const r = await vscode.commands.executeCommand<{
        verification?: VerificationReport;
        publicKey?: string;
        recorded?: boolean;
      }>('modelInspect.signing.sign', vscode.Uri.file(model));
      assert.equal(r?.publicKey, path.join(keys, 'cosign.pub'));
      assert.equal(r?.verification?.verified, true, r?.verification?.signatures[0]?.failures.join(' | '));
      assert.equal(dialogs.length, 0, 'no dialog: cosign.pub was beside the key');
      assert.equal(r?.recorded, true);
      assert.equal(
        vscode.workspace.getConfiguration('modelInspect').get('signing.publicKey'),
        path.join(keys, 'cosign.pub'),
      );
      assert.ok(!infos.some((m) => /--key|no public key/.test(m)), infos.join(' | '));
      // Beside the key only another pair's cosign.pub: not taken for this key's; the user is asked.
      fs.renameSync(path.join(keys, 'cosign.pub'), path.join(dir, 'vas-elsewhere.pub'));
      fs.writeFileSync(
        path.join(keys, 'cosign.pub'),
        crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }),
      );
      await config.update('signing.publicKey', undefined, vscode.ConfigurationTarget.Global);
      record = 'Not Now';
      const again = await vscode.commands.executeCommand<{
        verification?: VerificationReport;
        publicKey?: string;
        recorded?: boolean;
      }>('modelInspect.signing.sign', vscode.Uri.file(model));
      assert.equal(dialogs.length, 1);
      assert.match(dialogs[0].title ?? '', /public key of cosign\.key/);
      assert.equal(again?.publicKey, path.join(dir, 'vas-elsewhere.pub'));
      assert.equal(again?.verification?.verified, true);
      assert.equal(again?.recorded, false, 'Not Now records nothing');
      assert.equal(vscode.workspace.getConfiguration('modelInspect').get('signing.publicKey'), '');
    } finally {
      for (const f of restore) f();
      await config.update('signing.privateKey', undefined, vscode.ConfigurationTarget.Global);
      await config.update('signing.publicKey', undefined, vscode.ConfigurationTarget.Global);
    }
  });
});

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
  return () => { w[name] = original; };
}

/** Sign…/Verify… inside a real VS Code: commands, explorer menus, settings, and the verify result. */
suite('signing', () => {
  let dir = '';
  suiteSetup(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-int-sign-')); });
  suiteTeardown(async () => {
    await vscode.workspace.getConfiguration('modelInspect').update('signing.publicKey', undefined, vscode.ConfigurationTarget.Global);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the signing commands are registered and on the explorer menu for weight files and folders', async () => {
    const ext = await activateExtension();
    const commands = await vscode.commands.getCommands(true);
    for (const c of ['modelInspect.signing.sign', 'modelInspect.signing.verify', 'modelInspect.signing.generateKeyPair', 'modelInspect.signing.refreshTrustedRoot']) assert.ok(commands.includes(c), c);
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { contributes: { menus: Record<string, { command: string; when?: string }[]> } };
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
    await vscode.workspace.getConfiguration('modelInspect').update('signing.publicKey', pub, vscode.ConfigurationTarget.Global);
    const ok = await vscode.commands.executeCommand<VerificationReport>('modelInspect.signing.verify', vscode.Uri.file(model));
    assert.ok(ok, 'the command returns the report');
    if (vscode.workspace.isTrusted) {
      assert.equal(ok.verified, true, ok.signatures[0]?.failures.join(' | '));
      assert.equal(ok.signatures[0].format, 'model-signing');
      fs.writeFileSync(path.join(model, 'config.json'), '{"changed":true}');
      const bad = await vscode.commands.executeCommand<VerificationReport>('modelInspect.signing.verify', vscode.Uri.file(model));
      assert.equal(bad.verified, false);
      assert.deepEqual(bad.signatures[0].manifest?.changed, ['config.json']);
      // A single weight file: the streamed two-thread path (worker thread inside the extension host).
      const weights = path.join(dir, 'w.gguf');
      fs.writeFileSync(weights, crypto.randomBytes(3 * 1024 * 1024));
      await signPath(weights, privateKey);
      const file = await vscode.commands.executeCommand<VerificationReport>('modelInspect.signing.verify', vscode.Uri.file(weights));
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
      stubWindow('showOpenDialog', async (o?: vscode.OpenDialogOptions) => { dialogs.push(o ?? {}); return [vscode.Uri.file(model)]; }),
      stubWindow('showWarningMessage', (async (m: string) => { warnings.push(m); return undefined; }) as typeof vscode.window.showWarningMessage),
      stubWindow('showInputBox', async () => undefined),
    ];
    try {
      const r = await vscode.commands.executeCommand<{ keyFile?: string; refused?: string }>('modelInspect.signing.generateKeyPair');
      assert.equal(dialogs.length, 1);
      assert.equal(dialogs[0].defaultUri?.fsPath, path.join(os.homedir(), '.model-inspect', 'keys'));
      assert.equal(warnings.length, 1, 'one modal warning');
      assert.match(warnings[0], /inside the model folder/);
      assert.match(r?.refused ?? '', /inside the model folder/);
      assert.deepEqual(fs.readdirSync(model), ['model.safetensors'], 'nothing written after Cancel');
    } finally { for (const f of restore) f(); }
  });
});

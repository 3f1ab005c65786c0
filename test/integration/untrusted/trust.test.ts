import * as assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { signPath } from '../../../src/core/signing/index.ts';
import { ruleSettings, trustedPathSetting, trustedSetting } from '../../../src/extension/settings.ts';
import { activateExtension, workspaceRoot } from '../suite/util.ts';

/**
 * A workspace opened with workspace trust on and not trusted (a repository just downloaded). Its
 * `.vscode/settings.json` names a key, match-anything identity patterns, huge scan limits and a
 * permissive policy file; its `.model-inspect.yaml` lists that key. None of it may count: the
 * settings that decide trust fall back to the user's values or the defaults, and no policy file of
 * the workspace is read.
 */
suite('untrusted workspace', () => {
  let model = '';
  suiteSetup(async () => {
    await activateExtension();
    const root = workspaceRoot().fsPath;
    fs.mkdirSync(path.join(root, 'keys'), { recursive: true });
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    fs.writeFileSync(path.join(root, 'keys', 'k.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    model = path.join(root, 'models', 'm');
    fs.mkdirSync(model, { recursive: true });
    fs.writeFileSync(path.join(model, 'weights.safetensors'), crypto.randomBytes(64));
    await signPath(model, privateKey);
  });

  test('the workspace is not trusted, and the extension runs in it', async () => {
    assert.equal(vscode.workspace.isTrusted, false);
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes('modelInspect.signing.verify'));
  });

  test('workspace values of restricted settings are not used: identities, keys, scan limits, digests, the policy file', () => {
    const scope = vscode.Uri.file(model);
    // What VS Code itself returns for them (restrictedConfigurations), and what the extension reads.
    assert.equal(trustedSetting('signing.certificateIdentityRegexp', '', scope), '');
    assert.equal(trustedSetting('signing.certificateOidcIssuerRegexp', '', scope), '');
    assert.equal(trustedSetting('scan.maxRatio', 200, scope), 200);
    assert.equal(trustedSetting('scan.maxDepth', 6, scope), 6);
    assert.equal(trustedSetting('modelCard.verifyLocalDigests', true, scope), true);
    assert.equal(trustedPathSetting('signing.publicKey', scope), undefined);
    assert.equal(trustedPathSetting('gate.policyFile', scope), undefined);
    // The workspace's rules.disabled [scan/*] and severity off for dangerous pickles do not silence the scanner.
    assert.deepEqual(ruleSettings(scope), { severity: {}, disabled: [], source: 'modelInspect.rules settings' });
  });

  test('Verify… does not take the key from the workspace settings or the workspace policy', async () => {
    const r = await vscode.commands.executeCommand<{ verified: boolean; signatures: { failures: string[] }[] }>(
      'modelInspect.signing.verify',
      vscode.Uri.file(model),
    );
    assert.equal(r?.verified, false);
    assert.match(r!.signatures[0].failures.join('\n'), /no public key was given/);
  });

  test('the gate uses no policy file of the workspace and blocks', async () => {
    const out = path.join(workspaceRoot().fsPath, 'gate.json');
    await vscode.commands.executeCommand(
      'modelInspect.report.exportReport',
      vscode.Uri.file(model),
      vscode.Uri.file(out),
    );
    const r = JSON.parse(fs.readFileSync(out, 'utf8')) as {
      verdict: string;
      policy: string | null;
      checks: { id: string; reasons: string[] }[];
    };
    assert.equal(r.verdict, 'blocked');
    assert.equal(r.policy, null);
    assert.ok(
      r.checks.find((c) => c.id === 'policy')!.reasons.some((x) => /not trusted/.test(x)),
      JSON.stringify(r.checks),
    );
  });
});

import * as assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { signPath } from '../../../src/core/signing/index.ts';
import { activateExtension, workspaceRoot } from './util.ts';

/**
 * The trust boundary inside a real (trusted) VS Code: the panel, the tree and exports take the
 * gate's policy from above the model folder (never the model's own), and Verify… and the gate use
 * the same expectations (settings first, then the policy), as `model-inspect verify|gate` do.
 */

interface Report {
  verdict: { checks: { id: string; reasons: string[] }[] };
  evidence: { signatures: { results: { failures: string[] }[] } };
}
interface Export {
  verdict: string;
  policy: string | null;
  checks: { id: string; status: string; reasons: string[] }[];
  findings: { ruleId: string; message: string; file?: string }[];
}

suite('trust boundary (trusted workspace)', () => {
  let dir = '';
  let model = '';
  let goodKey = '';
  let otherKey = '';
  const exportGate = async (): Promise<Export> => {
    const out = path.join(dir, `gate-${crypto.randomUUID()}.json`);
    const written = await vscode.commands.executeCommand<string>(
      'modelInspect.report.exportReport',
      vscode.Uri.file(model),
      vscode.Uri.file(out),
    );
    assert.equal(written, out);
    return JSON.parse(fs.readFileSync(out, 'utf8')) as Export;
  };
  const cfg = () => vscode.workspace.getConfiguration('modelInspect');

  suiteSetup(async () => {
    await activateExtension();
    dir = path.join(workspaceRoot().fsPath, 'trust-boundary');
    model = path.join(dir, 'models', 'm');
    fs.mkdirSync(model, { recursive: true });
    fs.mkdirSync(path.join(dir, 'keys'));
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    goodKey = path.join(dir, 'keys', 'release.pub');
    fs.writeFileSync(goodKey, publicKey.export({ type: 'spki', format: 'pem' }));
    otherKey = path.join(dir, 'keys', 'other.pub');
    fs.writeFileSync(
      otherKey,
      crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }),
    );
    // The repository's policy, above the model: the release key, only the signature check.
    fs.writeFileSync(
      path.join(dir, '.model-inspect.yaml'),
      'gate:\n  signatures: { keys: [keys/release.pub] }\n  provenance: { enabled: false }\n  scan: { enabled: false }\n  sbom: { enabled: false }\n  vulnerabilities: { enabled: false }\n  model_card: { enabled: false }\n',
    );
    fs.writeFileSync(path.join(model, 'weights.safetensors'), crypto.randomBytes(64));
    fs.writeFileSync(path.join(model, 'config.json'), '{}\n');
    // The model's own policy, which would switch the signature check off: evidence, not authority.
    fs.writeFileSync(path.join(model, '.model-inspect.yaml'), 'gate:\n  signatures: { enabled: false }\n');
    await signPath(model, privateKey);
  });
  suiteTeardown(async () => {
    await cfg().update('signing.publicKey', undefined, vscode.ConfigurationTarget.Workspace);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the gate uses the policy above the model folder and reports the one inside it as ignored', async () => {
    assert.equal(vscode.workspace.isTrusted, true);
    const r = await exportGate();
    assert.equal(r.verdict, 'approved', JSON.stringify(r.checks));
    assert.equal(path.resolve(r.policy ?? ''), path.join(dir, '.model-inspect.yaml'));
    assert.ok(
      r.findings.some((f) => f.ruleId === 'gate/policy-in-model'),
      JSON.stringify(r.findings),
    );
  });

  test('a broken folder signature names the added and changed files in the gate result', async () => {
    fs.writeFileSync(path.join(model, 'modeling_evil.py'), 'import os\n');
    fs.writeFileSync(path.join(model, 'config.json'), '{"auto_map": {"AutoModel": "modeling_evil.M"}}\n');
    try {
      const r = await exportGate();
      assert.equal(r.verdict, 'blocked');
      const sig = r.checks.find((c) => c.id === 'signatures')!;
      assert.ok(
        sig.reasons.some((x) => /modeling_evil\.py was added after signing/.test(x)),
        sig.reasons.join('\n'),
      );
      assert.ok(
        sig.reasons.some((x) => /config\.json was changed after signing/.test(x)),
        sig.reasons.join('\n'),
      );
    } finally {
      fs.rmSync(path.join(model, 'modeling_evil.py'));
      fs.writeFileSync(path.join(model, 'config.json'), '{}\n');
    }
  });

  test('a broken folder signature names changed, added and removed files where the panel and the tree read them', async () => {
    const api = (await activateExtension()).exports as {
      models: { current(root: string): Promise<Report | undefined> };
    };
    fs.writeFileSync(path.join(model, 'modeling_evil.py'), 'import os\n');
    fs.writeFileSync(path.join(model, 'config.json'), '{"changed": true}\n');
    const weights = fs.readFileSync(path.join(model, 'weights.safetensors'));
    fs.rmSync(path.join(model, 'weights.safetensors'));
    try {
      const r = await api.models.current(model);
      assert.ok(r, 'a report');
      // The tree's Signatures item shows the check's reasons (its tooltip); the panel's Signatures table each signature's problems.
      const reasons = r.verdict.checks.find((c) => c.id === 'signatures')?.reasons.join('\n') ?? '';
      assert.match(reasons, /modeling_evil\.py was added after signing/);
      assert.match(reasons, /config\.json was changed after signing/);
      assert.match(reasons, /weights\.safetensors was signed but is missing/);
      const problems = r.evidence.signatures.results.flatMap((s) => s.failures).join('\n');
      assert.match(problems, /changed files .*config\.json/);
      assert.match(problems, /missing files .*weights\.safetensors/);
      assert.match(problems, /extra files .*modeling_evil\.py/);
    } finally {
      fs.rmSync(path.join(model, 'modeling_evil.py'));
      fs.writeFileSync(path.join(model, 'config.json'), '{}\n');
      fs.writeFileSync(path.join(model, 'weights.safetensors'), weights);
    }
  });

  test('Verify… and the gate resolve expectations alike: the settings come before the policy', async () => {
    const verify = () =>
      vscode.commands.executeCommand<{ verified: boolean; signatures: { failures: string[] }[] }>(
        'modelInspect.signing.verify',
        vscode.Uri.file(model),
      );
    assert.equal((await verify())?.verified, true, 'the policy key verifies');
    await cfg().update('signing.publicKey', otherKey, vscode.ConfigurationTarget.Workspace);
    const v = await verify();
    assert.equal(v?.verified, false, 'the settings key comes first, and it is not the signer');
    assert.equal((await exportGate()).verdict, 'blocked', 'the gate reads the same settings');
    await cfg().update('signing.publicKey', goodKey, vscode.ConfigurationTarget.Workspace);
    assert.equal((await verify())?.verified, true);
    assert.equal((await exportGate()).verdict, 'approved');
  });
});

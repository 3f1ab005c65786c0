import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { defaultPolicy, findPolicyFile, loadPolicy, parsePolicy } from '../../../src/core/gate/policy.ts';

test('a full policy is read into typed settings', () => {
  const { policy, findings } = parsePolicy(
    [
      'gate:',
      '  signatures:',
      '    identities: ["ml-team@acme.com", "/.*@acme\\\\.com/"]',
      '    issuers: [https://accounts.google.com]',
      '    keys: [keys/model.pub]',
      '    cover: weight-files',
      '    allow_unsigned: [README.md, docs/]',
      '  provenance:',
      '    source_repository: github.com/acme/ml-models',
      '    require_verified: true',
      '  scan: { block_at: warning }',
      '  sbom: { enabled: false }',
      '  vulnerabilities:',
      '    block_at: high',
      '    require_report: false',
      '    ignore: [CVE-2024-1]',
      '  model_card: { max_age_days: 90 }',
    ].join('\n'),
    '/r/.model-inspect.yaml',
  );
  assert.deepEqual(findings, []);
  assert.deepEqual(policy.signatures, {
    enabled: true,
    identities: ['ml-team@acme.com', '/.*@acme\\.com/'],
    issuers: ['https://accounts.google.com'],
    keys: ['keys/model.pub'],
    cover: 'weight-files',
    allowUnsigned: ['README.md', 'docs/'],
  });
  assert.deepEqual(policy.provenance, {
    enabled: true,
    sourceRepository: 'github.com/acme/ml-models',
    requireVerified: true,
  });
  assert.equal(policy.scan.blockAt, 'warning');
  assert.equal(policy.sbom.enabled, false);
  assert.deepEqual(policy.vulnerabilities, {
    enabled: true,
    blockAt: 'high',
    requireReport: false,
    ignore: ['CVE-2024-1'],
  });
  assert.equal(policy.modelCard.maxAgeDays, 90);
});

test('policy errors are gate/policy-invalid findings on the offending node; bad values keep the default', () => {
  const text = [
    'gate:',
    '  signature:', // typo: unknown check
    '    required: true',
    '  vulnerabilities:',
    '    block_at: severe', // not a severity
    '    colour: red', // unknown key
    '  model_card:',
    '    max_age_days: -3',
  ].join('\n');
  const { policy, findings } = parsePolicy(text, 'p.yaml');
  assert.ok(findings.every((f) => f.ruleId === 'gate/policy-invalid' && f.severity === 'error'));
  const at = findings.map((f) => [f.range?.start.line, f.range?.start.character, f.message.split(';')[0]]);
  assert.deepEqual(at, [
    [1, 2, "unknown gate check 'signature'"],
    [4, 14, 'gate.vulnerabilities.block_at: expected one of critical, high, medium, low, negligible, unknown'],
    [5, 4, "unknown key 'colour' in gate.vulnerabilities"],
    [7, 18, 'gate.model_card.max_age_days: expected a whole number of days above 0'],
  ]);
  assert.equal(policy.vulnerabilities.blockAt, defaultPolicy().vulnerabilities.blockAt);
  const syntax = parsePolicy('gate: [unclosed', 'p.yaml');
  assert.equal(syntax.findings[0].ruleId, 'gate/policy-invalid');
  assert.ok(syntax.findings[0].range);
  assert.deepEqual(parsePolicy('other_area: {}\n', 'p.yaml').findings, []);
  const redos = parsePolicy('gate:\n  signatures:\n    identities: ["/(a+)+@x/"]\n', 'p.yaml');
  assert.match(redos.findings[0].message, /exponential time/);
  assert.equal(redos.findings[0].range?.start.line, 2);
  assert.deepEqual(redos.policy.signatures.identities, []);
});

test('the nearest .model-inspect.yaml above the model folder, up to the repository root, is the policy; never one inside it', async () => {
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-pol-'));
  fs.mkdirSync(path.join(repo, '.git'));
  fs.mkdirSync(path.join(repo, 'models', 'a'), { recursive: true });
  assert.equal(await findPolicyFile(path.join(repo, 'models', 'a')), undefined);
  // The model's own policy is never the one it is judged by.
  fs.writeFileSync(path.join(repo, 'models', 'a', '.model-inspect.yaml'), 'gate:\n  signatures: { enabled: false }\n');
  assert.equal(await findPolicyFile(path.join(repo, 'models', 'a')), undefined);
  fs.writeFileSync(path.join(repo, '.model-inspect.yaml'), 'gate:\n  sbom: { enabled: false }\n');
  assert.equal(await findPolicyFile(path.join(repo, 'models', 'a')), path.join(repo, '.model-inspect.yaml'));
  fs.writeFileSync(path.join(repo, 'models', '.model-inspect.yml'), 'gate: {}\n');
  assert.equal(await findPolicyFile(path.join(repo, 'models', 'a')), path.join(repo, 'models', '.model-inspect.yml'));
  // The repository root or the workspace folder as the model: nothing above it is searched.
  assert.equal(await findPolicyFile(repo), undefined);
  assert.equal(await findPolicyFile(path.join(repo, 'models'), path.join(repo, 'models')), undefined);
  const loaded = await loadPolicy(path.join(repo, 'models', 'a'), { file: path.join(repo, '.model-inspect.yaml') });
  assert.equal(loaded.policy.sbom.enabled, false);
  assert.equal((await loadPolicy(path.join(repo, 'models', 'a'), { search: 'untrusted workspace' })).file, undefined);
});

test('identities need issuers (and the reverse); allow_unsigned stays inside the model', () => {
  const half = parsePolicy('gate:\n  signatures:\n    identities: [a@b.c]\n', 'p.yaml');
  assert.match(half.findings[0].message, /needs gate\.signatures\.issuers/);
  const other = parsePolicy('gate:\n  signatures:\n    issuers: [https://accounts.google.com]\n', 'p.yaml');
  assert.match(other.findings[0].message, /needs gate\.signatures\.identities/);
  const out = parsePolicy('gate:\n  signatures:\n    allow_unsigned: [../x]\n', 'p.yaml');
  assert.match(out.findings[0].message, /must be a path inside the model folder/);
});

test('the model boundary: a policy above the inspected folder in a folder that holds model content is refused, and the search goes on', async () => {
  const { searchPolicyFile, modelContentIn } = await import('../../../src/core/policyFile.ts');
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-pol-'));
  try {
    fs.mkdirSync(path.join(repo, '.git'));
    const dl = path.join(repo, 'dl');
    fs.mkdirSync(path.join(dl, 'unet'), { recursive: true });
    fs.writeFileSync(path.join(dl, '.model-inspect.yaml'), 'gate: {}\n');
    // Nothing but the policy and subfolders: indistinguishable from a repository (documented).
    assert.equal(await modelContentIn(dl), undefined);
    assert.equal(await findPolicyFile(path.join(dl, 'unet')), path.join(dl, '.model-inspect.yaml'));
    // A README without Hugging Face front matter, or a static-site page's, is not a card.
    fs.writeFileSync(path.join(dl, 'README.md'), '---\ntitle: docs\nlayout: page\n---\n# repo\n');
    assert.equal(await modelContentIn(dl), undefined);
    const marks: Record<string, string> = {
      'README.md': '---\n"license": mit\n---\n',
      'model.sig': '{}',
      'model-card.yaml': 'x: 1\n',
      'model_index.json': '{}',
      'Tokenizer_Config.json': '{}',
      'pytorch_model.bin': '',
      'x.gguf': '',
    };
    for (const [name, content] of Object.entries(marks)) {
      const before = name === 'README.md' ? undefined : fs.readFileSync(path.join(dl, 'README.md'));
      fs.writeFileSync(path.join(dl, name), content);
      assert.ok(await modelContentIn(dl), name);
      const s = await searchPolicyFile(path.join(dl, 'unet'));
      assert.equal(s.file, undefined, name);
      assert.deepEqual(
        s.inModel.map((x) => x.file),
        [path.join(dl, '.model-inspect.yaml')],
        name,
      );
      if (before) fs.rmSync(path.join(dl, name));
      else fs.writeFileSync(path.join(dl, name), '# repo\n');
    }
    // Past the refused one, the repository's own policy applies; the loader reports the refusal.
    fs.writeFileSync(path.join(dl, 'model_index.json'), '{}');
    fs.writeFileSync(path.join(repo, '.model-inspect.yaml'), 'gate:\n  sbom: { enabled: false }\n');
    const loaded = await loadPolicy(path.join(dl, 'unet'));
    assert.equal(loaded.file, path.join(repo, '.model-inspect.yaml'));
    assert.equal(loaded.policy.sbom.enabled, false);
    assert.deepEqual(
      loaded.findings.map((f) => [f.ruleId, f.severity, f.file]),
      [['gate/policy-in-model', 'error', path.join(dl, '.model-inspect.yaml')]],
    );
    // A folder that cannot be listed is not known to be a repository.
    assert.match((await modelContentIn(path.join(repo, 'missing'))) ?? '', /cannot be listed/);
  } finally {
    fs.rmSync(repo, { recursive: true, force: true });
  }
});

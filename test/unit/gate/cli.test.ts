import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { cli, REPO } from '../helpers.ts';

// Judged as of a fixed day, so the examples' review dates do not age the test.
const NOW = ['--now', '2026-11-25T00:00:00Z'];
const SIGNED = 'examples/sentiment-classifier-signed';
const FAILING = 'examples/sentiment-classifier';

test('gate: the signed example passes the examples policy (exit 0) with a PASS row per check', () => {
  const r = cli(['gate', SIGNED, ...NOW]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Promotion APPROVED/);
  for (const title of [
    'Signatures',
    'Provenance',
    'No dangerous content',
    'SBOM present',
    'Model card valid and fresh',
  ])
    assert.match(r.stdout, new RegExp(`${title}\\s+PASS`));
});

test('gate: the seed example is blocked (exit 1) for visible reasons, in text, JSON and SARIF', () => {
  const text = cli(['gate', FAILING, ...NOW]);
  assert.equal(text.status, 1);
  assert.match(text.stdout, /Promotion BLOCKED/);
  assert.match(text.stdout, /Signatures\s+FAIL\s+.* is not covered by a verified signature/);
  assert.match(text.stdout, /model\.safetensors is not covered by a verified signature from an expected signer/);
  const json = cli(['gate', FAILING, ...NOW, '--format', 'json']);
  assert.equal(json.status, 1);
  const report = JSON.parse(json.stdout);
  assert.equal(report.version, 1);
  assert.equal(report.verdict, 'blocked');
  assert.equal(report.policy, 'examples/.model-inspect.yaml');
  const status = Object.fromEntries(report.checks.map((c: { id: string; status: string }) => [c.id, c.status]));
  // its card does claim the expected repository (through an insecure git:// URL the card engine flags)
  assert.deepEqual(status, {
    policy: 'pass',
    signatures: 'fail',
    provenance: 'pass',
    scan: 'pass',
    sbom: 'fail',
    vulnerabilities: 'fail',
    'model-card': 'fail',
  });
  const rules = new Set(report.findings.map((f: { ruleId: string }) => f.ruleId));
  for (const id of [
    'gate/signature-missing',
    'gate/sbom-missing',
    'gate/vulnerability-report-missing',
    'gate/card-invalid',
  ])
    assert.ok(rules.has(id), id);
  const card = report.findings.find((f: { ruleId: string }) => f.ruleId === 'gate/card-invalid');
  assert.equal(card.file, 'examples/sentiment-classifier/model-card.yaml');
  assert.ok(card.range.start.line >= 1);
  const sarif = JSON.parse(cli(['gate', FAILING, ...NOW, '--format', 'sarif']).stdout);
  const results = sarif.runs[0].results as { ruleId: string }[];
  assert.ok(results.length > 0 && results.filter((x) => x.ruleId.startsWith('gate/')).length >= 4);
  const ruleIds = sarif.runs[0].tool.driver.rules as { id: string; help: { text: string } }[];
  assert.ok(ruleIds.every((x) => x.help.text.length > 20));
});

test('gate: a changed weight file breaks the signature; a dangerous pickle and a broken policy block', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-gate-cli-'));
  const copy = path.join(dir, 'model');
  fs.cpSync(path.join(REPO, SIGNED), copy, { recursive: true });
  const policy = path.join(REPO, 'examples', '.model-inspect.yaml');
  assert.equal(cli(['gate', copy, '--policy', policy, ...NOW]).status, 0, 'the copy still passes');
  const w = path.join(copy, 'model.safetensors');
  const bytes = fs.readFileSync(w);
  bytes[bytes.length - 1] ^= 0xff;
  fs.writeFileSync(w, bytes);
  const tampered = JSON.parse(cli(['gate', copy, '--policy', policy, ...NOW, '--format', 'json']).stdout);
  assert.equal(tampered.verdict, 'blocked');
  assert.ok(
    tampered.findings.some(
      (f: { ruleId: string; message: string }) => f.ruleId === 'gate/signature-invalid' && /model\.sig/.test(f.message),
    ),
  );
  // A pickle that runs a command, saved as a text file, is found by content.
  fs.writeFileSync(
    path.join(copy, 'notes.txt'),
    Buffer.from('\x80\x02cposix\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03.', 'latin1'),
  );
  const pickled = JSON.parse(cli(['gate', copy, '--policy', policy, ...NOW, '--format', 'json']).stdout);
  assert.ok(
    pickled.findings.some(
      (f: { ruleId: string; file: string }) => f.ruleId === 'gate/dangerous-content' && f.file.endsWith('notes.txt'),
    ),
    JSON.stringify(pickled.findings),
  );
  const badPolicy = path.join(dir, 'policy.yaml');
  fs.writeFileSync(
    badPolicy,
    'gate:\n  signatures:\n    keys: [no-such.pub]\n  vulnerabilities:\n    block_at: severe\n',
  );
  const broken = cli(['gate', path.join(REPO, SIGNED), '--policy', badPolicy, ...NOW, '--format', 'json']);
  assert.equal(broken.status, 1);
  const b = JSON.parse(broken.stdout);
  assert.ok(
    b.findings.some(
      (f: { ruleId: string; range?: { start: { line: number } } }) =>
        f.ruleId === 'gate/policy-invalid' && f.range?.start.line === 5,
    ),
  );
  assert.ok(b.findings.some((f: { message: string }) => /no-such\.pub, which does not exist/.test(f.message)));
});

test('gate: usage errors exit 2', () => {
  assert.equal(cli(['gate']).status, 2);
  assert.equal(cli(['gate', SIGNED, '--now', 'yesterday']).status, 2);
  assert.equal(cli(['gate', 'no/such/dir']).status, 2);
});

test('sbom: writes a CycloneDX 1.6 ML-BOM to stdout or --output', () => {
  const r = cli(['sbom', SIGNED]);
  assert.equal(r.status, 0, r.stderr);
  const bom = JSON.parse(r.stdout);
  assert.equal(bom.bomFormat, 'CycloneDX');
  assert.equal(bom.specVersion, '1.6');
  assert.equal(bom.metadata.component.type, 'machine-learning-model');
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mi-sbom-cli-')), 'bom.json');
  assert.equal(cli(['sbom', FAILING, '--output', out]).status, 0);
  assert.equal(JSON.parse(fs.readFileSync(out, 'utf8')).metadata.component.name, 'sentiment-classifier-v2.1.0');
  assert.equal(
    cli(['sbom', 'examples/sentiment-classifier/model-card.yaml']).status,
    2,
    'a file is not a model folder',
  );
});

test(
  'gate --run-tools: runs grype found on PATH (no shell) and blocks on what it reports',
  { skip: process.platform === 'win32' && 'POSIX shebang scripts' },
  () => {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-gate-bin-'));
    const report = fs.readFileSync(path.join(REPO, 'test/unit/gate/fixtures/grype.json'), 'utf8');
    fs.writeFileSync(
      path.join(bin, 'grype'),
      `#!${process.execPath}\nprocess.stdout.write(${JSON.stringify(report)});\n`,
    );
    fs.chmodSync(path.join(bin, 'grype'), 0o755);
    const env = { PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` };
    const without = JSON.parse(cli(['gate', SIGNED, ...NOW, '--format', 'json'], { env }).stdout);
    assert.equal(without.verdict, 'approved', 'tools are not run unless asked');
    assert.equal(without.tools.find((t: { id: string }) => t.id === 'grype').path, path.join(bin, 'grype'));
    const r = cli(['gate', SIGNED, ...NOW, '--run-tools', '--format', 'json'], { env });
    assert.equal(r.status, 1);
    const out = JSON.parse(r.stdout);
    assert.ok(
      out.findings.some(
        (f: { ruleId: string; message: string }) =>
          f.ruleId === 'gate/vulnerable-dependency' &&
          /GHSA-pg7h-5qx3-wjr3 \(critical\) in torch 2\.1\.2/.test(f.message),
      ),
    );
    assert.ok(
      out.vulnerabilities.some(
        (v: { id: string; scanner: string }) => v.id === 'GHSA-pg7h-5qx3-wjr3' && v.scanner === 'grype',
      ),
    );
    assert.equal(out.signatures[0].verified, true);
    assert.equal(out.sboms[0].format, 'cyclonedx');
  },
);

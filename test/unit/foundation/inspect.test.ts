import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { cli, REPO } from '../helpers.ts';

const signed = path.join(REPO, 'examples', 'sentiment-classifier-signed');
const seed = path.join(REPO, 'examples', 'sentiment-classifier');

test('inspect DIR runs every engine and lists what it found', () => {
  const r = cli(['inspect', seed, '--format', 'json']);
  assert.equal(r.status, 1, r.stderr);
  const report = JSON.parse(r.stdout);
  const kinds = report.files.map((f: { kind: string }) => f.kind);
  assert.ok(kinds.includes('model card'), kinds.join());
  assert.ok(kinds.includes('safetensors'), kinds.join());
  assert.ok(
    kinds.some((k: string) => /workflow/.test(k)),
    kinds.join(),
  );
  const rules = new Set(report.findings.map((f: { ruleId: string }) => f.ruleId.split('/')[0]));
  for (const area of ['card', 'workflow', 'scan']) assert.ok(rules.has(area), `${area} findings in ${[...rules]}`);
  assert.equal(cli(['inspect', seed, '--fail-on', 'never']).status, 0);
});

test('inspect takes its signature expectations from the policy file, as the gate does', () => {
  const r = cli(['inspect', signed, '--format', 'json']);
  assert.equal(r.status, 0, r.stdout);
  const report = JSON.parse(r.stdout);
  assert.ok(
    report.findings.some((f: { ruleId: string }) => f.ruleId === 'signing/verified'),
    r.stdout,
  );
});

test('a key given on the command line wins over the policy, and a wrong key fails', () => {
  const wrong = path.join(REPO, 'test', 'fixtures', 'inspect-wrong-key.pub');
  const r = cli(['inspect', signed, '--key', wrong, '--format', 'json']);
  assert.equal(r.status, 1, r.stdout);
  assert.ok(!JSON.parse(r.stdout).findings.some((f: { ruleId: string }) => f.ruleId === 'signing/verified'));
  assert.equal(cli(['inspect', signed, '--review-max-age-days', 'soon']).status, 2);
});

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import yaml from 'js-yaml';
import type { Finding } from '../../../src/core/findings.ts';
import { checkWorkflowText } from '../../../src/core/workflow/check.ts';
import { REPO } from '../helpers.ts';
import { applyFix } from './util.ts';

/**
 * The held-out set of issue #15: workflows written independently of the rules, after the real
 * incidents and advisories of 2024–2025 (tj-actions/changed-files, reviewdog, Ultralytics, Nx
 * s1ngularity, spotbugs, PyTorch's runners, workflow_run artifacts, GITHUB_ENV advisories,
 * Cacheract, OIDC scope, cosign, SLSA wiring), each `*.bad.yml` with a hardened `*.good.yml` twin,
 * and ten hardened release workflows (`rel-*.good.yml`).
 *
 * Each file's second line says what it must give: `# expect: RULE@LINE …` (or `none`), for the
 * rules of the classes below. Every finding of those classes must be expected and every expected
 * one found, on that line. Other rules (pinning, persist-credentials, …) are not this set's business.
 */
const DIR = path.join(REPO, 'test', 'fixtures', 'workflow', 'heldout');

const CLASSES = new Set(
  [
    'env-file-injection',
    'artifact-poisoning',
    'cache-poisoning',
    'release-cache',
    'self-hosted-runner',
    'id-token-workflow-level',
    'id-token-unused',
    'secrets-inherit-external',
    'cosign-without-yes',
    'unanchored-identity-regexp',
    'provenance-subject-stale',
    'expression-injection',
    'untrusted-checkout',
    'unknown-step-reference',
    'unknown-job-reference',
    'output-not-written',
  ].map((r) => `workflow/${r}`),
);

const files = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith('.yml'))
  .sort();

function expected(text: string): string[] {
  const m = /^# expect: (.*)$/m.exec(text);
  assert.ok(m, 'an # expect: line');
  return m[1].trim() === 'none' ? [] : m[1].trim().split(/\s+/).sort();
}

const line = (f: Finding) => `${f.ruleId}@${f.range!.start.line + 1}`;

async function findings(text: string, name: string): Promise<Finding[]> {
  return checkWorkflowText(text, name, { repositoryOwner: 'acme' });
}

test('held-out set: at least 30 defective workflows, each with its hardened twin, and ten hardened releases', () => {
  const bad = files.filter((f) => f.endsWith('.bad.yml'));
  assert.ok(bad.length >= 30, `${bad.length} defective workflows`);
  for (const b of bad) assert.ok(files.includes(b.replace('.bad.yml', '.good.yml')), `${b} has a hardened twin`);
  assert.equal(files.filter((f) => f.startsWith('rel-') && f.endsWith('.good.yml')).length, 10);
});

for (const name of files) {
  test(`held-out ${name}`, async () => {
    const text = fs.readFileSync(path.join(DIR, name), 'utf8');
    const want = expected(text);
    assert.equal(want.length > 0, name.endsWith('.bad.yml'), 'defective files expect findings, hardened ones none');
    const got = (await findings(text, name))
      .filter((f) => CLASSES.has(f.ruleId))
      .map(line)
      .sort();
    assert.deepEqual(got, want);
  });
}

test('held-out quick fixes: each preferred edit leaves valid YAML and removes its finding, adding none of these classes', async () => {
  let tried = 0;
  for (const name of files.filter((f) => f.endsWith('.bad.yml'))) {
    const text = fs.readFileSync(path.join(DIR, name), 'utf8');
    const before = (await findings(text, name)).filter((f) => CLASSES.has(f.ruleId));
    for (const f of before) {
      const fix = f.fixes?.find((x) => x.kind === 'edit' && x.isPreferred);
      if (!fix) continue;
      tried++;
      const out = applyFix(text, fix);
      assert.doesNotThrow(() => yaml.load(out), `${name}: ${fix.title} gives valid YAML`);
      const after = (await findings(out, name)).filter((x) => CLASSES.has(x.ruleId));
      const count = (list: Finding[], rule: string) => list.filter((x) => x.ruleId === rule).length;
      assert.equal(count(after, f.ruleId), count(before, f.ruleId) - 1, `${name}: ${fix.title} removes ${line(f)}`);
      for (const x of after)
        assert.ok(
          before.some((b) => b.ruleId === x.ruleId),
          `${name}: ${fix.title} adds ${line(x)}`,
        );
    }
  }
  assert.ok(tried >= 10, `${tried} fixes tried`);
});

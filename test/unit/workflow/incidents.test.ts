import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { REPO } from '../helpers.ts';
import { check } from './util.ts';

/**
 * Workflows written after public incident write-ups of 2024–2025 (Ultralytics, Nx, tj-actions,
 * PyTorch's runners, workflow_run artifacts, ChatOps commands, …), each with a hardened twin.
 * Every `*-bad.yml` is flagged by the rules named here; every `*-good.yml` has no finding at all.
 */
const DIR = path.join(REPO, 'test', 'fixtures', 'workflow', 'incidents');

const EXPECTED: Record<string, string[]> = {
  '01-ultra': ['workflow/expression-injection', 'workflow/untrusted-checkout', 'workflow/cache-poisoning'],
  '02-nx': ['workflow/expression-injection'],
  '03-tj': ['workflow/unpinned-action', 'workflow/expression-injection'],
  '04-pytorch': ['workflow/self-hosted-runner'],
  '05-artifact-env': ['workflow/env-file-injection'],
  '06-bench': ['workflow/untrusted-checkout', 'workflow/cache-poisoning'],
  '07-npm-release': ['workflow/release-cache'],
  '08-oidc': ['workflow/id-token-workflow-level'],
  '09-sign': ['workflow/cosign-without-yes', 'workflow/unanchored-identity-regexp'],
  '10-slsa': ['workflow/provenance-subject-stale'],
  '11-inherit': ['workflow/secrets-inherit-external'],
  '12-path': ['workflow/env-file-injection'],
  '13-deploy-cmd': ['workflow/expression-injection', 'workflow/env-file-injection'],
  '14-event': ['workflow/env-file-injection'],
};

test('every incident has a defective and a hardened workflow', () => {
  const files = fs.readdirSync(DIR).sort();
  assert.deepEqual(
    files,
    Object.keys(EXPECTED)
      .flatMap((k) => [`${k}-bad.yml`, `${k}-good.yml`])
      .sort(),
  );
});

for (const [name, rules] of Object.entries(EXPECTED)) {
  test(`incident ${name}: the defective workflow is flagged, the hardened twin is silent`, async () => {
    const bad = await check(fs.readFileSync(path.join(DIR, `${name}-bad.yml`), 'utf8'));
    const got = new Set(bad.filter((f) => f.severity !== 'info').map((f) => f.ruleId));
    for (const r of rules) assert.ok(got.has(r), `${name}-bad: ${r} (got ${[...got].join(', ')})`);
    const good = await check(fs.readFileSync(path.join(DIR, `${name}-good.yml`), 'utf8'));
    assert.deepEqual(
      good.map((f) => `${f.range?.start.line}: ${f.ruleId} ${f.message}`),
      [],
      `${name}-good`,
    );
  });
}

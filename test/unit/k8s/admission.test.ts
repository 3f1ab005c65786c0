import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { generateCrdSchemas } from '../../../scripts/generate-crd-schemas.ts';
import { checkK8sTexts } from '../../../src/core/k8s/files.ts';
import { REPO, SHARED, sharedFixture } from '../helpers.ts';
import { applyFix, at, check, checkMany, rules } from './k8sHelpers.ts';

const fixture = (name: string) => fs.readFileSync(path.join(REPO, 'test', 'fixtures', 'k8s', name), 'utf8');
const conformance = sharedFixture('k8s/kyverno-verify-images');
const crds = sharedFixture('k8s/crds');

function yamlFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...yamlFilesUnder(p));
    else if (/\.ya?ml$/.test(e.name)) out.push(p);
  }
  return out;
}

test(
  "Kyverno's verify-images conformance suite: every policy is read, none crashes, none breaks its CRD",
  { skip: conformance.skip },
  async () => {
    const files = yamlFilesUnder(conformance.path);
    const set = await checkK8sTexts(files.map((f) => ({ path: f, text: fs.readFileSync(f, 'utf8') })));
    assert.ok(set.policies.length >= 45, `${set.policies.length} policies`);
    const bad = set.findings.filter(
      (f) => f.ruleId === 'admission/schema' || f.ruleId === 'k8s/incomplete' || f.ruleId.startsWith('yaml/'),
    );
    assert.deepEqual(
      bad.map((f) => `${f.file}: ${f.message}`),
      [],
    );
    // what each conformance case is meant to show is found: the insecure switches it tests
    const byCase = (name: string) => set.findings.filter((f) => f.file?.includes(`/${name}/`)).map((f) => f.ruleId);
    assert.ok(byCase('keyless-nomutatedigest-noverifydigest-norequired').includes('admission/not-required'));
    assert.ok(byCase('keyless-nomutatedigest-noverifydigest-norequired').includes('admission/verify-digest-off'));
    assert.ok(
      byCase('keyless-mutatedigest-verifydigest-required').every(
        (r) => !['admission/not-required', 'admission/verify-digest-off', 'admission/mutate-digest-off'].includes(r),
      ),
    );
    assert.ok(byCase('failure-policy-test-noconfigmap-diffimage-success-deprecated').includes('admission/fail-open'));
    assert.ok(byCase('keyless-attestation-regexp').includes('admission/unanchored-regexp'));
    assert.ok(byCase('rollback-image-verification').includes('admission/match-misses-pods'));
    assert.ok(
      !byCase('imageExtractors-complex').includes('admission/match-misses-pods'),
      'imageExtractors rules are about other kinds',
    );
  },
);

test('the shipped CRD schemas are what the generator makes from the CRDs', { skip: crds.skip }, () => {
  assert.equal(
    fs.readFileSync(path.join(REPO, 'schemas', 'k8s', 'admission-crds.json'), 'utf8'),
    generateCrdSchemas(crds.path),
  );
});

test('hardened policies of each engine are silent', async () => {
  for (const name of ['hardened-kyverno.yaml', 'hardened-ivp.yaml', 'hardened-cip.yaml'])
    assert.deepEqual(at(await check(fixture(name))), [], name);
  assert.deepEqual(
    at(
      await check(fs.readFileSync(path.join(SHARED, 'seed', 'examples', 'kyverno-require-signed-models.yaml'), 'utf8')),
    ),
    [],
  );
});

test('every mistake of the defective Kyverno policy, on its line', async () => {
  const got = new Set(at(await check(fixture('defects-kyverno.yaml'))));
  for (const want of [
    'admission/fail-open@6',
    'admission/match-misses-pods@12',
    'admission/audit-mode@14',
    'admission/image-scope@14',
    'admission/not-required@15',
    'admission/verify-digest-off@16',
    'admission/mutate-digest-off@17',
    'admission/schema@18',
    'admission/identity-incomplete@22',
    'admission/unanchored-regexp@24',
    'admission/tlog-disabled@27',
    'admission/attestation-mismatch@29',
  ])
    assert.ok(got.has(want), `${want} in ${[...got].join(', ')}`);
});

test('every mistake of the defective ClusterImagePolicy, on its line', async () => {
  const got = new Set(at(await check(fixture('defects-cip.yaml'))));
  for (const want of [
    'admission/audit-mode@6',
    'admission/image-scope@8',
    'admission/unanchored-regexp@13',
    'admission/tlog-disabled@14',
    'admission/no-attestors@16',
  ])
    assert.ok(got.has(want), `${want} in ${[...got].join(', ')}`);
});

test('ImageValidatingPolicy: audit-only actions and attestors no validation uses', async () => {
  const text = fixture('hardened-ivp.yaml')
    .replace('validationActions: [Deny]', 'validationActions: [Audit]')
    .replace(/ {2}validations:[\s\S]*$/, '');
  assert.deepEqual(rules(await check(text)).sort(), [
    'admission/audit-mode',
    'admission/no-attestors',
    'admission/schema',
  ]); // schema: validations is required
});

test('policy fixes: Enforce, required, digests, failurePolicy, anchors, predicate types, renames', async () => {
  let text = fixture('defects-kyverno.yaml');
  for (const rule of [
    'admission/audit-mode',
    'admission/not-required',
    'admission/verify-digest-off',
    'admission/mutate-digest-off',
    'admission/fail-open',
    'admission/unanchored-regexp',
    'admission/attestation-mismatch',
    'admission/schema',
  ]) {
    text = applyFix(text, await check(text), rule);
    assert.ok(!rules(await check(text)).includes(rule), `${rule}:\n${text}`);
  }
  assert.match(text, /failureAction: Enforce/);
  assert.match(text, /subjectRegExp: "\^https:\/\/github.com\/acme\/\.\*\$"/);
});

test('the policy match is compared with the workloads beside it: namespace and labels', async () => {
  const policy = fs.readFileSync(path.join(SHARED, 'seed', 'examples', 'kyverno-require-signed-models.yaml'), 'utf8');
  const deployment = (ns: string, labels = 'app: m') =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: m\n${ns ? `  namespace: ${ns}\n` : ''}spec:\n  selector: {matchLabels: {app: m}}\n  template:\n    metadata: {labels: {${labels}}}\n    spec:\n      containers: [{name: c, image: ghcr.io/acme/ml-models/m:1}]\n`;
  const misses = async (ns: string) =>
    (await checkMany({ '/r/policy.yaml': policy, '/r/deploy.yaml': deployment(ns) })).filter(
      (f) => f.ruleId === 'admission/match-misses-pods',
    );
  assert.equal((await misses('ml-serving')).length, 0);
  const other = await misses('ml-prod');
  assert.equal(other.length, 1);
  assert.match(other[0].message, /namespace ml-prod/);
  assert.equal(other[0].related?.[0].file, '/r/deploy.yaml');
  assert.match((await misses(''))[0].message, /sets no namespace/);
  // an image outside the policy's patterns
  const outside = await checkMany({
    '/r/policy.yaml': policy,
    '/r/deploy.yaml': deployment('ml-serving').replace('ghcr.io/acme/ml-models/m:1', 'docker.io/acme/m:1'),
  });
  assert.ok(outside.some((f) => f.ruleId === 'k8s/image-outside-admission' && f.file === '/r/deploy.yaml'));
});

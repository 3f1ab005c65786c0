import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyFix, check, covered, job, rule, COSIGN, LOGIN } from './util.ts';

const NO_PERMS = 'on: push\n';

test('missing-permissions: per job when neither workflow nor job has a block; fix inserts what the job needs', async () => {
  const y = job(`- ${COSIGN}\n- ${LOGIN}\n- run: cosign sign --yes ghcr.io/a/b@\${{ env.D }}`, NO_PERMS);
  const [f] = await rule(y, 'workflow/missing-permissions');
  assert.equal(covered(y, f), 'build');
  const fixed = applyFix(y, f.fixes?.[0]);
  assert.match(
    fixed,
    / {4}permissions:\n {6}contents: read\n {6}packages: write\n {6}id-token: write\n {4}runs-on: ubuntu-latest/,
  );
  assert.deepEqual(
    (await check(fixed)).filter((x) => x.ruleId.startsWith('workflow/') && /permission|id-token/.test(x.ruleId)),
    [],
  );
  assert.deepEqual(
    await rule(job('- run: echo ok'), 'workflow/missing-permissions'),
    [],
    'workflow-level block covers it',
  );
});

test('write-all: workflow and job level', async () => {
  const y = job('- run: echo ok', 'on: push\npermissions: write-all\n');
  assert.equal((await rule(y, 'workflow/write-all')).length, 1);
  const j = job('- run: echo ok', NO_PERMS, '    permissions: write-all\n');
  const [f] = await rule(j, 'workflow/write-all');
  assert.match(applyFix(j, f.fixes?.[0]), /permissions:\n {6}contents: read\n/);
  assert.deepEqual(await rule(job('- run: echo ok', 'on: push\npermissions: read-all\n'), 'workflow/write-all'), []);
});

test('id-token-missing: keyless cosign, attest actions, SLSA generator jobs; not keyed signing', async () => {
  const keyless = job(
    `- ${COSIGN}\n- ${LOGIN}\n- run: cosign sign --yes ghcr.io/a/b@sha256:\${{ env.D }}`,
    undefined,
    '    permissions:\n      contents: read\n      packages: write\n',
  );
  const [f] = await rule(keyless, 'workflow/id-token-missing');
  assert.equal(covered(keyless, f), 'cosign sign');
  const fixed = applyFix(keyless, f.fixes?.[0]);
  assert.match(fixed, /packages: write\n {6}id-token: write\n/);
  assert.deepEqual(await rule(fixed, 'workflow/id-token-missing'), []);
  const keyed = keyless.replace('cosign sign --yes', 'cosign sign --yes --key env://COSIGN_PRIVATE_KEY');
  assert.deepEqual(await rule(keyed, 'workflow/id-token-missing'), []);
  const blob = job(`- ${COSIGN}\n- run: cosign sign-blob --yes --bundle m.sigstore.json model.safetensors`);
  assert.equal((await rule(blob, 'workflow/id-token-missing')).length, 1);
  const slsa =
    'on: push\npermissions:\n  contents: read\njobs:\n  p:\n    uses: slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@v2.1.0\n';
  assert.equal((await rule(slsa, 'workflow/id-token-missing')).length, 1);
  const attest = job(
    '- uses: actions/attest-build-provenance@0123456789abcdef0123456789abcdef01234567\n  with:\n    subject-path: model.safetensors',
    undefined,
    '    permissions:\n      id-token: write\n',
  );
  assert.deepEqual(await rule(attest, 'workflow/id-token-missing'), []);
  assert.equal((await rule(attest, 'workflow/attestations-permission-missing')).length, 1);
});

test('packages-permission-missing: pushing to ghcr.io with an explicit block lacking packages: write', async () => {
  const y = job(
    `- ${LOGIN}\n- run: docker push ghcr.io/acme/m:1`,
    undefined,
    '    permissions:\n      contents: read\n',
  );
  const [f] = await rule(y, 'workflow/packages-permission-missing');
  assert.equal(covered(y, f), 'docker push');
  assert.deepEqual(
    await rule(
      y.replace('contents: read\n', 'contents: read\n      packages: write\n'),
      'workflow/packages-permission-missing',
    ),
    [],
  );
  assert.deepEqual(
    await rule(y.replace('ghcr.io', 'registry.example.com'), 'workflow/packages-permission-missing'),
    [],
  );
});

test('id-token-unused: job grant with nothing that uses OIDC; not when an unknown action might', async () => {
  const y = job(
    '- uses: actions/checkout@0123456789abcdef0123456789abcdef01234567\n- run: pytest',
    undefined,
    '    permissions:\n      contents: read\n      id-token: write\n',
  );
  const [f] = await rule(y, 'workflow/id-token-unused');
  assert.equal(covered(y, f), 'id-token');
  assert.doesNotMatch(applyFix(y, f.fixes?.[0]), /id-token/);
  const unknown = y.replace('- run: pytest', '- uses: some/deployer@0123456789abcdef0123456789abcdef01234567');
  assert.deepEqual(await rule(unknown, 'workflow/id-token-unused'), []);
  // build tools and tests alone do not need the token (one they request is what the grant should not allow)
  assert.equal(
    (await rule(y.replace('- run: pytest', '- run: npm ci && npm test'), 'workflow/id-token-unused')).length,
    1,
  );
  for (const uses of [
    '- run: npx semantic-release',
    '- run: aws s3 ls',
    '- env:\n          NPM_CONFIG_PROVENANCE: true\n        run: npm publish',
  ]) {
    assert.deepEqual(await rule(y.replace('- run: pytest', uses), 'workflow/id-token-unused'), [], uses);
  }
});

test('id-token-workflow-level: flagged on the key; the fix moves the grant to the jobs that sign', async () => {
  const wf = `on: push\npermissions:\n  id-token: write\n  contents: read\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pytest\n  sign:\n    runs-on: ubuntu-latest\n    steps:\n      - ${COSIGN}\n      - run: cosign sign-blob --yes f\n`;
  const [g, ...rest] = await rule(wf, 'workflow/id-token-workflow-level');
  assert.equal(rest.length, 0);
  assert.equal(covered(wf, g), 'id-token');
  assert.match(g.message, /'test' does not use it; grant it only to 'sign'/);
  assert.deepEqual(await rule(wf, 'workflow/id-token-unused'), [], 'one finding, not two');
  const fixed = applyFix(wf, g.fixes?.[0]);
  assert.match(fixed, /^on: push\npermissions:\n  contents: read\njobs:/);
  assert.match(
    fixed,
    /  sign:\n    permissions:\n      id-token: write\n      contents: read\n    runs-on: ubuntu-latest/,
  );
  assert.deepEqual(
    (await check(fixed)).filter((x) => /permission|id-token/.test(x.ruleId)).map((x) => x.ruleId),
    [],
  );
  // every job uses it: still a workflow-wide grant that later jobs inherit
  const all = `on: push\npermissions:\n  contents: read\n  id-token: write\njobs:\n  sign:\n    runs-on: ubuntu-latest\n    steps:\n      - ${COSIGN}\n      - run: cosign sign-blob --yes f\n`;
  assert.equal((await rule(all, 'workflow/id-token-workflow-level')).length, 1);
  // hardened: the grant lives on the signing job
  const job = `on: push\npermissions:\n  contents: read\njobs:\n  sign:\n    runs-on: ubuntu-latest\n    permissions:\n      contents: read\n      id-token: write\n    steps:\n      - ${COSIGN}\n      - run: cosign sign-blob --yes f\n`;
  assert.deepEqual(
    (await check(job)).map((x) => x.ruleId),
    [],
  );
});

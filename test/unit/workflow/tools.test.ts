import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PINNED_ACTIONS, pinnedUses, TOOLS } from '../../../src/core/workflow/actions.ts';
import { applyFix, check, covered, job, rule, COSIGN, LOGIN } from './util.ts';

test('tool-not-installed: each of the seven tools; once per tool per job; installed later still flagged', async () => {
  const y = job(`- run: |
    syft dir:. -o spdx-json=s.json
    grype sbom:s.json --fail-on high
    trivy fs --exit-code 1 .
    oras version
    slsa-verifier version
    crane digest a/b:1
    cosign version
    cosign version
- ${COSIGN}`);
  const f = await rule(y, 'workflow/tool-not-installed');
  assert.deepEqual(
    f.map((x) => covered(y, x)),
    ['syft', 'grype', 'trivy', 'oras', 'slsa-verifier', 'crane', 'cosign'],
  );
  assert.match(f[6].message, /installed only in a later step/);
});

test('tool-not-installed: setup actions, package managers and downloads count as installing; containers and self-hosted are skipped', async () => {
  const installed = job(`- uses: anchore/sbom-action/download-syft@0123456789abcdef0123456789abcdef01234567
- uses: aquasecurity/trivy-action@0123456789abcdef0123456789abcdef01234567
  with:
    scan-type: fs
    exit-code: 1
- run: |
    brew install crane
    go install github.com/sigstore/cosign/v2/cmd/cosign@v2.4.1
    curl -sSfLo oras.tgz https://github.com/oras-project/oras/releases/download/v1.2.0/oras_1.2.0_linux_amd64.tar.gz
- run: syft . && trivy fs --exit-code 1 . && crane ls a/b && cosign version && oras version && ./grype-local/grype version`);
  assert.deepEqual(await rule(installed, 'workflow/tool-not-installed'), []);
  assert.deepEqual(
    await rule(
      job('- uses: ./.github/actions/setup-tools\n- run: cosign version && trivy --version'),
      'workflow/tool-not-installed',
    ),
    [],
    'a local action may install them',
  );
  const container = job(
    '- run: cosign version',
    undefined,
    '    container: cgr.dev/chainguard/cosign@sha256:' + 'a'.repeat(64) + '\n',
  );
  assert.deepEqual(await rule(container, 'workflow/tool-not-installed'), []);
  const selfHosted = job('- run: cosign version').replace('runs-on: ubuntu-latest', 'runs-on: [self-hosted, gpu]');
  assert.deepEqual(await rule(selfHosted, 'workflow/tool-not-installed'), []);
});

test("tool-not-installed fix: inserts the official installer before the step, with the step's indentation", async () => {
  const y = job('- name: Sign\n  run: cosign sign-blob --yes f');
  const [f] = await rule(y, 'workflow/tool-not-installed');
  const fixed = applyFix(y, f.fixes?.[0]);
  assert.match(
    fixed,
    / {6}- name: Install cosign\n {8}uses: sigstore\/cosign-installer@[0-9a-f]{40} # v\d+\.\d+\.\d+\n {6}- name: Sign\n/,
  );
  assert.deepEqual(await rule(fixed, 'workflow/tool-not-installed'), []);
  // the inserted step is pinned: no finding of its own
  assert.deepEqual(
    (await check(fixed)).filter((x) => x.range!.start.line === 8 || x.range!.start.line === 9).map((x) => x.ruleId),
    [],
  );
});

test('every installer and login step the fixes insert is pinned by a full SHA with its version, and passes the pinning rules', async () => {
  for (const [tool, info] of Object.entries(TOOLS)) {
    const pin = PINNED_ACTIONS[info.installer];
    assert.ok(pin, `${info.installer} has a pin`);
    assert.match(pin.sha, /^[0-9a-f]{40}$/, tool);
    assert.match(pin.version, /^v\d+(\.\d+){1,2}$/, tool);
    const y = job(`- run: ${tool} version`);
    const [f] = await rule(y, 'workflow/tool-not-installed');
    const fixed = applyFix(y, f.fixes?.[0]);
    assert.ok(fixed.includes(`uses: ${info.installer}@${pin.sha} # ${pin.version}`), tool);
    assert.deepEqual(
      (await check(fixed)).filter((x) => /pinned|branch-ref|unpinned/.test(x.ruleId)).map((x) => x.ruleId),
      [],
      tool,
    );
  }
  assert.match(pinnedUses('docker/login-action'), /^docker\/login-action@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
});

test('push-without-login: pushes and signatures need credentials; login before, inline credentials, localhost pass', async () => {
  const y = job(`- ${COSIGN}\n- run: |\n    docker push ghcr.io/a/b:1\n    cosign sign --yes ghcr.io/a/b@sha256:1`);
  const [f] = await rule(y, 'workflow/push-without-login');
  assert.equal(covered(y, f), 'docker push');
  assert.match(f.message, /2 pushes/);
  const fixed = applyFix(y, f.fixes?.[0]);
  assert.match(
    fixed,
    /- name: Log in to ghcr\.io\n {8}uses: docker\/login-action@[0-9a-f]{40} # v\d+\.\d+\.\d+\n {8}with:\n {10}registry: ghcr\.io\n/,
  );
  assert.deepEqual(
    (await check(fixed)).filter((x) => x.ruleId === 'workflow/unpinned-action').map((x) => x.ruleId),
    [],
  );
  assert.deepEqual(await rule(fixed, 'workflow/push-without-login'), []);
  for (const ok of [
    `- ${LOGIN}\n- run: docker push ghcr.io/a/b:1`,
    '- run: echo "$T" | oras login ghcr.io -u me --password-stdin\n- run: oras push ghcr.io/a/b:1 f',
    '- run: |\n    echo "$T" | cosign login ghcr.io -u me --password-stdin\n    cosign sign --yes ghcr.io/a/b@sha256:1',
    '- run: docker push localhost:5000/a:1',
    '- run: oras push -u me -p "$PW" registry.example/a:1 f',
    '- run: cosign sign --yes --upload=false i@sha256:1',
    '- uses: aws-actions/amazon-ecr-login@0123456789abcdef0123456789abcdef01234567\n- run: crane push img.tar 1.dkr.ecr.us-east-1.amazonaws.com/a:1',
  ])
    assert.deepEqual(await rule(job(ok), 'workflow/push-without-login'), [], ok);
  const action = job(
    '- uses: docker/build-push-action@0123456789abcdef0123456789abcdef01234567\n  with:\n    push: true\n    tags: docker.io/a/b:1',
  );
  assert.equal((await rule(action, 'workflow/push-without-login')).length, 1);
});

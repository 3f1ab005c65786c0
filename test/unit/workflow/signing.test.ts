import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyFix, covered, job, rule, COSIGN, LOGIN } from './util.ts';

const pre = `- ${COSIGN}\n- ${LOGIN}\n`;

test('sign-by-tag: literal tags, implicit latest, expression tags, env and matrix values; digests pass', async () => {
  const y = job(`${pre}- env:
    REF: ghcr.io/a/env:1.0
  run: |
    cosign sign --yes ghcr.io/a/b:v1
    cosign sign --yes --key cosign.key ghcr.io/a/latest
    cosign attest --yes --predicate sbom.json --type cyclonedx "ghcr.io/a/c:\${{ github.ref_name }}"
    cosign sign --yes "$REF"
    cosign sign --yes ghcr.io/a/d@sha256:${'b'.repeat(64)}
    cosign sign --yes "ghcr.io/a/e@\${{ steps.x.outputs.digest }}"
    cosign sign --yes "$IMAGE@$DIGEST"
    cosign sign --yes "$UNKNOWN"
    cosign sign-blob --yes model.safetensors`);
  const f = await rule(y, 'workflow/sign-by-tag');
  assert.deepEqual(
    f.map((x) => covered(y, x)),
    ['ghcr.io/a/b:v1', 'ghcr.io/a/latest', '"ghcr.io/a/c:${{ github.ref_name }}"', '"$REF"'],
  );
  const matrix = job(
    `${pre}- run: cosign sign --yes \${{ matrix.image }}`,
    undefined,
    '    strategy:\n      matrix:\n        image: [ghcr.io/a/x:1, ghcr.io/a/y:2]\n',
  );
  assert.equal((await rule(matrix, 'workflow/sign-by-tag')).length, 1);
});

test('sign-by-tag fix: uses the digest output of an earlier docker/build-push-action', async () => {
  const y = job(
    `${pre}- id: build\n  uses: docker/build-push-action@0123456789abcdef0123456789abcdef01234567\n  with:\n    push: true\n    tags: ghcr.io/a/b:v1\n- run: cosign sign --yes ghcr.io/a/b:v1`,
  );
  const [f] = await rule(y, 'workflow/sign-by-tag');
  const fixed = applyFix(y, f.fixes?.[0]);
  assert.match(fixed, /cosign sign --yes ghcr\.io\/a\/b@\$\{\{ steps\.build\.outputs\.digest \}\}/);
  assert.deepEqual(await rule(fixed, 'workflow/sign-by-tag'), []);
});

test('verify-without-identity: keyless verify needs identity and issuer; keyed verify does not', async () => {
  const y = job(`${pre}- run: |
    cosign verify ghcr.io/a/b@sha256:1
    cosign verify-blob --bundle b.json --certificate-identity x@y.z f
    cosign verify --key cosign.pub ghcr.io/a/b:1
    cosign verify-attestation --type slsaprovenance --certificate-identity-regexp '^https://github\\.com/a/' --certificate-oidc-issuer https://token.actions.githubusercontent.com ghcr.io/a/b:1
    slsa-verifier verify-artifact m.bin --provenance-path p.intoto.jsonl
    gh attestation verify model.safetensors
    gh attestation verify model.safetensors --repo acme/models --signer-workflow acme/models/.github/workflows/release.yml`);
  const f = await rule(y, 'workflow/verify-without-identity');
  assert.deepEqual(
    f.map((x) => covered(y, x)),
    ['cosign verify', 'cosign verify-blob', 'slsa-verifier verify-artifact', 'gh attestation verify'],
  );
  assert.match(f[0].message, /--certificate-identity and --certificate-oidc-issuer/);
  assert.match(f[1].message, /without --certificate-oidc-issuer/);
});

test('unanchored-identity-regexp: unanchored and match-all patterns; anchored ones pass; the fix anchors', async () => {
  const y = job(`${pre}- run: |
    cosign verify --certificate-identity-regexp 'github.com/acme/' --certificate-oidc-issuer https://token.actions.githubusercontent.com i@sha256:1
    cosign verify --certificate-identity-regexp=.* --certificate-oidc-issuer-regexp '^https://token\\.actions\\.githubusercontent\\.com$' i@sha256:1
    cosign verify --certificate-identity-regexp '^https://github\\.com/acme/m/\\.github/workflows/r\\.yml@refs/tags/v.*$' --certificate-oidc-issuer x i@sha256:1
    cosign verify --certificate-identity-regexp "https://github.com/\${{ github.repository }}/.*" --certificate-oidc-issuer x i@sha256:1
    cosign verify --certificate-identity-regexp "^https://github.com/\${{ github.repository }}/.*$" --certificate-oidc-issuer x i@sha256:1
    cosign verify --certificate-identity-regexp "$IDENTITY_RE" --certificate-oidc-issuer x i@sha256:1`);
  const f = await rule(y, 'workflow/unanchored-identity-regexp');
  assert.equal(f.length, 3);
  assert.match(f[1].message, /accepts any signer/);
  assert.match(applyFix(y, f[0].fixes?.[0]), /--certificate-identity-regexp '\^github\.com\/acme\/\$'/);
});

test('insecure-flag: tlog/SCT/TLS escapes on cosign, oras and crane; the fix removes the flag', async () => {
  const y = job(`${pre}- run: |
    cosign verify --insecure-ignore-tlog --key k.pub i@sha256:1
    cosign sign --yes --tlog-upload=false i@sha256:1
    cosign verify --insecure-ignore-tlog=false --key k.pub i@sha256:1
    oras push --plain-http localhost:5000/a:1 f
    crane push --insecure img.tar r.example/a:1`);
  const f = await rule(y, 'workflow/insecure-flag');
  assert.deepEqual(
    f.map((x) => covered(y, x)),
    ['--insecure-ignore-tlog', '--tlog-upload=false', '--plain-http', '--insecure'],
  );
  assert.match(applyFix(y, f[0].fixes?.[0]), /cosign verify --key k\.pub i@sha256:1/);
});

test('cosign-experimental: env maps and inline assignments', async () => {
  const y = job(
    `${pre}- env:\n    COSIGN_EXPERIMENTAL: 1\n  run: COSIGN_EXPERIMENTAL=true cosign sign --yes i@sha256:1`,
  );
  assert.equal((await rule(y, 'workflow/cosign-experimental')).length, 2);
  assert.deepEqual(
    await rule(job('- env:\n    COSIGN_EXPERIMENTAL: 0\n  run: echo'), 'workflow/cosign-experimental'),
    [],
  );
});

test('inline-secret: PEM keys, literal passwords in env, inputs and login flags; secrets references pass', async () => {
  const y = job(`- env:
    COSIGN_PASSWORD: hunter2
    COSIGN_PRIVATE_KEY: \${{ secrets.KEY }}
    COSIGN_KEY: env://COSIGN_PRIVATE_KEY
    API_TOKEN: ""
  run: |
    cat > k.key <<'EOF'
    -----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----
    abc
    EOF
    docker login -u me -p s3cret ghcr.io
    echo "$PW" | docker login -u me --password-stdin ghcr.io
- uses: docker/login-action@0123456789abcdef0123456789abcdef01234567
  with:
    registry: ghcr.io
    username: me
    password: literal-pass`);
  const f = await rule(y, 'workflow/inline-secret');
  assert.deepEqual(
    f.map((x) => covered(y, x)),
    ['-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----', 'hunter2', 'literal-pass', 's3cret'],
  );
});

test('env values are expanded before judging a reference: registry and tag from env:', async () => {
  const y = job(
    `${pre}- run: |\n    docker push "$IMAGE:$TAG"\n    cosign sign --yes "\${{ env.REGISTRY }}/\${{ env.NAME }}:v1"\n    cosign sign --yes "$IMAGE@$D"`,
    'on: push\nenv:\n  REGISTRY: ghcr.io\n  NAME: acme/m\n  IMAGE: ghcr.io/acme/m\n  TAG: v1\n',
    '    permissions:\n      contents: read\n      id-token: write\n',
  );
  assert.deepEqual(
    (await rule(y, 'workflow/sign-by-tag')).map((x) => covered(y, x)),
    ['"${{ env.REGISTRY }}/${{ env.NAME }}:v1"'],
  );
  assert.equal((await rule(y, 'workflow/packages-permission-missing')).length, 1, '$IMAGE is on ghcr.io');
});

test('cosign-without-yes: sign, attest, sign-blob and attest-blob without --yes; the fix adds it', async () => {
  const y = job(
    `${pre}- run: |
    cosign sign --key env://COSIGN_KEY ghcr.io/a/b@sha256:${'b'.repeat(64)}
    cosign attest --predicate sbom.json --type cyclonedx ghcr.io/a/b@sha256:${'b'.repeat(64)}
    cosign sign-blob --bundle m.sigstore.json model.safetensors
    cosign attest-blob --predicate p.json --type slsaprovenance1 model.safetensors
    cosign verify --key cosign.pub ghcr.io/a/b@sha256:${'b'.repeat(64)}`,
    undefined,
    '    permissions:\n      contents: read\n      packages: write\n      id-token: write\n',
  );
  const f = await rule(y, 'workflow/cosign-without-yes');
  assert.deepEqual(
    f.map((x) => covered(y, x)),
    ['cosign sign', 'cosign attest', 'cosign sign-blob', 'cosign attest-blob'],
  );
  assert.match(f[0].message, /\[y\/N\]/);
  let fixed = y;
  for (let k = 0; k < 4; k++) fixed = applyFix(fixed, (await rule(fixed, 'workflow/cosign-without-yes'))[0].fixes?.[0]);
  assert.match(fixed, /cosign sign --yes --key env:\/\/COSIGN_KEY/);
  assert.deepEqual(await rule(fixed, 'workflow/cosign-without-yes'), []);
});

test('cosign-without-yes: hardened variants stay silent (-y, COSIGN_YES in env or exported, a piped answer)', async () => {
  const img = `ghcr.io/a/b@sha256:${'b'.repeat(64)}`;
  for (const s of [
    `- run: cosign sign -y ${img}`,
    `- run: cosign sign --yes=true ${img}`,
    `- env:\n    COSIGN_YES: "true"\n  run: cosign sign ${img}`,
    `- run: |\n    export COSIGN_YES=true\n    cosign sign ${img}`,
    `- run: COSIGN_YES=true cosign sign ${img}`,
  ])
    assert.deepEqual(await rule(job(`${pre}${s}`), 'workflow/cosign-without-yes'), [], s);
});

test("unanchored-identity-regexp: patterns from env: are judged; a wildcard owner accepts anybody's workflow", async () => {
  const y = job(`${pre}- env:
    ID_RE: 'https://github.com/acme/models/'
  run: |
    cosign verify-attestation --type slsaprovenance --certificate-identity-regexp "$ID_RE" --certificate-oidc-issuer https://token.actions.githubusercontent.com ghcr.io/a/b@sha256:1
    cosign verify --certificate-identity-regexp '^https://github\\.com/.*/models/\\.github/workflows/release\\.yml@refs/tags/v.*$' --certificate-oidc-issuer https://token.actions.githubusercontent.com ghcr.io/a/b@sha256:1
    cosign verify --certificate-identity-regexp '^https://github\\.com/acme/models/\\.github/workflows/release\\.yml@refs/tags/v.*$' --certificate-oidc-issuer https://token.actions.githubusercontent.com ghcr.io/a/b@sha256:1`);
  const f = await rule(y, 'workflow/unanchored-identity-regexp');
  assert.equal(f.length, 2);
  assert.equal(covered(y, f[0]), '"$ID_RE"');
  assert.match(f[0].message, /'https:\/\/github\.com\/acme\/models\/' is not anchored/);
  assert.match(f[1].message, /accepts any owner/);
});

test('unknown-step-reference: steps.* in the with: of a job that calls a reusable workflow (the SLSA generator) is always empty', async () => {
  const y = `on: push
permissions:
  contents: read
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - id: push
        run: echo "digest=sha256:1" >> "$GITHUB_OUTPUT"
  provenance:
    needs: build
    permissions:
      actions: read
      id-token: write
      packages: write
    uses: slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@v2.1.0
    with:
      image: ghcr.io/acme/m
      digest: \${{ steps.push.outputs.digest }}
`;
  const [f] = await rule(y, 'workflow/unknown-step-reference');
  assert.equal(covered(y, f), 'steps.push.outputs.digest');
  assert.match(f.message, /has no steps/);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { check, covered, rule, CHECKOUT } from './util.ts';

const RULE = 'workflow/provenance-subject-stale';
const PIN = '0123456789abcdef0123456789abcdef01234567';

/** The SLSA generic generator fed with the hashes a build job computes in `steps`. */
function generic(steps: string): string {
  const indent = steps
    .split('\n')
    .map((l) => (l ? '      ' + l : l))
    .join('\n');
  return `name: Release
on:
  push:
    tags: ['v*']
permissions:
  contents: read
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      hashes: \${{ steps.hash.outputs.hashes }}
    steps:
      - ${CHECKOUT}
        with:
          persist-credentials: false
${indent}
      - uses: actions/upload-artifact@${PIN} # v4
        with:
          name: model
          path: dist/
  provenance:
    needs: [build]
    permissions:
      actions: read
      id-token: write
      contents: write
    uses: slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@v2.1.0
    with:
      base64-subjects: \${{ needs.build.outputs.hashes }}
`;
}

const HASH =
  '- id: hash\n  run: |\n    cd dist\n    echo "hashes=$(sha256sum model.safetensors config.json | base64 -w0)" >> "$GITHUB_OUTPUT"';

test('provenance-subject-stale: hashes taken before a later step rebuilds or rewrites the artifact', async () => {
  const y = generic(
    `- run: python export.py --out dist/model.safetensors\n${HASH}\n- name: Quantize\n  run: python quantize.py dist/model.safetensors`,
  );
  const [f, ...rest] = await rule(y, RULE);
  assert.equal(rest.length, 0);
  assert.equal(covered(y, f), 'sha256sum');
  assert.match(
    f.message,
    /base64-subjects for the SLSA generator \(needs\.build\.outputs\.hashes\) is hashed in step 'hash', but step 'Quantize' runs after it/,
  );
  const copy = generic(`- run: python export.py\n${HASH}\n- run: cp build/other.safetensors model.safetensors`);
  assert.equal((await rule(copy, RULE)).length, 1);
});

test('provenance-subject-stale: hashing as the last step that touches the artifact stays silent', async () => {
  const y = generic(
    `- run: python export.py --out dist/model.safetensors && python quantize.py dist/model.safetensors\n${HASH}\n- run: ls -l dist`,
  );
  assert.deepEqual(
    (await check(y)).map((x) => `${x.ruleId} ${x.message}`),
    [],
  );
});

test('provenance-subject-stale: a container digest read from a tag that is pushed again later', async () => {
  const y = `on:
  push:
    tags: ['v*']
permissions:
  contents: read
jobs:
  build:
    runs-on: ubuntu-latest
    permissions:
      contents: read
      packages: write
    outputs:
      digest: \${{ steps.d.outputs.digest }}
    steps:
      - uses: imjasonh/setup-crane@${PIN} # v0.4
      - uses: docker/login-action@${PIN} # v3
        with:
          registry: ghcr.io
          username: \${{ github.actor }}
          password: \${{ secrets.GITHUB_TOKEN }}
      - run: crane push img.tar ghcr.io/acme/m:latest
      - id: d
        run: echo "digest=$(crane digest ghcr.io/acme/m:latest)" >> "$GITHUB_OUTPUT"
      - run: crane push img2.tar ghcr.io/acme/m:latest
  provenance:
    needs: build
    permissions:
      actions: read
      id-token: write
      packages: write
    uses: slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@v2.1.0
    with:
      image: ghcr.io/acme/m
      digest: \${{ needs.build.outputs.digest }}
`;
  const [f] = await rule(y, RULE);
  assert.equal(covered(y, f), 'crane digest ghcr.io/acme/m:latest');
  assert.deepEqual(await rule(y.replace(/ {6}- run: crane push img2\.tar .*\n/, ''), RULE), []);
});

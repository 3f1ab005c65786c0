import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { REPO } from '../helpers.ts';
import { check, covered } from './util.ts';

const FIX = path.join(REPO, 'test', 'fixtures', 'workflow');
const sources = ['seed-model-build-slsa.yml', 'seed-registry-scan.yml', 'clean-release.yml'].map((f) =>
  fs.readFileSync(path.join(FIX, f), 'utf8'),
);

test('mangled workflows (lines dropped, duplicated, truncated, re-indented) never make a check fail', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...sources),
      fc.array(fc.tuple(fc.constantFrom('drop', 'dup', 'indent', 'dedent', 'cut', 'quote'), fc.nat(), fc.nat()), {
        maxLength: 6,
      }),
      async (src, ops) => {
        const lines = src.split('\n');
        for (const [op, a, b] of ops) {
          const i = a % Math.max(1, lines.length);
          if (op === 'drop') lines.splice(i, 1);
          else if (op === 'dup') lines.splice(i, 0, lines[i] ?? '');
          else if (op === 'indent') lines[i] = '  ' + (lines[i] ?? '');
          else if (op === 'dedent') lines[i] = (lines[i] ?? '').replace(/^ {1,2}/, '');
          else if (op === 'quote') lines[i] = (lines[i] ?? '').replace(/[:\s]/, (c) => c + "'");
          else lines[i] = (lines[i] ?? '').slice(0, b % 40);
        }
        const findings = await check(lines.join('\n'));
        const broken = findings.filter((f) => f.ruleId === 'gate/incomplete');
        assert.deepEqual(
          broken.map((f) => f.message),
          [],
        );
        for (const f of findings)
          if (f.range) assert.ok(f.range.start.line <= f.range.end.line && f.range.start.line >= 0, JSON.stringify(f));
      },
    ),
    { numRuns: 150, seed: 42 },
  );
});

test('odd shapes: scalar steps, expression env and permissions, flow mappings, anchors and aliases', async () => {
  const y = `on: [push, pull_request_target]
permissions: \${{ fromJSON('{}') }}
env: \${{ fromJSON(vars.ENV) }}
x-defaults: &steps
  - run: cosign sign ghcr.io/a/b:1
jobs:
  a:
    runs-on: {group: big}
    steps: *steps
  b:
    runs-on: ubuntu-latest
    needs: [a, a]
    with: nope
    steps:
      - just a string
      - {uses: some/action@v1, with: {ref: "\${{ github.head_ref }}"}}
      - uses: actions/checkout@v4
      - run: \${{ inputs.script }}
      - run: |
          echo "unterminated \${{ github.event.issue.title
          cat <<EOF
          never ends
`;
  const f = await check(y);
  assert.deepEqual(
    f.filter((x) => x.ruleId === 'gate/incomplete'),
    [],
  );
  assert.ok(
    f.some((x) => x.ruleId === 'workflow/unpinned-action' && covered(y, x) === 'v1'),
    'flow-style step read',
  );
  assert.ok(f.some((x) => x.ruleId === 'workflow/unpinned-action' && covered(y, x) === 'v4'));
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyFix, check, covered, rule, CHECKOUT } from './util.ts';

const RULE = 'workflow/expression-injection';
const PIN = '0123456789abcdef0123456789abcdef01234567';

/** A pull_request workflow: checkout, one action step with an id, then `steps`. */
function pr(action: string, steps: string, withLines = ''): string {
  const indent = (s: string) =>
    s
      .split('\n')
      .map((l) => (l ? '      ' + l : l))
      .join('\n');
  return `name: Lint changed files
on: pull_request
permissions:
  contents: read
jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      - ${CHECKOUT}
        with:
          persist-credentials: false
      - id: changed
        uses: ${action}@${PIN} # v1
${withLines}${indent(steps)}
`;
}

test('outputs the PR author controls: changed-files file names in ${{ }} inside run are flagged on the reference', async () => {
  const y = pr(
    'tj-actions/changed-files',
    '- run: |\n    for f in ${{ steps.changed.outputs.all_changed_files }}; do\n      echo "$f"\n    done',
  );
  const [f, ...rest] = await rule(y, RULE);
  assert.equal(rest.length, 0);
  assert.equal(covered(y, f), 'steps.changed.outputs.all_changed_files');
  assert.match(f.message, /tj-actions\/changed-files: file names from the pull request/);
  // the certain fix: through env, quoted
  const fixed = applyFix(y, f.fixes?.[0]);
  assert.match(fixed, /env:\n {10}CHANGED_ALL_CHANGED_FILES: \$\{\{ steps\.changed\.outputs\.all_changed_files \}\}/);
  assert.deepEqual(await rule(fixed, RULE), []);
});

test('outputs the PR author controls: hardened variants (env:, counts and booleans) stay silent', async () => {
  for (const steps of [
    '- env:\n    FILES: ${{ steps.changed.outputs.all_changed_files }}\n  run: |\n    for f in $FILES; do echo "$f"; done',
    '- if: steps.changed.outputs.any_changed == \'true\'\n  run: echo "${{ steps.changed.outputs.all_changed_files_count }} files"',
  ]) {
    const y = pr('tj-actions/changed-files', steps);
    assert.deepEqual(
      (await check(y)).map((x) => `${x.ruleId} ${x.message}`),
      [],
      steps,
    );
  }
});

test('outputs the PR author controls: the listed actions and outputs, and only those', async () => {
  const cases: [string, string, boolean][] = [
    ['dorny/paths-filter', 'src_files', true],
    ['dorny/paths-filter', 'src', false],
    ['tj-actions/branch-names', 'current_branch', true],
    ['tj-actions/branch-names', 'is_default', false],
    ['step-security/changed-files', 'modified_files', true],
    ['jitterbit/get-changed-files', 'added_modified', true],
    ['xt0rted/pull-request-comment-branch', 'head_ref', true],
    ['peter-evans/find-comment', 'comment-body', true],
    ['peter-evans/find-comment', 'comment-id', false],
    ['actions/labeler', 'all-labels', false],
  ];
  for (const [action, output, flagged] of cases) {
    const y = pr(action, `- run: echo "\${{ steps.changed.outputs.${output} }}"`);
    assert.equal((await rule(y, RULE)).length, flagged ? 1 : 0, `${action} ${output}`);
  }
});

test('outputs followed through steps.<id>.outputs, job outputs (needs) and env:', async () => {
  const y = `on: pull_request_target
permissions:
  contents: read
jobs:
  meta:
    runs-on: ubuntu-latest
    outputs:
      branch: \${{ steps.info.outputs.branch }}
    steps:
      - id: info
        env:
          HEAD: \${{ github.head_ref }}
        run: echo "branch=$HEAD" >> "$GITHUB_OUTPUT"
      - run: echo "\${{ steps.info.outputs.branch }}"
  use:
    needs: meta
    runs-on: ubuntu-latest
    env:
      BR: \${{ needs.meta.outputs.branch }}
    steps:
      - run: git push origin "\${{ needs.meta.outputs.branch }}"
      - run: echo "\${{ env.BR }}"
      - run: echo "$BR"
`;
  const f = await rule(y, RULE);
  assert.deepEqual(
    f.map((x) => covered(y, x)),
    ['steps.info.outputs.branch', 'needs.meta.outputs.branch', 'env.BR'],
  );
  assert.match(
    f[1].message,
    /needs\.meta\.outputs\.branch \(output branch of step 'info', written from github\.head_ref\)/,
  );
});

test('a github-script step that sets outputs from the PR title taints them', async () => {
  const y = pr(
    'actions/github-script',
    '- run: echo "${{ steps.changed.outputs.title }}"',
    "        with:\n          script: core.setOutput('title', context.payload.pull_request.title)\n",
  );
  assert.equal((await rule(y, RULE)).length, 1);
});

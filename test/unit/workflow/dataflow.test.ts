import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stripsNewlines } from '../../../src/core/workflow/flow.ts';
import { scriptReadsAttackerText } from '../../../src/core/workflow/taint.ts';
import { check, rule, CHECKOUT } from './util.ts';

/** Data-flow details the held-out set (test/fixtures/workflow/heldout) found missing or wrong. */

const comment = (script: string) => `on:
  issue_comment:
    types: [created]
permissions:
  contents: read
jobs:
  triage:
    runs-on: ubuntu-latest
    steps:
      - env:
          BODY: \${{ github.event.comment.body }}
        run: |
${script
  .split('\n')
  .map((l) => '          ' + l)
  .join('\n')}
`;

test('${X…} operators: only substitutions and trims that name a newline clean a value', async () => {
  for (const op of ["//$'\\n'/ ", '//[^a-zA-Z0-9_-]/', '//[[:space:]]/', "%%$'\\n'*", "##*$'\\n'"])
    assert.equal(stripsNewlines(op), true, op);
  for (const op of ['#/label ', '%.txt', "/$'\\n'/", "%$'\\n'*", "#*$'\\n'", ':-none', ',,', ':0:80'])
    assert.equal(stripsNewlines(op), false, op);
  assert.equal(
    (await rule(comment('echo "CMD=${BODY#/label }" >> "$GITHUB_ENV"'), 'workflow/env-file-injection')).length,
    1,
  );
  assert.equal(
    (await rule(comment('echo "CMD=${BODY:0:80}" >> "$GITHUB_ENV"'), 'workflow/env-file-injection')).length,
    1,
  );
  assert.equal(
    (await rule(comment('echo "CMD=${BODY//$\'\\n\'/ }" >> "$GITHUB_ENV"'), 'workflow/env-file-injection')).length,
    0,
  );
});

test('for and read: an unquoted list item and a line read hold no newline; a quoted list or read -d does', async () => {
  const env = 'workflow/env-file-injection';
  assert.equal((await rule(comment('for w in $BODY; do echo "W=$w" >> "$GITHUB_ENV"; done'), env)).length, 0);
  assert.equal((await rule(comment('for w in "$BODY"; do echo "W=$w" >> "$GITHUB_ENV"; done'), env)).length, 1);
  assert.equal((await rule(comment('read -r first <<< "$BODY"\necho "FIRST=$first" >> "$GITHUB_ENV"'), env)).length, 0);
  assert.equal(
    (await rule(comment('read -r -d \'\' all <<< "$BODY" || true\necho "ALL=$all" >> "$GITHUB_ENV"'), env)).length,
    1,
  );
});

test('PowerShell: `$x = $env:BODY` carries the taint to `"X=$x" >> $env:GITHUB_ENV`', async () => {
  const y = comment('$text = $env:BODY\n"NOTES=$text" >> $env:GITHUB_ENV').replace(
    '      - env:',
    '      - shell: pwsh\n        env:',
  );
  const [f] = await rule(y, 'workflow/env-file-injection');
  assert.ok(f);
  assert.match(f.message, /github\.event\.comment\.body is written to \$GITHUB_ENV as NOTES/);
});

test('github-script: the title read through a variable, a destructuring or the pulls API taints the result; numbers and release notes do not', () => {
  assert.equal(scriptReadsAttackerText('const pr = context.payload.pull_request\nreturn pr.title.trim()'), true);
  assert.equal(scriptReadsAttackerText('const { pull_request: pr } = context.payload; return pr.body'), true);
  assert.equal(scriptReadsAttackerText('const { title } = context.payload.issue; return title'), true);
  assert.equal(
    scriptReadsAttackerText(
      'const { data: pr } = await github.rest.pulls.get({ owner, repo, pull_number }); return pr.head.ref',
    ),
    true,
  );
  assert.equal(
    scriptReadsAttackerText('const pr = context.payload.pull_request\nconst { title, number } = pr\nreturn title'),
    true,
  );
  assert.equal(scriptReadsAttackerText('const pr = context.payload.pull_request; return pr.number'), false);
  assert.equal(scriptReadsAttackerText('const { body } = context.payload.release; return body'), false);
});

test('matrix values computed from a tainted job output are tainted in run:', async () => {
  const y = `on: pull_request_target
permissions: {}
jobs:
  detect:
    runs-on: ubuntu-latest
    outputs:
      files: \${{ steps.c.outputs.all_changed_files }}
    steps:
      - id: c
        uses: tj-actions/changed-files@${'0'.repeat(40)} # v46
        with:
          json: true
  test:
    needs: detect
    runs-on: ubuntu-latest
    strategy:
      matrix:
        file: \${{ fromJSON(needs.detect.outputs.files) }}
        include:
          - python: "3.12"
    steps:
      - run: echo "\${{ matrix.file }} on \${{ matrix.python }}"
`;
  const found = await rule(y, 'workflow/expression-injection');
  assert.deepEqual(
    found.map((f) => f.message.slice(0, 12)),
    ['matrix.file '],
  );
});

/** A workflow_run job that fetches the triggering run's artifact to /tmp/a with gh, then runs `script`. */
const fetched = (script: string) => `on:
  workflow_run:
    workflows: [Build]
    types: [completed]
permissions:
  contents: read
  actions: read
jobs:
  use:
    runs-on: ubuntu-latest
    steps:
      - ${CHECKOUT}
        with:
          persist-credentials: false
      - run: gh run download "\${{ github.event.workflow_run.id }}" --name out --dir /tmp/a
        env:
          GH_TOKEN: \${{ github.token }}
      - run: ${script}
`;

test('artifact-poisoning: an artifact runs as a program, a script, an install or a project; a path given to a trusted script is data', async () => {
  for (const s of [
    'pip install /tmp/a/*.whl',
    'bash /tmp/a/post.sh',
    '/tmp/a/bin/tool publish',
    'npm --prefix /tmp/a run build',
    'make -C /tmp/a',
    'source /tmp/a/env.sh',
  ]) {
    assert.equal((await rule(fetched(s), 'workflow/artifact-poisoning')).length, 1, s);
  }
  for (const s of [
    'python3 .github/scripts/report.py /tmp/a/results.json',
    'npm run deploy -- --dir /tmp/a',
    'node scripts/comment.js --file /tmp/a/report.md',
    'python3 -c "print(1)" /tmp/a/x',
  ]) {
    assert.equal((await rule(fetched(s), 'workflow/artifact-poisoning')).length, 0, s);
  }
});

test("docker/build-push-action runs the checkout's Dockerfile only with a local context", async () => {
  const y = (ctxLine: string) => `on: pull_request_target
permissions:
  contents: read
jobs:
  image:
    runs-on: ubuntu-latest
    steps:
      - ${CHECKOUT}
        with:
          ref: \${{ github.event.pull_request.head.sha }}
          persist-credentials: false
      - uses: docker/build-push-action@${'1'.repeat(40)} # v6
        with:
${ctxLine}          push: false
          cache-to: type=gha,mode=max
`;
  assert.deepEqual(
    (await check(y('          context: .\n')))
      .filter((f) => /untrusted-checkout|cache-poisoning/.test(f.ruleId))
      .map((f) => f.ruleId)
      .sort(),
    ['workflow/cache-poisoning', 'workflow/untrusted-checkout'],
  );
  // without context the action builds the event's commit from git (the base branch here), not the workspace
  assert.deepEqual(
    (await check(y(''))).filter((f) => /untrusted-checkout|cache-poisoning/.test(f.ruleId)),
    [],
  );
});

test('self-hosted-runner: matrix include entries and label lists are read; GitHub-hosted arm64 images are not custom', async () => {
  const y = (matrix: string) => `on: pull_request
permissions: {}
jobs:
  t:
    strategy:
      matrix:
${matrix}
    runs-on: \${{ matrix.os }}
    steps:
      - run: echo hi
`;
  assert.equal(
    (
      await rule(
        y('        include:\n          - os: ubuntu-latest\n          - os: [self-hosted, gpu]'),
        'workflow/self-hosted-runner',
      )
    ).length,
    1,
  );
  assert.equal(
    (await rule(y('        os: [ubuntu-latest, [self-hosted, gpu]]'), 'workflow/self-hosted-runner')).length,
    1,
  );
  assert.equal(
    (await rule(y('        os: [ubuntu-24.04-arm, windows-11-arm, macos-15-xlarge]'), 'workflow/self-hosted-runner'))
      .length,
    0,
  );
});

test('id-token-unused: GitHub Pages build steps do not use the token; actions/deploy-pages does', async () => {
  const pages = (steps: string, perms: string) => `on: push
permissions: {}
jobs:
  docs:
    runs-on: ubuntu-latest
    permissions:
${perms}
    steps:
${steps}
`;
  const build = `      - ${CHECKOUT}\n      - run: mkdocs build\n      - uses: actions/upload-pages-artifact@${'2'.repeat(40)} # v3\n        with:\n          path: site`;
  assert.equal(
    (await rule(pages(build, '      contents: read\n      id-token: write'), 'workflow/id-token-unused')).length,
    1,
  );
  const deploy = `      - uses: actions/deploy-pages@${'3'.repeat(40)} # v4`;
  assert.equal(
    (await rule(pages(deploy, '      pages: write\n      id-token: write'), 'workflow/id-token-unused')).length,
    0,
  );
  assert.equal((await rule(pages(deploy, '      pages: write'), 'workflow/id-token-missing')).length, 1);
});

test("persist-credentials: on pull_request_target the default checkout is the base branch, not the pull request's code", async () => {
  const y = (extra: string) => `on: pull_request_target
permissions:
  contents: read
jobs:
  notes:
    runs-on: ubuntu-latest
    steps:
      - ${CHECKOUT}
${extra}      - run: ./scripts/render-notes.sh
`;
  assert.deepEqual(await rule(y(''), 'workflow/persist-credentials'), []);
  const [f] = await rule(
    y('      - run: echo "${{ github.event.pull_request.title }}"\n'),
    'workflow/persist-credentials',
  );
  assert.match(f.message, /runs a script the pull request's author can inject into/);
  const [g] = await rule(
    y('      - run: gh pr checkout ${{ github.event.pull_request.number }}\n'),
    'workflow/persist-credentials',
  );
  assert.match(g.message, /runs code from the pull request/);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { check, covered, rule, CHECKOUT } from './util.ts';

const PIN = '0123456789abcdef0123456789abcdef01234567';
const lineOf = (y: string, f: { range?: { start: { line: number } } }) => y.split('\n')[f.range!.start.line].trim();

/** A workflow_run job that downloads the triggering run's artifact `with`, then runs `steps`. */
function coverage(withLines: string, steps: string, jobIf = ''): string {
  const indent = (s: string) =>
    s
      .split('\n')
      .map((l) => (l ? '      ' + l : l))
      .join('\n');
  return `name: Coverage comment
on:
  workflow_run:
    workflows: [CI]
    types: [completed]
permissions:
  contents: read
  pull-requests: write
jobs:
  comment:
${jobIf}    runs-on: ubuntu-latest
    steps:
      - ${CHECKOUT}
        with:
          persist-credentials: false
      - uses: actions/download-artifact@${PIN} # v4
        with:
          name: coverage
          run-id: \${{ github.event.workflow_run.id }}
          github-token: \${{ secrets.GITHUB_TOKEN }}
${withLines}${indent(steps)}
`;
}

test("artifact-poisoning: the triggering run's artifact downloaded into the workspace, then repository code runs", async () => {
  const y = coverage(
    '',
    '- run: npm ci && node scripts/post-comment.js\n  env:\n    GH_TOKEN: ${{ secrets.GITHUB_TOKEN }}',
  );
  const [f, ...rest] = await rule(y, 'workflow/artifact-poisoning');
  assert.equal(rest.length, 0);
  assert.equal(covered(y, f), `actions/download-artifact@${PIN}`);
  assert.match(
    f.message,
    /into the workspace, then step `npm ci && node scripts\/post-comment\.js` runs code from the workspace/,
  );
  assert.equal(lineOf(y, { range: f.related![0].range }), '- run: npm ci && node scripts/post-comment.js');
  // the privileged trigger now says what follows
  const [t] = await rule(y, 'workflow/dangerous-trigger');
  assert.match(t.message, /job 'comment' brings in an artifact of the triggering run/);
  assert.equal(t.related?.length, 1);
});

test('artifact-poisoning: a local action, gh run download, and executing from a temp folder are flagged too', async () => {
  assert.equal(
    (await rule(coverage('', '- uses: ./.github/actions/comment'), 'workflow/artifact-poisoning')).length,
    1,
  );
  assert.equal(
    (
      await rule(
        coverage('          path: ${{ runner.temp }}/cov\n', '- run: bash "$RUNNER_TEMP/cov/post.sh"'),
        'workflow/artifact-poisoning',
      )
    ).length,
    1,
  );
  const gh = `on:
  workflow_run:
    workflows: [Build]
    types: [completed]
permissions:
  contents: read
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - ${CHECKOUT}
        with:
          persist-credentials: false
      - run: gh run download \${{ github.event.workflow_run.id }} -n site
        env:
          GH_TOKEN: \${{ github.token }}
      - run: make deploy
`;
  const [f] = await rule(gh, 'workflow/artifact-poisoning');
  assert.equal(covered(gh, f), 'gh run download');
});

test('artifact-poisoning: hardened variants stay silent (temp folder read as validated data; same-repository runs only)', async () => {
  const temp = coverage(
    '          path: ${{ runner.temp }}/cov\n',
    `- id: pr
  run: |
    PR="$(cat "$RUNNER_TEMP/cov/pr-number")"
    [[ "$PR" =~ ^[0-9]+$ ]] || exit 1
    echo "number=$PR" >> "$GITHUB_OUTPUT"
- run: gh pr comment "\${{ steps.pr.outputs.number }}" --body-file "$RUNNER_TEMP/cov/summary.md"
  env:
    GH_TOKEN: \${{ secrets.GITHUB_TOKEN }}`,
  );
  assert.deepEqual(
    (await check(temp)).map((x) => `${x.ruleId} ${x.message}`),
    [],
  );
  const sameRepo = coverage(
    '',
    '- run: npm ci && node scripts/post-comment.js',
    '    if: github.event.workflow_run.head_repository.full_name == github.repository\n',
  );
  assert.deepEqual(
    (await check(sameRepo)).map((x) => x.ruleId),
    [],
  );
  // downloads from the current run (no run-id) are this run's own
  const own = coverage('', '- run: npm ci').replace(/ {10}run-id: .*\n {10}github-token: .*\n/, '');
  assert.deepEqual(await rule(own, 'workflow/artifact-poisoning'), []);
});

/** The Ultralytics shape: pull_request_target, the PR's branch checked out and run, a setup action caching. */
function format(
  cacheLines: string,
  run: string,
  checkoutRef = '          ref: ${{ github.event.pull_request.head.sha }}\n',
): string {
  return `name: Format
on:
  pull_request_target:
    types: [opened, synchronize]
permissions:
  contents: read
jobs:
  format:
    runs-on: ubuntu-latest
    steps:
      - ${CHECKOUT}
        with:
${checkoutRef}          persist-credentials: false
      - uses: actions/setup-python@${PIN} # v5
        with:
          python-version: '3.12'
${cacheLines}      - run: ${run}
`;
}

test("cache-poisoning: a cache saved by a pull_request_target job that runs the pull request's code", async () => {
  const y = format('          cache: pip\n', 'pip install -e . && ruff format --check .');
  const [f] = await rule(y, 'workflow/cache-poisoning');
  assert.equal(covered(y, f), 'pip');
  assert.match(f.message, /actions\/setup-python with cache: pip saves the cache after job 'format'/);
  assert.match(f.message, /release included/);
  // an injected branch name is untrusted code too (the Ultralytics entry point), and actions/cache writes as well
  const inj = format('', 'git pull origin ${{ github.head_ref }}', '').replace(
    / {6}- run: /,
    `      - uses: actions/cache@${PIN} # v4\n        with:\n          path: ~/.cache/pip\n          key: pip-\${{ hashFiles('requirements.txt') }}\n      - run: `,
  );
  const [g] = await rule(inj, 'workflow/cache-poisoning');
  assert.equal(covered(inj, g), `actions/cache@${PIN}`);
  assert.match(g.message, /github\.head_ref is injected/);
});

test('cache-poisoning: hardened variants stay silent (no cache where untrusted code runs; base branch only)', async () => {
  const noCache = format('', 'pip install -e . && ruff format --check .');
  assert.deepEqual(await rule(noCache, 'workflow/cache-poisoning'), []);
  const off = format("          cache: ''\n", 'pip install -e .');
  assert.deepEqual(await rule(off, 'workflow/cache-poisoning'), []);
  const base = format('          cache: pip\n', 'pip install ruff && ruff format --check .', '');
  assert.deepEqual(
    (await check(base)).map((x) => `${x.ruleId} ${x.message}`),
    [],
  );
});

function release(cacheStep: string): string {
  return `name: Release
on:
  push:
    tags: ['v*']
permissions:
  contents: read
jobs:
  publish:
    runs-on: ubuntu-latest
    permissions:
      contents: read
      id-token: write
    steps:
      - ${CHECKOUT}
        with:
          persist-credentials: false
${cacheStep}      - run: python -m build
      - uses: pypa/gh-action-pypi-publish@${PIN} # v1.12.4
`;
}

test('release-cache: a publishing job restoring a lockfile-keyed cache', async () => {
  const setup = release(
    `      - uses: actions/setup-python@${PIN} # v5\n        with:\n          python-version: '3.12'\n          cache: pip\n`,
  );
  const [f] = await rule(setup, 'workflow/release-cache');
  assert.equal(covered(setup, f), 'pip');
  assert.equal(f.severity, 'warning');
  assert.match(f.message, /job 'publish' \(pypa\/gh-action-pypi-publish\)/);
  const key = release(
    `      - uses: actions/cache@${PIN} # v4\n        with:\n          path: ~/.cache/pip\n          key: \${{ runner.os }}-pip-\${{ hashFiles('**/requirements*.txt') }}\n`,
  );
  const [g] = await rule(key, 'workflow/release-cache');
  assert.equal(covered(key, g), "${{ runner.os }}-pip-${{ hashFiles('**/requirements*.txt') }}");
  const prefix = release(
    `      - uses: actions/cache/restore@${PIN} # v4\n        with:\n          path: ~/.cache/pip\n          key: pip-\${{ github.sha }}\n          restore-keys: pip-\n`,
  );
  assert.equal((await rule(prefix, 'workflow/release-cache')).length, 1);
});

test('release-cache: hardened variants stay silent (no cache; a key of this commit; not a release)', async () => {
  assert.deepEqual(
    (
      await check(
        release(`      - uses: actions/setup-python@${PIN} # v5\n        with:\n          python-version: '3.12'\n`),
      )
    ).map((x) => x.ruleId),
    [],
  );
  const own = release(
    `      - uses: actions/cache@${PIN} # v4\n        with:\n          path: dist\n          key: dist-\${{ github.sha }}\n`,
  );
  assert.deepEqual(
    (await check(own)).map((x) => x.ruleId),
    [],
  );
  const ci = release(`      - uses: actions/setup-python@${PIN} # v5\n        with:\n          cache: pip\n`)
    .replace(/ {6}- uses: pypa.*\n/, '')
    .replace(/ {6}permissions:\n {8}contents: read\n {8}id-token: write\n/, '');
  assert.deepEqual(await rule(ci, 'workflow/release-cache'), []);
});

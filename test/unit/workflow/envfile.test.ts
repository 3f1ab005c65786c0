import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyFix, check, covered, rule, CHECKOUT } from './util.ts';

const RULE = 'workflow/env-file-injection';

/** An issue_comment workflow whose one step runs `script` with BODY (the comment) and BRANCH in env. */
function comment(script: string, extraEnv = ''): string {
  const body = script
    .split('\n')
    .map((l) => (l ? '          ' + l : l))
    .join('\n');
  return `name: Triage
on:
  issue_comment:
    types: [created]
permissions:
  contents: read
jobs:
  triage:
    runs-on: ubuntu-latest
    steps:
      - name: Save the comment
        env:
          BODY: \${{ github.event.comment.body }}
          BRANCH: \${{ github.head_ref }}${extraEnv}
        run: |
${body}
`;
}

const lineOf = (y: string, f: { range?: { start: { line: number } } }) => y.split('\n')[f.range!.start.line];

test('env-file-injection: a comment written to $GITHUB_ENV with echo is flagged on the variable', async () => {
  const y = comment('echo "COMMENT=$BODY" >> "$GITHUB_ENV"');
  const [f, ...rest] = await rule(y, RULE);
  assert.equal(rest.length, 0);
  assert.equal(covered(y, f), '$BODY');
  assert.equal(f.severity, 'error');
  assert.match(f.message, /github\.event\.comment\.body is written to \$GITHUB_ENV as COMMENT/);
  assert.match(f.message, /LD_PRELOAD/);
  assert.equal(covered(y, { ...f, range: f.related![0].range }), '"$GITHUB_ENV"');
});

test('env-file-injection: heredocs with a fixed delimiter, printf | tee -a, groups, PATH and OUTPUT', async () => {
  const cases: [string, string][] = [
    ['{\n  echo "MSG<<EOF"\n  echo "$BODY"\n  echo "EOF"\n} >> "$GITHUB_ENV"', '  echo "$BODY"'],
    [
      'echo "MSG<<EOF" >> $GITHUB_ENV\necho "$BODY" >> $GITHUB_ENV\necho "EOF" >> $GITHUB_ENV',
      'echo "$BODY" >> $GITHUB_ENV',
    ],
    ['printf \'NOTE=%s\\n\' "$BODY" | tee -a "$GITHUB_ENV"', 'printf \'NOTE=%s\\n\' "$BODY" | tee -a "$GITHUB_ENV"'],
    ['cat >> "$GITHUB_OUTPUT" <<EOF\nnote=$BODY\nEOF', 'note=$BODY'],
    ['echo "$BRANCH" >> "$GITHUB_PATH"', 'echo "$BRANCH" >> "$GITHUB_PATH"'],
    [
      'echo "NOTES=$(git log -1 --format=%B)" >> "$GITHUB_ENV"',
      'echo "NOTES=$(git log -1 --format=%B)" >> "$GITHUB_ENV"',
    ],
    ['T="$BODY"\necho "X=${T}" >> "$GITHUB_ENV"', 'echo "X=${T}" >> "$GITHUB_ENV"'],
  ];
  for (const [script, line] of cases) {
    const y = comment(script);
    const f = await rule(y, RULE);
    assert.equal(f.length, 1, `${script}\n${f.map((x) => x.message).join('\n')}`);
    assert.equal(lineOf(y, f[0]).trim(), line.trim(), script);
  }
});

test('env-file-injection: hardened variants stay silent (random delimiter, validation, newlines stripped, one-line values, env: instead)', async () => {
  for (const script of [
    '{\n  EOF="$(openssl rand -hex 16)"\n  echo "MSG<<$EOF"\n  echo "$BODY"\n  echo "$EOF"\n} >> "$GITHUB_ENV"',
    'D=$(dd if=/dev/urandom bs=15 count=1 status=none | base64)\necho "MSG<<${D}" >> "$GITHUB_ENV"\necho "$BODY" >> "$GITHUB_ENV"\necho "${D}" >> "$GITHUB_ENV"',
    'N="$(echo "$BODY" | head -n 1)"\n[[ "$N" =~ ^[0-9]+$ ]] || exit 1\necho "N=$N" >> "$GITHUB_ENV"',
    'echo "FIRST=$(echo "$BODY" | tr -d \'\\n\')" >> "$GITHUB_ENV"',
    'echo "TITLE_JSON=$(jq -n --arg b "$BODY" \'$b\')" >> "$GITHUB_ENV"',
    'echo "BR=$BRANCH" >> "$GITHUB_ENV"',
    'echo "SHA=$(git log -1 --format=%H)" >> "$GITHUB_ENV"',
    'echo "LEN=${#BODY}" >> "$GITHUB_ENV"',
    'echo "$BODY" | sha256sum >> "$GITHUB_OUTPUT"',
  ]) {
    const y = comment(script);
    assert.deepEqual(
      (await check(y)).map((f) => `${f.ruleId} ${f.message}`),
      [],
      script,
    );
  }
});

test('env-file-injection: files from the pull request (workflow_run artifact) read into $GITHUB_ENV; validated reads pass', async () => {
  const wf = (script: string) => `on:
  workflow_run:
    workflows: [CI]
    types: [completed]
permissions:
  contents: read
  pull-requests: write
jobs:
  report:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/download-artifact@0123456789abcdef0123456789abcdef01234567 # v4
        with:
          name: pr
          path: \${{ runner.temp }}/pr
          run-id: \${{ github.event.workflow_run.id }}
          github-token: \${{ secrets.GITHUB_TOKEN }}
      - run: |
${script
  .split('\n')
  .map((l) => '          ' + l)
  .join('\n')}
`;
  const bad = wf('echo "PR=$(cat "$RUNNER_TEMP/pr/number")" >> "$GITHUB_ENV"');
  const [f] = await rule(bad, RULE);
  assert.equal(covered(bad, f), '$(cat "$RUNNER_TEMP/pr/number")');
  assert.match(f.message, /a file from an artifact of the triggering run/);
  // read stops at the first newline (the runner splits the file at \n only): one line cannot add a variable
  const read = wf('read -r PR < "$RUNNER_TEMP/pr/number"\necho "PR=$PR" >> "$GITHUB_ENV"');
  assert.equal((await rule(read, RULE)).length, 0);
  const readAll = wf('read -r -d \'\' PR < "$RUNNER_TEMP/pr/number" || true\necho "PR=$PR" >> "$GITHUB_ENV"');
  assert.equal((await rule(readAll, RULE)).length, 1);
  const good = wf(
    'PR="$(cat "$RUNNER_TEMP/pr/number")"\nif ! [[ "$PR" =~ ^[0-9]+$ ]]; then exit 1; fi\necho "PR=$PR" >> "$GITHUB_ENV"',
  );
  assert.deepEqual(
    (await check(good)).map((x) => x.ruleId),
    [],
  );
});

test('env-file-injection fix: the random-delimiter form, which is silent afterwards', async () => {
  const y = comment('echo "COMMENT=$BODY" >> "$GITHUB_ENV"');
  const [f] = await rule(y, RULE);
  const fixed = applyFix(y, f.fixes?.[0]);
  assert.match(
    fixed,
    /\n {10}\{\n {12}COMMENT_EOF="\$\(openssl rand -hex 16\)"\n {12}echo "COMMENT<<\$\{COMMENT_EOF\}"\n {12}echo "\$BODY"\n {12}echo "\$\{COMMENT_EOF\}"\n {10}\} >> "\$GITHUB_ENV"\n/,
  );
  assert.deepEqual(
    (await check(fixed)).map((x) => x.ruleId),
    [],
  );
});

test('env-file-injection: a value written to $GITHUB_ENV stays tainted for later steps (env context and shell)', async () => {
  const y = comment('echo "BR=$BRANCH" >> "$GITHUB_ENV"').replace(/\n$/, '\n      - run: echo "${{ env.BR }}"\n');
  const [f] = await rule(y, 'workflow/expression-injection');
  assert.equal(covered(y, f), 'env.BR');
  assert.match(f.message, /github\.head_ref/);
  const path = comment('echo "BR=$BRANCH" >> "$GITHUB_ENV"').replace(
    /\n$/,
    '\n      - run: echo "$BR" >> "$GITHUB_PATH"\n',
  );
  assert.equal((await rule(path, RULE)).length, 1);
});

test('env-file-injection: pushes with trusted data and checkouts on push stay silent', async () => {
  const y = `on: push
permissions:
  contents: read
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - ${CHECKOUT}
        with:
          persist-credentials: false
      - run: |
          echo "VERSION=$(cat VERSION)" >> "$GITHUB_ENV"
          echo "DATE=$(date -u +%Y-%m-%d)" >> "$GITHUB_ENV"
          echo "$HOME/.local/bin" >> "$GITHUB_PATH"
          echo "sha=\${{ github.sha }}" >> "$GITHUB_OUTPUT"
`;
  assert.deepEqual(
    (await check(y)).map((x) => `${x.ruleId} ${x.message}`),
    [],
  );
});

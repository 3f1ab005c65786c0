import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkWorkflowText } from '../../../src/core/workflow/check.ts';
import { applyFix, check, covered, job, rule, CHECKOUT } from './util.ts';

test('expression-injection: untrusted event fields and head_ref in run and github-script; trusted or tested values pass', async () => {
  const y = job(`- run: |
    echo "\${{ github.event.issue.title }}"
    echo \${{ github.head_ref }} \${{ github.event.commits[0].message }} \${{ github.event.pull_request.head.ref }}
    echo \${{ github.sha }} \${{ github.event.pull_request.number }} \${{ github.ref_name }}
    echo \${{ contains(github.event.pull_request.body, 'x') }} \${{ github.event.comment.body == 'ok' }}
    echo \${{ github.event.review.body || 'none' }}
- uses: actions/github-script@0123456789abcdef0123456789abcdef01234567
  with:
    script: console.log('\${{ github.event.pull_request.head.label }}')
- uses: some/action@0123456789abcdef0123456789abcdef01234567
  with:
    title: \${{ github.event.issue.title }}`);
  const f = await rule(y, 'workflow/expression-injection');
  assert.deepEqual(
    f.map((x) => covered(y, x)),
    [
      'github.event.issue.title',
      'github.head_ref',
      'github.event.commits[0].message',
      'github.event.pull_request.head.ref',
      'github.event.review.body',
      'github.event.pull_request.head.label',
    ],
  );
});

test('expression-injection: env values set from untrusted input are untrusted when expanded in run', async () => {
  const y = job('- env:\n    T: ${{ github.event.issue.title }}\n  run: |\n    echo "$T"\n    echo "${{ env.T }}"');
  const f = await rule(y, 'workflow/expression-injection');
  assert.equal(f.length, 1);
  assert.equal(covered(y, f[0]), 'env.T');
});

test('expression-injection fix: moves the value to env and quotes it (also inside single quotes)', async () => {
  const y = job(
    "- name: Greet\n  run: |\n    echo 'Title: ${{ github.event.issue.title }}'\n    echo ${{ github.head_ref }}",
  );
  const [first] = await rule(y, 'workflow/expression-injection');
  const once = applyFix(y, first.fixes?.[0]);
  assert.match(once, /env:\n {10}ISSUE_TITLE: \$\{\{ github\.event\.issue\.title \}\}\n {8}name: Greet/);
  assert.match(once, /echo 'Title: '"\$\{ISSUE_TITLE\}"''/);
  const [second] = await rule(once, 'workflow/expression-injection');
  const twice = applyFix(once, second.fixes?.[0]);
  assert.match(
    twice,
    /ISSUE_TITLE: \$\{\{ github\.event\.issue\.title \}\}\n {10}HEAD_REF: \$\{\{ github\.head_ref \}\}/,
  );
  assert.deepEqual(await rule(twice, 'workflow/expression-injection'), []);
});

test('untrusted-checkout: pull_request_target / workflow_run checking out the PR head and running it', async () => {
  const head = 'on:\n  pull_request_target:\npermissions:\n  contents: read\n';
  const y = job(
    `- ${CHECKOUT}\n  with:\n    ref: \${{ github.event.pull_request.head.sha }}\n    persist-credentials: false\n- run: npm ci && npm test`,
    head,
  );
  const [f] = await rule(y, 'workflow/untrusted-checkout');
  assert.equal(covered(y, f), '${{ github.event.pull_request.head.sha }}');
  assert.equal((await rule(y, 'workflow/dangerous-trigger')).length, 1);
  const gh = job(
    '- run: gh pr checkout ${{ github.event.issue.number }}\n- run: make',
    'on: issue_comment\npermissions: {}\n',
  );
  assert.equal((await rule(gh, 'workflow/untrusted-checkout')).length, 1);
  const same = job(
    '- run: gh pr checkout ${{ github.event.issue.number }} && make test',
    'on: issue_comment\npermissions: {}\n',
  );
  assert.equal((await rule(same, 'workflow/untrusted-checkout')).length, 1);
  const fetchOnly = job(
    '- run: gh pr checkout ${{ github.event.issue.number }} && git log -1',
    'on: issue_comment\npermissions: {}\n',
  );
  assert.deepEqual(await rule(fetchOnly, 'workflow/untrusted-checkout'), []);
  const noRun = job(
    `- ${CHECKOUT}\n  with:\n    ref: \${{ github.event.pull_request.head.sha }}\n    persist-credentials: false\n- uses: actions/labeler@0123456789abcdef0123456789abcdef01234567`,
    head,
  );
  assert.deepEqual(await rule(noRun, 'workflow/untrusted-checkout'), []);
  const base = job(`- ${CHECKOUT}\n  with:\n    persist-credentials: false\n- run: npm test`, head);
  assert.deepEqual(await rule(base, 'workflow/untrusted-checkout'), [], 'the base branch is trusted');
  const plainPr = job(
    `- ${CHECKOUT}\n  with:\n    ref: \${{ github.event.pull_request.head.sha }}\n- run: npm test`,
    'on: pull_request\npermissions: {}\n',
  );
  assert.deepEqual(await rule(plainPr, 'workflow/untrusted-checkout'), []);
});

test('curl-pipe-shell: pipes into shells, process substitution, sudo; plain downloads pass', async () => {
  const y = job(`- run: |
    curl -sSfL https://raw.githubusercontent.com/anchore/syft/main/install.sh | sh -s -- -b /usr/local/bin
    wget -qO- https://get.example.com | sudo -E bash
    bash <(curl -s https://x.example/i.sh)
    curl -sSfLo tool.tgz https://example.com/tool.tgz
    curl -s https://api.example.com/v | jq .`);
  const f = await rule(y, 'workflow/curl-pipe-shell');
  assert.equal(f.length, 3);
  assert.match(f[0].message, /anchore\/sbom-action\/download-syft/);
  assert.match(covered(y, f[1]), /^wget .* bash$/);
});

test('persist-credentials: flagged when later steps run PR code, downloaded scripts, pickles or upload the workspace', async () => {
  const pr = job(`- ${CHECKOUT}\n- run: make test`, 'on: pull_request\npermissions: {}\n');
  const [f] = await rule(pr, 'workflow/persist-credentials');
  const fixed = applyFix(pr, f.fixes?.[0]);
  assert.match(fixed, /# v4\.2\.2\n {8}with:\n {10}persist-credentials: false\n/);
  assert.deepEqual(await rule(fixed, 'workflow/persist-credentials'), []);
  const upload = job(
    `- ${CHECKOUT}\n  with:\n    fetch-depth: 0\n- uses: actions/upload-artifact@0123456789abcdef0123456789abcdef01234567\n  with:\n    path: .`,
  );
  const [u] = await rule(upload, 'workflow/persist-credentials');
  assert.match(applyFix(upload, u.fixes?.[0]), /fetch-depth: 0\n {10}persist-credentials: false/);
  const pickle = job(`- ${CHECKOUT}\n- run: python -c "import pickle; pickle.load(open('m.pkl','rb'))"`);
  assert.equal((await rule(pickle, 'workflow/persist-credentials')).length, 1);
  const push = job(`- ${CHECKOUT}\n- run: make && git push origin HEAD`, 'on: pull_request\npermissions: {}\n');
  assert.deepEqual(await rule(push, 'workflow/persist-credentials'), [], 'credentials are needed for git push');
  const release = job(`- ${CHECKOUT}\n- run: make`);
  assert.deepEqual(await rule(release, 'workflow/persist-credentials'), [], 'push-triggered, nothing untrusted');
});

test("secrets-inherit-external: another owner's reusable workflow by tag gets every secret (warning); SHA or own owner is info", async () => {
  const y =
    'on: push\npermissions: {}\njobs:\n  call:\n    uses: vendor/ci-templates/.github/workflows/release.yml@v2\n    secrets: inherit\n';
  const [f] = await rule(y, 'workflow/secrets-inherit-external');
  assert.equal(covered(y, f), 'inherit');
  assert.equal(f.severity, 'warning');
  assert.match(f.message, /vendor\/ci-templates/);
  assert.deepEqual(await rule(y, 'workflow/secrets-inherit'), []);
  const own = (await checkWorkflowText(y, 'wf.yml', { repositoryOwner: 'Vendor' })).map(
    (x) => `${x.ruleId} ${x.severity}`,
  );
  assert.deepEqual(
    own.filter((x) => x.startsWith('workflow/secrets')),
    ['workflow/secrets-inherit info'],
  );
  const sha = y.replace('@v2', '@0123456789abcdef0123456789abcdef01234567');
  assert.deepEqual(
    (await check(sha)).filter((x) => x.ruleId.startsWith('workflow/secrets')).map((x) => `${x.ruleId} ${x.severity}`),
    ['workflow/secrets-inherit info'],
  );
  const named = sha.replace('inherit', '\n      token: ${{ secrets.PUBLISH_TOKEN }}');
  assert.deepEqual(
    (await check(named)).map((x) => x.ruleId),
    [],
  );
});

test('secrets-inherit', async () => {
  const y =
    'on: push\npermissions: {}\njobs:\n  call:\n    uses: org/r/.github/workflows/x.yml@0123456789abcdef0123456789abcdef01234567\n    secrets: inherit\n';
  assert.equal((await rule(y, 'workflow/secrets-inherit')).length, 1);
  assert.ok(
    !(await check(y.replace('inherit', '\n      token: ${{ secrets.T }}'))).some(
      (f) => f.ruleId === 'workflow/secrets-inherit',
    ),
  );
});

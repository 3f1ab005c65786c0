import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyFix, covered, job, rule } from './util.ts';

const SHA = '0123456789abcdef0123456789abcdef01234567';

test('unpinned-action: tags and short SHAs flagged on the ref; full SHAs, local actions and expressions are not', async () => {
  const y = job(
    `- uses: actions/checkout@v4\n- uses: owner/tool/sub@1.2.3\n- uses: owner/short@abc1234\n- uses: owner/ok@${SHA}\n- uses: ./local-action`,
  );
  const f = await rule(y, 'workflow/unpinned-action');
  assert.deepEqual(
    f.map((x) => covered(y, x)),
    ['v4', '1.2.3', 'abc1234'],
  );
  const reusable = `on: push\npermissions: {}\njobs:\n  call:\n    uses: org/repo/.github/workflows/x.yml@v1\n`;
  assert.equal((await rule(reusable, 'workflow/unpinned-action')).length, 1, 'reusable workflows too');
});

test('unpinned-action fix: SHA placeholder keeping the tag as a comment, not preferred; an existing comment is kept', async () => {
  const y = job('- uses: actions/checkout@v4');
  const [f] = await rule(y, 'workflow/unpinned-action');
  const fix = f.fixes?.find((x) => x.kind === 'edit');
  assert.equal(fix?.kind === 'edit' && fix.isPreferred, false);
  const online = f.fixes?.find((x) => x.kind === 'command');
  assert.ok(online?.kind === 'command' && online.command === 'modelInspect.workflow.resolveActionRef');
  assert.deepEqual(online.args?.[0], {
    file: 'wf.yml',
    range: f.range,
    lineEnd: { line: 7, character: 33 },
    hasComment: false,
    owner: 'actions',
    repo: 'checkout',
    ref: 'v4',
  });
  assert.match(applyFix(y, fix), /- uses: actions\/checkout@<full-commit-sha> # v4\n/);
  // in the editor the placeholder is a snippet: the cursor selects it, ready for the commit to be pasted
  assert.ok(fix?.kind === 'edit');
  assert.deepEqual(
    fix.edits.map((e) => e.snippet),
    ['${1:<full-commit-sha>}', undefined],
  );
  const quoted = job("- uses: 'actions/checkout@v4' # keep");
  const [g] = await rule(quoted, 'workflow/unpinned-action');
  assert.match(
    applyFix(
      quoted,
      g.fixes?.find((x) => x.kind === 'edit'),
    ),
    /- uses: 'actions\/checkout@<full-commit-sha>' # keep\n/,
  );
});

test('branch-ref: @main/@master are errors of their own', async () => {
  const y = job(
    '- uses: owner/a@main\n- uses: owner/b@master\n- uses: owner/c@v1\n- uses: pypa/gh-action-pypi-publish@release/v1',
  );
  assert.deepEqual(
    (await rule(y, 'workflow/branch-ref')).map((x) => covered(y, x)),
    ['main', 'master', 'release/v1'],
  );
  assert.equal((await rule(y, 'workflow/branch-ref'))[0].severity, 'error');
});

test('slsa-generator-ref: SHA, branch or short tag flagged (never asked to pin to SHA); vX.Y.Z is right', async () => {
  const call = (ref: string) =>
    `on: push\npermissions: {}\njobs:\n  provenance:\n    permissions:\n      id-token: write\n      actions: read\n      contents: read\n    uses: slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@${ref}\n`;
  assert.deepEqual(await rule(call('v2.1.0'), 'workflow/slsa-generator-ref'), []);
  assert.deepEqual(await rule(call('v2.1.0'), 'workflow/unpinned-action'), []);
  for (const ref of [SHA, 'main', 'v2']) {
    assert.equal((await rule(call(ref), 'workflow/slsa-generator-ref')).length, 1, ref);
    assert.deepEqual(await rule(call(ref), 'workflow/unpinned-action'), [], ref);
    assert.deepEqual(await rule(call(ref), 'workflow/branch-ref'), [], ref);
  }
  const commented = call(SHA).replace(/\n$/, ' # v2.1.0\n');
  const [f] = await rule(commented, 'workflow/slsa-generator-ref');
  assert.match(applyFix(commented, f.fixes?.[0]), /generator_generic_slsa3\.yml@v2\.1\.0 # v2\.1\.0/);
});

test('image-not-pinned: docker:// actions, container and service images without a digest', async () => {
  const digest = 'sha256:' + 'a'.repeat(64);
  const y = job(
    `- uses: docker://alpine:3.20\n- uses: docker://alpine@${digest}`,
    undefined,
    `    container: python:3.12\n    services:\n      db:\n        image: postgres@${digest}\n      cache:\n        image: redis:7\n`,
  );
  assert.deepEqual(
    (await rule(y, 'workflow/image-not-pinned')).map((x) => covered(y, x)),
    ['docker://alpine:3.20', 'python:3.12', 'redis:7'],
  );
});

test("unpinned-action fix: the inserted actions' own releases are pinned to their known commit (certain, preferred)", async () => {
  const y = job('- uses: sigstore/cosign-installer@v4.1.2');
  const [f] = await rule(y, 'workflow/unpinned-action');
  assert.equal(f.fixes?.length, 1);
  const fix = f.fixes![0];
  assert.ok(fix.kind === 'edit' && fix.isPreferred);
  assert.match(
    applyFix(y, fix),
    /- uses: sigstore\/cosign-installer@6f9f17788090df1f26f669e9d70d6ae9567deba6 # v4\.1\.2\n/,
  );
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyFix, check, covered, job, rule } from './util.ts';

test('reusable-workflow-as-step: remote and local reusable workflows in steps; not jobs, not actions', async () => {
  const bad = job(`- uses: org/repo/.github/workflows/build.yml@v1\n- uses: ./.github/workflows/local.yaml`);
  assert.equal((await rule(bad, 'workflow/reusable-workflow-as-step')).length, 2);
  const good =
    'on: push\npermissions: {}\njobs:\n  call:\n    uses: org/repo/.github/workflows/build.yml@0123456789abcdef0123456789abcdef01234567\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ./.github/actions/local\n';
  assert.equal((await rule(good, 'workflow/reusable-workflow-as-step')).length, 0);
});

test('unknown-step-reference: missing id, later step, own outputs; job outputs see every step', async () => {
  const y = job(`- run: echo hi
- id: later
  run: echo "v=1" >> "$GITHUB_OUTPUT"
- run: echo \${{ steps.nope.outputs.v }} \${{ steps.later.outputs.v }}
- id: self
  run: echo \${{ steps.self.outputs.v }}`).replace('- run: echo hi', '- run: echo ${{ steps.later.outputs.v }}');
  const f = await rule(y, 'workflow/unknown-step-reference');
  assert.deepEqual(
    f.map((x) => covered(y, x)),
    ['steps.later.outputs.v', 'steps.nope.outputs.v', 'steps.self.outputs.v'],
  );
  const ok = job(
    `- id: a\n  run: echo "v=1" >> "$GITHUB_OUTPUT"\n- if: steps.a.outputs.v == '1'\n  run: echo \${{ steps.a.outputs.v }}`,
    undefined,
    '    outputs:\n      v: ${{ steps.a.outputs.v }}\n',
  );
  assert.deepEqual(await rule(ok, 'workflow/unknown-step-reference'), []);
  // case-insensitive, like GitHub
  assert.deepEqual(
    await rule(
      job(
        `- id: Build\n  uses: docker/build-push-action@0123456789abcdef0123456789abcdef01234567\n- run: echo \${{ steps.build.outputs.digest }}`,
      ),
      'workflow/unknown-step-reference',
    ),
    [],
  );
});

test('unknown-step-reference: `if:` conditions without ${{ }} are read too, and the fix adds the id to the only candidate', async () => {
  const y = job(
    `- name: Push image\n  run: docker push ghcr.io/a/b:1\n- name: Later\n  if: steps.push.outcome == 'success'\n  run: echo ok`,
  );
  const f = await rule(y, 'workflow/unknown-step-reference');
  assert.equal(f.length, 1);
  const fixed = applyFix(y, f[0].fixes?.[0]);
  assert.match(fixed, /- id: push\n {8}name: Push image/);
  assert.deepEqual(await rule(fixed, 'workflow/unknown-step-reference'), []);
});

test('output-not-written: run steps that never write the output; not when the script may write it', async () => {
  const bad = job(
    `- id: push\n  run: oras push ghcr.io/a/b:1 f.bin\n- run: cosign sign --yes "ghcr.io/a/b@\${{ steps.push.outputs.digest }}"`,
  );
  assert.equal((await rule(bad, 'workflow/output-not-written')).length, 1);
  const other = job(
    `- id: push\n  run: echo "sha=1" >> "$GITHUB_OUTPUT"\n- run: echo \${{ steps.push.outputs.digest }}`,
  );
  assert.equal((await rule(other, 'workflow/output-not-written')).length, 1, 'writes another name');
  const legacy = job(
    `- id: push\n  run: echo "::set-output name=sha::1"\n- run: echo \${{ steps.push.outputs.digest }} \${{ steps.push.outputs.sha }}`,
  );
  assert.deepEqual(
    (await rule(legacy, 'workflow/output-not-written')).map((x) => covered(legacy, x)),
    ['steps.push.outputs.digest'],
  );
  for (const script of [
    'echo "digest=1" >> "$GITHUB_OUTPUT"',
    './push.sh',
    'python build.py',
    '{ echo a=1; } >> "$GITHUB_OUTPUT"',
    'echo "$K=$V" >> $GITHUB_OUTPUT',
    'echo "digest<<EOF" >> $GITHUB_OUTPUT',
  ]) {
    const y = job(`- id: push\n  run: ${JSON.stringify(script)}\n- run: echo \${{ steps.push.outputs.digest }}`);
    assert.deepEqual(await rule(y, 'workflow/output-not-written'), [], script);
  }
  const action = job(
    `- id: b\n  uses: docker/build-push-action@0123456789abcdef0123456789abcdef01234567\n- run: echo \${{ steps.b.outputs.sha }} \${{ steps.b.outputs.digest }}`,
  );
  assert.equal((await rule(action, 'workflow/output-not-written')).length, 1, 'build-push-action has digest, not sha');
});

test('unknown-job-reference: needs.<job> not in needs, missing job, undeclared output; fix adds to needs', async () => {
  const y = `on: push
permissions: {}
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      digest: \${{ steps.x.outputs.digest }}
    steps:
      - id: x
        run: echo "digest=1" >> "$GITHUB_OUTPUT"
  other:
    runs-on: ubuntu-latest
    steps:
      - run: echo ok
  sign:
    needs: other
    runs-on: ubuntu-latest
    steps:
      - run: echo \${{ needs.build.outputs.digest }} \${{ needs.ghost.result }} \${{ needs.other.outputs.nope }}
  bad:
    needs: [nobody]
    runs-on: ubuntu-latest
    steps:
      - run: echo ok
`;
  const f = await rule(y, 'workflow/unknown-job-reference');
  assert.deepEqual(
    f.map((x) => covered(y, x)),
    ['needs.build.outputs.digest', 'needs.ghost.result', 'needs.other.outputs.nope', 'nobody'],
  );
  const fixed = applyFix(y, f[0].fixes?.[0]);
  assert.match(fixed, /needs: \[other, build\]/);
  assert.equal(
    (await check(fixed)).filter(
      (x) => x.ruleId === 'workflow/unknown-job-reference' && covered(fixed, x).startsWith('needs.build'),
    ).length,
    0,
  );
  const ok = y
    .replace('needs: other', 'needs: [other, build]')
    .replace(' ${{ needs.ghost.result }} ${{ needs.other.outputs.nope }}', '')
    .replace('needs: [nobody]', 'needs: [sign]');
  assert.deepEqual(await rule(ok, 'workflow/unknown-job-reference'), []);
});

test('reusable-workflow-as-step fix: a step in the middle becomes a job at the end of jobs:', async () => {
  const y = `on: push
permissions: {}
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - id: b
        run: echo "sha=1" >> "$GITHUB_OUTPUT"
      - uses: org/repo/.github/workflows/publish.yml@v1
        with:
          sha: \${{ steps.b.outputs.sha }}
          flag: true
      - run: echo done
  test:
    runs-on: ubuntu-latest
    steps:
      - run: echo test
`;
  const [f] = await rule(y, 'workflow/reusable-workflow-as-step');
  const fixed = applyFix(y, f.fixes?.[0]);
  assert.match(fixed, /- id: b\n {8}run: echo "sha=1" >> "\$GITHUB_OUTPUT"\n {6}- run: echo done\n/);
  assert.match(
    fixed,
    /\n {2}publish:\n {4}needs: build\n {4}uses: org\/repo\/\.github\/workflows\/publish\.yml@v1\n {4}with:\n {6}sha: \$\{\{ needs\.build\.outputs\.sha \}\}\n {6}flag: true\n?$/,
  );
  assert.match(fixed, /build:\n {4}outputs:\n {6}sha: \$\{\{ steps\.b\.outputs\.sha \}\}\n {4}runs-on/);
  const after = await check(fixed);
  assert.deepEqual(
    after.filter((x) => /reusable|unknown|output/.test(x.ruleId)).map((x) => x.ruleId),
    [],
  );
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { check, covered, rule, CHECKOUT } from './util.ts';

const RULE = 'workflow/self-hosted-runner';

function gpuTests(on: string, runsOn: string, jobExtra = ''): string {
  return `name: GPU tests
on: ${on}
permissions:
  contents: read
jobs:
  gpu:
${jobExtra}    runs-on: ${runsOn}
    steps:
      - ${CHECKOUT}
        with:
          persist-credentials: false
      - run: pytest tests/gpu
`;
}

test('self-hosted-runner: pull_request, pull_request_target and issue_comment jobs on self-hosted or custom labels', async () => {
  const y = gpuTests('pull_request', '[self-hosted, linux, gpu]');
  const [f] = await rule(y, RULE);
  assert.equal(covered(y, f), 'self-hosted');
  assert.equal(f.severity, 'error');
  assert.match(f.message, /job 'gpu' runs on a self-hosted runner for pull_request events/);
  const custom = gpuTests('[pull_request_target]', 'linux-gpu-a100');
  assert.equal(covered(custom, (await rule(custom, RULE))[0]), 'linux-gpu-a100');
  const comment = gpuTests('issue_comment', 'self-hosted');
  assert.equal((await rule(comment, RULE)).length, 1);
  const matrix = gpuTests(
    'pull_request',
    '${{ matrix.runner }}',
    '    strategy:\n      matrix:\n        runner: [ubuntu-24.04, gpu-box]\n',
  );
  assert.equal(covered(matrix, (await rule(matrix, RULE))[0]), '${{ matrix.runner }}');
});

test('self-hosted-runner: hardened variants stay silent', async () => {
  for (const y of [
    gpuTests('pull_request', 'ubuntu-24.04'),
    gpuTests(
      'pull_request',
      '${{ matrix.os }}',
      '    strategy:\n      matrix:\n        os: [ubuntu-latest, macos-15, windows-2025]\n',
    ),
    gpuTests('push', '[self-hosted, gpu]'),
    gpuTests('[push, workflow_dispatch]', 'gpu-box'),
    gpuTests(
      'pull_request',
      '[self-hosted, gpu]',
      '    if: github.event.pull_request.head.repo.full_name == github.repository\n',
    ),
    gpuTests('pull_request_target', '[self-hosted, gpu]', '    environment: gpu-approval\n'),
    gpuTests('pull_request', '${{ inputs.runner }}'),
  ])
    assert.deepEqual(
      (await check(y)).map((x) => `${x.ruleId} ${x.message}`),
      [],
      y,
    );
});

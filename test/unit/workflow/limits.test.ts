import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkWorkflowText } from '../../../src/core/workflow/check.ts';
import type { WorkMeter } from '../../../src/core/workflow/shell.ts';

/**
 * Linear work on hostile `run:` scripts: the work meter (characters and search steps the tokenizer,
 * the quote lookups and the expression reader visit) at 2n lines is at most ~2× the work at n.
 * No clock is read: a loaded machine cannot make these fail, a quadratic scan always does.
 */

function workflow(lines: string, n: number): string {
  return (
    'on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n' +
    ('          ' + lines + '\n').repeat(n) +
    '          true\n'
  );
}

async function work(text: string): Promise<{ units: number; findings: number }> {
  const meter: WorkMeter = { units: 0 };
  const findings = await checkWorkflowText(text, 'wf.yml', { meter });
  return { units: meter.units, findings: findings.length };
}

const FAMILIES: Record<string, string> = {
  'backslash continuations': 'echo a b c \\',
  'untrusted expressions in single quotes, continued': "echo 'x ${{ github.event.issue.title }} y' \\",
  'untrusted expressions in double quotes':
    'echo "${{ github.event.pull_request.body }}" | tee -a out ; cosign sign "$I" \\',
  'here-documents that never end': 'cat <<EOF >> "$GITHUB_ENV"',
  'unclosed command substitutions': 'echo "$(cat a \\',
  'unbalanced quotes in expressions': "echo ${{ ' }} ${{ github.head_ref }} \\",
  'group writes to the env file': '{ echo "A=$X"; echo "B=$(cat f)"; } >> "$GITHUB_ENV"',
};

for (const [name, line] of Object.entries(FAMILIES)) {
  test(`linear work: ${name}`, async () => {
    const n = 1500;
    const small = await work(workflow(line, n));
    const large = await work(workflow(line, 2 * n));
    assert.ok(small.units > 0, 'the meter counts');
    assert.ok(
      large.units <= 2.2 * small.units,
      `work grew ${(large.units / small.units).toFixed(2)}× when the script doubled (${small.units} -> ${large.units})`,
    );
  });
}

test('linear work: one long expression with hundreds of references', async () => {
  const expr = (k: number) =>
    '${{ ' + Array.from({ length: k }, () => `github.event.issue.title || '${'x'.repeat(100)}'`).join(' || ') + ' }}';
  const y = (k: number) => workflow(`echo "${expr(k)}"`, 1);
  const small = await work(y(75));
  const large = await work(y(150));
  assert.ok(large.units <= 2.2 * small.units, `work grew ${(large.units / small.units).toFixed(2)}×`);
});

test('linear work: a long chain of jobs through needs, reachable from forks', async () => {
  // each job needs the one before: asking every job whether a deployment environment guards it
  // once walked the whole chain behind it (quadratic in jobs, a minute of CPU at 3,000 jobs)
  const chain = (n: number) => {
    let y = 'on: pull_request\npermissions: {}\njobs:\n';
    for (let i = 0; i < n; i++)
      y += `  j${i}:\n${i ? `    needs: j${i - 1}\n` : ''}    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${i}\n`;
    return y;
  };
  const small = await work(chain(400));
  const large = await work(chain(800));
  assert.ok(
    large.units <= 2.2 * small.units,
    `work grew ${(large.units / small.units).toFixed(2)}× when the chain doubled (${small.units} -> ${large.units})`,
  );
});

test('linear work: finding $ and backticks in each word of a long run: does not search to the end of the script (every indexOf counted)', async () => {
  // The meter did not see this search: count the characters every String indexOf call passes over.
  async function searched(text: string): Promise<number> {
    await checkWorkflowText(text, 'wf.yml'); // loads the expression library before counting
    let total = 0;
    const original = String.prototype.indexOf;
    String.prototype.indexOf = function (this: string, search: string, from?: number): number {
      const r = original.call(this, search, from);
      const start = Math.min(this.length, Math.max(0, from ?? 0));
      total += (r < 0 ? this.length : r) - start + 1;
      return r;
    };
    try {
      await checkWorkflowText(text, 'wf.yml');
    } finally {
      String.prototype.indexOf = original;
    }
    return total;
  }
  const small = await searched(workflow('echo a b c \\', 2000));
  const large = await searched(workflow('echo a b c \\', 4000));
  assert.ok(
    large <= 2.2 * small,
    `characters searched grew ${(large / small).toFixed(2)}× when the script doubled (${small} -> ${large})`,
  );
});

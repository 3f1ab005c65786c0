import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { checkWorkflowWith } from '../../src/core/workflow/check.ts';
import { loadExpressionLib } from '../../src/core/workflow/expressions.ts';
import type { Benchmark } from '../bench.ts';

const REPO = path.resolve(import.meta.dirname, '..', '..');

/**
 * A workflow whose one `run:` script is `lines` lines long, joined by backslashes into a single
 * command line of pipelines (the shape that once made a check superlinear). The unit test
 * (test/unit/workflow/seed.test.ts) proves every line is read; this measures how long it takes.
 */
export function hugeScriptWorkflow(lines: number): string {
  return (
    'on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n' +
    '          echo "${{ github.sha }}" | tee -a x ; cosign sign "$I" \\\n'.repeat(lines) +
    '          true\n'
  );
}

export async function workflowBenchmarks(): Promise<Benchmark[]> {
  const lib = await loadExpressionLib();
  const seed = fs.readFileSync(path.join(REPO, 'test', 'fixtures', 'workflow', 'seed-model-build-slsa.yml'), 'utf8');
  // 1,000 lines keeps a run near 0.1 s; a quadratic check shows as a ratio that grows with `lines`.
  const big = hugeScriptWorkflow(1000);
  return [
    {
      name: 'workflow: check the seed release workflow (one keystroke)',
      baseline: { name: 'js-yaml load of the same text', run: () => yaml.load(seed) },
      run: () => checkWorkflowWith(seed, 'release.yml', lib),
      budgetMs: 5,
    },
    {
      name: 'workflow: check a 1,000-line run: script',
      baseline: { name: 'js-yaml load of the same text', run: () => yaml.load(big) },
      run: () => checkWorkflowWith(big, 'release.yml', lib),
    },
  ];
}

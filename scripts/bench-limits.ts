// Linear time on hostile sizes (issue 11): every parser that reads attacker-sized text, timed on
// an input and on the same input doubled. A linear parser takes about 2× as long on the doubled
// input; a quadratic one 4×. A family fails when doubling the input more than doubles the time,
// with 25 % allowance for timer noise on a shared machine (ratio above 2.5 = MISSED).
// Run: `npm run bench -- limits` (or `node --import tsx scripts/bench-limits.ts`).
import path from 'node:path';
import { parseYaml } from '../src/core/yaml/document.ts';
import { parseSbomJson } from '../src/core/sbom/read.ts';
import { checkPythonWith } from '../src/core/python/checks.ts';
import { checkNotebookText } from '../src/core/python/files.ts';
import { loadPythonParser, type PythonParser } from '../src/core/python/treeSitter.ts';
import { checkWorkflowText } from '../src/core/workflow/check.ts';

export interface LimitLine {
  family: string;
  size: string;
  ms: number;
  msDoubled: number;
  ratio: number;
  ok: boolean;
}

const ALLOWED = 2.5;

interface Family {
  name: string;
  /** What n counts, for the report. */
  unit: string;
  n: number;
  make: (n: number) => string;
  run: (input: string) => unknown;
}

function notebook(cells: number): string {
  const c = Array.from({ length: cells }, (_, i) => ({
    cell_type: 'code',
    metadata: {},
    outputs: [],
    execution_count: null,
    source: [`import torch\n`, `m${i} = torch.load('m${i}.pt')\n`],
  }));
  return JSON.stringify({ cells: c, metadata: {}, nbformat: 4, nbformat_minor: 5 });
}

function workflowContinuations(lines: number): string {
  const body = Array.from({ length: lines }, (_, i) => `          echo part${i} \\`).join('\n');
  return `on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n${body}\n          echo done\n`;
}

function widePython(lines: number): string {
  return `import torch\n${Array.from({ length: lines }, (_, i) => `w${i} = torch.load('m${i}.pt')`).join('\n')}\n`;
}

function deepPython(depth: number): string {
  return `import torch\nx = torch.load(${'f('.repeat(depth)}'m.pt'${')'.repeat(depth)})\n`;
}

function wideYaml(keys: number): string {
  return Array.from({ length: keys }, (_, i) => `key${i}: value ${i}`).join('\n') + '\n';
}

/** Flow nesting, so the text grows linearly with the depth (block nesting's indentation would not). */
function deepYaml(depth: number): string {
  return `k: ${'['.repeat(depth)}x${']'.repeat(depth)}\n`;
}

function sbom(components: number): string {
  return JSON.stringify({
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    version: 1,
    components: Array.from({ length: components }, (_, i) => ({
      type: 'library',
      name: `pkg${i}`,
      version: `1.${i}`,
      purl: `pkg:pypi/pkg${i}@1.${i}`,
      hashes: [{ alg: 'SHA-256', content: i.toString(16).padStart(64, '0') }],
    })),
  });
}

function families(parser: PythonParser): Family[] {
  return [
    {
      name: 'notebook cells',
      unit: 'cells',
      n: 1000,
      make: notebook,
      run: (t) => checkNotebookText(parser, t, 'nb.ipynb'),
    },
    {
      name: 'workflow run: continuations',
      unit: 'lines',
      n: 5000,
      make: workflowContinuations,
      run: (t) => checkWorkflowText(t, '.github/workflows/w.yml'),
    },
    {
      name: 'wide Python',
      unit: 'lines',
      n: 10_000,
      make: widePython,
      run: (t) => checkPythonWith(parser, t, { file: 'w.py' }),
    },
    {
      name: 'deep Python',
      unit: 'nested calls',
      n: 1500,
      make: deepPython,
      run: (t) => checkPythonWith(parser, t, { file: 'd.py' }),
    },
    { name: 'wide YAML', unit: 'keys', n: 20_000, make: wideYaml, run: (t) => parseYaml(t) },
    { name: 'deep YAML', unit: 'levels', n: 500, make: deepYaml, run: (t) => parseYaml(t) },
    {
      name: 'SBOM components',
      unit: 'components',
      n: 20_000,
      make: sbom,
      run: (t) => parseSbomJson(JSON.parse(t), 'bom.json'),
    },
  ];
}

/** Best of `runs` (the least disturbed run on a shared machine), in ms. */
async function best(fn: () => unknown, runs: number): Promise<number> {
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

export async function benchLimits(log: (s: string) => void = console.log): Promise<LimitLine[]> {
  const parser = await loadPythonParser();
  const out: LimitLine[] = [];
  for (const f of families(parser)) {
    const one = f.make(f.n);
    const two = f.make(f.n * 2);
    await f.run(one); // warm up the JIT on this family
    // Interleaved, best of each: a burst of load on the shared machine hits both sizes alike.
    let ms = Infinity;
    let msDoubled = Infinity;
    for (let i = 0; i < 4; i++) {
      ms = Math.min(ms, await best(() => f.run(one), 2));
      msDoubled = Math.min(msDoubled, await best(() => f.run(two), 2));
    }
    const ratio = msDoubled / ms;
    const line = { family: f.name, size: `${f.n} → ${f.n * 2} ${f.unit}`, ms, msDoubled, ratio, ok: ratio <= ALLOWED };
    out.push(line);
    log(
      `${line.ok ? 'met' : 'MISSED'} ${f.name}: ${line.size}, ${ms.toFixed(1)} ms → ${msDoubled.toFixed(1)} ms, ${ratio.toFixed(2)}× (goal ≤ 2, allowed ${ALLOWED})`,
    );
  }
  return out;
}

/** Entry point used by scripts/bench.ts (`npm run bench -- limits`). */
export async function runFromBench(json: boolean): Promise<void> {
  const lines = await benchLimits(json ? () => undefined : console.log);
  if (json) console.log(JSON.stringify({ limits: lines }, null, 2));
  if (lines.some((l) => !l.ok)) process.exitCode = 1;
}

const invokedDirectly = process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename ?? '');
if (invokedDirectly) {
  runFromBench(process.argv.includes('--json')).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

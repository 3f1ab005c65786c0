/**
 * `npm run bench`: named benchmarks, each timed against a baseline measured in the same run on the
 * same input, so the ratio means something on any machine (absolute times vary from one to the next).
 *
 *   npm run bench                 every benchmark
 *   npm run bench -- card         only benchmarks whose name contains "card"
 *   npm run bench -- limits       linear time on doubled inputs (notebook, workflow, Python, YAML, SBOM)
 *   npm run bench -- --json       machine-readable results
 *
 * To add benchmarks: write `scripts/bench/<area>.ts` exporting a function that returns
 * `Benchmark[]` (or a promise of them), and add it to SUITES below. Dependency-free on purpose
 * (performance.now only). Timings live here, never in tests: see README › Tests.
 */
import { modelCardBenchmarks } from './bench/modelcard.ts';
import { startupBenchmarks } from './bench/startup.ts';
import { workflowBenchmarks } from './bench/workflow.ts';

export interface Benchmark {
  name: string;
  /** What "1×" means: usually the cheapest thing that has to happen anyway (e.g. parsing the input). */
  baseline: { name: string; run: () => unknown };
  run: () => unknown;
  /** An absolute limit per run, in milliseconds, reported as met or not (e.g. 5 ms for a keystroke). */
  budgetMs?: number;
}

export interface BenchResult {
  name: string;
  baseline: string;
  /** Median milliseconds per run. */
  ms: number;
  baselineMs: number;
  ratio: number;
  runs: number;
  budgetMs?: number;
  withinBudget?: boolean;
}

/** Every area's benchmarks, in report order. One line per area. */
const SUITES: (() => Benchmark[] | Promise<Benchmark[]>)[] = [
  modelCardBenchmarks,
  workflowBenchmarks,
  startupBenchmarks,
];

/** Median time of `fn` over as many runs as fit in `timeMs` (at least `minRuns`), after warming up. */
export function measure(fn: () => unknown, timeMs = 400, minRuns = 10): { ms: number; runs: number } {
  const warmUntil = performance.now() + timeMs / 4;
  do fn();
  while (performance.now() < warmUntil);
  const samples: number[] = [];
  const until = performance.now() + timeMs;
  while (samples.length < minRuns || performance.now() < until) {
    const t = performance.now();
    fn();
    samples.push(performance.now() - t);
    if (samples.length >= 100_000) break;
  }
  samples.sort((a, b) => a - b);
  return { ms: samples[Math.floor(samples.length / 2)], runs: samples.length };
}

export function runBenchmark(b: Benchmark): BenchResult {
  // Interleave baseline and subject twice, so a CPU-frequency change mid-run affects both alike.
  const base1 = measure(b.baseline.run, 200);
  const sub1 = measure(b.run, 200);
  const base2 = measure(b.baseline.run, 200);
  const sub2 = measure(b.run, 200);
  const baselineMs = Math.min(base1.ms, base2.ms);
  const ms = Math.min(sub1.ms, sub2.ms);
  return {
    name: b.name,
    baseline: b.baseline.name,
    ms,
    baselineMs,
    ratio: ms / baselineMs,
    runs: sub1.runs + sub2.runs,
    budgetMs: b.budgetMs,
    withinBudget: b.budgetMs === undefined ? undefined : ms <= b.budgetMs,
  };
}

function fmt(ms: number): string {
  return ms >= 1 ? `${ms.toFixed(2)} ms` : `${(ms * 1000).toFixed(1)} µs`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const filters = args.filter((a) => !a.startsWith('--'));
  const all = (await Promise.all(SUITES.map((s) => s()))).flat();
  const chosen = all.filter((b) => !filters.length || filters.some((f) => b.name.includes(f)));
  if (!chosen.length) {
    console.error(`no benchmark matches ${filters.join(' ')}; available:\n${all.map((b) => `  ${b.name}`).join('\n')}`);
    process.exit(2);
  }
  const results: BenchResult[] = [];
  for (const b of chosen) {
    const r = runBenchmark(b);
    results.push(r);
    if (!json) {
      const budget =
        r.budgetMs === undefined ? '' : `  budget ${fmt(r.budgetMs)}: ${r.withinBudget ? 'met' : 'MISSED'}`;
      console.log(
        `${r.name}\n  ${fmt(r.ms)} per run (${r.runs} runs), ${r.ratio.toFixed(2)}× the baseline (${r.baseline}: ${fmt(r.baselineMs)})${budget}`,
      );
    }
  }
  if (json) console.log(JSON.stringify({ results }, null, 2));
  if (results.some((r) => r.withinBudget === false)) process.exitCode = 1;
}

if (process.argv[1] && /bench\.ts$/.test(process.argv[1])) {
  // The converter's benchmark is async I/O (a 1 GiB checkpoint), so it runs after the timed suites.
  const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const wantsConvert = !filters.length || filters.some((f) => 'convert'.includes(f));
  // The scanner's benchmarks (scripts/bench-scan.ts) generate GB-sized inputs too: run after convert.
  const wantsScan = !filters.length || filters.some((f) => 'scan'.includes(f));
  // The registry's benchmarks (scripts/bench-registry.ts) start a local registry: run last.
  const wantsRegistry = !filters.length || filters.some((f) => 'registry'.includes(f));
  // Linear-time checks of every parser that reads attacker-sized text (scripts/bench-limits.ts).
  const wantsLimits = !filters.length || filters.some((f) => 'limits'.includes(f));
  const timed =
    !filters.length ||
    filters.some(
      (f) => !'convert'.includes(f) && !'scan'.includes(f) && !'registry'.includes(f) && !'limits'.includes(f),
    )
      ? main()
      : Promise.resolve();
  const json = process.argv.includes('--json');
  const convert = wantsConvert
    ? timed.then(() => import('./bench-convert.ts')).then((m) => m.runFromBench(json))
    : timed;
  const scan = wantsScan ? convert.then(() => import('./bench-scan.ts')).then((m) => m.runFromBench(json)) : convert;
  const limits = wantsLimits ? scan.then(() => import('./bench-limits.ts')).then((m) => m.runFromBench(json)) : scan;
  if (wantsRegistry) void limits.then(() => import('./bench-registry.ts')).then((m) => m.runFromBench(json));
}

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { REPO } from '../helpers.ts';

/**
 * The rule (README › Tests): no wall-clock bounds in tests. `Date.now() - t0 < 100` passes on an
 * idle machine and fails on a loaded one (CI shares 2 cores), so a timing assertion is a flake
 * waiting to happen. Bound the work instead (opcodes, nodes, bytes, calls: the engines take an
 * optional stats object), wait for the event itself (a promise that settles on it), and measure
 * speed in `npm run bench`, as a ratio to a baseline taken in the same run.
 *
 * This file is the guard. It reads every test source and reports comparisons of a clock
 * difference with a constant, directly or through a name that holds one. It is a lint, not a
 * parser: it catches the forms people write, and its own cases below prove what it catches.
 */

const CLOCK = String.raw`(?:Date\.now\(\)|performance\.now\(\)|process\.hrtime(?:\.bigint)?\([^)]*\))`;
const CMP = String.raw`(?:<=?|>=?)`;
/** A number (1000, 10_000, 1e3, 100n) or a CONSTANT_NAME. */
const LIMIT = String.raw`(?:\d[\d_]*(?:\.\d+)?(?:e\d+)?n?|[A-Z][A-Z0-9_]*\b)`;
/** Names that say they hold a duration: `ms`, `slowestMs`, `elapsed`, `durationMs`, `seconds`. */
const DURATION_NAME = String.raw`\b(?:ms|\w*(?:Ms|Millis|millis|Elapsed|elapsed|Duration|duration|Seconds|seconds|Secs))\b`;

export interface WallClockBound {
  line: number;
  text: string;
  why: string;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Timing assertions in one source text (comment lines are skipped). */
export function wallClockBounds(source: string): WallClockBound[] {
  const lines = source.split('\n');
  const code = lines.map((l) => (/^\s*(?:\/\/|\/\*|\*)/.test(l) ? '' : l));
  // Names that hold a clock difference: `const ms = performance.now() - t`, `{ ms: Date.now() - t }`,
  // `runs.push(performance.now() - t)`, `elapsed = Date.now() - start`.
  const held = new Set<string>();
  const binders = [
    new RegExp(String.raw`(?:^|[^.\w$])([A-Za-z_$][\w$]*)\s*=\s*(?:\(\s*)?${CLOCK}\s*-`, 'g'),
    new RegExp(String.raw`([A-Za-z_$][\w$]*)\s*:\s*(?:\(\s*)?${CLOCK}\s*-`, 'g'),
    new RegExp(String.raw`([A-Za-z_$][\w$]*)\.push\(\s*(?:\(\s*)?${CLOCK}\s*-`, 'g'),
  ];
  for (const l of code) for (const re of binders) for (const m of l.matchAll(re)) held.add(m[1]);
  const rules: { re: RegExp; why: string }[] = [
    {
      re: new RegExp(String.raw`${CLOCK}\s*-\s*[\w$.]+(?:\([^)]*\))?\s*\)?\s*${CMP}\s*${LIMIT}`),
      why: 'a clock difference compared with a constant',
    },
    {
      re: new RegExp(String.raw`${LIMIT}\s*${CMP}\s*\(?\s*${CLOCK}\s*-`),
      why: 'a constant compared with a clock difference',
    },
    {
      re: new RegExp(String.raw`${DURATION_NAME}(?:\s*\))*\s*${CMP}\s*${LIMIT}`),
      why: 'a duration compared with a constant',
    },
  ];
  for (const name of held) {
    const n = escape(name);
    rules.push(
      {
        re: new RegExp(String.raw`(?:^|[^\w$])${n}\b(?:\s*\))*\s*${CMP}\s*${LIMIT}`),
        why: `'${name}' holds a clock difference and is compared with a constant`,
      },
      {
        re: new RegExp(String.raw`${LIMIT}\s*${CMP}\s*(?:[\w$]+\()?(?:[\w$]+\.)?${n}\b`),
        why: `'${name}' holds a clock difference and is compared with a constant`,
      },
    );
  }
  const out: WallClockBound[] = [];
  code.forEach((l, i) => {
    const hit = rules.find((r) => r.re.test(l));
    if (hit) out.push({ line: i + 1, text: lines[i].trim(), why: hit.why });
  });
  return out;
}

function testSources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'fixtures' || e.name === 'node_modules' ? [] : testSources(p);
    return /\.(?:[cm]?ts|[cm]?js)$/.test(e.name) ? [p] : [];
  });
}

test('no test compares a wall-clock difference with a constant (bound the work or wait for the event; time it in npm run bench)', () => {
  const self = path.join(REPO, 'test', 'unit', 'foundation', 'wallclock.test.ts'); // its cases below are bad on purpose
  const found = testSources(path.join(REPO, 'test'))
    .filter((f) => f !== self)
    .flatMap((f) =>
      wallClockBounds(fs.readFileSync(f, 'utf8')).map(
        (b) => `${path.relative(REPO, f)}:${b.line}: ${b.why}: ${b.text}`,
      ),
    );
  assert.deepEqual(
    found,
    [],
    [
      'Wall-clock bounds in tests flake on a loaded machine (README › Tests › "No wall-clock bounds"):',
      ...found.map((f) => `  ${f}`),
      'Bound the work instead (count opcodes, YAML nodes, bytes read, calls: engines take an optional stats object),',
      'wait for the event itself, and put timings in `npm run bench` (scripts/bench/*.ts).',
    ].join('\n'),
  );
});

test('the guard catches the forms timing assertions take', () => {
  const bad = [
    'assert.ok(Date.now() - t0 < 100);',
    'assert.ok(performance.now() - t < 1000);',
    'assert.ok(performance.now() - t0 < 20_000, "in seconds");',
    'expect(process.hrtime.bigint() - start <= 5_000_000n);',
    'assert.ok(1000 > Date.now() - started);',
    'assert.ok(Date.now() - t0 < LIMIT_MS);',
    'const ms = performance.now() - t;\nassert.ok(ms < 1000, `${ms} ms`);',
    'return { value, ms: performance.now() - t };\n}\nconst e = timed(() => f());\nassert.ok(e.ms < 200);',
    'runs.push(performance.now() - t);\n}\nassert.ok(median(runs) < 5);',
    'let elapsed = 0;\nelapsed = Date.now() - start;\nif (elapsed >= 10_000) throw new Error();',
    'assert.ok(r.slowestMs < 1000, `slowest case ${r.slowestMs} ms`);',
    'assert.ok(report.durationMs <= 250);',
  ];
  for (const src of bad) assert.equal(wallClockBounds(src).length, 1, `not caught:\n${src}`);
});

test('the guard leaves alone what is not a timing assertion', () => {
  const fine = [
    '// `Date.now() - t0 < 100` flakes: a comment about the rule',
    'const end = Date.now() + timeoutMs;\nif (Date.now() > end) throw new Error("timed out");',
    'console.log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);',
    'await runTool(slow, [], { timeoutMs: 300 });',
    'assert.ok(stats.nodes < 2 * lines + 200);',
    'assert.ok(v.visits <= 10_000 + 100, `${v.visits} nodes visited`);',
    'assert.equal(s.stats.opcodes, 100_204);',
    'const now = new Date("2025-06-01T00:00:00Z");',
    'assert.ok(items.length < 1000);',
  ];
  for (const src of fine) assert.deepEqual(wallClockBounds(src), [], `flagged:\n${src}`);
});

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { analyzeModelCard } from '../../../src/core/modelcard/check.ts';
import { SHARED } from '../helpers.ts';
import { NOW, VALID_CARD } from './cards.ts';
import { generateLargeCard } from '../../../scripts/bench/modelcard.ts';

const seedPath = path.join(SHARED, 'seed', 'examples', 'model-card.yaml');
const seed = fs.existsSync(seedPath) ? fs.readFileSync(seedPath, 'utf8') : VALID_CARD;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

test('a keystroke (one full validation of the seed card) takes well under 5 ms: median of 50 runs', () => {
  for (let i = 0; i < 20; i++) analyzeModelCard(seed, 'model-card.yaml', { now: NOW }); // warm up the JIT, as a long-lived extension host is
  const runs: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t = performance.now();
    analyzeModelCard(seed, 'model-card.yaml', { now: NOW });
    runs.push(performance.now() - t);
  }
  assert.ok(median(runs) < 5, `median ${median(runs).toFixed(3)} ms`);
});

test('the generated 5,000-line card validates in well under a second and its findings scale with it', () => {
  const big = generateLargeCard(5000);
  assert.ok(big.split('\n').length >= 5000);
  analyzeModelCard(big, 'model-card.yaml', { now: NOW });
  const t = performance.now();
  const r = analyzeModelCard(big, 'model-card.yaml', { now: NOW });
  const ms = performance.now() - t;
  assert.ok(ms < 1000, `${ms} ms`);
  assert.ok(r.findings.length > 100, `${r.findings.length} findings`);
});

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { analyzeModelCard, newCardCheckStats } from '../../../src/core/modelcard/check.ts';
import { SHARED } from '../helpers.ts';
import { NOW, VALID_CARD } from './cards.ts';
import { generateLargeCard } from '../../../scripts/bench/modelcard.ts';

// The work of a check is counted here, never timed (a timing flakes on a loaded machine): how long
// a keystroke takes is measured by `npm run bench -- card`, as a ratio to parsing the same text.

const seedPath = path.join(SHARED, 'seed', 'examples', 'model-card.yaml');
const seed = fs.existsSync(seedPath) ? fs.readFileSync(seedPath, 'utf8') : VALID_CARD;

test('a keystroke (one full validation of the seed card) parses the text once and checks each node at most once', () => {
  const stats = newCardCheckStats();
  analyzeModelCard(seed, 'model-card.yaml', { now: NOW, stats });
  assert.equal(stats.parses, 1);
  assert.ok(stats.nodes > 20 && stats.nodes < 4 * seed.split('\n').length, `${stats.nodes} nodes`);
  assert.ok(
    stats.schemaChecks > 20 && stats.schemaChecks <= stats.nodes,
    `${stats.schemaChecks} schema checks of ${stats.nodes} nodes`,
  );
  assert.equal(stats.aliasVisits, 0);
});

test('the generated 5,000-line card: work grows with its length, not faster, and its findings scale with it', () => {
  const work = (lines: number) => {
    const stats = newCardCheckStats();
    const r = analyzeModelCard(generateLargeCard(lines), 'model-card.yaml', { now: NOW, stats });
    assert.equal(stats.parses, 1);
    assert.ok(stats.schemaChecks <= stats.nodes, `${stats.schemaChecks} schema checks of ${stats.nodes} nodes`);
    return { ...stats, findings: r.findings.length };
  };
  const half = work(2500);
  const full = work(5000);
  assert.ok(full.nodes < 3 * 5000, `${full.nodes} nodes for 5,000 lines`);
  assert.ok(
    full.schemaChecks <= 2.1 * half.schemaChecks,
    `${half.schemaChecks} schema checks for 2,500 lines, ${full.schemaChecks} for 5,000`,
  );
  assert.ok(full.findings > 100, `${full.findings} findings`);
  assert.ok(
    full.findings >= 1.9 * half.findings,
    `${half.findings} findings for 2,500 lines, ${full.findings} for 5,000`,
  );
});

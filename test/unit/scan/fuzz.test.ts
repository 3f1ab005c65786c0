import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PARSERS, fuzzParser } from '../../../scripts/fuzz.ts';

// A smoke subset of `npm run fuzz` (which runs ≥ 100,000 cases per parser): every parser meets
// mutated fixtures and random bytes without throwing or growing the heap; the fixtures of earlier
// failures in test/fixtures/scan/fuzz/ are replayed first. The 1 s limit per case belongs to
// `npm run fuzz`: here it is off (Infinity), as a wall-clock limit in a test flakes under load.
for (const p of PARSERS) {
  test(`fuzz smoke: ${p.name}`, async () => {
    const r = await fuzzParser(p, Math.ceil(500 / (p.weight ?? 1)), 12345, false, Infinity);
    assert.deepEqual(r.failures, []);
  });
}

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closest, editDistance } from '../../../src/core/modelcard/suggest.ts';

test('edit distance counts insertions, deletions, substitutions and adjacent transpositions', () => {
  assert.equal(editDistance('commit_sha', 'commit_sha'), 0);
  assert.equal(editDistance('comit_sha', 'commit_sha'), 1);
  assert.equal(editDistance('f1_scroe', 'f1_score'), 1);
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('abcdef', 'uvwxyz', 2), 3); // capped: stops early once over the limit
});

test('closest: tolerant of case and separators, strict for short words, nothing when nothing is close', () => {
  assert.equal(closest('F1-Score', ['f1_score', 'accuracy']), 'f1_score');
  assert.equal(closest('modelDetails', ['model_details', 'provenance']), 'model_details');
  assert.equal(closest('licence', ['license', 'language']), 'license');
  assert.equal(closest('xyz', ['seed', 'epochs']), undefined);
  assert.equal(closest('param_12', ['learning_rate', 'epochs', 'batch_size']), undefined);
});

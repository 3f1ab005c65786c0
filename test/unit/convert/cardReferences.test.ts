import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { checkCardWeightReferences, safetensorsCandidates } from '../../../src/core/convert/cardReferences.ts';

const dir = path.resolve('/models/bert');
const existing = (names: string[]) => {
  const set = new Set(names.map((n) => path.join(dir, n)));
  return (p: string) => set.has(p);
};

test('safetensors names follow the conventions: same stem, transformers renames, shards, index files', () => {
  assert.deepEqual(safetensorsCandidates('weights/model', ''), ['weights/model.safetensors']);
  assert.deepEqual(safetensorsCandidates('pytorch_model', ''), ['pytorch_model.safetensors', 'model.safetensors']);
  assert.deepEqual(safetensorsCandidates('pytorch_model-00001-of-00002', ''), [
    'pytorch_model-00001-of-00002.safetensors',
    'model-00001-of-00002.safetensors',
  ]);
  assert.deepEqual(safetensorsCandidates('pytorch_model', '.index.json'), [
    'pytorch_model.safetensors.index.json',
    'model.safetensors.index.json',
  ]);
});

test('a card pointing at pytorch_model.bin is sent to model.safetensors when it exists, with an edit fix', () => {
  const card =
    '---\nlicense: mit\n---\n# BERT\n\nDownload `pytorch_model.bin` or see pytorch_model.bin.index.json.\n```python\nsd = torch.load("pytorch_model.bin")\n```\n';
  const found = checkCardWeightReferences(card, path.join(dir, 'README.md'), {
    exists: existing(['model.safetensors', 'model.safetensors.index.json']),
  });
  assert.deepEqual(
    found.map((f) => [f.range!.start.line, f.data!.reference, f.data!.alternative]),
    [
      [5, 'pytorch_model.bin', 'model.safetensors'],
      [5, 'pytorch_model.bin.index.json', 'model.safetensors.index.json'],
      [7, 'pytorch_model.bin', 'model.safetensors'],
    ],
  );
  const fix = found[2].fixes![0];
  assert.equal(fix.kind, 'edit');
  if (fix.kind === 'edit') {
    assert.equal(fix.edits[0].newText, 'model.safetensors');
    assert.deepEqual(fix.edits[0].range, { start: { line: 7, character: 17 }, end: { line: 7, character: 34 } });
  }
});

test('no safetensors next to it: a convert command fix when the checkpoint is there, nothing otherwise', () => {
  const card = 'Weights: checkpoints/epoch10.ckpt and model.pt and clf.pkl\n';
  const found = checkCardWeightReferences(card, path.join(dir, 'README.md'), {
    exists: existing(['checkpoints/epoch10.ckpt', 'clf.pkl']),
  });
  assert.equal(found.length, 1, 'model.pt is absent; clf.pkl is not a torch checkpoint');
  const fix = found[0].fixes![0];
  assert.equal(fix.kind, 'command');
  if (fix.kind === 'command') {
    assert.equal(fix.command, 'modelInspect.convertToSafetensors');
    assert.deepEqual(fix.args, [path.join(dir, 'checkpoints/epoch10.ckpt')]);
  }
});

test('URLs, absolute paths, parent-relative paths and bare extensions are not references to local files', () => {
  const card =
    'See https://example.org/x/pytorch_model.bin, /abs/model.bin, ../other/model.bin, `*.bin` and .pt files.\n';
  const found = checkCardWeightReferences(card, path.join(dir, 'README.md'), { exists: () => true });
  assert.deepEqual(found, []);
});

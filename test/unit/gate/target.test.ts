import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { discoverModels, isWeightFile, modelTarget, sniffWeightFormat } from '../../../src/core/model/target.ts';
import { cardFactsFromText } from '../../../src/core/modelcard/facts.ts';
import { REPO } from '../helpers.ts';

test('weight files by name; .bin only when the name says weights', () => {
  for (const f of [
    'model.safetensors',
    'x.gguf',
    'a/b/pytorch_model.bin',
    'model-00001-of-00002.bin',
    'm.pt',
    'clf.joblib',
    'w.npz',
  ])
    assert.equal(isWeightFile(f), true, f);
  for (const f of ['vocab.bin', 'README.md', 'config.json', 'data.csv', 'image.pb'])
    assert.equal(isWeightFile(f), false, f);
});

test('formats by first bytes', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-sniff-'));
  const write = (name: string, bytes: Buffer) => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, bytes);
    return p;
  };
  assert.equal(
    await sniffWeightFormat(path.join(REPO, 'examples/sentiment-classifier/model.safetensors')),
    'safetensors',
  );
  assert.equal(await sniffWeightFormat(write('a.gguf', Buffer.from('GGUF\x03\x00\x00\x00'))), 'gguf');
  assert.equal(await sniffWeightFormat(write('a.pt', Buffer.from('PK\x03\x04rest'))), 'pytorch-zip');
  assert.equal(await sniffWeightFormat(write('a.pkl', Buffer.from([0x80, 0x04, 0x95, 0x00]))), 'pickle');
  assert.equal(await sniffWeightFormat(write('a.npy', Buffer.from('\x93NUMPY\x01\x00', 'latin1'))), 'numpy');
  assert.equal(await sniffWeightFormat(write('a.bin', Buffer.from('hello'))), 'unknown');
  assert.equal(await sniffWeightFormat(path.join(dir, 'missing')), 'unknown');
});

test('models in a workspace: folders with weight files or a model card; README only with front matter', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-models-'));
  fs.mkdirSync(path.join(root, 'a'));
  fs.writeFileSync(path.join(root, 'a', 'model.safetensors'), 'x');
  fs.writeFileSync(path.join(root, 'a', 'README.md'), '# not a card\n');
  fs.mkdirSync(path.join(root, 'b'));
  fs.writeFileSync(path.join(root, 'b', 'model-card.yaml'), 'model_details: {name: b}\n');
  fs.mkdirSync(path.join(root, 'c'));
  fs.writeFileSync(path.join(root, 'c', 'notes.txt'), 'x');
  fs.mkdirSync(path.join(root, 'd'));
  fs.writeFileSync(path.join(root, 'd', 'weights.gguf'), 'x');
  fs.writeFileSync(path.join(root, 'd', 'README.md'), '---\nlicense: mit\n---\n# d\n');
  const models = await discoverModels(root);
  assert.deepEqual(
    models.map((m) => path.basename(m.root)),
    ['a', 'b', 'd'],
  );
  assert.equal(models[0].cardFile, undefined);
  assert.equal(path.basename(models[2].cardFile!), 'README.md');
  const fromFile = await modelTarget(path.join(root, 'a', 'model.safetensors'));
  assert.equal(fromFile.root, path.join(root, 'a'));
});

test('card facts: values with their ranges, datasets, metrics, limitations, claimed repositories, newest date', () => {
  const facts = cardFactsFromText(
    [
      'model_details:',
      '  name: "m"',
      '  version: 1.0',
      'provenance:',
      '  training_config:',
      '    source: "git+https://github.com/acme/ml@0123456789012345678901234567890123456789"',
      '  build_environment:',
      '    build_timestamp: "2025-01-15T10:30:00Z"',
      'performance:',
      '  accuracy: 0.9',
      '  evaluation_dataset: "s3://x"',
      'security:',
      '  last_security_review: 2025-03-01',
      '  sbom_ref: "sbom.json"',
      'known_limitations: ["a", "b"]',
    ].join('\n'),
    '/m/model-card.yaml',
  )!;
  assert.equal(facts.name, 'm');
  assert.equal(facts.version, '1');
  assert.deepEqual(facts.metrics, [{ type: 'accuracy', value: '0.9' }]);
  assert.deepEqual(facts.limitations, ['a', 'b']);
  assert.equal(
    facts.sourceRepositories[0].value,
    'git+https://github.com/acme/ml@0123456789012345678901234567890123456789',
  );
  assert.deepEqual(facts.sbomRef?.range?.start, { line: 13, character: 12 });
  assert.equal(facts.reviewed?.fact.key, 'security.last_security_review');
  assert.equal(facts.reviewed?.date, '2025-03-01T00:00:00.000Z');
  assert.equal(cardFactsFromText('# no front matter', '/m/README.md'), undefined);
});

test('a subfolder with its own model card is a model of its own and still part of the folder that holds it', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-nested-'));
  fs.writeFileSync(path.join(root, 'model-card.yaml'), 'model_details: {name: parent}\n');
  fs.writeFileSync(path.join(root, 'model.safetensors'), 'x');
  fs.mkdirSync(path.join(root, 'onnx'));
  fs.writeFileSync(path.join(root, 'onnx', 'model.onnx'), 'x');
  fs.mkdirSync(path.join(root, 'child'));
  fs.writeFileSync(path.join(root, 'child', 'model-card.yaml'), 'model_details: {name: child}\n');
  fs.writeFileSync(path.join(root, 'child', 'weights.gguf'), 'x');
  const parent = await modelTarget(root);
  // Approving the parent folder approves what it holds: the child's files are the parent's too.
  assert.deepEqual(
    parent.weightFiles.map((w) => w.rel),
    ['child/weights.gguf', 'model.safetensors', 'onnx/model.onnx'],
  );
  assert.equal(parent.cardFile, path.join(root, 'model-card.yaml'), "the card is the one at the root, not the child's");
  const found = (await discoverModels(root)).map((m) => path.relative(root, m.root));
  assert.ok(found.includes('') && found.includes('child'), found.join(', '));
  const child = await modelTarget(path.join(root, 'child'));
  assert.deepEqual(
    child.weightFiles.map((w) => w.rel),
    ['weights.gguf'],
  );
});

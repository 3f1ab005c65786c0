import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createRequire } from 'node:module';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { generateMlBom } from '../../../src/core/sbom/generate.ts';
import { parseSbomJson } from '../../../src/core/sbom/read.ts';

const require = createRequire(import.meta.url);
const SCHEMA_DIR = path.join(
  path.dirname(require.resolve('@cyclonedx/cyclonedx-library/package.json')),
  'res',
  'schema',
);

/** The CycloneDX 1.6 JSON schema as the library ships it, with the schemas it refers to. */
function cyclonedx16Validator() {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  // Internationalised variants ajv-formats does not define: accept any string (the ASCII forms are checked).
  for (const f of ['iri-reference', 'iri', 'idn-email']) ajv.addFormat(f, true);
  for (const f of ['spdx.SNAPSHOT.schema.json', 'jsf-0.82.SNAPSHOT.schema.json']) {
    const { $id: _id, ...s } = JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, f), 'utf8'));
    ajv.addSchema(s, `http://cyclonedx.org/schema/${f}`);
  }
  return ajv.compile(JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, 'bom-1.6.SNAPSHOT.schema.json'), 'utf8')));
}

function modelFolder(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-mlbom-'));
  fs.writeFileSync(
    path.join(dir, 'model-card.yaml'),
    [
      'model_details:',
      '  name: "sentiment-classifier"',
      '  version: "2.1.0"',
      '  type: "text-classification"',
      '  framework: "pytorch"',
      '  license: "Apache-2.0"',
      'provenance:',
      '  training_data:',
      '    source: "https://huggingface.co/datasets/acme/sentiment-v3"',
      '  training_config:',
      '    source: "git+https://github.com/acme/ml-models@abc123"',
      'performance:',
      '  accuracy: 0.94',
      'security:',
      '  last_security_review: 2025-01-10',
      'known_limitations:',
      '  - "<script>alert(1)</script> is data, not markup"',
    ].join('\n'),
  );
  const header = Buffer.from('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  fs.writeFileSync(path.join(dir, 'model.safetensors'), Buffer.concat([len, header, Buffer.alloc(8)]));
  fs.mkdirSync(path.join(dir, 'onnx'));
  fs.writeFileSync(path.join(dir, 'onnx', 'model.onnx'), Buffer.from([0x08, 0x07, 0x12, 0x04]));
  fs.writeFileSync(path.join(dir, 'requirements.txt'), 'torch==2.1.2\ntransformers>=4.36\n');
  fs.writeFileSync(
    path.join(dir, 'pyproject.toml'),
    '[project]\ndependencies = ["torch==2.1.2", "safetensors==0.4.1"]\n',
  );
  fs.writeFileSync(path.join(dir, 'config.json'), '{}');
  return dir;
}

test('ML-BOM: CycloneDX 1.6 that validates against the schema the library ships', async () => {
  const dir = modelFolder();
  const r = await generateMlBom(dir, { now: new Date('2025-02-01T00:00:00Z'), toolVersion: '1.2.3' });
  const validate = cyclonedx16Validator();
  const ok = validate(r.bom);
  assert.ok(ok, JSON.stringify(validate.errors, null, 2));
  assert.equal(r.bom.specVersion, '1.6');
  // the validator does reject what 1.6 forbids (a key modelCard does not define)
  const broken = JSON.parse(r.text);
  broken.metadata.component.modelCard.notInTheSchema = true;
  assert.equal(validate(broken), false);
  assert.match(String(r.bom.serialNumber), /^urn:uuid:[0-9a-f-]{36}$/);
  assert.equal(r.text, JSON.stringify(r.bom, null, 2) + '\n');
});

test('ML-BOM: machine-learning-model subject with modelCard from the card; weight files with streamed SHA-256 and format; Python deps', async () => {
  const dir = modelFolder();
  const r = await generateMlBom(dir, { now: new Date('2025-02-01T00:00:00Z') });
  const meta = r.bom.metadata as { component: Record<string, unknown> };
  assert.equal(meta.component.type, 'machine-learning-model');
  assert.equal(meta.component.name, 'sentiment-classifier');
  assert.equal(meta.component.version, '2.1.0');
  const card = meta.component.modelCard as Record<string, any>;
  assert.equal(card.modelParameters.task, 'text-classification');
  assert.equal(card.modelParameters.datasets[0].contents.url, 'https://huggingface.co/datasets/acme/sentiment-v3');
  assert.deepEqual(card.quantitativeAnalysis.performanceMetrics, [{ type: 'accuracy', value: '0.94' }]);
  assert.deepEqual(card.considerations.technicalLimitations, ['<script>alert(1)</script> is data, not markup']);
  const comps = r.bom.components as Record<string, any>[];
  const st = comps.find((c) => c.name === 'model.safetensors')!;
  const expected = createHash('sha256')
    .update(fs.readFileSync(path.join(dir, 'model.safetensors')))
    .digest('hex');
  assert.equal(st.type, 'file');
  assert.deepEqual(st.hashes, [{ alg: 'SHA-256', content: expected }]);
  assert.ok(
    st.properties.some(
      (p: { name: string; value: string }) => p.name === 'modelInspect:format' && p.value === 'safetensors',
    ),
  );
  assert.ok(comps.some((c) => c.name === 'onnx/model.onnx'));
  const libs = comps
    .filter((c) => c.type === 'library')
    .map((c) => c.purl ?? c.name)
    .sort();
  assert.deepEqual(libs, ['pkg:pypi/safetensors@0.4.1', 'pkg:pypi/torch@2.1.2', 'pkg:pypi/transformers']);
  assert.equal(r.weightFiles, 2);
  // our own reader reads what we write
  const back = parseSbomJson(r.bom, 'bom.json');
  assert.equal(back.sbom?.subject, 'sentiment-classifier 2.1.0');
  assert.deepEqual(back.findings, []);
});

test('ML-BOM without a card: no modelCard, an info finding; cancellation stops hashing', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-mlbom-nocard-'));
  fs.writeFileSync(path.join(dir, 'weights.gguf'), Buffer.from('GGUF\x03\x00\x00\x00'));
  const r = await generateMlBom(dir);
  assert.deepEqual(
    r.findings.map((f) => f.ruleId),
    ['sbom/no-model-card'],
  );
  const meta = r.bom.metadata as { component: Record<string, unknown> };
  assert.equal(meta.component.modelCard, undefined);
  assert.equal(meta.component.name, path.basename(dir));
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(generateMlBom(dir, { signal: ac.signal }));
});

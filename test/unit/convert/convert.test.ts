import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { convertCheckpoint, ConvertError } from '../../../src/core/convert/convert.ts';
import { validateSafetensors } from '../../../src/core/scan/formats/safetensors.ts';
import { FileAccess } from '../../../src/core/scan/io/source.ts';
import { REPO } from '../helpers.ts';

const FIXTURES = path.join(REPO, 'test', 'fixtures', 'convert');
interface Expected {
  torch: string;
  files: Record<string, { tensors: Record<string, { dtype: string; shape: number[]; sha256: string }>; others: Record<string, string> }>;
  refused: Record<string, string>;
}
const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8')) as Expected;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-convert-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Every tensor of a safetensors file: name → dtype, shape, SHA-256 of its bytes; plus metadata. */
async function readSafetensors(file: string): Promise<{ tensors: Map<string, { dtype: string; shape: number[]; sha256: string }>; metadata: Record<string, string>; problems: string[] }> {
  const fa = await FileAccess.open(file);
  try {
    const info = await validateSafetensors(fa);
    const tensors = new Map<string, { dtype: string; shape: number[]; sha256: string }>();
    for (const t of info.tensors) {
      const bytes = await fa.read(8 + info.headerLength + t.begin, t.end - t.begin);
      tensors.set(t.name, { dtype: t.dtype, shape: t.shape, sha256: crypto.createHash('sha256').update(bytes).digest('hex') });
    }
    return { tensors, metadata: info.metadata, problems: info.problems.map((p) => p.message) };
  } finally {
    await fa.close();
  }
}

for (const [name, want] of Object.entries(expected.files)) {
  test(`${name}: every tensor PyTorch ${expected.torch} loads has the same dtype, shape and bytes in the safetensors file`, async () => {
    const out = path.join(tmp, `${name}.safetensors`);
    const r = await convertCheckpoint(path.join(FIXTURES, name), { output: out });
    assert.equal(r.ok, true, JSON.stringify(r.findings));
    const got = await readSafetensors(out);
    assert.deepEqual(got.problems, []);
    assert.equal(got.metadata.format, 'pt');
    for (const [tensor, w] of Object.entries(want.tensors)) {
      // A name that is the same tensor as another is written once and recorded as an alias.
      const stored = got.tensors.get(tensor) ?? got.tensors.get(got.metadata[tensor]);
      assert.ok(stored, `${name}: ${tensor} is in the file (or aliased)`);
      assert.deepEqual(stored, w, `${name}: ${tensor}`);
    }
    assert.equal(got.tensors.size + Object.keys(r.aliases).length, Object.keys(want.tensors).length, 'nothing extra, nothing missing');
  });
}

test('shared storages: tied names written once (alias in metadata), views written as their own contiguous copies', async () => {
  const r = await convertCheckpoint(path.join(FIXTURES, 'views.pt'), { output: path.join(tmp, 'views-shared.safetensors') });
  assert.deepEqual(r.aliases, { tied: 'base' });
  assert.equal(r.tensors, 7);
  const got = await readSafetensors(r.output!);
  assert.equal(got.metadata.tied, 'base');
  assert.deepEqual(got.tensors.get('transposed')!.shape, [6, 4]);
  assert.ok(r.findings.some((f) => f.ruleId === 'convert/shared-tensor' && /views of shared storages/.test(f.message)));
  const tied = await convertCheckpoint(path.join(FIXTURES, 'module_state.pt'), { output: path.join(tmp, 'tied.safetensors') });
  assert.deepEqual(tied.aliases, { 'head.weight': 'embed.weight' });
});

test('nested dicts flatten to dotted names; plain values become metadata strings; bytes are reported as dropped', async () => {
  const r = await convertCheckpoint(path.join(FIXTURES, 'nested.pt'), { output: path.join(tmp, 'nested-meta.safetensors') });
  assert.deepEqual(Object.keys(expected.files['nested.pt'].tensors).sort(), ['model.encoder.bias', 'model.encoder.weight', 'model.head.0', 'model.head.1']);
  assert.deepEqual(r.metadata, { epoch: '3', lr: '0.001', name: 'tiny', flags: '[1,2,3]', done: 'true', nothing: 'null' });
  assert.deepEqual(r.dropped.map((d) => d.name), ['blob']);
  const f = r.findings.find((x) => x.ruleId === 'convert/dropped-value');
  assert.match(f!.message, /'blob' was not kept: bytes/);
  const got = await readSafetensors(r.output!);
  assert.equal(got.metadata.epoch, '3');
});

for (const [name, global] of Object.entries(expected.refused)) {
  test(`${name}: refused, naming ${global}; nothing written, nothing run`, async () => {
    const out = path.join(tmp, `${name}.safetensors`);
    const r = await convertCheckpoint(path.join(FIXTURES, name), { output: out });
    assert.equal(r.ok, false);
    assert.equal(r.findings.length, 1);
    assert.equal(r.findings[0].ruleId, 'convert/refused');
    assert.equal(r.findings[0].severity, 'error');
    assert.ok(r.findings[0].message.includes(global), r.findings[0].message);
    assert.equal(typeof r.findings[0].offset, 'number', 'the refusal points at the import');
    assert.equal(fs.existsSync(out), false);
    assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.endsWith('.partial')), []);
    assert.equal(fs.existsSync('/tmp/model-inspect-pwned'), false);
  });
}

test('never overwrites: an existing output (or the input itself) is a ConvertError and stays untouched', async () => {
  const out = path.join(tmp, 'exists.safetensors');
  fs.writeFileSync(out, 'keep me');
  await assert.rejects(convertCheckpoint(path.join(FIXTURES, 'dtypes.pt'), { output: out }), ConvertError);
  assert.equal(fs.readFileSync(out, 'utf8'), 'keep me');
  await assert.rejects(convertCheckpoint(path.join(FIXTURES, 'dtypes.pt'), { output: path.join(FIXTURES, 'dtypes.pt') }), /overwrite the input/);
});

test('default output is next to the source with Hugging Face naming (pytorch_model.bin → model.safetensors)', async () => {
  const dir = fs.mkdtempSync(path.join(tmp, 'hf-'));
  fs.copyFileSync(path.join(FIXTURES, 'module_state.pt'), path.join(dir, 'pytorch_model.bin'));
  const r = await convertCheckpoint(path.join(dir, 'pytorch_model.bin'));
  assert.equal(r.output, path.join(dir, 'model.safetensors'));
  assert.deepEqual(fs.readdirSync(dir).sort(), ['model.safetensors', 'pytorch_model.bin']);
});

test('not a checkpoint, truncated, or tampered archives: clear findings, no crash, nothing written', async () => {
  const cases: [string, Buffer, RegExp][] = [
    ['raw.pkl', Buffer.from('80049505000000000000007d942e', 'hex'), /not a PyTorch checkpoint/],
    ['empty.pt', Buffer.alloc(0), /not a PyTorch checkpoint/],
    ['cut.pt', fs.readFileSync(path.join(FIXTURES, 'dtypes.pt')).subarray(0, 1500), /malformed|missing|fewer/],
    ['cut-legacy.pt', fs.readFileSync(path.join(FIXTURES, 'legacy.pt')).subarray(0, 700), /cut off|runs past|pickles|could not be read/],
  ];
  for (const [file, bytes, why] of cases) {
    const p = path.join(tmp, file);
    fs.writeFileSync(p, bytes);
    const r = await convertCheckpoint(p, { output: `${p}.safetensors` });
    assert.equal(r.ok, false, file);
    assert.match(r.findings[0].message, why, `${file}: ${r.findings[0].message}`);
    assert.equal(fs.existsSync(`${p}.safetensors`), false);
  }
});

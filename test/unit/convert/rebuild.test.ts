import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rebuildCheckpoint, type PickleFacts, type RebuildResult } from '../../../src/core/convert/rebuild.ts';
import { tensorChunks } from '../../../src/core/convert/layout.ts';
import { BufferAccess } from '../../../src/core/scan/io/source.ts';
import type { PCall, PGlobal, PPersistentId, PTuple, PValue } from '../../../src/core/scan/pickle/values.ts';

// Hand-built symbolic values, as the scanner's pickle machine produces them for torch.save output.
let at = 0;
const g = (module: string, name: string): PGlobal => ({ k: 'global', module, name, offset: at++ });
const tup = (...items: PValue[]): PTuple => ({ k: 'tuple', items });
const call = (callable: PValue, args: PValue, extra: Partial<PCall> = {}): PCall => ({
  k: 'call',
  callable,
  args,
  opcode: 'REDUCE',
  offset: at++,
  ...extra,
});
const ordered = (entries: [PValue, PValue][] = []): PCall =>
  call(g('collections', 'OrderedDict'), tup(), { setitems: entries });
const storage = (key: string, cls = 'FloatStorage', numel = 6, view?: PValue): PPersistentId => ({
  k: 'persid',
  pid: tup('storage', g('torch', cls), key, 'cpu', numel, ...(view ? [view] : [])),
  offset: at++,
});
const tensor = (st: PValue, offset: number, size: number[], stride: number[]): PCall =>
  call(g('torch._utils', '_rebuild_tensor_v2'), tup(st, offset, tup(...size), tup(...stride), false, ordered()));

/** Facts with every global in the value listed as an import, as the machine records them. */
function facts(value: PValue, more: Partial<PickleFacts> = {}): PickleFacts {
  const imports: PickleFacts['imports'][number][] = [];
  const seen = new Set<unknown>();
  const walk = (v: PValue): void => {
    if (typeof v !== 'object' || v === null || seen.has(v)) return;
    seen.add(v);
    if (v.k === 'global') imports.push({ module: v.module, name: v.name, offset: v.offset });
    for (const x of Object.values(v)) {
      if (Array.isArray(x)) x.forEach((y) => (Array.isArray(y) ? y.forEach(walk) : walk(y as PValue)));
      else if (typeof x === 'object' && x !== null) walk(x as PValue);
    }
  };
  walk(value);
  return { value, imports, calls: [], anomalies: [], complete: true, ...more };
}

function failed(r: RebuildResult): { ruleId: string; reason: string } {
  assert.equal(r.ok, false, 'expected a refusal');
  return r as { ruleId: string; reason: string };
}

test('a plain state dict: tensors by dotted name, identical views aliased, distinct views kept', () => {
  const s = storage('0', 'FloatStorage', 6);
  const w = tensor(s, 0, [2, 3], [3, 1]);
  const value = ordered([
    [
      'layer',
      {
        k: 'dict',
        entries: [
          ['w', w],
          ['tied', w],
          ['t', tensor(s, 0, [3, 2], [1, 3])],
          ['n', 7],
        ],
      },
    ],
  ]);
  const r = rebuildCheckpoint(facts(value));
  assert.equal(r.ok, true);
  if (!r.ok) return;
  assert.deepEqual(
    r.plan.tensors.map((t) => [t.name, t.shape, t.stride]),
    [
      ['layer.t', [3, 2], [1, 3]],
      ['layer.tied', [2, 3], [3, 1]],
    ],
  );
  assert.deepEqual([...r.plan.aliases], [['layer.w', 'layer.tied']]);
  assert.deepEqual([...r.plan.metadata], [['layer.n', '7']]);
});

test('refused: imports that rebuild nothing, even when the value never uses them; computed calls; malformed pickles', () => {
  const ok = ordered([['w', tensor(storage('0'), 0, [6], [1])]]);
  const evil = facts(ok);
  assert.match(
    failed(rebuildCheckpoint({ ...evil, imports: [...evil.imports, { module: 'builtins', name: 'exec', offset: 99 }] }))
      .reason,
    /builtins\.exec/,
  );
  assert.equal(
    failed(
      rebuildCheckpoint({
        ...evil,
        calls: [{ offset: 5, opcode: 'REDUCE', callable: call(g('torch', 'Size'), tup()) }],
      }),
    ).ruleId,
    'convert/refused',
  );
  assert.match(
    failed(rebuildCheckpoint({ ...evil, anomalies: [{ kind: 'malformed', offset: 3, message: 'stack underflow' }] }))
      .reason,
    /malformed: stack underflow/,
  );
  assert.equal(failed(rebuildCheckpoint({ ...evil, complete: false })).ruleId, 'convert/unsupported');
  // A non-allowlisted callable inside the value (a module class) is caught by the import screen.
  assert.match(
    failed(rebuildCheckpoint(facts(ordered([['m', call(g('torch.nn.modules.linear', 'Linear'), tup())]])))).reason,
    /torch\.nn\.modules\.linear\.Linear/,
  );
});

test('unsupported: reads past the storage, overflowing sizes, complex storages, name clashes, no tensors, deep nesting', () => {
  const cases: [PValue, RegExp][] = [
    [
      ordered([['w', tensor(storage('0', 'FloatStorage', 6), 2, [2, 3], [3, 1])]]),
      /reads past its storage of 6 elements/,
    ],
    [ordered([['w', tensor(storage('0', 'FloatStorage', 6), 0, [2 ** 40, 2 ** 40], [1, 1])]]), /too large/],
    [
      ordered([['w', tensor(storage('0', 'ComplexFloatStorage', 6), 0, [6], [1])]]),
      /complexfloat tensors have no safetensors dtype/,
    ],
    [
      ordered([
        ['a.b', tensor(storage('0'), 0, [6], [1])],
        ['a', { k: 'dict', entries: [['b', tensor(storage('1'), 0, [6], [1])]] }],
      ]),
      /same name 'a\.b'/,
    ],
    [ordered([['epoch', 3]]), /no tensors/],
    [{ k: 'list', items: [1, 2] }, /not a dict of tensors/],
    [ordered([['w', tensor(storage('0', 'FloatStorage', 6), 0, [2, 3], [3])]]), /differ in rank/],
    [
      ordered([
        ['w', tensor(storage('0', 'FloatStorage', 6), 0, [6], [1])],
        ['v', tensor(storage('0', 'LongStorage', 6), 0, [6], [1])],
      ]),
      /declared twice/,
    ],
  ];
  let deep: PValue = tensor(storage('0'), 0, [6], [1]);
  for (let i = 0; i < 150; i++) deep = { k: 'dict', entries: [['x', deep]] };
  cases.push([deep, /nested deeper/]);
  for (const [value, why] of cases) {
    const r = failed(rebuildCheckpoint(facts(value)));
    assert.equal(r.ruleId, 'convert/unsupported', r.reason);
    assert.match(r.reason, why);
  }
});

test('variants torch writes: parameters, _rebuild_tensor_v3 on untyped storages, legacy view metadata, torch.Size, state_dict _metadata', () => {
  const param = call(g('torch._utils', '_rebuild_parameter'), tup(tensor(storage('0'), 0, [6], [1]), true, ordered()));
  const untyped: PPersistentId = {
    k: 'persid',
    pid: tup('storage', g('torch.storage', 'UntypedStorage'), '1', 'cpu', 8),
    offset: 1,
  };
  const v3 = call(
    g('torch._utils', '_rebuild_tensor_v3'),
    tup(untyped, 1, call(g('torch', 'Size'), tup(tup(3))), tup(1), false, ordered(), g('torch', 'bfloat16')),
  );
  const legacyView = tensor(storage('2', 'LongStorage', 10, tup('view', 4, 5)), 1, [2], [2]);
  const sd = ordered([
    ['p', param],
    ['h', v3],
    ['v', legacyView],
  ]);
  sd.state = {
    k: 'dict',
    entries: [
      ['_metadata', ordered()],
      ['note', 'x'],
    ],
  };
  const r = rebuildCheckpoint(facts(sd));
  assert.equal(r.ok, true, JSON.stringify(r));
  if (!r.ok) return;
  const byName = new Map(r.plan.tensors.map((t) => [t.name, t]));
  assert.equal(byName.get('h')!.dtype.safetensors, 'BF16');
  assert.equal(byName.get('h')!.storage.numel, 4, 'untyped storages count bytes: 8 bytes = 4 bfloat16');
  assert.equal(byName.get('v')!.offset, 5, 'legacy view offset 4 + tensor offset 1');
  assert.deepEqual(
    r.plan.dropped.map((d) => d.name),
    ['attribute "note"'],
    '_metadata is left out quietly, other attributes are reported',
  );
  const oob = tensor(storage('3', 'LongStorage', 10, tup('view', 8, 2)), 1, [2], [1]);
  assert.match(failed(rebuildCheckpoint(facts(ordered([['v', oob]])))).reason, /reads past its storage of 2 elements/);
});

test('layout: transposes, steps, stride 0 and big-endian storages come out row-major little-endian, across chunk boundaries', async () => {
  const f32 = (xs: number[], bigEndian = false) => {
    const b = Buffer.alloc(xs.length * 4);
    xs.forEach((x, i) => (bigEndian ? b.writeFloatBE(x, i * 4) : b.writeFloatLE(x, i * 4)));
    return b;
  };
  const base = Array.from({ length: 24 }, (_, i) => i);
  const run = async (
    offset: number,
    shape: number[],
    stride: number[],
    opts: { bigEndian?: boolean; chunk?: number; maxSpanInMemory?: number } = {},
  ) => {
    const r = rebuildCheckpoint(
      facts(ordered([['t', tensor(storage('0', 'FloatStorage', 24), offset, shape, stride)]])),
    );
    assert.equal(r.ok, true);
    if (!r.ok) return [];
    const chunks: Buffer[] = [];
    for await (const c of tensorChunks(
      r.plan.tensors[0],
      { access: new BufferAccess(f32(base, opts.bigEndian)), bigEndian: !!opts.bigEndian },
      opts,
    ))
      chunks.push(c);
    const all = Buffer.concat(chunks);
    return Array.from({ length: all.length / 4 }, (_, i) => all.readFloatLE(i * 4));
  };
  // base viewed as 4×6; its transpose is 6×4 with strides (1, 6).
  const transposed = Array.from({ length: 24 }, (_, i) => (i % 4) * 6 + Math.floor(i / 4));
  assert.deepEqual(await run(0, [6, 4], [1, 6]), transposed);
  assert.deepEqual(await run(0, [6, 4], [1, 6], { chunk: 12 }), transposed, 'small output chunks');
  assert.deepEqual(
    await run(0, [6, 4], [1, 6], { maxSpanInMemory: 8 }),
    transposed,
    'block-cache path for large spans',
  );
  assert.deepEqual(await run(1, [2, 3], [12, 2]), [1, 3, 5, 13, 15, 17], 'offset and steps');
  assert.deepEqual(await run(5, [3, 2], [0, 1]), [5, 6, 5, 6, 5, 6], 'stride 0 (expand)');
  assert.deepEqual(await run(2, [2, 1, 3], [6, 1, 1]), [2, 3, 4, 8, 9, 10], 'size-1 dims with any stride');
  assert.deepEqual(await run(0, [24], [1], { bigEndian: true, chunk: 16 }), base, 'big-endian storages are swapped');
  assert.deepEqual(await run(0, [6, 4], [1, 6], { bigEndian: true }), transposed, 'big-endian and strided');
});

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { readPickle } from '../../../src/core/scan/pickle/index.ts';
import { classifyGlobal } from '../../../src/core/scan/policy/classify.ts';
import { scanBytes } from '../../../src/core/scan/scanner.ts';
import type { FileScanResult } from '../../../src/core/scan/types.ts';
import { P, p0Call, p4Call } from './build.ts';
import { loaderRan, loaderSkip, tempDir } from './python.ts';

const rules = (r: FileScanResult, severity?: string) =>
  r.findings.filter((f) => !severity || f.severity === severity).map((f) => f.ruleId);
const errorsMention = (r: FileScanResult, text: string) =>
  r.findings.some((f) => f.severity === 'error' && f.message.includes(text));
const scan = (b: Buffer, name = 'x.pkl') => scanBytes(b, name);

describe('pickle machine', () => {
  test('records imports and calls, resolves STACK_GLOBAL through MEMOIZE', async () => {
    const r = await readPickle(p4Call('os', 'system'));
    assert.equal(r.imports.length, 1);
    assert.deepEqual([r.imports[0].module, r.imports[0].name, r.imports[0].opcode], ['os', 'system', 'STACK_GLOBAL']);
    assert.deepEqual(r.imports[0].calledBy, ['REDUCE']);
    assert.equal(r.complete, true);
  });

  test('builds the symbolic value of a torch-style state dict', async () => {
    // OrderedDict() + SETITEMS {'w': _rebuild_tensor_v2(persistent_load(('storage', FloatStorage, '0', 'cpu', 4)), 0, (2, 2), (2, 1))}
    const b = new P()
      .proto(2)
      .global('collections', 'OrderedDict')
      .emptyTuple()
      .reduce()
      .mark()
      .binunicode('w')
      .global('torch._utils', '_rebuild_tensor_v2')
      .mark()
      .mark()
      .binunicode('storage')
      .global('torch', 'FloatStorage')
      .binunicode('0')
      .binunicode('cpu')
      .int(4)
      .tuple()
      .raw('Q')
      .int(0)
      .int(2)
      .int(2)
      .raw([0x86])
      .int(2)
      .int(1)
      .raw([0x86])
      .tuple()
      .reduce()
      .raw('u')
      .stop()
      .bytes();
    const r = await readPickle(b);
    const v = r.pickles[0].value;
    assert.ok(v && typeof v === 'object' && v.k === 'call');
    assert.equal(v.setitems?.length, 1);
    const [key, tensor] = v.setitems![0];
    assert.equal(key, 'w');
    assert.ok(tensor && typeof tensor === 'object' && tensor.k === 'call');
    const args = tensor.args;
    assert.ok(args && typeof args === 'object' && args.k === 'tuple');
    const pid = args.items[0];
    assert.ok(pid && typeof pid === 'object' && pid.k === 'persid');
    assert.equal(r.persistentIds, 1);
  });

  test('skips large payloads by length without keeping them', async () => {
    const big = Buffer.alloc(5 << 20, 7);
    const r = await readPickle(new P().proto(3).binbytes(big).stop().bytes());
    const v = r.pickles[0].value;
    assert.ok(v && typeof v === 'object' && v.k === 'bytes');
    assert.equal(v.length, big.length);
    assert.equal(v.data, undefined);
  });

  test('200,000 MARKs end in an incomplete scan, not a crash', async () => {
    const b = Buffer.concat([Buffer.from([0x80, 2]), Buffer.alloc(200_000, 0x28), Buffer.from('.')]);
    const r = await readPickle(b);
    assert.equal(r.limitReached, true);
    assert.equal(r.complete, false);
    const s = await scan(b);
    assert.ok(rules(s).includes('scan/incomplete'));
    assert.ok(!rules(s, 'error').length, 'a limit is never a verdict of "malicious"');
  });

  test('a 2^62-byte length field ends as truncated after reading only the bytes that are there', async () => {
    const h = Buffer.alloc(9);
    h[0] = 0x8e;
    h.writeBigUInt64LE(1n << 62n, 1);
    const input = Buffer.concat([Buffer.from([0x80, 4]), h, Buffer.from('abc')]);
    // Counted, not timed: every request the machine makes of its input, and the bytes it gets.
    const io = { requests: 0, bytes: 0 };
    let pos = 0;
    const r = await readPickle({
      async next(max?: number) {
        io.requests++;
        const b = input.subarray(pos, pos + (max ?? input.length));
        pos += b.length;
        io.bytes += b.length;
        return b.length ? b : null;
      },
      async skip(n: number) {
        io.requests++;
        const k = Math.min(n, input.length - pos);
        pos += k;
        io.bytes += k;
        return k;
      },
    });
    assert.ok(r.anomalies.some((a) => a.kind === 'truncated'));
    assert.equal(r.opcodes, 2);
    assert.ok(io.bytes <= input.length, `${io.bytes} bytes read of ${input.length}`);
    assert.ok(io.requests <= 8, `${io.requests} reads for a ${input.length}-byte input`);
  });

  test('a 1 M-element benign list is not a finding (no opcode-count false positive)', async () => {
    const p = new P().proto(2).op(']');
    for (let i = 0; i < 1000; i++) {
      p.mark();
      for (let j = 0; j < 1000; j++) p.int(j & 0xff);
      p.op('e');
    }
    const s = await scan(p.stop().bytes());
    assert.deepEqual(
      rules(s).filter((x) => x !== 'scan/scanned'),
      [],
    );
    assert.equal(s.complete, true);
  });
});

describe('policy', () => {
  test('deny by prefix, dotted component, dunder; allow torch and numpy; unknown otherwise', () => {
    assert.equal(classifyGlobal('os', 'system').kind, 'denied');
    assert.equal(classifyGlobal('asyncio.unix_events', '_UnixSubprocessTransport._start').kind, 'denied');
    assert.equal(classifyGlobal('pathlib', 'os.system').kind, 'denied');
    assert.equal(classifyGlobal('builtins', 'eval.__call__').kind, 'denied');
    assert.equal(classifyGlobal('numpy', '__builtins__').kind, 'denied');
    assert.equal(classifyGlobal('builtins', 'getattr').kind, 'denied');
    assert.equal(classifyGlobal('fickling', 'x').kind, 'denied');
    assert.equal(classifyGlobal('torch._utils', '_rebuild_tensor_v2').kind, 'allowed');
    assert.equal(classifyGlobal('torch', 'BFloat16Storage').kind, 'allowed');
    assert.equal(classifyGlobal('numpy._core.multiarray', '_reconstruct').kind, 'allowed');
    assert.equal(classifyGlobal('collections', 'OrderedDict').kind, 'allowed');
    assert.equal(classifyGlobal('sklearn.linear_model._logistic', 'LogisticRegression').kind, 'unknown');
  });
});

describe('bypass classes (SCANNER-NOTES §5)', () => {
  const callables: [string, string][] = [
    ['builtins', 'eval'],
    ['builtins', 'exec'],
    ['__builtin__', 'eval'],
    ['os', 'system'],
    ['posix', 'system'],
    ['nt', 'system'],
    ['subprocess', 'Popen'],
    ['subprocess', 'check_output'],
    ['socket', 'create_connection'],
    ['runpy', '_run_code'],
    ['sys', 'exit'],
    ['http.client', 'HTTPSConnection'],
    ['httplib', 'HTTPSConnection'],
    ['requests.api', 'get'],
    ['aiohttp.client', 'ClientSession'],
    ['webbrowser', 'open'],
    ['pip', 'main'],
    ['torch._inductor.codecache', 'compile_file'],
    ['pydoc', 'pipepager'],
    ['venv', 'create'],
    ['bdb', 'Bdb.run'],
    ['timeit', 'timeit'],
    ['numpy.testing._private.utils', 'runstring'],
    ['cProfile', 'run'],
    ['pty', 'spawn'],
    ['ctypes', 'CDLL'],
    ['_operator', 'attrgetter'],
    ['io', 'FileIO'],
    ['urllib.request', 'urlopen'],
    ['logging', 'FileHandler'],
    ['pkgutil', 'resolve_name'],
    ['uuid', '_get_command_stdout'],
    ['_osx_support', '_read_output'],
    ['code', 'InteractiveInterpreter.runcode'],
    ['types', 'CodeType'],
    ['marshal', 'loads'],
    ['importlib', 'import_module'],
    ['multiprocessing.util', 'spawnv_passfds'],
    ['_interpreters', 'create'],
    ['smtplib', 'SMTP'],
    ['functools', 'partial'],
    ['cloudpickle', '_make_function'],
    ['shutil', 'rmtree'],
    // Test runners import the modules named in their arguments and run what they find (held-out corpus).
    ['unittest', 'TestProgram'],
    ['unittest', 'main'],
    ['unittest.main', 'TestProgram'],
    ['unittest', 'TestLoader.loadTestsFromName'],
    ['pytest', 'main'],
    ['_pytest.config', 'main'],
    ['nose', 'run'],
  ];
  for (const [m, n] of callables) {
    test(`R1 reduce matrix: ${m}.${n} at protocol 0 and 4`, async () => {
      assert.ok(errorsMention(await scan(p0Call(m, n)), `.${n.split('.')[0]}`), 'protocol 0');
      assert.ok(errorsMention(await scan(p4Call(m, n)), `.${n.split('.')[0]}`), 'protocol 4');
    });
  }

  test('INST, OBJ, NEWOBJ and NEWOBJ_EX on a denied callable', async () => {
    const inst = new P().mark().unicode('id').inst('os', 'system').stop().bytes();
    const obj = new P().mark().global('os', 'system').unicode('id').op('o').stop().bytes();
    const newobj = new P()
      .proto(2)
      .global('subprocess', 'Popen')
      .mark()
      .unicode('id')
      .tuple()
      .raw([0x81])
      .stop()
      .bytes();
    const newobjEx = new P().proto(4).global('subprocess', 'Popen').emptyTuple().op('}').raw([0x92]).stop().bytes();
    for (const b of [inst, obj, newobj, newobjEx])
      assert.ok(rules(await scan(b), 'error').includes('scan/pickle-dangerous-import'));
  });

  test('15: STACK_GLOBAL operands pushed with STRING/BINSTRING/SHORT_BINSTRING, even as the first opcode', async () => {
    const a = new P().string('os').string('system').stackGlobal().mark().unicode('id').tuple().reduce().stop().bytes();
    const b = new P()
      .proto(4)
      .binString('posix')
      .shortBinString('system')
      .stackGlobal()
      .emptyTuple()
      .reduce()
      .stop()
      .bytes();
    assert.ok(errorsMention(await scan(a), 'os.system'));
    assert.ok(errorsMention(await scan(b), 'posix.system'));
  });

  test('16: memo confusion with mixed PUT/MEMOIZE still resolves the real operands', async () => {
    const b = new P()
      .proto(4)
      .unicode('safe')
      .memoize()
      .unicode('alsosafe')
      .memoize()
      .unicode('os')
      .put(2)
      .pop()
      .unicode('system')
      .put(3)
      .pop()
      .get(2)
      .get(3)
      .stackGlobal()
      .mark()
      .unicode('id')
      .tuple()
      .reduce()
      .stop()
      .raw('\n\n\t\t')
      .bytes();
    assert.ok(errorsMention(await scan(b), 'os.system'));
  });

  test('17/18: missing memo key, int or bytes operands => computed import (error)', async () => {
    const missing = new P().proto(4).get(9).sbu('system').stackGlobal().emptyTuple().reduce().stop().bytes();
    const intOp = new P().proto(4).int(1).memoize().binget(0).sbu('system').stackGlobal().stop().bytes();
    const bytesOp = new P().proto(4).shortBinBytes(Buffer.from('os')).sbu('system').stackGlobal().stop().bytes();
    for (const b of [missing, intOp, bytesOp])
      assert.ok(rules(await scan(b), 'error').includes('scan/pickle-computed-import'));
  });

  test('19: operands computed at load time (a call result) => computed import', async () => {
    const b = new P()
      .proto(4)
      .global('builtins', 'str')
      .mark()
      .unicode('os')
      .tuple()
      .reduce()
      .sbu('system')
      .stackGlobal()
      .stop()
      .bytes();
    assert.ok(rules(await scan(b), 'error').includes('scan/pickle-computed-import'));
  });

  test('20: BUILD on an imported global (attribute poisoning)', async () => {
    const b = new P()
      .proto(2)
      .global('torch._utils', '_rebuild_tensor_v2')
      .op('}')
      .unicode('x')
      .int(1)
      .op('s')
      .build()
      .stop()
      .bytes();
    assert.ok(rules(await scan(b), 'error').includes('scan/pickle-global-mutation'));
  });

  test('21: dotted names resolved by protocol >= 4 (pathlib + os.system, eval.__call__)', async () => {
    const a = new P().proto(4).sbu('pathlib').sbu('os.system').stackGlobal().emptyTuple().reduce().stop().bytes();
    const b = new P().proto(5).global('builtins', 'eval.__call__').mark().unicode('1').tuple().reduce().stop().bytes();
    assert.ok(rules(await scan(a), 'error').includes('scan/pickle-dangerous-import'));
    assert.ok(rules(await scan(b), 'error').includes('scan/pickle-dangerous-import'));
  });

  test('R7: chained calls (getattr(__import__("os"), "system")("id")) => unsafe call on a call result', async () => {
    const b = new P()
      .proto(2)
      .global('builtins', 'getattr')
      .mark()
      .global('builtins', '__import__')
      .mark()
      .unicode('os')
      .tuple()
      .reduce()
      .unicode('system')
      .tuple()
      .reduce()
      .mark()
      .unicode('id')
      .tuple()
      .reduce()
      .stop()
      .bytes();
    const s = await scan(b);
    assert.ok(rules(s, 'error').includes('scan/pickle-unsafe-call'));
    assert.ok(rules(s, 'error').includes('scan/pickle-dangerous-import'));
  });

  test('unknown function called by REDUCE is an error; unknown class instantiated is a warning', async () => {
    const fn = await scan(p0Call('mylib.tools', 'run_thing'));
    assert.ok(rules(fn, 'error').includes('scan/pickle-unsafe-call'));
    const cls = await scan(new P().proto(2).global('mylib.models', 'Net').emptyTuple().raw([0x81]).stop().bytes());
    assert.deepEqual(rules(cls, 'error'), []);
    assert.ok(rules(cls, 'warning').includes('scan/pickle-unknown-import'));
  });

  test('23: OBJ whose result is popped is still reported', async () => {
    const b = new P().proto(2).mark().global('os', 'system').unicode('id').op('o').pop().none().stop().bytes();
    assert.ok(rules(await scan(b), 'error').includes('scan/pickle-dangerous-import'));
  });

  test('24: EXT1/EXT2/EXT4 are errors', async () => {
    for (const ext of [
      [0x82, 1],
      [0x83, 1, 0],
      [0x84, 1, 0, 0, 0],
    ]) {
      const s = await scan(new P().proto(2).raw(ext).emptyTuple().reduce().stop().bytes());
      assert.ok(rules(s, 'error').includes('scan/pickle-ext-opcode'));
    }
  });

  test('25: an opcode crossing a FRAME boundary', async () => {
    const b = new P()
      .proto(4)
      .frame(3)
      .sbu('os')
      .memoize()
      .sbu('system')
      .stackGlobal()
      .emptyTuple()
      .reduce()
      .stop()
      .bytes();
    const s = await scan(b);
    assert.ok(rules(s, 'error').includes('scan/pickle-frame-violation'));
    assert.ok(errorsMention(s, 'os.system'));
  });

  test('26: payload then an invalid opcode / truncated BINUNICODE; TUPLE with no MARK', async () => {
    const broken = Buffer.concat([
      new P().global('builtins', 'exec').mark().raw([0x58, 0xff, 0xff, 0xff, 0x7f]).bytes(),
      Buffer.from('import os'),
    ]);
    const s = await scan(broken);
    assert.ok(errorsMention(s, 'builtins.exec'));
    assert.ok(rules(s).includes('scan/pickle-malformed'));
    assert.equal(s.complete, false);
    const invalid = Buffer.concat([p0Call('os', 'system').subarray(0, -1), Buffer.from([0xff, 0xfe])]);
    const s2 = await scan(invalid);
    assert.ok(errorsMention(s2, 'os.system'));
    assert.ok(rules(s2).includes('scan/pickle-malformed'));
    const s3 = await scan(Buffer.from([0x80, 4, 0x74, 0x2e]));
    assert.ok(rules(s3).includes('scan/pickle-malformed'));
  });

  test('27/R9: benign pickle + junk byte + malicious pickle', async () => {
    const benign = new P().proto(2).op('}').stop().bytes();
    const s = await scan(Buffer.concat([benign, Buffer.from([0xff]), p4Call('os', 'system')]));
    assert.ok(errorsMention(s, 'os.system'));
    assert.ok(rules(s).includes('scan/trailing-data'));
    const s2 = await scan(Buffer.concat([benign, p0Call('os', 'system')]));
    assert.ok(errorsMention(s2, 'os.system'), 'a second stream directly after STOP');
  });

  test('28: misplaced PROTO is suspicious', async () => {
    const s = await scan(new P().proto(2).op('}').proto(4).stop().bytes());
    assert.ok(rules(s, 'warning').includes('scan/pickle-suspicious-structure'));
  });

  test('29: expansion (one PUT, many GETs, many DUPs) stays bounded and is not an error', async () => {
    const p = new P().proto(2).op(']').binput(0);
    for (let i = 0; i < 100_000; i++) p.binget(0);
    for (let i = 0; i < 200; i++) p.op('2');
    const s = await scan(p.stop().bytes());
    // Counted, not timed: each opcode runs once (PROTO, EMPTY_LIST, BINPUT, the GETs and DUPs, STOP).
    assert.equal(s.stats.opcodes, 1 + 1 + 1 + 100_000 + 200 + 1);
    assert.deepEqual(rules(s, 'error'), []);
  });

  test('R8: nested pickles as bytes for pickle.loads, latin-1 via _codecs.encode, base64 and hex strings', async () => {
    const inner = p4Call('os', 'system');
    const viaBytes = new P().proto(3).global('pickle', 'loads').binbytes(inner).tuple1().reduce().stop().bytes();
    const viaCodecs = new P()
      .proto(2)
      .global('pickle', 'loads')
      .global('_codecs', 'encode')
      .binunicode(inner.toString('latin1'))
      .binunicode('latin1')
      .raw([0x86])
      .reduce()
      .tuple1()
      .reduce()
      .stop()
      .bytes();
    const viaBase64 = new P()
      .proto(2)
      .op('}')
      .binunicode('payload')
      .binunicode(inner.toString('base64'))
      .op('s')
      .stop()
      .bytes();
    const viaHex = new P()
      .proto(2)
      .op('}')
      .binunicode('payload')
      .binunicode(inner.toString('hex'))
      .op('s')
      .stop()
      .bytes();
    for (const [name, b] of [
      ['bytes', viaBytes],
      ['codecs', viaCodecs],
      ['base64', viaBase64],
      ['hex', viaHex],
    ] as const) {
      const s = await scan(b);
      assert.ok(
        s.findings.some(
          (f) => f.severity === 'error' && f.message.includes('os.system') && f.member?.includes('#nested@'),
        ),
        name,
      );
      assert.ok(rules(s).includes('scan/nested-pickle'), name);
    }
  });

  test('R17: benign negatives — plain containers at every protocol, OrderedDict, _codecs.encode', async () => {
    for (const proto of [0, 2, 3, 4, 5]) {
      const p = proto ? new P().proto(proto) : new P();
      const b = p
        .op('}')
        .binunicode('k')
        .global('collections', 'OrderedDict')
        .emptyTuple()
        .reduce()
        .op('s')
        .binunicode('c')
        .global('_codecs', 'encode')
        .binunicode('abc')
        .binunicode('latin1')
        .raw([0x86])
        .reduce()
        .op('s')
        .stop()
        .bytes();
      const s = await scan(b);
      assert.deepEqual(
        rules(s).filter((x) => x !== 'scan/scanned'),
        [],
        `protocol ${proto}`,
      );
    }
  });

  test('a text file is not a pickle; a protocol-0 GLOBAL without PROTO is', async () => {
    assert.equal((await scan(Buffer.from('Introduction\nThis is a README.\n'), 'README')).format, 'text');
    assert.equal((await scan(Buffer.from('cos\nsystem\n(Vid\ntR.'), 'model.txt')).format, 'pickle');
  });

  test('unknown content under a weight extension is a warning, never clean', async () => {
    const s = await scan(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]), 'model.pt');
    assert.ok(rules(s, 'warning').includes('scan/unknown-format'));
    assert.equal(s.complete, false);
  });
});

describe('joblib inline arrays', () => {
  test('a huge list before a NumpyArrayWrapper does not starve its state: the payload after the array bytes is found', async () => {
    const p = new P().proto(4).op(']').mark();
    for (let i = 0; i < 200_000; i++) p.int(i & 0xff);
    p.op('e').pop();
    p.global('joblib.numpy_pickle', 'NumpyArrayWrapper')
      .emptyTuple()
      .raw([0x81])
      .op('}')
      .mark()
      .sbu('subclass')
      .global('numpy', 'ndarray')
      .sbu('shape')
      .int(3)
      .tuple1()
      .sbu('order')
      .sbu('C')
      .sbu('dtype')
      .global('numpy', 'dtype')
      .mark()
      .sbu('f8')
      .raw([0x89, 0x88])
      .tuple()
      .reduce()
      .mark()
      .int(3)
      .sbu('<')
      .none()
      .none()
      .none()
      .raw('J')
      .raw([0xff, 0xff, 0xff, 0xff])
      .raw('J')
      .raw([0xff, 0xff, 0xff, 0xff])
      .int(0)
      .tuple()
      .build()
      .sbu('allow_mmap')
      .raw([0x89])
      .sbu('numpy_array_alignment_bytes')
      .int(16)
      .op('u')
      .build()
      // joblib: one padding-length byte, 0xFF padding, then 3 × 8 bytes of float64 data (here: opcode-like bytes).
      .raw([2, 0xff, 0xff])
      .raw(Buffer.from('cos\nsystem\n(Vx\ntR.'.padEnd(24, '.')))
      .pop()
      .global('posix', 'system')
      .mark()
      .unicode('id')
      .tuple()
      .reduce()
      .stop();
    const s = await scan(p.bytes(), 'model.joblib');
    assert.equal(s.format, 'joblib');
    const hits = s.findings.filter((f) => f.severity === 'error');
    assert.equal(hits.length, 1, JSON.stringify(s.findings.map((f) => f.message)));
    assert.match(
      hits[0].message,
      /posix\.system/,
      'the array bytes (which look like os.system) were skipped, the real payload found',
    );
  });
});

/** A joblib array wrapper instance made by `make` (opcodes that leave one NumpyArrayWrapper on the stack), its state, BUILD, then `data` and the payload. */
function joblibWith(make: (p: P) => P, descr: string, shape: 'tuple' | 'list', data: Buffer, marker = 'id'): Buffer {
  const p = make(new P().proto(2).op(']').mark())
    .op('}')
    .mark()
    .sbu('subclass')
    .global('numpy', 'ndarray')
    .sbu('shape');
  if (shape === 'tuple') p.int(data.length / 8).tuple1();
  else
    p.op(']')
      .int(data.length / 8)
      .op('a');
  p.sbu('order')
    .sbu('C')
    .sbu('dtype')
    .global('numpy', 'dtype')
    .mark()
    .sbu(descr)
    .raw([0x89, 0x88])
    .tuple()
    .reduce()
    .mark()
    .int(3)
    .sbu('<')
    .none()
    .none()
    .none()
    .raw('J')
    .raw([0xff, 0xff, 0xff, 0xff])
    .raw('J')
    .raw([0xff, 0xff, 0xff, 0xff])
    .int(0)
    .tuple()
    .build()
    .sbu('allow_mmap')
    .raw([0x89])
    .op('u')
    .build()
    // joblib <= 1.1 layout: the array bytes follow BUILD directly.
    .raw(data)
    .global('builtins', 'exec')
    .mark()
    .unicode(`open(${JSON.stringify(marker)},'w').write('ran')`)
    .tuple()
    .reduce()
    .op('e')
    .stop();
  return p.bytes();
}
const newobjWrapper = (p: P) => p.global('joblib.numpy_pickle', 'NumpyArrayWrapper').emptyTuple().raw([0x81]);
/**
 * Array bytes that a walk which does not skip them reads as BINBYTES swallowing the payload after
 * them: 8 bytes = 'B', a length, 3 bytes; the length covers those 3 bytes and the payload.
 */
function swallowing(payloadLength: number): Buffer {
  const b = Buffer.alloc(8, 0x20);
  b[0] = 0x42;
  b.writeUInt32LE(3 + payloadLength, 1);
  return b;
}

describe('joblib arrays however the wrapper and its dtype are written', () => {
  test('dtype names NumPy accepts (float64, <f8, d, double) give the same array size: the payload after the bytes is found and the walk is complete', async () => {
    for (const descr of ['float64', '<f8', 'd', 'double', 'f8']) {
      const s = await scan(joblibWith(newobjWrapper, descr, 'tuple', Buffer.alloc(16, 0x2e)), 'model.joblib');
      assert.ok(errorsMention(s, 'builtins.exec'), `${descr}: ${JSON.stringify(s.findings.map((f) => f.message))}`);
      assert.equal(s.complete, true, descr);
    }
  });

  test('a wrapper made by copyreg._reconstructor with a list shape: its bytes are skipped as joblib skips them, so they cannot hide the payload', async () => {
    const withoutPayload = joblibWith(newobjWrapper, 'f8', 'tuple', Buffer.alloc(8));
    const payloadLength = withoutPayload.length; // generous: the length only has to cover the payload
    const viaReconstructor = (p: P) =>
      p
        .global('copyreg', '_reconstructor')
        .mark()
        .global('joblib.numpy_pickle', 'NumpyArrayWrapper')
        .global('builtins', 'object')
        .none()
        .tuple()
        .reduce();
    const marker = 'joblib-reconstructor-marker';
    const bytes = joblibWith(viaReconstructor, 'f8', 'list', swallowing(payloadLength), marker);
    const s = await scan(bytes, 'model.joblib');
    assert.ok(errorsMention(s, 'builtins.exec'), JSON.stringify(s.findings.map((f) => [f.ruleId, f.message])));
    const skip = loaderSkip('joblib');
    if (!skip) {
      const dir = tempDir();
      const file = path.join(dir, 'model.joblib');
      fs.writeFileSync(file, bytes);
      assert.ok(
        loaderRan(file, path.join(dir, marker), 'import joblib\njoblib.load(path)').ran,
        'joblib.load reads the array bytes and runs the payload after them',
      );
    }
  });
});

describe('many pickle streams in a row', () => {
  test('10,001 empty streams before a payload stream: every stream is read (pickle.load in a loop runs them all)', async () => {
    const b = Buffer.concat([Buffer.from('N.'.repeat(10_001), 'latin1'), p0Call('os', 'system')]);
    const s = await scan(b);
    assert.ok(errorsMention(s, 'os.system'), JSON.stringify(rules(s)));
    const r = await readPickle(b);
    assert.equal(r.streams, 10_002);
    assert.ok(r.pickles.length <= 10_000, 'records kept are bounded');
  });
});

describe('budgets never turn into false verdicts', () => {
  test('after the kept-bytes budget is spent, names still resolve (no false computed import)', async () => {
    const p = new P().proto(4).op(']').mark();
    for (let i = 0; i < 80; i++) p.binunicode('x'.repeat(1 << 20));
    p.op('e').pop().sbu('collections').sbu('OrderedDict').stackGlobal().emptyTuple().reduce().stop();
    const s = await scan(p.bytes());
    assert.deepEqual(rules(s, 'error'), [], JSON.stringify(s.findings.map((f) => f.message)));
  });
});

describe('streaming', () => {
  /** The same bytes delivered in chunks of odd sizes, as decompressors and file reads do. */
  function chunked(b: Buffer, sizes: number[]): import('../../../src/core/scan/io/source.ts').ByteStream {
    let pos = 0;
    let i = 0;
    return {
      async next(max?: number) {
        if (pos >= b.length) return null;
        const n = Math.min(sizes[i++ % sizes.length], max ?? Infinity, b.length - pos);
        const c = b.subarray(pos, pos + n);
        pos += n;
        return c;
      },
      async skip(n: number) {
        const k = Math.min(n, b.length - pos);
        pos += k;
        return k;
      },
    };
  }
  const summary = (r: Awaited<ReturnType<typeof readPickle>>) =>
    JSON.stringify({
      imports: r.imports.map((x) => [x.module, x.name, x.offset, x.calledBy]),
      anomalies: r.anomalies.map((a) => [a.kind, a.offset]),
      opcodes: r.opcodes,
      end: r.end,
      pickles: r.pickles.map((p) => [p.offset, p.end, p.complete]),
      embedded: r.embedded.map((e) => e.offset),
    });

  test('any chunking of the input gives the same result as one buffer', async () => {
    const inputs = [
      p4Call('os', 'system'),
      p0Call('builtins', 'eval'),
      Buffer.concat([new P().proto(2).op('}').stop().bytes(), Buffer.from([0xff]), p4Call('os', 'system')]),
      new P().proto(4).frame(3).sbu('os').memoize().sbu('system').stackGlobal().emptyTuple().reduce().stop().bytes(),
      new P().proto(3).global('pickle', 'loads').binbytes(p4Call('os', 'system')).tuple1().reduce().stop().bytes(),
      new P()
        .proto(2)
        .binunicode('x'.repeat(300))
        .binbytes(Buffer.alloc(5000, 1))
        .global('a.b', 'C')
        .raw([0x86])
        .stop()
        .bytes(),
      // Long text lines and float runs, across chunk boundaries that fill() bridges.
      new P()
        .proto(2)
        .unicode('y'.repeat(3000))
        .pop()
        .raw(']')
        .mark()
        .raw(
          Buffer.concat(
            Array.from({ length: 400 }, (_, i) => {
              const b = Buffer.alloc(9);
              b[0] = 0x47;
              b.writeDoubleBE(i, 1);
              return b;
            }),
          ),
        )
        .raw('e')
        .global('os', 'system')
        .raw([0x86])
        .stop()
        .bytes(),
    ];
    for (const input of inputs) {
      const whole = summary(await readPickle(input));
      for (const sizes of [[1], [2, 3], [7], [9, 1, 64], [100], [130, 7, 300], [129], [1000, 131]]) {
        assert.equal(summary(await readPickle(chunked(input, sizes))), whole, `chunks ${sizes.join(',')}`);
      }
    }
  });
});

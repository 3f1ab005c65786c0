/**
 * Issue 11: the scanner fails closed. One test per class of miss, each on hand-made files built
 * here from opcodes; where python3 is installed the real loader is run on the same bytes to prove
 * it executes the payload (a marker file written into a temp folder).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, test } from 'node:test';
import { readPickle } from '../../../src/core/scan/pickle/index.ts';
import { scanBytes, scanFile, scanPaths } from '../../../src/core/scan/scanner.ts';
import type { FileScanResult } from '../../../src/core/scan/types.ts';
import { cli } from '../helpers.ts';
import { P } from './build.ts';
import { loaderRan, loaderSkip, markerCall, tempDir } from './python.ts';

const dangerous = (r: FileScanResult) => r.findings.some((f) => f.severity === 'error');
const rules = (r: FileScanResult) => r.findings.map((f) => f.ruleId);

/** A pickle that writes `marker` when loaded, after `prefix` (opcodes that leave the stack as it was). */
function payloadAfter(prefix: Buffer, marker: string): Buffer {
  return Buffer.concat([prefix, markerCall(marker), Buffer.from('.')]);
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const u64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(n);
  return b;
};

/** First opcodes of pickles without a PROTO header, each followed by POP: what routing by the first bytes missed. */
function headlessPrefixes(): [string, Buffer][] {
  return [
    ['NEWTRUE', Buffer.from([0x88, 0x30])],
    ['BININT2', Buffer.from([0x4d, 1, 0, 0x30])],
    ['SHORT_BINUNICODE', Buffer.concat([Buffer.from([0x8c, 5]), Buffer.from('hello'), Buffer.from('0')])],
    ['SHORT_BINBYTES', Buffer.concat([Buffer.from([0x43, 2]), Buffer.from('hi'), Buffer.from('0')])],
    ['INT 1_0', Buffer.from('I1_0\n0')],
    ['INT 0x10', Buffer.from('I0x10\n0')],
    [
      'BINUNICODE of 70,000 bytes',
      Buffer.concat([Buffer.from('X'), u32(70_000), Buffer.alloc(70_000, 0x61), Buffer.from('0')]),
    ],
    ['UNICODE line of 70,000 bytes', Buffer.concat([Buffer.from('V'), Buffer.alloc(70_000, 0x61), Buffer.from('\n0')])],
  ];
}

describe('routing by content, not by name', () => {
  test('pickles without PROTO that start with any opcode, or with a first string over 64 KiB, are scanned under any name', async () => {
    const dir = tempDir();
    const marker = path.join(dir, 'marker');
    const skip = loaderSkip();
    for (const [label, prefix] of headlessPrefixes()) {
      const bytes = payloadAfter(prefix, marker);
      for (const name of ['weights.p', 'model.pth.tar', 'notes.txt']) {
        const r = await scanBytes(bytes, name);
        assert.equal(r.format, 'pickle', `${label} as ${name}: ${r.format}`);
        assert.ok(dangerous(r), `${label} as ${name}: ${rules(r).join(', ')}`);
        assert.equal(r.complete, true, `${label} as ${name} is read to its end`);
      }
      const file = path.join(dir, 'notes.txt');
      fs.writeFileSync(file, bytes);
      const folder = await scanPaths([dir]);
      const hit = folder.results.find((x) => x.path === file);
      assert.ok(hit && dangerous(hit), `${label}: a folder scan picks notes.txt by its content`);
      if (!skip)
        assert.ok(
          loaderRan(file, marker, 'import pickle\npickle.load(open(path, "rb"))').ran,
          `${label}: pickle.load runs it`,
        );
    }
  });

  test('text, JSON, Python and YAML files are not taken for pickles', async () => {
    for (const [name, text] of [
      ['README.md', '# Model\n\nWeights are in model.safetensors.\n'],
      ['config.json', '{"hidden_size": 768}\n'],
      ['train.py', 'import torch\nimport os\n\nclass Net:\n    pass\n'],
      ['card.yaml', 'model_details:\n  name: x\n'],
      ['numbers.csv', '0.5,1.5\n2.5,3.5\n'],
      ['CMakeLists.txt', 'cmake_minimum_required(VERSION 3.1)\nproject(x)\n'],
      ['notes.txt', 'Version 1.0\nRelease notes\n'],
    ] as const) {
      const r = await scanBytes(Buffer.from(text), name);
      assert.notEqual(r.format, 'pickle', name);
      assert.equal(r.findings.filter((f) => f.severity !== 'info').length, 0, `${name}: ${rules(r).join(', ')}`);
    }
  });
});

describe('the pickle walk reads to the real end', () => {
  test('a line or string over 64 KiB is read past, plain and inside gzip: the payload after it is found and the scan is complete', async () => {
    const marker = '/nonexistent/marker';
    for (const [label, prefix] of headlessPrefixes().slice(-2)) {
      const bytes = payloadAfter(Buffer.concat([Buffer.from([0x80, 2]), prefix]), marker);
      for (const [how, b] of [
        ['plain', bytes],
        ['gzip', zlib.gzipSync(bytes)],
      ] as const) {
        const r = await scanBytes(b, 'x.pkl');
        assert.ok(dangerous(r), `${label} ${how}`);
        assert.equal(r.complete, true, `${label} ${how}: ${rules(r).join(', ')}`);
      }
    }
  });

  test('a GLOBAL whose module line is longer than 64 KiB is read to its end', async () => {
    const b = Buffer.concat([
      Buffer.from('c'),
      Buffer.alloc(100_000, 0x61),
      Buffer.from('\nx\n0'),
      markerCall('/x'),
      Buffer.from('.'),
    ]);
    const r = await readPickle(b);
    assert.ok(r.imports.some((i) => i.module === 'builtins' && i.name === 'exec'));
    assert.equal(r.complete, true);
  });

  test('a FRAME of 2^63-1 bytes around a payload: reported, and the payload found (the pure-Python unpickler runs it)', async () => {
    const dir = tempDir();
    const marker = path.join(dir, 'marker');
    const b = Buffer.concat([
      Buffer.from([0x80, 4, 0x95]),
      u64(0x7fffffffffffffffn),
      payloadAfter(Buffer.alloc(0), marker),
    ]);
    const r = await scanBytes(b, 'x.pkl');
    assert.ok(dangerous(r));
    assert.ok(rules(r).includes('scan/pickle-dangerous-import'));
    const skip = loaderSkip();
    if (!skip) {
      const file = path.join(dir, 'f.pkl');
      fs.writeFileSync(file, b);
      assert.ok(loaderRan(file, marker, 'import pickle\npickle._loads(open(path, "rb").read())').ran);
    }
  });

  test('1.5 M scalars after one MARK cost no stack: the payload after them is found and the scan is complete', async () => {
    const n = 1_500_000;
    const ints = Buffer.alloc(n * 2);
    for (let i = 0; i < n; i++) {
      ints[2 * i] = 0x4b;
      ints[2 * i + 1] = i & 0xff;
    }
    const b = Buffer.concat([
      Buffer.from([0x80, 2, 0x5d, 0x28]),
      ints,
      Buffer.from('e0'),
      markerCall('/x'),
      Buffer.from('.'),
    ]);
    const r = await readPickle(b);
    assert.equal(r.limitReached, false);
    assert.equal(r.complete, true);
    assert.equal(r.opcodes, 3 + n + 2 + 5 + 1);
    assert.ok(r.imports.some((i) => i.name === 'exec'));
    const list = r.pickles[0];
    assert.ok(list.complete);
  });
});

describe('folder walk: links and excluded folders', () => {
  test('weight-named links into __pycache__/node_modules are scanned, links out of the folder are incomplete, venv/ is scanned, .git/ is reported', async () => {
    const dir = tempDir();
    const outside = tempDir();
    const evil = payloadAfter(Buffer.from([0x80, 2]), '/x');
    fs.mkdirSync(path.join(dir, '__pycache__'));
    fs.mkdirSync(path.join(dir, 'node_modules', 'pkg'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'venv', 'lib'), { recursive: true });
    fs.mkdirSync(path.join(dir, '.git', 'objects'), { recursive: true });
    fs.writeFileSync(path.join(dir, '__pycache__', 'cache.bin'), evil);
    fs.writeFileSync(path.join(dir, 'node_modules', 'pkg', 'data'), evil);
    fs.writeFileSync(path.join(dir, 'venv', 'lib', 'state.pkl'), evil);
    fs.writeFileSync(path.join(dir, '.git', 'objects', 'x.pkl'), evil);
    fs.writeFileSync(path.join(outside, 'real.pt'), evil);
    fs.writeFileSync(path.join(dir, 'blob.weird'), Buffer.from([0x01, 0x02, 0xff, 0xfe, 0x00, 0x13]));
    fs.symlinkSync(path.join(dir, '__pycache__', 'cache.bin'), path.join(dir, 'model.bin'));
    fs.symlinkSync(path.join('node_modules', 'pkg', 'data'), path.join(dir, 'pytorch_model.pt'));
    fs.symlinkSync(path.join(outside, 'real.pt'), path.join(dir, 'weights.pt'));
    const r = await scanPaths([dir]);
    const by = (rel: string) => r.results.find((x) => x.path === path.join(dir, rel));
    for (const rel of [
      'model.bin',
      'pytorch_model.pt',
      '__pycache__/cache.bin',
      'node_modules/pkg/data',
      'venv/lib/state.pkl',
    ]) {
      assert.ok(by(rel) && dangerous(by(rel)!), `${rel} scanned and dangerous`);
    }
    const out = by('weights.pt');
    assert.ok(out, 'a weight file linking out of the folder has a result');
    assert.equal(out!.complete, false);
    assert.match(out!.findings[0].message, /outside the folder/);
    const na = new Map(r.notAnalysed.map((n) => [n.rel, n]));
    assert.equal(na.get('.git')?.kind, 'excluded-folder');
    assert.equal(na.get('blob.weird')?.kind, 'unknown-content');
    assert.equal(na.get('blob.weird')?.size, 6);
    assert.ok(!r.results.some((x) => x.path.includes(`${path.sep}.git${path.sep}`)));
  });

  test('a FIFO in a folder is listed and never opened', async () => {
    const dir = tempDir();
    if (spawnSync('mkfifo', [path.join(dir, 'pipe')]).status !== 0) return;
    spawnSync('mkfifo', [path.join(dir, 'model.pkl')]);
    const r = await scanPaths([dir]);
    assert.equal(r.notAnalysed.find((n) => n.rel === 'pipe')?.kind, 'special-file');
    const w = r.results.find((x) => x.path.endsWith('model.pkl'));
    assert.ok(w && !w.complete, 'a weight-named FIFO is an incomplete scan');
  });
});

describe('inputs that are not files', () => {
  test('scan, card, workflow and python refuse FIFOs and devices with a clear error, without opening them', async (t) => {
    const dir = tempDir();
    const fifo = path.join(dir, 'fifo.py');
    if (spawnSync('mkfifo', [fifo]).status !== 0) {
      t.skip('mkfifo is not available');
      return;
    }
    const cases: [string[], RegExp][] = [
      [['scan', '/dev/urandom'], /character device/],
      [['scan', fifo], /FIFO|fifo/],
      [['card', fifo], /FIFO|fifo/],
      [['card', '/dev/zero'], /character device/],
      [['workflow', fifo], /FIFO|fifo/],
      [['workflow', '/dev/urandom'], /character device/],
      [['python', fifo], /FIFO|fifo/],
    ];
    for (const [args, message] of cases) {
      const r = cli(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
    }
    await assert.rejects(scanFile('/dev/zero'), /character device/);
    const p = await scanPaths(['/dev/urandom']);
    assert.equal(p.results.length, 0);
    assert.match(p.errors[0].message, /character device/);
  });
});

/** A legacy `torch.save` stream of one 2-float storage (what `Tensor.__reduce_ex__` embeds for `_load_from_bytes`), with `inner` as its object pickle. */
function legacyTorchStream(inner?: Buffer): Buffer {
  const magic = Buffer.from('80028a0a6cfc9c46f9206aa850192e', 'hex');
  const proto = Buffer.from([0x80, 2, 0x4d, 0xe9, 0x03, 0x2e]);
  const sysInfo = Buffer.from([0x80, 2, 0x7d, 0x2e]);
  const obj =
    inner ??
    new P()
      .proto(2)
      .mark()
      .binunicode('storage')
      .global('torch', 'FloatStorage')
      .binunicode('0')
      .binunicode('cpu')
      .int(2)
      .tuple()
      .raw('Q')
      .stop()
      .bytes();
  const keys = new P().proto(2).raw(']').binunicode('0').raw('a').stop().bytes();
  const data = Buffer.alloc(16);
  data.writeBigUInt64LE(2n);
  return Buffer.concat([magic, proto, sysInfo, obj, keys, data]);
}

/** `pickle.dumps(tensor)`: `_rebuild_tensor_v2(_load_from_bytes(<legacy stream>), 0, (2,), (1,), False, OrderedDict())`. */
function pickledTensor(storageArg: (p: P) => P): Buffer {
  return storageArg(
    new P().proto(2).global('torch._utils', '_rebuild_tensor_v2').mark().global('torch.storage', '_load_from_bytes'),
  )
    .tuple1()
    .reduce()
    .int(0)
    .int(2)
    .tuple1()
    .int(1)
    .tuple1()
    .raw([0x89])
    .global('collections', 'OrderedDict')
    .emptyTuple()
    .reduce()
    .tuple()
    .reduce()
    .stop()
    .bytes();
}

describe('severities by effect', () => {
  test('constructors that write or truncate files, open connections or start processes are errors, by REDUCE and by NEWOBJ', async () => {
    const names: [string, string][] = [
      ['gzip', 'GzipFile'],
      ['bz2', 'BZ2File'],
      ['lzma', 'LZMAFile'],
      ['io', 'FileIO'],
      ['_pyio', 'FileIO'],
      ['logging', 'FileHandler'],
      ['zipfile', 'ZipFile'],
      ['tarfile', 'TarFile'],
      ['sqlite3', 'connect'],
      ['wave', 'open'],
      ['mailbox', 'mbox'],
      ['shelve', 'open'],
      ['smtplib', 'SMTP'],
      ['ftplib', 'FTP'],
      ['socket', 'socket'],
      ['logging.handlers', 'SocketHandler'],
      ['multiprocessing.connection', 'Client'],
      ['numpy', 'memmap'],
      ['torch', 'from_file'],
      ['fcntl', 'ioctl'],
    ];
    for (const [m, n] of names) {
      for (const op of ['R', '\x81']) {
        const b = new P().proto(2).global(m, n).mark().unicode('/tmp/x').unicode('wb').tuple().raw(op).stop().bytes();
        const r = await scanBytes(b, 'x.pkl');
        assert.ok(
          r.findings.some((f) => f.severity === 'error' && f.ruleId === 'scan/pickle-dangerous-import'),
          `${m}.${n} by ${op === 'R' ? 'REDUCE' : 'NEWOBJ'}: ${rules(r).join(', ')}`,
        );
      }
    }
    const skip = loaderSkip();
    if (!skip) {
      // GzipFile(path, 'wb') creates the file while loading: the "marker" is the file it writes.
      const dir = tempDir();
      const marker = path.join(dir, 'written.gz');
      const file = path.join(dir, 'g.pkl');
      fs.writeFileSync(
        file,
        new P()
          .proto(2)
          .global('gzip', 'GzipFile')
          .mark()
          .unicode(marker)
          .unicode('wb')
          .tuple()
          .reduce()
          .stop()
          .bytes(),
      );
      assert.ok(loaderRan(file, marker, 'import pickle\npickle.load(open(path, "rb"))').ran);
    }
  });

  test('harmless standard-library constructors are allowed: an argparse.Namespace holding a compiled pattern, paths, numbers', async () => {
    const b = new P()
      .proto(2)
      .global('argparse', 'Namespace')
      .emptyTuple()
      .reduce()
      .raw('}')
      .mark()
      .binunicode('pattern')
      .global('re', '_compile')
      .binunicode('a+b')
      .int(0)
      .raw([0x86])
      .reduce()
      .binunicode('out')
      .global('pathlib', 'PosixPath')
      .binunicode('runs')
      .tuple1()
      .reduce()
      .binunicode('lr')
      .global('decimal', 'Decimal')
      .binunicode('0.1')
      .tuple1()
      .reduce()
      .raw('u')
      .build()
      .stop()
      .bytes();
    const r = await scanBytes(b, 'args.pkl');
    assert.deepEqual(
      r.findings.filter((f) => f.severity !== 'info').map((f) => `${f.ruleId}: ${f.message}`),
      [],
    );
    const skip = loaderSkip();
    if (!skip) {
      const dir = tempDir();
      const file = path.join(dir, 'args.pkl');
      fs.writeFileSync(file, b);
      const out = loaderRan(file, path.join(dir, 'never'), 'import pickle\nprint(pickle.load(open(path, "rb")))');
      assert.match(out.output, /Namespace\(/, 'the hand-made pickle is what Python writes for such a namespace');
    }
  });

  test('pickle.dumps(tensor): the nested legacy stream is scanned and its verdict decides, not the generic loader finding', async () => {
    const clean = await scanBytes(
      pickledTensor((p) => p.binbytes(legacyTorchStream())),
      'tensor.pkl',
    );
    assert.deepEqual(
      clean.findings.filter((f) => f.severity !== 'info').map((f) => `${f.ruleId}: ${f.message}`),
      [],
    );
    assert.ok(clean.findings.some((f) => f.ruleId === 'scan/nested-pickle' && /scanned completely/.test(f.message)));
    assert.equal(clean.complete, true);
    // The same call with a payload inside the nested stream: the nested stream's error decides.
    const evil = await scanBytes(
      pickledTensor((p) => p.binbytes(legacyTorchStream(payloadAfter(Buffer.from([0x80, 2]), '/x')))),
      'tensor.pkl',
    );
    assert.ok(
      evil.findings.some((f) => f.severity === 'error' && f.member?.includes('#nested@')),
      rules(evil).join(', '),
    );
    // A computed argument cannot be scanned: the loader stays an error.
    const computed = await scanBytes(
      pickledTensor((p) =>
        p.global('zlib', 'decompress').binbytes(zlib.deflateSync(legacyTorchStream())).tuple1().reduce(),
      ),
      'tensor.pkl',
    );
    assert.ok(
      computed.findings.some((f) => f.severity === 'error' && /_load_from_bytes/.test(f.message)),
      rules(computed).join(', '),
    );
    // A large storage (over the 1 MiB kept in memory) is read from the file.
    const bigStream = Buffer.concat([legacyTorchStream(), Buffer.alloc(2 << 20)]);
    const big = await scanBytes(
      pickledTensor((p) => p.binbytes(bigStream)),
      'tensor.pkl',
    );
    assert.deepEqual(
      big.findings.filter((f) => f.severity !== 'info').map((f) => `${f.ruleId}: ${f.message}`),
      [],
    );
  });
});

/**
 * The same payload pickle (`exec` writing `ran.marker` in the working folder) split in two and
 * compressed as two back-to-back streams by Python 3.11's bz2 and lzma modules (Node has no
 * encoders for these): `bz2.compress(a) + bz2.compress(b)`, `lzma.compress(a) + lzma.compress(b)`,
 * the same with `format=lzma.FORMAT_ALONE`.
 */
const TWO_STREAMS = {
  bzip2:
    'QlpoOTFBWSZTWeKqmuEAAAXBwBAQGCUOAEAAIAAxANNNBAAeobUBqAHi7kinChIcVVNcIEJaaDkxQVkmU1kUKukeAAAN04AAEADlEQAqK9TAIAAxQNNDIyYhFPU8jNSMjYgXUwxPmzjrxBLgthaqf2I4Y4pPii26V78F3JFOFCQFCrpHgA==',
  xz: '/Td6WFoAAATm1rRGAgAhARYAAAB0L+WjAQALgAJjYnVpbHRpbnMKAF5vU5iwTNyJAAEkDKYY2NgftvN9AQAAAAAEWVr9N3pYWgAABObWtEYCACEBFgAAAHQv5aMBAC1leGVjCihWb3BlbigncmFuLm1hcmtlcicsJ3cnKS53cml0ZSgncmFuJykKdFIuAAAAdYZCXlX4MGsAAUYuZ1BzWh+2830BAAAAAARZWg==',
  lzma: 'XQAAgAD//////////wBAAIgC8sNpkbqYCMF2X+c5f//PgQAAXQAAgAD//////////wAyngjNq130IoMI10suW4A5UxNXusHEZGQA7DRpFOkZ3IV+5i7B9cMxjKTfWri2LwP//q+YAA==',
} as const;

describe('compression read to the end, as Python reads it', () => {
  test('gzip members separated by zero padding: the second member is read (gzip.open reads it)', async () => {
    const dir = tempDir();
    const marker = path.join(dir, 'marker');
    const pkl = payloadAfter(Buffer.from([0x80, 2]), marker);
    const split = 12;
    const gz = Buffer.concat([
      zlib.gzipSync(pkl.subarray(0, split)),
      Buffer.alloc(7),
      zlib.gzipSync(pkl.subarray(split)),
    ]);
    const r = await scanBytes(gz, 'model.pkl.gz');
    assert.ok(dangerous(r), rules(r).join(', '));
    assert.equal(r.complete, true, rules(r).join(', '));
    // Bytes after the last member that are not gzip: reported, not scanned as data.
    const tail = await scanBytes(Buffer.concat([gz, Buffer.from('garbage')]), 'model.pkl.gz');
    assert.ok(rules(tail).includes('scan/trailing-data'));
    if (!loaderSkip()) {
      const file = path.join(dir, 'model.pkl.gz');
      fs.writeFileSync(file, gz);
      assert.ok(loaderRan(file, marker, 'import gzip, pickle\npickle.load(gzip.open(path))').ran);
    }
  });

  test('bzip2, xz and lzma-alone data of two streams: the second stream is read (bz2.open / lzma.open read it)', async () => {
    const dir = tempDir();
    const marker = path.join(dir, 'ran.marker');
    for (const [format, b64] of Object.entries(TWO_STREAMS)) {
      const bytes = Buffer.from(b64, 'base64');
      const r = await scanBytes(bytes, `model.pkl.${format}`);
      assert.equal(r.format, format);
      assert.ok(dangerous(r), `${format}: ${rules(r).join(', ')}`);
      assert.equal(r.complete, true, `${format}: ${r.findings.map((f) => f.message).join(' | ')}`);
      if (!loaderSkip()) {
        const file = path.join(dir, `m.${format}`);
        fs.writeFileSync(file, bytes);
        const open = format === 'bzip2' ? 'import bz2 as z' : 'import lzma as z';
        assert.ok(loaderRan(file, marker, `${open}, pickle\npickle.load(z.open(path))`).ran, format);
      }
    }
  });

  test("joblib's legacy ZF zfile header: the zlib data after the padded hex length is scanned (joblib.load reads it)", async () => {
    const dir = tempDir();
    const marker = path.join(dir, 'marker');
    const pkl = payloadAfter(Buffer.from([0x80, 2]), marker);
    const n = pkl.length.toString(16);
    // joblib reads the length with int(x, 16): with or without 0x, any case, whitespace, a sign, underscores.
    for (const length of [`0x${n}`, n, ` 0X${n.toUpperCase()}`, `+0x_${n}`, `\t${n}\n`]) {
      const zf = Buffer.concat([Buffer.from(`ZF${length.padEnd(19)}`, 'latin1'), zlib.deflateSync(pkl)]);
      const r = await scanBytes(zf, 'model.pkl');
      assert.equal(r.format, 'zlib', JSON.stringify(length));
      assert.ok(dangerous(r), rules(r).join(', '));
      assert.equal(r.complete, true, r.findings.map((f) => f.message).join(' | '));
      if (!loaderSkip('joblib')) {
        const file = path.join(dir, 'model.pkl');
        fs.writeFileSync(file, zf);
        assert.ok(loaderRan(file, marker, 'import joblib\njoblib.load(path)').ran, JSON.stringify(length));
      }
    }
  });
});

describe('embedded programs are decoded and read', () => {
  test('TorchScript code: __setstate__, torch.from_file, custom torch.ops and aten::save are errors naming the operator; plain code is not', async () => {
    const { makeZip } = await import('./build.ts');
    const constants = new P().proto(2).emptyTuple().stop().bytes();
    const archive = (code: string) =>
      makeZip([
        { name: 'm/data.pkl', data: new P().proto(2).none().stop().bytes() },
        { name: 'm/constants.pkl', data: constants },
        { name: 'm/code/__torch__/m.py', data: Buffer.from(code), deflate: true },
      ]);
    const plain = await scanBytes(
      archive(
        'class M(Module):\n  __parameters__ = []\n  def forward(self: __torch__.M, x: Tensor) -> Tensor:\n    return torch.add(x, 1)  # torch.save(x) in a comment\n',
      ),
      'm.pt',
    );
    assert.equal(plain.format, 'torchscript');
    assert.ok(!rules(plain).includes('scan/torchscript-code'), plain.findings.map((f) => f.message).join(' | '));
    const hook = await scanBytes(
      archive(
        'class M(Module):\n  def __setstate__(self: __torch__.M, state: Tuple[int]) -> NoneType:\n    _0 = torch.from_file("/etc/cron.d/x", True, 100)\n    return None\n  def forward(self: __torch__.M, x: Tensor) -> Tensor:\n    return ops.evil.run(x)\n',
      ),
      'm.pt',
    );
    const msgs = hook.findings
      .filter((f) => f.ruleId === 'scan/torchscript-code' && f.severity === 'error')
      .map((f) => f.message);
    assert.ok(
      msgs.some((m) => /defines __setstate__/.test(m)),
      msgs.join(' | '),
    );
    assert.ok(
      msgs.some((m) => /torch\.from_file in __setstate__/.test(m)),
      msgs.join(' | '),
    );
    assert.ok(
      msgs.some((m) => /ops\.evil\.run/.test(m)),
      msgs.join(' | '),
    );
    const aten = await scanBytes(
      makeZip([
        { name: 'm/constants.pkl', data: constants },
        {
          name: 'm/code/__torch__/m.py',
          data: Buffer.from('def forward(self, x):\n  return torch.ops.aten.save(x, "/tmp/x")\n'),
        },
      ]),
      'm.ptl',
    );
    assert.ok(
      aten.findings.some((f) => f.ruleId === 'scan/torchscript-code' && /aten::save|aten\.save/.test(f.message)),
      rules(aten).join(', '),
    );
  });

  test('Keras TorchModuleWrapper: the base64 torch.save in its config is decoded and scanned', async () => {
    const { makeZip } = await import('./build.ts');
    const torchSave = makeZip([
      { name: 'archive/data.pkl', data: payloadAfter(Buffer.from([0x80, 2]), '/x') },
      { name: 'archive/byteorder', data: Buffer.from('little') },
    ]);
    const config = {
      module: 'keras',
      class_name: 'Sequential',
      config: {
        layers: [
          {
            module: 'keras.layers',
            class_name: 'TorchModuleWrapper',
            config: { name: 'torch_module_wrapper', module: torchSave.toString('base64'), output_shape: null },
          },
        ],
      },
    };
    const keras = makeZip([
      { name: 'metadata.json', data: Buffer.from('{"keras_version": "3.11.1"}') },
      { name: 'config.json', data: Buffer.from(JSON.stringify(config)), deflate: true },
      { name: 'model.weights.h5', data: Buffer.from('\x89HDF\r\n\x1a\n', 'latin1') },
    ]);
    const r = await scanBytes(keras, 'model.keras');
    assert.equal(r.format, 'keras');
    const nested = r.findings.filter(
      (f) => f.severity === 'error' && f.member?.includes('#TorchModuleWrapper:torch_module_wrapper'),
    );
    assert.ok(
      nested.some((f) => f.ruleId === 'scan/pickle-dangerous-import'),
      r.findings.map((f) => `${f.ruleId} ${f.member}: ${f.message}`).join('\n'),
    );
  });
});

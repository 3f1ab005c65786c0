// `npm run fuzz`: property tests (fast-check) and a mutation fuzzer seeded with the scanner's
// fixtures, for every parser that meets attacker bytes: the pickle machine, zip and tar readers,
// gzip/bz2/xz/zlib wrappers, safetensors, GGUF, npy and Keras config, and the whole scan.
// Each case must not throw (where the API promises not to), must finish within 1 s, and the heap
// must stay bounded. A failing case is written to test/fixtures/scan/fuzz/ and the run exits 1.
//
//   npm run fuzz                       # every parser, 100,000 cases each
//   npm run fuzz -- --cases 5000 --parser pickle --seed 42
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { checkKerasConfig, findH5ModelConfig } from '../src/core/scan/formats/keras.ts';
import { parseNpyHeader } from '../src/core/scan/formats/npy.ts';
import { validateGguf } from '../src/core/scan/formats/gguf.ts';
import { validateSafetensors } from '../src/core/scan/formats/safetensors.ts';
import { listTar } from '../src/core/scan/formats/tar.ts';
import { listZip } from '../src/core/scan/formats/zip.ts';
import { BufferAccess } from '../src/core/scan/io/source.ts';
import { readPickle } from '../src/core/scan/pickle/index.ts';
import { scanBytes } from '../src/core/scan/scanner.ts';
import { P, makeGguf, makeSafetensors, makeZip, p0Call, p4Call } from '../test/unit/scan/build.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const REAL = path.join(ROOT, 'test', 'fixtures', 'scan', 'real');
const OUT = path.join(ROOT, 'test', 'fixtures', 'scan', 'fuzz');
const CASE_MS = 1000;
const HEAP_LIMIT = 400 * 1024 * 1024;

export interface Parser {
  name: string;
  seeds: () => Buffer[];
  /** Must resolve (never reject) for any input. */
  run: (b: Buffer) => Promise<unknown> | unknown;
  /** Cases are lighter for parsers that decompress (each case spins up a decompressor). */
  weight?: number;
}

function real(filter: (f: string) => boolean): Buffer[] {
  if (!fs.existsSync(REAL)) return [];
  return fs
    .readdirSync(REAL)
    .filter(filter)
    .map((f) => fs.readFileSync(path.join(REAL, f)));
}

function hostilePickles(): Buffer[] {
  return [
    p0Call('os', 'system'),
    p4Call('builtins', 'eval'),
    new P().proto(4).frame(3).sbu('os').memoize().sbu('system').stackGlobal().emptyTuple().reduce().stop().bytes(),
    new P().proto(2).global('pickle', 'loads').binbytes(p4Call('os', 'system')).raw([0x85]).reduce().stop().bytes(),
    new P().proto(2).raw([0x82, 1]).emptyTuple().reduce().stop().bytes(),
    Buffer.concat([new P().proto(2).op('}').stop().bytes(), Buffer.from([0xff]), p4Call('os', 'system')]),
  ];
}

const tarSeed = (): Buffer => {
  const h = Buffer.alloc(512);
  const data = p4Call('os', 'system');
  h.write('pickle', 0);
  h.write('0000644\0', 100);
  h.write(data.length.toString(8).padStart(11, '0') + '\0', 124);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('        ', 148);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return Buffer.concat([h, data, Buffer.alloc(512 - data.length), Buffer.alloc(1024)]);
};

export const PARSERS: Parser[] = [
  {
    name: 'pickle',
    seeds: () => [...real((f) => /\.pkl$|legacy/.test(f)), ...hostilePickles()],
    run: (b) => readPickle(b, { limits: { maxOpcodes: 2_000_000 } }),
  },
  {
    name: 'zip',
    seeds: () => [
      ...real((f) => /\.(pt|npz)$/.test(f) && !/legacy/.test(f)),
      makeZip([{ name: 'a/data.pkl', data: p4Call('os', 'system'), deflate: true }]),
    ],
    run: (b) => listZip(new BufferAccess(b), 1000),
  },
  { name: 'tar', seeds: () => [tarSeed()], run: (b) => listTar(new BufferAccess(b), 1000) },
  {
    name: 'compressed',
    seeds: () => [
      ...real((f) => /\.(gz|bz2|xz)$|_(zlib|gzip|bz2|xz)\.joblib$/.test(f)),
      zlib.gzipSync(p4Call('os', 'system')),
    ],
    run: (b) => scanBytes(b, 'fuzz.bin'),
    weight: 4,
  },
  {
    name: 'safetensors',
    seeds: () => [
      makeSafetensors({ a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] }, __metadata__: { k: 'v' } }, 16),
    ],
    run: (b) => validateSafetensors(new BufferAccess(b)),
  },
  {
    name: 'gguf',
    seeds: () => [
      makeGguf(
        [
          ['general.architecture', 'llama'],
          ['general.alignment', 32],
          ['tokenizer.chat_template', '{{ x }}'],
        ],
        [{ name: 'w', dims: [32, 2] }],
      ),
    ],
    run: (b) => validateGguf(new BufferAccess(b)),
  },
  { name: 'npy', seeds: () => real((f) => f.endsWith('.npy')), run: (b) => parseNpyHeader(b) },
  {
    name: 'keras',
    seeds: () => [
      Buffer.from(
        JSON.stringify({
          class_name: 'Sequential',
          config: {
            layers: [
              { class_name: 'Lambda', module: 'keras.layers', config: { name: 'l', function: 'x' } },
              { class_name: 'Dense', module: 'evil', registered_name: 'e>D', config: {} },
            ],
          },
        }),
      ),
    ],
    run: (b) => {
      const s = b.toString('utf8');
      checkKerasConfig(s, 0);
      findH5ModelConfig(b);
    },
  },
  {
    name: 'scan',
    seeds: () => [...real(() => true), ...hostilePickles()],
    run: (b) => scanBytes(b, 'fuzz.bin'),
    weight: 2,
  },
];

/** Deterministic PRNG (mulberry32) so a run can be repeated with --seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INTERESTING: Buffer[] = [
  Buffer.from([0xff, 0xff, 0xff, 0xff]),
  Buffer.from([0, 0, 0, 0, 0, 0, 0, 0x40]),
  Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]),
  Buffer.from([0, 0, 0, 0x80]),
  Buffer.from([0x28]),
  Buffer.from([0x80, 0x05]),
  Buffer.from('PK\x03\x04', 'latin1'),
  Buffer.from('PK\x05\x06', 'latin1'),
  Buffer.from([0x1f, 0x8b]),
  Buffer.from('GGUF'),
  Buffer.from('\x93NUMPY', 'latin1'),
  Buffer.from('cos\nsystem\n'),
  Buffer.from([0x95, 1, 0, 0, 0, 0, 0, 0, 0]),
];

/** One mutation of a seed: bit flips, byte edits, splices, length-field overwrites, truncation. */
export function mutate(seed: Buffer, rand: () => number, pool: Buffer[]): Buffer {
  let b = Buffer.from(seed);
  const n = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < n; i++) {
    const at = b.length ? Math.floor(rand() * b.length) : 0;
    switch (Math.floor(rand() * 8)) {
      case 0:
        if (b.length) b[at] ^= 1 << Math.floor(rand() * 8);
        break;
      case 1:
        if (b.length) b[at] = Math.floor(rand() * 256);
        break;
      case 2:
        b = Buffer.concat([b.subarray(0, at), Buffer.from([Math.floor(rand() * 256)]), b.subarray(at)]);
        break;
      case 3:
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + Math.floor(rand() * 8)))]);
        break;
      case 4: {
        const x = INTERESTING[Math.floor(rand() * INTERESTING.length)];
        b = Buffer.concat([b.subarray(0, at), x, b.subarray(Math.min(b.length, at + x.length))]);
        break;
      }
      case 5:
        b = b.subarray(0, at);
        break;
      case 6: {
        const o = pool[Math.floor(rand() * pool.length)];
        const s = Math.floor(rand() * o.length);
        b = Buffer.concat([b.subarray(0, at), o.subarray(s, s + 1 + Math.floor(rand() * 64))]);
        break;
      }
      default: {
        const x = b.subarray(at, at + 1 + Math.floor(rand() * 16));
        b = Buffer.concat([b.subarray(0, at), x, x, b.subarray(at + x.length)]);
        break;
      }
    }
  }
  return b;
}

export interface FuzzReport {
  parser: string;
  cases: number;
  failures: { file: string; why: string }[];
  slowestMs: number;
  peakHeapMB: number;
}

async function check(
  p: Parser,
  input: Buffer,
  failures: FuzzReport['failures'],
  stats: { slowest: number },
  save: boolean,
  caseMs: number,
): Promise<void> {
  const t = performance.now();
  let why: string | undefined;
  try {
    await p.run(input);
  } catch (e) {
    why = `threw: ${(e as Error)?.stack ?? String(e)}`;
  }
  let ms = performance.now() - t;
  if (!why && ms > caseMs) {
    // A slow case is timed once more: a GC pause or a busy machine should not count, an input
    // that is really slow is slow twice.
    const t2 = performance.now();
    try {
      await p.run(input);
    } catch {
      /* reported by the first run if it threw */
    }
    ms = Math.min(ms, performance.now() - t2);
  }
  stats.slowest = Math.max(stats.slowest, ms);
  if (!why && ms > caseMs) why = `took ${ms.toFixed(0)} ms (limit ${caseMs} ms)`;
  if (why) {
    const hash = crypto.createHash('sha256').update(input).digest('hex').slice(0, 16);
    const file = path.join(OUT, `${p.name}-${hash}.bin`);
    if (save) {
      fs.mkdirSync(OUT, { recursive: true });
      fs.writeFileSync(file, input);
    }
    if (failures.length < 20)
      failures.push({ file: path.relative(ROOT, file), why: why.split('\n').slice(0, 4).join(' | ') });
  }
}

/**
 * Runs `cases` cases for one parser: fast-check properties first, then seeded mutations. A case
 * slower than `caseMs` (twice) is a failure; the unit smoke test passes Infinity, as a wall-clock
 * limit in a test flakes on a loaded machine.
 */
export async function fuzzParser(
  p: Parser,
  cases: number,
  seed: number,
  save = true,
  caseMs = CASE_MS,
): Promise<FuzzReport> {
  const failures: FuzzReport['failures'] = [];
  const stats = { slowest: 0 };
  let peak = 0;
  const seeds = p.seeds().filter((s) => s.length > 0);
  const pool = seeds.length ? seeds : [Buffer.from('.')];
  // Previously failing cases are replayed first (they are fixtures now).
  if (fs.existsSync(OUT))
    for (const f of fs.readdirSync(OUT).filter((x) => x.startsWith(`${p.name}-`)))
      await check(p, fs.readFileSync(path.join(OUT, f)), failures, stats, false, caseMs);
  const propertyCases = Math.floor(cases / 5);
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (arr) => {
      await check(p, Buffer.from(arr), failures, stats, save, caseMs);
      return true;
    }),
    { numRuns: Math.floor(propertyCases / 2), seed },
  );
  // Structured: valid-looking prefixes with random tails.
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: pool.length - 1 }),
      fc.nat(4096),
      fc.uint8Array({ maxLength: 256 }),
      async (i, cut, tail) => {
        const s = pool[i];
        await check(
          p,
          Buffer.concat([s.subarray(0, Math.min(cut, s.length)), Buffer.from(tail)]),
          failures,
          stats,
          save,
          caseMs,
        );
        return true;
      },
    ),
    { numRuns: propertyCases - Math.floor(propertyCases / 2), seed: seed + 1 },
  );
  const rand = rng(seed);
  for (let i = 0; i < cases - propertyCases; i++) {
    await check(p, mutate(pool[i % pool.length], rand, pool), failures, stats, save, caseMs);
    if (i % 2000 === 0) {
      const heap = process.memoryUsage().heapUsed;
      peak = Math.max(peak, heap);
      if (heap > HEAP_LIMIT) {
        failures.push({ file: '(heap)', why: `heap ${Math.round(heap / 1048576)} MB over ${HEAP_LIMIT / 1048576} MB` });
        break;
      }
    }
  }
  return { parser: p.name, cases, failures, slowestMs: stats.slowest, peakHeapMB: Math.round(peak / 1048576) };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (k: string): string | undefined => {
    const i = argv.indexOf(`--${k}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const cases = Number(arg('cases') ?? 100_000);
  const seed = Number(arg('seed') ?? Date.now() % 1_000_000);
  const only = arg('parser');
  const parsers = PARSERS.filter((p) => !only || p.name === only);
  if (!parsers.length) throw new Error(`unknown parser ${only}; one of ${PARSERS.map((p) => p.name).join(', ')}`);
  console.log(`fuzzing ${parsers.map((p) => p.name).join(', ')}: ${cases} cases each, seed ${seed}`);
  let failed = 0;
  for (const p of parsers) {
    const t = Date.now();
    const r = await fuzzParser(p, cases, seed);
    console.log(
      `${r.failures.length ? 'FAIL' : 'ok  '} ${p.name}: ${r.cases} cases in ${((Date.now() - t) / 1000).toFixed(1)} s, slowest ${r.slowestMs.toFixed(1)} ms, peak heap ${r.peakHeapMB} MB`,
    );
    for (const f of r.failures) console.log(`     ${f.file}: ${f.why}`);
    if (r.failures.length) failed++;
  }
  console.log(`${parsers.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename ?? '')) {
  main().catch((e) => {
    console.error(e);
    process.exit(2);
  });
}

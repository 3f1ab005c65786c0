// Converter benchmark (issue "Toward safetensors"): converting a 1 GiB PyTorch checkpoint to
// safetensors, as a ratio to copying the same file, measured in the same run on the same disk.
//   baseline  a streamed copy (8 MiB reads and writes) followed by fsync: the I/O any converter
//             must do at least once (read the checkpoint, write the new file durably)
//   subject   convertCheckpoint: read the pickle, write every tensor, fsync, re-open the result
//             with the safetensors validator and compare every tensor with the source again
// Also reported: fs.copyFile (may use copy_file_range, i.e. no user-space I/O at all) and the peak
// RSS during conversion (bounded memory: storages are streamed in 8 MiB chunks).
// Run alone: `node --import tsx scripts/bench-convert.ts [MiB]`; `npm run bench` runs it too.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { convertCheckpoint } from '../src/core/convert/convert.ts';

export interface BenchLine {
  name: string;
  value: number;
  unit: string;
  goal?: string;
  ok?: boolean;
}

const MiB = 1024 * 1024;

const le32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n);
  return b;
};
const str = (s: string): Buffer => Buffer.concat([Buffer.from('X'), le32(Buffer.byteLength(s)), Buffer.from(s)]);

/** data.pkl as torch.save writes it (protocol 2): an OrderedDict of `_rebuild_tensor_v2` calls on float storages. */
function statePickle(tensors: number, numel: number): Buffer {
  const parts: Buffer[] = [Buffer.from([0x80, 2]), Buffer.from('ccollections\nOrderedDict\n)R(', 'latin1')];
  for (let i = 0; i < tensors; i++) {
    parts.push(str(`layers.${i}.weight`), Buffer.from('ctorch._utils\n_rebuild_tensor_v2\n((', 'latin1'));
    parts.push(
      str('storage'),
      Buffer.from('ctorch\nFloatStorage\n', 'latin1'),
      str(String(i)),
      str('cpu'),
      Buffer.from('J'),
      le32(numel),
      Buffer.from('tQ', 'latin1'),
    );
    parts.push(
      Buffer.from('K\x00J', 'latin1'),
      le32(numel / 1024),
      Buffer.from('M\x00\x04\x86J', 'latin1'),
      le32(1024),
      Buffer.from('K\x01\x86\x89ccollections\nOrderedDict\n)RtR', 'latin1'),
    );
  }
  parts.push(Buffer.from('u.'));
  return Buffer.concat(parts);
}

/** A stored (uncompressed) zip, written member by member: the layout torch.save produces. */
function writeCheckpoint(file: string, totalMiB: number): void {
  const tensorMiB = 16;
  const tensors = Math.max(1, Math.floor(totalMiB / tensorMiB));
  const numel = (tensorMiB * MiB) / 4;
  const fd = fs.openSync(file, 'w');
  const central: Buffer[] = [];
  let offset = 0;
  const random = crypto.randomBytes(tensorMiB * MiB);
  const add = (name: string, data: Buffer): void => {
    const n = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(n.length, 26);
    fs.writeSync(fd, local);
    fs.writeSync(fd, n);
    fs.writeSync(fd, data);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(20, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt32LE(crc, 16);
    c.writeUInt32LE(data.length, 20);
    c.writeUInt32LE(data.length, 24);
    c.writeUInt16LE(n.length, 28);
    c.writeUInt32LE(offset, 42);
    central.push(c, n);
    offset += 30 + n.length + data.length;
  };
  add('bench/data.pkl', statePickle(tensors, numel));
  for (let i = 0; i < tensors; i++) {
    random.writeUInt32LE(i, 0); // distinct storages
    add(`bench/data/${i}`, random);
  }
  add('bench/version', Buffer.from('3\n'));
  const cd = Buffer.concat(central);
  fs.writeSync(fd, cd);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(central.length / 2, 8);
  end.writeUInt16LE(central.length / 2, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  fs.writeSync(fd, end);
  fs.closeSync(fd);
}

async function streamedCopy(from: string, to: string): Promise<void> {
  const src = await fs.promises.open(from, 'r');
  const dst = await fs.promises.open(to, 'wx');
  const buf = Buffer.allocUnsafe(8 * MiB);
  try {
    for (let pos = 0; ;) {
      const { bytesRead } = await src.read(buf, 0, buf.length, pos);
      if (!bytesRead) break;
      await dst.write(buf, 0, bytesRead);
      pos += bytesRead;
    }
    await dst.sync();
  } finally {
    await src.close();
    await dst.close();
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

export async function convertBenchmarks(totalMiB = 1024): Promise<BenchLine[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-bench-convert-'));
  try {
    const input = path.join(dir, 'pytorch_model.bin');
    writeCheckpoint(input, totalMiB);
    const size = fs.statSync(input).size;
    const copyOut = path.join(dir, 'copy.bin');
    const convOut = path.join(dir, 'model.safetensors');
    const rm = () => {
      fs.rmSync(copyOut, { force: true });
      fs.rmSync(convOut, { force: true });
    };
    let copy = Infinity;
    let cp = Infinity;
    let conv = Infinity;
    let peakRss = 0;
    for (let round = 0; round < 2; round++) {
      rm();
      copy = Math.min(copy, await timed(() => streamedCopy(input, copyOut)));
      rm();
      cp = Math.min(cp, await timed(() => fs.promises.copyFile(input, copyOut)));
      rm();
      const sampler = setInterval(() => {
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
      }, 20);
      conv = Math.min(
        conv,
        await timed(async () => {
          const r = await convertCheckpoint(input, { output: convOut });
          if (!r.ok) throw new Error(`conversion failed: ${JSON.stringify(r.findings)}`);
        }),
      );
      clearInterval(sampler);
    }
    const ratio = conv / copy;
    return [
      {
        name: `convert ${(size / MiB).toFixed(0)} MiB checkpoint (write + fsync + validate + compare)`,
        value: conv,
        unit: 'ms',
      },
      { name: 'baseline: streamed copy of the same file + fsync', value: copy, unit: 'ms' },
      { name: 'convert / streamed copy', value: ratio, unit: '×', goal: '≤ 3×', ok: ratio <= 3 },
      { name: 'convert / fs.copyFile (kernel copy, no fsync)', value: conv / cp, unit: '×' },
      { name: 'throughput', value: size / MiB / (conv / 1000), unit: 'MiB/s' },
      {
        name: 'peak RSS while converting',
        value: peakRss / MiB,
        unit: 'MiB',
        goal: '< 300 MiB',
        ok: peakRss < 300 * MiB,
      },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function printLines(lines: BenchLine[]): void {
  for (const l of lines) {
    const v = l.unit === '×' ? l.value.toFixed(2) : l.value.toFixed(0);
    console.log(`${l.name}: ${v} ${l.unit}${l.goal ? `  (goal ${l.goal}: ${l.ok ? 'met' : 'MISSED'})` : ''}`);
  }
}

if (process.argv[1] && /bench-convert\.ts$/.test(process.argv[1])) {
  convertBenchmarks(Number(process.argv[2] ?? 1024)).then(printLines, (e) => {
    console.error(e);
    process.exitCode = 1;
  });
}

/** Called by scripts/bench.ts (`npm run bench`, or `npm run bench -- convert`). */
export async function runFromBench(json: boolean): Promise<void> {
  const lines = await convertBenchmarks();
  if (json) console.log(JSON.stringify({ convert: lines }, null, 2));
  else {
    console.log('convert: 1 GiB PyTorch checkpoint → safetensors');
    printLines(lines);
  }
  if (lines.some((l) => l.ok === false)) process.exitCode = 1;
}

/** Small model artifacts made in the tests: tar archives, safetensors, a pickle that runs code, zstd frames. */
import zlib from 'node:zlib';
import { P } from '../scan/build.ts';

export function tarOf(files: { name: string; data: Buffer; type?: string; link?: string }[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    const h = Buffer.alloc(512);
    h.write(f.name, 0, 100, 'utf8');
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    const size = f.type && f.type !== '0' ? 0 : f.data.length;
    h.write(size.toString(8).padStart(11, '0') + '\0', 124);
    h.write('00000000000\0', 136);
    h.write('        ', 148);
    h.write(f.type ?? '0', 156);
    if (f.link) h.write(f.link, 157, 100, 'utf8');
    h.write('ustar\0', 257);
    h.write('00', 263);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    parts.push(h);
    if (size) {
      parts.push(f.data);
      parts.push(Buffer.alloc((512 - (size % 512)) % 512));
    }
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** A valid safetensors file: one F32 tensor of `n` elements. */
export function safetensors(n = 4): Buffer {
  const header = Buffer.from(
    JSON.stringify({ weight: { dtype: 'F32', shape: [n], data_offsets: [0, n * 4] }, __metadata__: { format: 'pt' } }),
  );
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([len, header, Buffer.alloc(n * 4)]);
}

/** A pickle that calls os.system when loaded. */
export function evilPickle(): Buffer {
  return new P().proto(2).global('os', 'system').unicode('id').tuple1().reduce().stop().bytes();
}

export function gzip(b: Buffer): Buffer {
  return zlib.gzipSync(b);
}

/** A zstd frame made of raw (stored) blocks: valid Zstandard, no compressor needed. */
export function zstdStored(data: Buffer): Buffer {
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38])];
  const max = 128 * 1024;
  for (let off = 0; off < data.length || off === 0; off += max) {
    const chunk = data.subarray(off, Math.min(data.length, off + max));
    const last = off + max >= data.length ? 1 : 0;
    const v = last | (0 << 1) | (chunk.length << 3);
    parts.push(Buffer.from([v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff]), chunk);
    if (data.length === 0) break;
  }
  return Buffer.concat(parts);
}

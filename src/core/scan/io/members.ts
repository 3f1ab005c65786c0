/**
 * gzip and zlib data read the way Python reads them, member after member: `gzip.open`/GzipFile
 * reads every member and skips zero padding between them; joblib's zlib files (and the legacy
 * "ZF" zfile header) continue into a following zlib stream. Node's own Gunzip stops at the first
 * zero byte, so members are framed here and each deflate stream is inflated by node:zlib.
 */
import { setImmediate as tick } from 'node:timers/promises';
import zlib from 'node:zlib';
import type { ByteStream } from './source.ts';

export class CompressedDataError extends Error {}

/** What the member loop found after the last member (reported by the caller, never scanned as data). */
export interface MemberInfo {
  members: number;
  /** Bytes after the last member that are neither padding nor another member: Python stops (or raises) there. */
  trailing?: { offset: number; bytes: number };
}

/** A ByteStream with bytes pushed back in front (what an inflater did not consume). */
class Reader {
  private front: Buffer[] = [];
  offset = 0;
  constructor(private readonly src: ByteStream) {}
  unshift(b: Buffer): void {
    if (b.length) {
      this.front.unshift(b);
      this.offset -= b.length;
    }
  }
  async next(max = 16 << 10): Promise<Buffer | null> {
    let b = this.front.shift() ?? (await this.src.next(max));
    if (!b) return null;
    if (b.length > max) {
      this.front.unshift(b.subarray(max));
      b = b.subarray(0, max);
    }
    this.offset += b.length;
    return b;
  }
  /** Exactly n bytes, or fewer at the end of the input. */
  async take(n: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let have = 0;
    while (have < n) {
      const b = await this.next(n - have);
      if (!b) break;
      parts.push(b);
      have += b.length;
    }
    return Buffer.concat(parts, have);
  }
  async cstring(): Promise<void> {
    for (;;) {
      const b = await this.next(1);
      if (!b) throw new CompressedDataError('gzip header is truncated');
      if (b[0] === 0) return;
    }
  }
}

/**
 * Inflates one deflate (raw) or zlib stream from the reader and pushes back what follows it.
 * Input goes in small pieces, so one piece of a bomb yields at most a few MB before the caller's cap.
 */
async function* inflateOne(reader: Reader, raw: boolean, onBytes?: (b: Buffer) => void): AsyncGenerator<Buffer> {
  const inf = raw ? zlib.createInflateRaw() : zlib.createInflate();
  const out: Buffer[] = [];
  let ended = false;
  let error: Error | undefined;
  let wake: (() => void) | undefined;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  inf.on('data', (d: Buffer) => out.push(d));
  inf.on('end', () => {
    ended = true;
    poke();
  });
  inf.on('error', (e: Error) => {
    error = e;
    poke();
  });
  inf.on('close', poke);
  /** Resolves when the write was processed, or the inflater ended, failed or closed (a write callback may then never come). */
  const write = (chunk: Buffer) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      inf.write(chunk, () => poke());
    });
  let fed = 0;
  let last: Buffer = Buffer.alloc(0);
  try {
    while (!ended) {
      const chunk = await reader.next(4096);
      if (!chunk) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          inf.end();
          if (ended || error) poke();
        });
        for (let i = 0; i < 1000 && !ended && !error; i++) await tick();
        if (!ended && !error) error = new Error('the deflate stream does not end');
        if (error)
          throw new CompressedDataError(`${raw ? 'gzip' : 'zlib'} data is truncated or corrupt (${error.message})`);
        break;
      }
      last = chunk;
      fed += chunk.length;
      if (!ended && !error && !inf.destroyed) await write(chunk);
      await tick();
      if (error) throw new CompressedDataError(`${raw ? 'gzip' : 'zlib'} data is corrupt (${error.message})`);
      while (out.length) {
        const b = out.shift()!;
        onBytes?.(b);
        yield b;
      }
    }
    while (out.length) {
      const b = out.shift()!;
      onBytes?.(b);
      yield b;
    }
    const unused = fed - inf.bytesWritten;
    if (unused > 0) reader.unshift(last.subarray(last.length - unused));
  } finally {
    inf.destroy();
  }
}

/** Every gzip member, zero padding between members skipped, as Python's gzip module reads them. */
export async function* gzipChunks(src: ByteStream, info: MemberInfo = { members: 0 }): AsyncGenerator<Buffer> {
  const reader = new Reader(src);
  for (;;) {
    if (info.members > 0) {
      // After a member: zero bytes are padding; then another member, the end, or trailing garbage.
      for (;;) {
        const b = await reader.next(4096);
        if (!b) return;
        const nz = b.findIndex((x) => x !== 0);
        if (nz < 0) continue;
        reader.unshift(b.subarray(nz));
        break;
      }
    }
    const start = reader.offset;
    const h = await reader.take(10);
    if (h.length < 2 || h[0] !== 0x1f || h[1] !== 0x8b) {
      if (info.members === 0) throw new CompressedDataError('not gzip data');
      let bytes = h.length;
      for (let b = await reader.next(); b; b = await reader.next()) bytes += b.length;
      info.trailing = { offset: start, bytes };
      return;
    }
    yield* member(reader, h, info);
  }
}

async function* member(reader: Reader, h: Buffer, info: MemberInfo): AsyncGenerator<Buffer> {
  if (h.length < 10) throw new CompressedDataError('gzip header is truncated');
  if (h[2] !== 8) throw new CompressedDataError(`gzip compression method ${h[2]} is not deflate`);
  const flags = h[3];
  if (flags & 4) {
    const x = await reader.take(2);
    if (x.length < 2) throw new CompressedDataError('gzip header is truncated');
    await reader.take(x.readUInt16LE(0));
  }
  if (flags & 8) await reader.cstring();
  if (flags & 16) await reader.cstring();
  if (flags & 2) await reader.take(2);
  let crc = 0;
  let size = 0;
  yield* inflateOne(reader, true, (b) => {
    crc = zlib.crc32(b, crc);
    size += b.length;
  });
  const t = await reader.take(8);
  if (t.length < 8) throw new CompressedDataError('gzip member is truncated (no CRC/size trailer)');
  if (t.readUInt32LE(0) !== crc >>> 0 || t.readUInt32LE(4) !== size % 2 ** 32)
    throw new CompressedDataError('gzip member fails its CRC/size check (Python raises after reading it)');
  info.members++;
}

/** A zlib header (CMF/FLG) that Python's zlib accepts. */
function zlibHeader(b: Buffer): boolean {
  return b.length >= 2 && (b[0] & 0x0f) === 8 && b[0] >> 4 <= 7 && ((b[0] << 8) | b[1]) % 31 === 0;
}

/**
 * zlib data as joblib reads it: one stream after another while the bytes after a stream start
 * another. Legacy joblib zfiles start with "ZF", the length as 0x-hex padded to 19 characters, and
 * sometimes one more space (joblib numpy_pickle_compat.read_zfile).
 */
export async function* zlibChunks(src: ByteStream, info: MemberInfo = { members: 0 }): AsyncGenerator<Buffer> {
  const reader = new Reader(src);
  const head = await reader.take(22);
  if (head.length >= 21 && head[0] === 0x5a && head[1] === 0x46) {
    reader.unshift(head.subarray(head[21] === 0x20 ? 22 : 21));
  } else reader.unshift(head);
  for (;;) {
    const start = reader.offset;
    const h = await reader.take(2);
    if (h.length === 0 && info.members > 0) return;
    if (!zlibHeader(h)) {
      if (info.members === 0) throw new CompressedDataError('not zlib data');
      let bytes = h.length;
      for (let b = await reader.next(); b; b = await reader.next()) bytes += b.length;
      info.trailing = { offset: start, bytes };
      return;
    }
    reader.unshift(h);
    yield* inflateOne(reader, false);
    info.members++;
  }
}

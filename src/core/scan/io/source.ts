import fsSync from 'node:fs';
import type fs from 'node:fs/promises';
import { openRegularFile } from '../../fsutil/read.ts';

const SMALL_READ = 128 * 1024;
import type { Readable } from 'node:stream';

/**
 * Byte access for the scanner. Weight files reach hundreds of GB, so nothing here reads a whole
 * file: a `RandomAccess` serves positional reads (files, stored zip members, bounded buffers) and
 * a `ByteStream` serves sequential chunks (decompressed members, pickles).
 */
export interface RandomAccess {
  readonly size: number;
  /** Up to `length` bytes at `position` (fewer at the end). */
  read(position: number, length: number): Promise<Buffer>;
}

export interface ByteStream {
  /** The next chunk (at most `max` bytes if given), or null at the end. */
  next(max?: number): Promise<Buffer | null>;
  /** Skips `n` bytes without keeping them; returns how many were skipped (fewer at the end). */
  skip(n: number): Promise<number>;
}

export class BufferAccess implements RandomAccess {
  constructor(private readonly buf: Buffer) {}
  get size(): number {
    return this.buf.length;
  }
  async read(position: number, length: number): Promise<Buffer> {
    // Offsets come from attacker-controlled headers: anything outside the buffer reads as nothing.
    if (!(position >= 0) || position >= this.buf.length || !(length > 0)) return Buffer.alloc(0);
    return this.buf.subarray(position, Math.min(this.buf.length, position + length));
  }
}

/** A file opened for positional reads. Close it when done. */
export class FileAccess implements RandomAccess {
  private constructor(
    private readonly fh: fs.FileHandle,
    readonly size: number,
  ) {}
  static async open(file: string): Promise<FileAccess> {
    // FIFOs and devices are refused before they are opened: /dev/urandom never ends, a FIFO blocks.
    const { fh, stat } = await openRegularFile(file);
    return new FileAccess(fh, stat.size);
  }
  async read(position: number, length: number): Promise<Buffer> {
    // Offsets come from attacker-controlled headers: anything outside the file reads as nothing.
    if (!(position >= 0) || !Number.isSafeInteger(position)) return Buffer.alloc(0);
    const n = Math.max(0, Math.min(length, this.size - position));
    if (!(n > 0)) return Buffer.alloc(0);
    const buf = Buffer.allocUnsafe(n);
    let got = 0;
    if (n <= SMALL_READ) {
      // Header reads (zip records, member sniffing) are tiny and served from the page cache; a
      // synchronous read avoids a thread-pool round trip each, which dominates archives with
      // hundreds of members. Large reads stay asynchronous.
      while (got < n) {
        const k = fsSync.readSync(this.fh.fd, buf, got, n - got, position + got);
        if (k === 0) break;
        got += k;
      }
      return got === n ? buf : buf.subarray(0, got);
    }
    while (got < n) {
      const { bytesRead } = await this.fh.read(buf, got, n - got, position + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got === n ? buf : buf.subarray(0, got);
  }
  /** Reads into `target` (at most its length) at `position`; returns the bytes read. */
  async readInto(position: number, target: Buffer): Promise<number> {
    const n = Math.max(0, Math.min(target.length, this.size - position));
    let got = 0;
    while (got < n) {
      const { bytesRead } = await this.fh.read(target, got, n - got, position + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got;
  }
  close(): Promise<void> {
    return this.fh.close();
  }
}

/** A window [start, start+size) of another source (a stored zip member, a tar entry). */
export class SliceAccess implements RandomAccess {
  readonly size: number;
  constructor(
    private readonly inner: RandomAccess,
    private readonly start: number,
    size: number,
  ) {
    this.size = Math.max(0, Math.min(size, inner.size - start));
  }
  read(position: number, length: number): Promise<Buffer> {
    if (!(position >= 0) || position >= this.size) return Promise.resolve(Buffer.alloc(0));
    return this.inner.read(this.start + position, Math.min(length, this.size - position));
  }
}

const CHUNK = 1 << 20;

/**
 * Sequential reading of a random-access source; skipping just moves the position. With `reuse`
 * (a file), chunks are read into two buffers taken in turn, so a long walk makes no garbage: a
 * chunk stays valid until the second next() after it, which suits a consumer that copies what it
 * keeps (the pickle machine).
 */
export function streamOf(src: RandomAccess, start = 0, chunk = CHUNK, reuse = false): ByteStream {
  let pos = start;
  const scratch =
    reuse && src instanceof FileAccess ? [Buffer.allocUnsafe(chunk), Buffer.allocUnsafe(chunk)] : undefined;
  let turn = 0;
  return {
    async next(max?: number) {
      if (pos >= src.size) return null;
      if (scratch && src instanceof FileAccess) {
        const target = scratch[(turn ^= 1)].subarray(0, Math.min(max ?? chunk, chunk));
        const got = await src.readInto(pos, target);
        if (got === 0) return null;
        pos += got;
        return target.subarray(0, got);
      }
      const b = await src.read(pos, Math.min(max ?? chunk, chunk));
      if (b.length === 0) return null;
      pos += b.length;
      return b;
    },
    async skip(n: number) {
      const k = Math.max(0, Math.min(n, src.size - pos));
      pos += k;
      return k;
    },
  };
}

export class OutputLimitError extends Error {
  constructor(readonly limit: number) {
    super(`decompressed data exceeds ${limit} bytes`);
  }
}

/**
 * Sequential reading of chunks (a decompressor's output) with a cap on the bytes they may
 * produce: a decompression bomb ends in an OutputLimitError, after `onLimit` has stopped the
 * producer, and callers report it as incomplete.
 */
export function cappedChunkStream(
  chunks: AsyncIterator<Uint8Array>,
  maxOutput: number,
  onLimit: () => void = () => {},
): ByteStream & { produced(): number } {
  let produced = 0;
  let pending: Buffer | null = null;
  const pull = async (): Promise<Buffer | null> => {
    if (pending) {
      const p = pending;
      pending = null;
      return p;
    }
    const r = await chunks.next();
    if (r.done) return null;
    const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    produced += b.length;
    if (produced > maxOutput) {
      onLimit();
      throw new OutputLimitError(maxOutput);
    }
    return b;
  };
  return {
    async next(max?: number) {
      const b = await pull();
      if (!b || max === undefined || b.length <= max) return b;
      pending = b.subarray(max);
      return b.subarray(0, max);
    },
    async skip(n: number) {
      let left = n;
      while (left > 0) {
        const b = await pull();
        if (!b) break;
        if (b.length > left) {
          pending = b.subarray(left);
          left = 0;
        } else left -= b.length;
      }
      return n - left;
    },
    produced: () => produced,
  };
}

/** A Node stream (zlib, bz2 output) read as a capped ByteStream (see cappedChunkStream). */
export function streamOfReadable(
  readable: Readable,
  maxOutput: number,
): ByteStream & { produced(): number; destroy(): void } {
  const destroy = () => {
    readable.destroy();
  };
  const chunks = readable[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  return { ...cappedChunkStream(chunks, maxOutput, destroy), destroy };
}

export async function readAllBounded(stream: ByteStream, max: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let total = 0;
  for (;;) {
    const b = await stream.next();
    if (!b) break;
    total += b.length;
    if (total > max) throw new OutputLimitError(max);
    parts.push(b);
  }
  return Buffer.concat(parts, total);
}

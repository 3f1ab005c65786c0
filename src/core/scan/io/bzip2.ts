import { Transform, type TransformCallback } from 'node:stream';
import bz2 from 'unbzip2-stream/lib/bzip2.js';
import bitIterator from 'unbzip2-stream/lib/bit_iterator.js';
import { OutputLimitError } from './source.ts';

/**
 * bzip2 decompression as a Transform, driving unbzip2-stream's pure-JS block decoder directly.
 * Unlike the package's own stream (which gathers each block's output byte by byte in a JS array,
 * ~16 bytes of heap per output byte), output goes straight into 64 KiB buffers, and decoding stops
 * as soon as `maxOutput` is exceeded, even in the middle of a block, so a hostile block cannot
 * take seconds or hundreds of MB.
 */
export function createBunzip2(maxOutput: number): Transform {
  const queue: Buffer[] = [];
  let buffered = 0;
  let blockSize = 0;
  let streamCrc: number | null = null;
  let bits: ReturnType<typeof bitIterator> | null = null;
  let produced = 0;
  let out = Buffer.allocUnsafe(1 << 16);
  let used = 0;
  /** Streams fully decoded; after one, the next begins at a byte boundary (bzip2 -c a b > c). */
  let streams = 0;
  /** Bytes after the last stream that do not start another: Python's BZ2File ignores them, so does this. */
  let finished = false;

  const t = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      queue.push(chunk);
      buffered += chunk.length;
      bits ??= bitIterator(() => queue.shift());
      try {
        while (bits && !finished && buffered - bits.bytesRead + 1 >= (blockSize ? 25_000 + 100_000 * blockSize : 4)) {
          if (!step() && (finished || streamCrc !== null)) break;
        }
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
    flush(cb: TransformCallback) {
      try {
        while (bits && !finished && buffered > bits.bytesRead) if (!step() && (finished || streamCrc !== null)) break;
        if (streamCrc !== null) throw new Error('bzip2 stream ended prematurely');
        flushOut();
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
  });

  const flushOut = (): void => {
    if (used) t.push(Buffer.from(out.subarray(0, used)));
    out = Buffer.allocUnsafe(1 << 16);
    used = 0;
  };
  const emit = (b: number): void => {
    if (used === out.length) flushOut();
    out[used++] = b;
    if (++produced > maxOutput) throw new OutputLimitError(maxOutput);
  };
  /** One header or block; false at the end of a stream. */
  const step = (): boolean => {
    if (!bits || finished) return false;
    if (!blockSize) {
      if (streams > 0) {
        // Another stream, or bytes Python's BZ2File ignores (it stops at data that is not bzip2).
        try {
          blockSize = bz2.header(bits);
        } catch {
          finished = true;
          return false;
        }
      } else blockSize = bz2.header(bits);
      streamCrc = 0;
      return true;
    }
    const size = 100_000 * blockSize;
    streamCrc = bz2.decompress(bits, emit, new Int32Array(size), size, streamCrc);
    flushOut();
    if (streamCrc === null) {
      blockSize = 0;
      streams++;
      bits(null); // the next stream starts at a byte boundary
      return false;
    }
    return true;
  };
  return t;
}

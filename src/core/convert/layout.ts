import type { RandomAccess } from '../scan/io/source.ts';
import type { StorageBytes } from './checkpoint.ts';
import type { TensorRef } from './rebuild.ts';

/**
 * Produces a tensor's bytes as safetensors stores them (row-major, contiguous, little-endian)
 * from its storage, a storage offset and strides, in chunks of bounded size. Contiguous tensors
 * (almost all of a state dict) are straight byte ranges; views with other strides are gathered
 * run by run from their covering span.
 */

export const OUTPUT_CHUNK = 8 * 1024 * 1024;
/** A strided view whose covering span is at most this many bytes is gathered from memory. */
export const MAX_SPAN_IN_MEMORY = 64 * 1024 * 1024;
const BLOCK = 4 * 1024 * 1024;

export function numelOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function byteLength(t: TensorRef): number {
  return numelOf(t.shape) * t.dtype.size;
}

/** Inner dimensions that are contiguous in memory, merged: returns the run length in elements and the outer dims. */
function innerRun(shape: readonly number[], stride: readonly number[]): { run: number; outer: number } {
  let run = 1;
  let d = shape.length - 1;
  for (; d >= 0; d--) {
    if (shape[d] === 1) continue;
    if (stride[d] !== run) break;
    run *= shape[d];
  }
  return { run, outer: d + 1 };
}

export interface ChunkOptions {
  /** Largest chunk yielded, in bytes. */
  chunk?: number;
  /** Strided views spanning at most this many bytes are gathered from one read. */
  maxSpanInMemory?: number;
}

export async function* tensorChunks(
  t: TensorRef,
  src: StorageBytes,
  options: ChunkOptions = {},
): AsyncGenerator<Buffer> {
  const chunk = options.chunk ?? OUTPUT_CHUNK;
  const maxSpan = options.maxSpanInMemory ?? MAX_SPAN_IN_MEMORY;
  const es = t.dtype.size;
  const numel = numelOf(t.shape);
  if (numel === 0) return;
  const { run, outer } = innerRun(t.shape, t.stride);
  const fix = (b: Buffer): Buffer => (src.bigEndian && es > 1 ? swap(b, es) : b);
  if (outer === 0) {
    // Contiguous: one byte range, copied in chunks (a multiple of the element size).
    const step = Math.max(es, chunk - (chunk % es));
    const start = t.offset * es;
    const total = numel * es;
    for (let done = 0; done < total; done += step) {
      const n = Math.min(step, total - done);
      yield fix(await exactly(src.access, start + done, n));
    }
    return;
  }
  // Strided: the span of elements the view touches, read once if small, else through a block cache.
  const first = t.offset;
  let last = t.offset;
  for (let d = 0; d < t.shape.length; d++) if (t.shape[d] > 0) last += (t.shape[d] - 1) * t.stride[d];
  const spanBytes = (last - first + 1) * es;
  const reader = spanBytes <= maxSpan ? await inMemory(src.access, first * es, spanBytes) : blockCache(src.access);
  const base = spanBytes <= maxSpan ? first * es : 0;
  const runBytes = run * es;
  const index = new Array<number>(outer).fill(0);
  let out = Buffer.allocUnsafe(Math.min(chunk < runBytes ? runBytes : chunk - (chunk % runBytes), numel * es));
  let filled = 0;
  const runs = numel / run;
  for (let r = 0; r < runs; r++) {
    let el = t.offset;
    for (let d = 0; d < outer; d++) el += index[d] * t.stride[d];
    if (filled + runBytes > out.length) {
      yield fix(out.subarray(0, filled));
      out = Buffer.allocUnsafe(out.length);
      filled = 0;
    }
    const pending = reader.copy(el * es - base, runBytes, out, filled);
    if (pending) await pending; // in-memory spans copy synchronously: no await per element
    filled += runBytes;
    for (let d = outer - 1; d >= 0; d--) {
      if (++index[d] < t.shape[d]) break;
      index[d] = 0;
    }
  }
  if (filled) yield fix(out.subarray(0, filled));
}

interface RunReader {
  copy(position: number, length: number, into: Buffer, at: number): Promise<void> | void;
}

async function inMemory(access: RandomAccess, start: number, length: number): Promise<RunReader> {
  const span = await exactly(access, start, length);
  return {
    copy(position, len, into, at) {
      span.copy(into, at, position, position + len);
    },
  };
}

/** Reads through aligned 4 MiB blocks, keeping the last one (strided views walk forward mostly). */
function blockCache(access: RandomAccess): RunReader {
  let blockStart = -1;
  let block: Buffer = Buffer.alloc(0);
  return {
    async copy(position, len, into, at) {
      let done = 0;
      while (done < len) {
        const p = position + done;
        const bs = p - (p % BLOCK);
        if (bs !== blockStart) {
          block = await access.read(bs, BLOCK);
          blockStart = bs;
        }
        const from = p - bs;
        const n = Math.min(len - done, block.length - from);
        if (n <= 0) throw new Error(`storage ends at byte ${bs + block.length}, the tensor needs byte ${p}`);
        block.copy(into, at + done, from, from + n);
        done += n;
      }
    },
  };
}

async function exactly(access: RandomAccess, position: number, length: number): Promise<Buffer> {
  const b = await access.read(position, length);
  if (b.length !== length)
    throw new Error(`storage ends at byte ${position + b.length}, the tensor needs ${position + length}`);
  return b;
}

/** Big-endian elements to little-endian, in a copy (the source buffer may be shared). */
function swap(b: Buffer, size: number): Buffer {
  const out = Buffer.from(b);
  if (size === 2) out.swap16();
  else if (size === 4) out.swap32();
  else if (size === 8) out.swap64();
  return out;
}

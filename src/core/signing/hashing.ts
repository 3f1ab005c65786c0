import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import { Worker } from 'node:worker_threads';

/**
 * Streaming file hashing. Weight files reach hundreds of GB and `readFile` refuses anything over
 * 2 GiB, so every pass reads fixed-size chunks into one reused buffer: memory stays at one chunk
 * whatever the file size.
 */

const CHUNK = 4 * 1024 * 1024;

export class CancelledError extends Error {
  override name = 'CancelledError';
  constructor() {
    super('cancelled');
  }
}

/** Feeds every byte of `file` to `sink`, in order, one chunk at a time. Returns the byte count. */
export async function streamFile(file: string, sink: (chunk: Buffer) => void, signal?: AbortSignal): Promise<number> {
  const fh = await fs.open(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    let pos = 0;
    for (;;) {
      if (signal?.aborted) throw new CancelledError();
      const { bytesRead } = await fh.read(buf, 0, CHUNK, pos);
      if (bytesRead === 0) return pos;
      // The sinks (hash, sign, verify) consume the bytes synchronously, so the buffer can be reused.
      sink(bytesRead === CHUNK ? buf : buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
  } finally {
    await fh.close();
  }
}

/** Digest of a whole file (`sha256`, `sha384`, `sha512`, `blake2b512`). */
export async function digestFile(file: string, algorithm = 'sha256', signal?: AbortSignal): Promise<Buffer> {
  const h = crypto.createHash(algorithm);
  await streamFile(file, (c) => h.update(c), signal);
  return h.digest();
}

/** Digest of the byte range [start, end) of a file (OpenSSF model signing "shards"). */
export async function digestRange(
  file: string,
  start: number,
  end: number,
  algorithm = 'sha256',
  signal?: AbortSignal,
): Promise<Buffer> {
  const h = crypto.createHash(algorithm);
  const fh = await fs.open(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(1, end - start)));
    let pos = start;
    while (pos < end) {
      if (signal?.aborted) throw new CancelledError();
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - pos), pos);
      if (bytesRead === 0) break;
      h.update(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
  } finally {
    await fh.close();
  }
  return h.digest();
}

// The worker's whole program: it reads the file itself (synchronously, off the main thread).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const crypto = require('node:crypto');
try {
  const h = crypto.createHash(workerData.algorithm);
  const fd = fs.openSync(workerData.file, 'r');
  const buf = Buffer.allocUnsafe(${CHUNK});
  let pos = 0, n;
  try {
    while ((n = fs.readSync(fd, buf, 0, buf.length, pos)) > 0) { h.update(n === buf.length ? buf : buf.subarray(0, n)); pos += n; }
  } finally { fs.closeSync(fd); }
  parentPort.postMessage({ digest: h.digest('hex') });
} catch (e) { parentPort.postMessage({ error: String(e && e.message || e) }); }
`;

/**
 * Digest of a file computed on a worker thread. Signing and verifying a message signature need
 * two passes over the bytes (the digest that goes into the bundle, and the signature, which
 * OpenSSL computes over the file itself); running them on two threads keeps the wall time at about
 * one pass. Falls back to the current thread when workers are unavailable.
 */
export function digestFileOnWorker(file: string, algorithm = 'sha256', signal?: AbortSignal): Promise<Buffer> {
  let worker: Worker;
  try {
    worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, algorithm } });
  } catch {
    return digestFile(file, algorithm, signal);
  }
  return new Promise<Buffer>((resolve, reject) => {
    const onAbort = () => {
      void worker.terminate();
      reject(new CancelledError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => signal?.removeEventListener('abort', onAbort);
    worker.once('message', (m: { digest?: string; error?: string }) => {
      done();
      void worker.terminate();
      if (m.digest) resolve(Buffer.from(m.digest, 'hex'));
      else reject(new Error(m.error ?? 'hash worker failed'));
    });
    worker.once('error', (e) => {
      done();
      reject(e);
    });
  });
}

export function timingSafeEqualBuf(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

import { constants as fsConstants, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import { regularFileStat, specialKind } from './walk.ts';

/** A path that is not a regular file (FIFO, socket, device, folder): refused, never read. */
export class NotRegularFileError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path} ${reason}`);
    this.name = 'NotRegularFileError';
  }
}

/** A regular file larger than the caller accepts for a whole-file read. */
export class FileTooLargeError extends Error {
  constructor(
    readonly path: string,
    readonly size: number,
    readonly limit: number,
  ) {
    super(`${path} is ${size} bytes, more than the ${limit} bytes this check reads into memory; it was not read`);
    this.name = 'FileTooLargeError';
  }
}

/** Text files (cards, workflows, Python, SBOMs) are read whole; beyond this they are refused, not truncated. */
export const MAX_TEXT_FILE_BYTES = 64 * 1024 * 1024;

// O_NONBLOCK makes open() of a FIFO return at once instead of waiting for a writer; it changes
// nothing for regular files. Windows has no FIFOs to block on (and no such flag).
const OPEN_FLAGS = fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0);

/**
 * Open a path for reading only if it is a regular file. The path is checked with stat() first,
 * so FIFOs, sockets and devices are refused without being opened; the opened handle is checked
 * again with fstat(), so a path swapped for a FIFO between the two is still refused (and opening
 * it did not block).
 */
export async function openRegularFile(p: string): Promise<{ fh: fs.FileHandle; stat: Stats }> {
  const pre = await regularFileStat(p);
  if (!pre.ok) {
    if (pre.message === 'is a folder') throw new NotRegularFileError(p, 'is a folder, not a file');
    // stat() itself failed (missing, permission): keep the system's own message and code.
    if (!/not a regular file/.test(pre.message)) throw Object.assign(new Error(pre.message), { path: p });
    throw new NotRegularFileError(p, pre.message);
  }
  const fh = await fs.open(p, OPEN_FLAGS);
  try {
    const stat = await fh.stat();
    if (!stat.isFile())
      throw new NotRegularFileError(
        p,
        `is a ${specialKind(stat).replace('-', ' ')}, not a regular file; it was not read`,
      );
    return { fh, stat };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

/** The whole content of a regular file of at most `maxBytes` (default MAX_TEXT_FILE_BYTES). */
export async function readRegularFile(p: string, maxBytes = MAX_TEXT_FILE_BYTES): Promise<Buffer> {
  const { fh, stat } = await openRegularFile(p);
  try {
    if (stat.size > maxBytes) throw new FileTooLargeError(p, stat.size, maxBytes);
    // Read at most maxBytes + 1: a file that grows after fstat() is still refused, never read without end.
    const buf = Buffer.allocUnsafe(Math.min(maxBytes + 1, Math.max(stat.size, 0) + 65_536));
    let got = 0;
    for (;;) {
      if (got === buf.length) break;
      const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    if (got > maxBytes) throw new FileTooLargeError(p, got, maxBytes);
    return buf.subarray(0, got);
  } finally {
    await fh.close();
  }
}

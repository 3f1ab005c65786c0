import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Finding } from '../findings.ts';
import { isWeightFile } from '../scan/area.ts';

/**
 * Private keys inside a model folder: never signed (a folder signature would vouch for a secret
 * and invite publishing it with the model), and reported wherever the folder is inspected. Known
 * by content, not by name: a PEM private key block of any kind (PKCS#8, SEC1, RSA, OpenSSH,
 * encrypted), cosign's encrypted key, an OpenPGP secret key block or a PuTTY key. PEM readers
 * (openssl, ssh) skip whatever precedes the block, so a file of any size is read in full, streamed
 * (a key padded past 64 KiB was signed); a weight file is never opened for this (the scanner
 * judges it, and signing refuses one it cannot read).
 */

export const MAX_KEY_FILE_BYTES = 64 * 1024;
const PRIVATE_KEY_MARKERS = /-----BEGIN [A-Z0-9 .]*PRIVATE KEY(?: BLOCK)?-----|PuTTY-User-Key-File-\d+:/;
/** Longer than any marker: a chunk boundary cannot split one unseen. */
const OVERLAP = 128;

export function looksLikePrivateKey(text: string): boolean {
  return PRIVATE_KEY_MARKERS.test(text);
}

async function streamHasPrivateKey(file: string, signal?: AbortSignal): Promise<boolean> {
  let tail = '';
  const stream = fsSync.createReadStream(file, { highWaterMark: MAX_KEY_FILE_BYTES, signal });
  try {
    for await (const chunk of stream) {
      const text = tail + (chunk as Buffer).toString('latin1');
      if (looksLikePrivateKey(text)) return true;
      tail = text.slice(-OVERLAP);
    }
  } finally {
    stream.destroy();
  }
  return false;
}

export interface SizedFile {
  rel: string;
  abs: string;
  size: number;
}

/** The files (relative names) that hold a private key; an unreadable file is not one (the walk reports it). */
export async function findPrivateKeyFiles(files: readonly SizedFile[], signal?: AbortSignal): Promise<string[]> {
  const out: string[] = [];
  for (const f of files) {
    if (f.size === 0) continue;
    signal?.throwIfAborted();
    if (f.size > MAX_KEY_FILE_BYTES) {
      if (isWeightFile(f.rel)) continue;
      try {
        if (await streamHasPrivateKey(f.abs, signal)) out.push(f.rel);
      } catch (e) {
        if (signal?.aborted) throw e;
      }
      continue;
    }
    let text: string;
    try {
      const h = await fs.open(f.abs, 'r');
      try {
        const buf = Buffer.alloc(Math.min(f.size, MAX_KEY_FILE_BYTES));
        const { bytesRead } = await h.read(buf, 0, buf.length, 0);
        text = buf.subarray(0, bytesRead).toString('latin1');
      } finally {
        await h.close();
      }
    } catch {
      continue;
    }
    if (looksLikePrivateKey(text)) out.push(f.rel);
  }
  return out;
}

/** One `signing/private-key-in-model` finding per private key file in the folder. */
export async function privateKeyFindings(
  root: string,
  files: readonly { path: string; rel: string; size: number }[],
  signal?: AbortSignal,
): Promise<Finding[]> {
  const keys = await findPrivateKeyFiles(
    files.map((f) => ({ rel: f.rel, abs: f.path, size: f.size })),
    signal,
  );
  return keys.map((rel) => ({
    ruleId: 'signing/private-key-in-model',
    severity: 'error' as const,
    message: `${rel} is a private key inside the model folder: anyone who gets the model gets the key. Move it out of the folder (and make a new key pair if the model was shared); a folder signature never covers it.`,
    file: path.join(root, ...rel.split('/')),
  }));
}

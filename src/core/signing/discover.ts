import fs from 'node:fs/promises';
import path from 'node:path';
import { signingArea } from './area.ts';
import { MODEL_SIG } from './modelSigning.ts';

/** Finding the signatures of a file or a model folder, and telling their formats apart. */

export type DiscoveredFormat =
  'sigstore-bundle' | 'cosign-signature' | 'cosign-legacy-bundle' | 'model-signing' | 'in-toto' | 'unknown';

export interface DiscoveredSignature {
  signatureFile: string;
  /** The file or folder the signature is about (absolute). */
  artifact: string;
  format: DiscoveredFormat;
}

/** Sibling names tried for a file X, in this order (the signing area's descriptor). */
export const SIGNATURE_SUFFIXES: readonly string[] =
  signingArea.files.find((k) => k.id === 'signature')?.suffixes ?? [];

/** Signature files are small; anything bigger is not read (a hostile "signature" must not exhaust memory). */
export const MAX_SIGNATURE_BYTES = 16 * 1024 * 1024;

/** How many folders up a member file looks for its model's model.sig. */
const MODEL_SIG_LEVELS = 8;

async function isFile(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isFile();
  } catch {
    return false;
  }
}

export async function readSignatureFile(file: string): Promise<Buffer> {
  const st = await fs.stat(file);
  if (!st.isFile()) throw new Error('not a file');
  if (st.size > MAX_SIGNATURE_BYTES)
    throw new Error(`${st.size} bytes is too big for a signature file (limit ${MAX_SIGNATURE_BYTES})`);
  return fs.readFile(file);
}

/** Tells the format from the content (names lie: `.sig` is used for raw signatures and bundles alike). */
export async function sniffSignature(file: string, forFolder = false): Promise<DiscoveredFormat> {
  let head: Buffer;
  try {
    // Never open a FIFO or a device: opening a FIFO blocks until someone writes to it.
    if (!(await fs.stat(file)).isFile()) return 'unknown';
    const fh = await fs.open(file, 'r');
    try {
      const buf = Buffer.alloc(4096);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      head = buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch {
    return 'unknown';
  }
  const text = head.toString('utf8').trimStart();
  if (text.startsWith('{')) {
    if (/"base64Signature"\s*:/.test(text)) return 'cosign-legacy-bundle';
    if (forFolder || path.basename(file) === MODEL_SIG) return 'model-signing';
    if (/"dsseEnvelope"\s*:|"payloadType"\s*:/.test(text)) return 'in-toto';
    return 'sigstore-bundle';
  }
  if (/^[A-Za-z0-9+/=\s]+$/.test(text) && text.length > 0) return 'cosign-signature';
  if (head[0] === 0x30) return 'cosign-signature';
  return 'unknown';
}

/**
 * Signatures next to `target`: for a file X, X.sigstore.json, X.sigstore, X.bundle, X.sig,
 * X.intoto.jsonl, … and the model.sig of the nearest enclosing model folder; for a folder, its
 * model.sig.
 */
export async function discoverSignatures(target: string): Promise<DiscoveredSignature[]> {
  const abs = path.resolve(target);
  const st = await fs.stat(abs);
  const out: DiscoveredSignature[] = [];
  if (st.isDirectory()) {
    const sig = path.join(abs, MODEL_SIG);
    if (await isFile(sig)) out.push({ signatureFile: sig, artifact: abs, format: 'model-signing' });
    return out;
  }
  if (path.basename(abs) === MODEL_SIG) return out;
  for (const suffix of SIGNATURE_SUFFIXES) {
    const sig = abs + suffix;
    if (await isFile(sig)) out.push({ signatureFile: sig, artifact: abs, format: await sniffSignature(sig) });
  }
  let dir = path.dirname(abs);
  for (let i = 0; i < MODEL_SIG_LEVELS; i++) {
    const sig = path.join(dir, MODEL_SIG);
    if (await isFile(sig)) {
      out.push({ signatureFile: sig, artifact: abs, format: 'model-signing' });
      break;
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return out;
}

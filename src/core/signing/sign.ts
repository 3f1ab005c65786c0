import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { digestFileOnWorker, streamFile } from './hashing.ts';
import { cosignKeyHint, hashForKey, KeyError } from './keys.ts';
import { findPrivateKeyFiles } from './privateKeyFiles.ts';
import { buildOmsStatement, MODEL_SIG, omsKeyBundle } from './modelSigning.ts';

/**
 * Signing with a local key, no network. A file gets a Sigstore v0.3 message-signature bundle
 * shaped like `cosign sign-blob --key --bundle` output (key hint = base64 sha256 of the DER key,
 * no log entry), which `cosign verify-blob --key` accepts; a folder gets an OpenSSF `model.sig`
 * shaped like `model_signing sign key` output.
 */

export interface SignOptions {
  /** Where to write the signature (default: `FILE.sigstore.json`, or `DIR/model.sig`). */
  output?: string;
  /** Model folders: paths to leave out of the manifest (relative to the folder). */
  ignorePaths?: string[];
  signal?: AbortSignal;
}

export interface SignResult {
  /** The signed file or folder. */
  path: string;
  signatureFile: string;
  format: 'sigstore-bundle' | 'model-signing';
  /** sha256 of the file, or the model's manifest root digest. */
  digest: string;
  /** How many files the model manifest lists (folders). */
  files?: number;
  /** Folders: private key files found in the folder and left out of the signature (relative names). */
  excludedPrivateKeys?: string[];
}

const HASH_ENUM: Record<string, string> = { sha256: 'SHA2_256', sha384: 'SHA2_384', sha512: 'SHA2_512' };

/** Signs a file of any size: digest on a worker thread, signature on this one, each one streamed pass. */
export async function signFileStreaming(
  file: string,
  key: crypto.KeyObject,
  signal?: AbortSignal,
): Promise<{ alg: string; digest: Buffer; signature: Buffer }> {
  const alg = hashForKey(key);
  if (!alg)
    throw new KeyError(
      'Ed25519 keys sign the whole message at once, which cannot be streamed for large files; use an ECDSA key (cosign generate-key-pair makes P-256)',
    );
  const signer = crypto.createSign(alg);
  const [digest] = await Promise.all([
    digestFileOnWorker(file, alg, signal),
    streamFile(file, (c) => signer.update(c), signal),
  ]);
  return { alg, digest, signature: signer.sign(key) };
}

/** The Sigstore bundle JSON for a message signature made with a key. */
export function keyMessageBundle(publicKey: crypto.KeyObject, alg: string, digest: Buffer, signature: Buffer): string {
  const bundle = {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { publicKey: { hint: cosignKeyHint(publicKey) } },
    messageSignature: {
      messageDigest: { algorithm: HASH_ENUM[alg], digest: digest.toString('base64') },
      signature: signature.toString('base64'),
    },
  };
  return JSON.stringify(bundle) + '\n';
}

/** Writes beside the target through a temporary file, so a failed write never leaves half a signature. */
async function writeAtomically(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  await fs.writeFile(tmp, text, { mode: 0o644 });
  try {
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}

export async function signBlob(file: string, key: crypto.KeyObject, opts: SignOptions = {}): Promise<SignResult> {
  if ((await findPrivateKeyFiles([{ rel: path.basename(file), abs: file, size: (await fs.stat(file)).size }])).length) {
    throw new KeyError(
      `${path.basename(file)} is a private key; a private key is never signed (sign the model, and keep the key out of its folder)`,
    );
  }
  const { alg, digest, signature } = await signFileStreaming(file, key, opts.signal);
  const out = opts.output ?? `${file}.sigstore.json`;
  await writeAtomically(out, keyMessageBundle(crypto.createPublicKey(key), alg, digest, signature));
  return { path: file, signatureFile: out, format: 'sigstore-bundle', digest: `${alg}:${digest.toString('hex')}` };
}

export async function signModel(dir: string, key: crypto.KeyObject, opts: SignOptions = {}): Promise<SignResult> {
  if (key.asymmetricKeyType !== 'ec')
    throw new KeyError('model_signing key mode uses ECDSA keys (P-256, P-384 or P-521)');
  const out = opts.output ?? path.join(dir, MODEL_SIG);
  const rel = path.relative(dir, out).split(path.sep).join('/');
  const { payload, resources, excludedPrivateKeys } = await buildOmsStatement(dir, {
    signatureName: rel.startsWith('..') ? MODEL_SIG : rel,
    ignorePaths: opts.ignorePaths,
    signal: opts.signal,
  });
  await writeAtomically(out, omsKeyBundle(payload, key));
  const subject = JSON.parse(payload.toString('utf8')) as { subject: { digest: { sha256: string } }[] };
  return {
    path: dir,
    signatureFile: out,
    format: 'model-signing',
    digest: `sha256:${subject.subject[0].digest.sha256}`,
    files: resources.length,
    excludedPrivateKeys,
  };
}

/** Signs a file (Sigstore bundle) or a model folder (model.sig). */
export async function signPath(target: string, key: crypto.KeyObject, opts: SignOptions = {}): Promise<SignResult> {
  const abs = path.resolve(target);
  const st = await fs.stat(abs);
  return st.isDirectory() ? signModel(abs, key, opts) : signBlob(abs, key, opts);
}

import crypto from 'node:crypto';
import { streamFile } from './hashing.ts';
import { hashForKey, parsePublicKey, pemBlocks } from './keys.ts';

/**
 * cosign's own formats for blobs: the raw signature `cosign sign-blob --key` prints (base64 DER
 * ECDSA over the file's digest), and the legacy `--bundle` JSON (cosign ≤ 2 default) that is
 * converted here into an equivalent Sigstore v0.1 bundle so one verifier checks both.
 */

/** Parses a raw signature file: base64 text (whitespace ignored) or raw DER bytes. */
export function parseRawSignature(bytes: Buffer): Buffer | string {
  const text = bytes.toString('latin1').trim();
  if (/^[A-Za-z0-9+/=\s]+$/.test(text) && text.length >= 8) {
    const der = Buffer.from(text.replace(/\s+/g, ''), 'base64');
    if (der.length > 0) return der;
  }
  if (bytes[0] === 0x30 && bytes.length < 1024) return bytes;
  return 'the signature file is neither base64 text nor a DER signature';
}

/**
 * Verifies a raw signature over a file of any size with one streamed pass. The digest is the
 * curve's (SHA-256 for P-256, cosign's default key), with SHA-256 also accepted for larger curves.
 */
export async function verifyRawSignature(
  file: string,
  signature: Buffer,
  key: crypto.KeyObject,
  signal?: AbortSignal,
): Promise<boolean> {
  const alg = hashForKey(key);
  if (alg === null) {
    // Ed25519 signs the message itself: there is no streaming form. Refuse huge files rather than buffer them.
    return false;
  }
  const verifiers = [crypto.createVerify(alg)];
  if (alg !== 'sha256') verifiers.push(crypto.createVerify('sha256'));
  await streamFile(
    file,
    (c) => {
      for (const v of verifiers) v.update(c);
    },
    signal,
  );
  return verifiers.some((v) => {
    try {
      return v.verify(key, signature);
    } catch {
      return false;
    }
  });
}

export interface LegacyBundle {
  base64Signature: string;
  cert?: string;
  rekorBundle?: {
    SignedEntryTimestamp?: string;
    Payload?: { body?: string; integratedTime?: number; logIndex?: number; logID?: string };
  };
}

export function isLegacyBundle(j: unknown): j is LegacyBundle {
  return typeof j === 'object' && j !== null && typeof (j as LegacyBundle).base64Signature === 'string';
}

export interface ConvertedLegacy {
  /** A Sigstore bundle (v0.1 JSON) carrying the same signature, certificate and log entry. */
  bundle?: unknown;
  /** The public key the legacy bundle embeds (cosign --key): trusted only if it equals the user's. */
  embeddedKey?: crypto.KeyObject;
  signature: Buffer;
  problem?: string;
}

/** Converts a legacy cosign bundle. The message digest comes from the Rekor body (hashedrekord). */
export function convertLegacyBundle(lb: LegacyBundle): ConvertedLegacy {
  const signature = Buffer.from(lb.base64Signature, 'base64');
  let certPem = '';
  if (lb.cert) {
    try {
      certPem = Buffer.from(lb.cert, 'base64').toString('utf8');
    } catch {
      /* reported below */
    }
  }
  const blocks = pemBlocks(certPem);
  const certBlock = blocks.find((b) => b.label === 'CERTIFICATE');
  const keyBlock = blocks.find((b) => b.label === 'PUBLIC KEY');
  const embeddedKey = keyBlock ? parsePublicKey(keyBlock.text) : undefined;
  const rb = lb.rekorBundle;
  if (!rb?.Payload?.body) {
    if (certBlock)
      return {
        signature,
        problem:
          "the legacy bundle has a certificate but no Rekor entry, so the time of signing (and the certificate's validity then) cannot be established offline",
      };
    return { signature, embeddedKey };
  }
  const bodyJson = JSON.parse(Buffer.from(rb.Payload.body, 'base64').toString('utf8')) as {
    kind?: string;
    apiVersion?: string;
    spec?: { data?: { hash?: { algorithm?: string; value?: string } } };
  };
  const hashHex = bodyJson.spec?.data?.hash?.value;
  const vm: Record<string, unknown> = {
    tlogEntries: [
      {
        logIndex: String(rb.Payload.logIndex ?? 0),
        logId: { keyId: Buffer.from(rb.Payload.logID ?? '', 'hex').toString('base64') },
        kindVersion: { kind: bodyJson.kind ?? 'hashedrekord', version: bodyJson.apiVersion ?? '0.0.1' },
        integratedTime: String(rb.Payload.integratedTime ?? 0),
        inclusionPromise: { signedEntryTimestamp: rb.SignedEntryTimestamp ?? '' },
        canonicalizedBody: rb.Payload.body,
      },
    ],
  };
  if (certBlock) vm.x509CertificateChain = { certificates: [{ rawBytes: certBlock.der.toString('base64') }] };
  else vm.publicKey = { hint: '' };
  const bundle = {
    mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.1',
    verificationMaterial: vm,
    messageSignature: {
      messageDigest: { algorithm: 'SHA2_256', digest: hashHex ? Buffer.from(hashHex, 'hex').toString('base64') : '' },
      signature: lb.base64Signature,
    },
  };
  return { bundle, embeddedKey, signature };
}

import crypto from 'node:crypto';
import { bundleFromJSON, type Bundle, type TransparencyLogEntry } from '@sigstore/bundle';
import { RFC3161Timestamp, X509Certificate } from '@sigstore/core';
import {
  toSignedEntity,
  Verifier,
  VerificationError,
  PolicyError,
  type SignedEntity,
  type Signer,
} from '@sigstore/verify';
import { HashAlgorithm } from '@sigstore/protobuf-specs';
import {
  preAuthEncoding,
  verifyDsseSignature,
  verifyLegacyModelSigningDsse,
  parseStatement,
  type Statement,
} from './dsse.ts';
import { digestFileOnWorker, streamFile, timingSafeEqualBuf } from './hashing.ts';
import { describeKey, describeKeyHint, hintMatches } from './keys.ts';
import { trustMaterial, type LoadedTrustedRoot } from './trustedRoot.ts';
import type { TlogSummary } from './types.ts';

/**
 * Verifies one Sigstore bundle (v0.1–v0.3, message signature or DSSE) with @sigstore/verify,
 * offline, against a trusted root from a file. Differences from sigstore-js's defaults, each for a
 * reason written where it happens: the artifact is streamed (no 2 GiB limit), DSSE signatures are
 * checked with the curve's hash, key-signed bundles need no tlog entry or timestamp (cosign
 * `--key`, model_signing), and identity policy is applied by the caller with anchored matching.
 */

export interface BundleVerification {
  ok: boolean;
  kind: 'message' | 'dsse';
  mediaType: string;
  /** Certificate SAN and OIDC issuer (keyless), once the certificate chain verified. */
  identity?: string;
  issuer?: string;
  /** The signing certificate (for provenance checks on its extensions). */
  certificate?: X509Certificate;
  keyless: boolean;
  key?: string;
  time?: string;
  tlog: TlogSummary[];
  /** The DSSE payload and its parsed statement. */
  payloadType?: string;
  payload?: Buffer;
  statement?: Statement;
  failures: string[];
  notes: string[];
}

export interface BundleVerifyInput {
  /** The parsed bundle JSON. */
  json: unknown;
  /** The signed file (message signatures: required; DSSE: checked against the statement subjects). */
  artifact?: string;
  /** The signed bytes, when they are small and already in memory (a registry manifest, a cosign payload). */
  artifactBytes?: Buffer;
  root?: LoadedTrustedRoot;
  /** The user's public key (key-signed bundles). */
  publicKey?: crypto.KeyObject;
  /** Also accept model_signing 0.2's non-standard DSSE encoding (its Digests/v0.1 statements only). */
  legacyModelSigning?: boolean;
  signal?: AbortSignal;
}

const HASH_NAMES: Record<number, string> = {
  [HashAlgorithm.SHA2_256]: 'sha256',
  [HashAlgorithm.SHA2_384]: 'sha384',
  [HashAlgorithm.SHA2_512]: 'sha512',
  [HashAlgorithm.HASH_ALGORITHM_UNSPECIFIED]: 'sha256',
};

export async function verifySigstoreBundle(input: BundleVerifyInput): Promise<BundleVerification> {
  const out: BundleVerification = {
    ok: false,
    kind: 'message',
    mediaType: '',
    keyless: false,
    tlog: [],
    failures: [],
    notes: [],
  };
  const raw = input.json as Record<string, unknown> | null;
  out.mediaType = typeof raw?.mediaType === 'string' ? raw.mediaType : '';
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(input.json);
  } catch (e) {
    out.failures.push(
      `bundle format: not a valid Sigstore bundle (${(e as Error).message}); mediaType ${JSON.stringify(out.mediaType || null)}`,
    );
    return out;
  }
  out.kind = bundle.content.$case === 'dsseEnvelope' ? 'dsse' : 'message';
  out.tlog = bundle.verificationMaterial.tlogEntries.map(tlogSummary);
  const vm = bundle.verificationMaterial.content;
  out.keyless = vm.$case !== 'publicKey';

  let entity: SignedEntity;
  try {
    entity = toSignedEntity(bundle);
  } catch (e) {
    out.failures.push(`bundle format: cannot read the verification material (${(e as Error).message})`);
    return out;
  }

  // ----- the signature content: streamed file or DSSE envelope -----
  if (bundle.content.$case === 'messageSignature') {
    const ms = bundle.content.messageSignature;
    if (!input.artifact && !input.artifactBytes) {
      out.failures.push(
        'artifact: a message-signature bundle can only be checked against the file it signs, and none was given',
      );
      return out;
    }
    const alg = HASH_NAMES[ms.messageDigest?.algorithm ?? HashAlgorithm.SHA2_256];
    if (!alg) {
      out.failures.push(`bundle format: unsupported message digest algorithm ${ms.messageDigest?.algorithm}`);
      return out;
    }
    entity = {
      ...entity,
      signature: input.artifactBytes
        ? inMemoryMessageSignature(input.artifactBytes, alg, ms.signature, ms.messageDigest?.digest, out.failures)
        : await streamedMessageSignature(
            input.artifact!,
            alg,
            ms.signature,
            ms.messageDigest?.digest,
            input.signal,
            out.failures,
          ),
    };
  } else {
    const env = bundle.content.dsseEnvelope;
    out.payloadType = env.payloadType;
    out.payload = env.payload;
    const sig = env.signatures[0]?.sig ?? Buffer.alloc(0);
    entity = {
      ...entity,
      signature: {
        signature: sig,
        compareSignature: (s) => timingSafeEqualBuf(s, sig),
        // dsse/intoto entries log sha256(payload); Rekor v2's hashedrekord-over-DSSE logs sha256(PAE)
        // (rekor-v2 spec §6.1.4). Both bind this exact envelope, so either matches.
        compareDigest: (d) =>
          timingSafeEqualBuf(d, crypto.createHash('sha256').update(env.payload).digest()) ||
          timingSafeEqualBuf(
            d,
            crypto.createHash('sha256').update(preAuthEncoding(env.payloadType, env.payload)).digest(),
          ),
        verifySignature: (key) =>
          verifyDsseSignature(env.payloadType, env.payload, sig, key) ||
          (input.legacyModelSigning === true && verifyLegacyModelSigningDsse(env.payloadType, env.payload, sig, key)),
      },
    };
    if (env.signatures.length === 0) out.failures.push('DSSE envelope: it has no signature');
    const st = parseStatement(env.payload);
    if (typeof st === 'string') {
      if (env.payloadType === 'application/vnd.in-toto+json') out.failures.push(`in-toto statement: ${st}`);
    } else out.statement = st;
  }

  // ----- key or certificate -----
  let verifierOptions = {};
  if (vm.$case === 'publicKey') {
    const hint = vm.publicKey.hint ?? '';
    if (!input.publicKey) {
      out.failures.push(
        `public key: the bundle was signed with a key${hint ? ` (${describeKeyHint(hint)})` : ''}, and no public key was given to verify it with (--key)`,
      );
      return out;
    }
    out.key = describeKey(input.publicKey);
    if (hint && !hintMatches(hint, input.publicKey))
      out.notes.push(
        `the bundle's hint (${describeKeyHint(hint)}) does not name the given key (a hint is only a lookup aid; the signature decides)`,
      );
    // A key signature needs no tlog entry or timestamp (cosign --key with no Rekor, model_signing);
    // entries that are present are still verified.
    verifierOptions = { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 };
    if (out.tlog.length === 0)
      out.notes.push(
        'no transparency-log entry: this is a key signature only, with no public record of when it was made',
      );
  } else {
    try {
      const cert = entity.key.$case === 'certificate' ? entity.key.certificate : undefined;
      out.certificate = cert;
      if (cert)
        out.key = `certificate ${cert.subjectAltName ?? '(no SAN)'}, valid ${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()}`;
    } catch {
      /* reported by the verifier below */
    }
  }

  const keyFinder = input.publicKey ? () => ({ publicKey: input.publicKey!, validFor: () => true }) : undefined;
  let signer: Signer;
  try {
    signer = new Verifier(trustMaterial(input.root, keyFinder), verifierOptions).verify(entity);
  } catch (e) {
    out.failures.push(explainVerifyError(e, out.kind));
    return out;
  }
  out.identity = signer.identity?.subjectAlternativeName;
  out.issuer = signer.identity?.extensions?.issuer;
  out.time = signingTime(bundle, entity);
  out.ok = out.failures.length === 0;
  return out;
}

/**
 * The message-signature content for a file of any size: one pass on this thread feeds
 * `createVerify`, another on a worker computes the digest compared with the bundle's and the
 * tlog body's. Neither pass holds more than one chunk.
 */
async function streamedMessageSignature(
  file: string,
  alg: string,
  signature: Buffer,
  bundleDigest: Buffer | undefined,
  signal: AbortSignal | undefined,
  failures: string[],
): Promise<SignedEntity['signature']> {
  const verifier = crypto.createVerify(alg);
  const [digest] = await Promise.all([
    digestFileOnWorker(file, alg, signal),
    streamFile(file, (c) => verifier.update(c), signal),
  ]);
  if (bundleDigest && !timingSafeEqualBuf(digest, bundleDigest)) {
    failures.push(
      `artifact digest: the bundle signs ${alg}:${bundleDigest.toString('hex')}, the file has ${alg}:${digest.toString('hex')} (the file was changed, or the bundle is for another file)`,
    );
  }
  const results = new Map<crypto.KeyObject, boolean>();
  return {
    signature,
    compareSignature: (s) => timingSafeEqualBuf(s, signature),
    compareDigest: (d) => timingSafeEqualBuf(d, digest) && (!bundleDigest || timingSafeEqualBuf(d, bundleDigest)),
    verifySignature: (key) => {
      // A Verify object can only finish once; remember the answer per key.
      if (!results.has(key)) {
        let ok = false;
        try {
          ok = results.size === 0 && verifier.verify(key, signature);
        } catch {
          ok = false;
        }
        results.set(key, ok);
      }
      return results.get(key)!;
    },
  };
}

/** The message-signature content for bytes already in memory. */
function inMemoryMessageSignature(
  data: Buffer,
  alg: string,
  signature: Buffer,
  bundleDigest: Buffer | undefined,
  failures: string[],
): SignedEntity['signature'] {
  const digest = crypto.createHash(alg).update(data).digest();
  if (bundleDigest && !timingSafeEqualBuf(digest, bundleDigest)) {
    failures.push(
      `artifact digest: the bundle signs ${alg}:${bundleDigest.toString('hex')}, the signed content has ${alg}:${digest.toString('hex')} (the bundle is for other content)`,
    );
  }
  return {
    signature,
    compareSignature: (s) => timingSafeEqualBuf(s, signature),
    compareDigest: (d) => timingSafeEqualBuf(d, digest) && (!bundleDigest || timingSafeEqualBuf(d, bundleDigest)),
    verifySignature: (key) => {
      try {
        return crypto.verify(alg, data, key, signature);
      } catch {
        return false;
      }
    },
  };
}

function tlogSummary(e: TransparencyLogEntry): TlogSummary {
  const t = Number(e.integratedTime ?? '0');
  return {
    logIndex: String(e.logIndex ?? ''),
    integratedTime: t > 0 ? new Date(t * 1000).toISOString() : undefined,
    logId: e.logId?.keyId ? Buffer.from(e.logId.keyId).toString('hex') : undefined,
    kind: e.kindVersion ? `${e.kindVersion.kind} ${e.kindVersion.version}` : undefined,
  };
}

function signingTime(bundle: Bundle, entity: SignedEntity): string | undefined {
  for (const t of entity.timestamps) {
    if (t.$case === 'transparency-log') {
      const s = Number(t.tlogEntry.integratedTime ?? '0');
      if (s > 0) return new Date(s * 1000).toISOString();
    } else {
      try {
        return t.timestamp.signingTime.toISOString();
      } catch {
        /* next */
      }
    }
  }
  for (const ts of bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? []) {
    try {
      return RFC3161Timestamp.parse(Buffer.from(ts.signedTimestamp)).signingTime.toISOString();
    } catch {
      /* next */
    }
  }
  return undefined;
}

const CODE_WORDS: Record<string, string> = {
  TLOG_INCLUSION_PROMISE_ERROR:
    'transparency log: the signed entry timestamp (inclusion promise) does not verify with a trusted log key',
  TLOG_INCLUSION_PROOF_ERROR: 'transparency log: the inclusion proof or its checkpoint does not verify',
  TLOG_BODY_ERROR: 'transparency log: the log entry does not describe this signature and artifact',
  TLOG_ERROR: 'transparency log: not enough verified entries',
  CERTIFICATE_ERROR:
    'certificate: it does not chain to a trusted Fulcio CA at signing time, or its SCT does not verify',
  TIMESTAMP_ERROR: 'timestamp: no trusted time of signing could be established',
  SIGNATURE_ERROR: "signature: it does not verify over the signed content with the signer's key",
  PUBLIC_KEY_ERROR: "public key: the bundle's key was not found or is not valid",
  UNTRUSTED_SIGNER_ERROR: 'certificate identity: the signer is not the expected one',
};

/** Turns anything the verifier throws into one sentence: the failed check, then the detail. */
export function explainVerifyError(e: unknown, kind: 'message' | 'dsse'): string {
  if (e instanceof VerificationError || e instanceof PolicyError) {
    let words = CODE_WORDS[e.code] ?? e.code;
    if (e.code === 'SIGNATURE_ERROR' && kind === 'message')
      words =
        "signature: it does not verify over the file with the signer's key (the file was changed, or the signature was made with another key or for another file)";
    return `${words} (${e.message})`;
  }
  const msg = (e as Error)?.message ?? String(e);
  return `verification error: ${msg}`;
}

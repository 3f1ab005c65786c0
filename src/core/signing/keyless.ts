import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { bundleToJSON, toMessageSignatureBundle, type TransparencyLogEntry } from '@sigstore/bundle';
import { HashAlgorithm } from '@sigstore/protobuf-specs';
import { CIContextProvider, FulcioSigner, RekorWitness, type IdentityProvider, type Signer } from '@sigstore/sign';
import { attest } from 'sigstore';
import { INTOTO_PAYLOAD_TYPE } from './dsse.ts';
import { PUBLIC_GOOD_FULCIO, PUBLIC_GOOD_REKOR, redactTokens } from './endpoints.ts';
import { pemBlocks } from './keys.ts';
import { buildOmsStatement, MODEL_SIG } from './modelSigning.ts';
import { signFileStreaming, type SignResult } from './sign.ts';

/**
 * Keyless signing (online, only when the user asks): an ephemeral key, a Fulcio certificate for
 * the user's OIDC identity, and a Rekor entry. Part of the online chunk (online.ts): nothing here
 * loads until the user signs keylessly.
 *
 * Folders get a model_signing `model.sig` in its "sigstore" mode through sigstore-js's `attest`
 * (DSSE over the in-toto statement, Rekor dsse entry). Files are signed with a streamed signature
 * (any size) on @sigstore/sign's Fulcio signer and Rekor witness, the parts sigstore-js's `sign`
 * is made of: `sign` takes the whole artifact as one Buffer, which a weight file of hundreds of GB
 * cannot be.
 */

export interface KeylessOptions {
  /** Supplies the OIDC identity token (browser flow, SIGSTORE_ID_TOKEN, CI ambient token). */
  identity: IdentityProvider;
  fulcioURL?: string;
  rekorURL?: string;
  output?: string;
  ignorePaths?: string[];
  signal?: AbortSignal;
  /** Network timeout per request (ms). */
  timeout?: number;
}

function certificateDer(pem: string): Buffer {
  const block = pemBlocks(pem).find((b) => b.label === 'CERTIFICATE');
  if (!block) throw new Error('Fulcio returned no certificate');
  return block.der;
}

async function write(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, text, { mode: 0o644 });
  await fs.rename(tmp, file);
}

/** Signs a file keylessly: Sigstore v0.3 bundle with the Fulcio certificate and a hashedrekord entry. */
export async function signBlobKeyless(
  file: string,
  opts: KeylessOptions,
): Promise<SignResult & { identity?: string; logIndex?: string }> {
  const ephemeral = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const streamed = await signFileStreaming(file, ephemeral.privateKey, opts.signal);
  // FulcioSigner asks its key holder to sign the OIDC subject (proof of possession) and then the
  // artifact; the artifact's signature was already made over the streamed file, so it is returned as is.
  const ARTIFACT = Buffer.from('streamed artifact');
  const publicPem = ephemeral.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const keyHolder: Signer = {
    sign: async (data) => ({
      signature: data === ARTIFACT ? streamed.signature : crypto.sign('sha256', data, ephemeral.privateKey),
      key: { $case: 'publicKey', publicKey: publicPem },
    }),
  };
  const fulcio = new FulcioSigner({
    identityProvider: opts.identity,
    keyHolder,
    fulcioBaseURL: opts.fulcioURL ?? PUBLIC_GOOD_FULCIO,
    timeout: opts.timeout ?? 15_000,
  });
  const signed = await fulcio.sign(ARTIFACT);
  if (signed.key.$case !== 'x509Certificate') throw new Error('Fulcio did not return a certificate');
  const certPem = signed.key.certificate;
  const witness = new RekorWitness({
    rekorBaseURL: opts.rekorURL ?? PUBLIC_GOOD_REKOR,
    timeout: opts.timeout ?? 15_000,
  });
  const hashAlg =
    streamed.alg === 'sha256'
      ? HashAlgorithm.SHA2_256
      : streamed.alg === 'sha384'
        ? HashAlgorithm.SHA2_384
        : HashAlgorithm.SHA2_512;
  const vm = await witness.testify(
    {
      $case: 'messageSignature',
      messageSignature: {
        messageDigest: { algorithm: hashAlg, digest: streamed.digest },
        signature: streamed.signature,
      },
    },
    certPem,
  );
  const bundle = toMessageSignatureBundle({
    digest: streamed.digest,
    signature: streamed.signature,
    certificate: certificateDer(certPem),
    certificateChain: false,
  });
  bundle.verificationMaterial.tlogEntries = (vm.tlogEntries ?? []) as TransparencyLogEntry[];
  // toMessageSignatureBundle labels the digest SHA-256; keep the label true for other curves.
  if (bundle.content.$case === 'messageSignature' && bundle.content.messageSignature.messageDigest)
    bundle.content.messageSignature.messageDigest.algorithm = hashAlg;
  const out = opts.output ?? `${file}.sigstore.json`;
  await write(out, JSON.stringify(bundleToJSON(bundle)) + '\n');
  const san = new crypto.X509Certificate(certificateDer(certPem)).subjectAltName;
  return {
    path: file,
    signatureFile: out,
    format: 'sigstore-bundle',
    digest: `${streamed.alg}:${streamed.digest.toString('hex')}`,
    identity: san,
    logIndex: bundle.verificationMaterial.tlogEntries[0]?.logIndex,
  };
}

/** Signs a model folder keylessly: model.sig as `model_signing sign sigstore` writes it. */
export async function signModelKeyless(
  dir: string,
  opts: KeylessOptions,
): Promise<SignResult & { identity?: string; logIndex?: string }> {
  const out = opts.output ?? path.join(dir, MODEL_SIG);
  const rel = path.relative(dir, out).split(path.sep).join('/');
  const { payload, resources } = await buildOmsStatement(dir, {
    signatureName: rel.startsWith('..') ? MODEL_SIG : rel,
    ignorePaths: opts.ignorePaths,
    signal: opts.signal,
  });
  opts.signal?.throwIfAborted();
  const bundle = await attest(payload, INTOTO_PAYLOAD_TYPE, {
    identityProvider: opts.identity,
    fulcioURL: opts.fulcioURL ?? PUBLIC_GOOD_FULCIO,
    rekorURL: opts.rekorURL ?? PUBLIC_GOOD_REKOR,
    timeout: opts.timeout ?? 15_000,
  });
  // model_signing leaves the DSSE key id empty; verifiers match the certificate, not a key id.
  for (const s of bundle.dsseEnvelope?.signatures ?? []) s.keyid = '';
  await write(out, JSON.stringify(bundle, null, 2) + '\n');
  const subject = JSON.parse(payload.toString('utf8')) as { subject: { digest: { sha256: string } }[] };
  const material = bundle.verificationMaterial;
  const certificate = material.certificate?.rawBytes ?? material.x509CertificateChain?.certificates[0]?.rawBytes;
  return {
    path: dir,
    signatureFile: out,
    format: 'model-signing',
    digest: `sha256:${subject.subject[0].digest.sha256}`,
    files: resources.length,
    identity: certificate ? new crypto.X509Certificate(Buffer.from(certificate, 'base64')).subjectAltName : undefined,
    logIndex: material.tlogEntries[0]?.logIndex,
  };
}

export async function signPathKeyless(
  target: string,
  opts: KeylessOptions,
): Promise<SignResult & { identity?: string; logIndex?: string }> {
  const abs = path.resolve(target);
  try {
    return (await fs.stat(abs)).isDirectory() ? await signModelKeyless(abs, opts) : await signBlobKeyless(abs, opts);
  } catch (e) {
    throw new Error(redactTokens(describeSigningError(e)));
  }
}

/** The CI's ambient OIDC token (GitHub Actions id-token, …), as sigstore-js finds it. */
export function ambientIdentity(): IdentityProvider {
  return new CIContextProvider('sigstore');
}

function describeSigningError(e: unknown): string {
  const err = e as { message?: string; code?: string; cause?: { message?: string } };
  const detail = err?.cause?.message ? ` (${err.cause.message})` : '';
  return `${err?.code ? `${err.code}: ` : ''}${err?.message ?? String(e)}${detail}`;
}

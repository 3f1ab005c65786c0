import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { bundleToJSON, toMessageSignatureBundle, type TransparencyLogEntry } from '@sigstore/bundle';
import { DSSEBundleBuilder, FulcioSigner, RekorWitness, type IdentityProvider, type Signer } from '@sigstore/sign';
import { HashAlgorithm } from '@sigstore/protobuf-specs';
import { INTOTO_PAYLOAD_TYPE } from './dsse.ts';
import { pemBlocks } from './keys.ts';
import { buildOmsStatement, MODEL_SIG } from './modelSigning.ts';
import { signFileStreaming, type SignResult } from './sign.ts';

/**
 * Keyless signing (online, only when the user asks): an ephemeral P-256 key, a Fulcio certificate
 * for the user's OIDC identity, and a Rekor entry. Files are signed with the streamed signature
 * (any size); folders get a model_signing `model.sig` in its "sigstore" mode (DSSE, Rekor dsse entry).
 */

export const PUBLIC_GOOD_FULCIO = 'https://fulcio.sigstore.dev';
export const PUBLIC_GOOD_REKOR = 'https://rekor.sigstore.dev';

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
export async function signBlobKeyless(file: string, opts: KeylessOptions): Promise<SignResult & { identity?: string; logIndex?: string }> {
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
  const fulcio = new FulcioSigner({ identityProvider: opts.identity, keyHolder, fulcioBaseURL: opts.fulcioURL ?? PUBLIC_GOOD_FULCIO, timeout: opts.timeout ?? 15_000 });
  const signed = await fulcio.sign(ARTIFACT);
  if (signed.key.$case !== 'x509Certificate') throw new Error('Fulcio did not return a certificate');
  const certPem = signed.key.certificate;
  const witness = new RekorWitness({ rekorBaseURL: opts.rekorURL ?? PUBLIC_GOOD_REKOR, timeout: opts.timeout ?? 15_000 });
  const hashAlg = streamed.alg === 'sha256' ? HashAlgorithm.SHA2_256 : streamed.alg === 'sha384' ? HashAlgorithm.SHA2_384 : HashAlgorithm.SHA2_512;
  const vm = await witness.testify({ $case: 'messageSignature', messageSignature: { messageDigest: { algorithm: hashAlg, digest: streamed.digest }, signature: streamed.signature } }, certPem);
  const bundle = toMessageSignatureBundle({ digest: streamed.digest, signature: streamed.signature, certificate: certificateDer(certPem), certificateChain: false });
  bundle.verificationMaterial.tlogEntries = (vm.tlogEntries ?? []) as TransparencyLogEntry[];
  // toMessageSignatureBundle labels the digest SHA-256; keep the label true for other curves.
  if (bundle.content.$case === 'messageSignature' && bundle.content.messageSignature.messageDigest) bundle.content.messageSignature.messageDigest.algorithm = hashAlg;
  const out = opts.output ?? `${file}.sigstore.json`;
  await write(out, JSON.stringify(bundleToJSON(bundle)) + '\n');
  const san = new crypto.X509Certificate(certificateDer(certPem)).subjectAltName;
  return { path: file, signatureFile: out, format: 'sigstore-bundle', digest: `${streamed.alg}:${streamed.digest.toString('hex')}`, identity: san, logIndex: bundle.verificationMaterial.tlogEntries[0]?.logIndex };
}

/** Signs a model folder keylessly: model.sig as `model_signing sign sigstore` writes it. */
export async function signModelKeyless(dir: string, opts: KeylessOptions): Promise<SignResult & { identity?: string; logIndex?: string }> {
  const out = opts.output ?? path.join(dir, MODEL_SIG);
  const rel = path.relative(dir, out).split(path.sep).join('/');
  const { payload, resources } = await buildOmsStatement(dir, { signatureName: rel.startsWith('..') ? MODEL_SIG : rel, ignorePaths: opts.ignorePaths, signal: opts.signal });
  const signer = new FulcioSigner({ identityProvider: opts.identity, fulcioBaseURL: opts.fulcioURL ?? PUBLIC_GOOD_FULCIO, timeout: opts.timeout ?? 15_000 });
  const witness = new RekorWitness({ rekorBaseURL: opts.rekorURL ?? PUBLIC_GOOD_REKOR, entryType: 'dsse', timeout: opts.timeout ?? 15_000 });
  const bundle = await new DSSEBundleBuilder({ signer, witnesses: [witness] }).create({ data: payload, type: INTOTO_PAYLOAD_TYPE });
  const json = bundleToJSON(bundle) as { dsseEnvelope?: { signatures?: { keyid?: string }[] } };
  for (const s of json.dsseEnvelope?.signatures ?? []) s.keyid = '';
  await write(out, JSON.stringify(json, null, 2) + '\n');
  const subject = JSON.parse(payload.toString('utf8')) as { subject: { digest: { sha256: string } }[] };
  const cert = bundle.verificationMaterial.content;
  const der = cert.$case === 'certificate' ? cert.certificate.rawBytes : cert.$case === 'x509CertificateChain' ? cert.x509CertificateChain.certificates[0].rawBytes : undefined;
  return {
    path: dir, signatureFile: out, format: 'model-signing', digest: `sha256:${subject.subject[0].digest.sha256}`, files: resources.length,
    identity: der ? new crypto.X509Certificate(Buffer.from(der)).subjectAltName : undefined,
    logIndex: bundle.verificationMaterial.tlogEntries[0]?.logIndex,
  };
}

export async function signPathKeyless(target: string, opts: KeylessOptions): Promise<SignResult & { identity?: string; logIndex?: string }> {
  const abs = path.resolve(target);
  try {
    return (await fs.stat(abs)).isDirectory() ? await signModelKeyless(abs, opts) : await signBlobKeyless(abs, opts);
  } catch (e) {
    throw new Error(redactTokens(describeSigningError(e)));
  }
}

/** sigstore-js puts the whole identity token into some error messages; a token is a credential. */
export function redactTokens(text: string): string {
  return text.replace(/eyJ[\w-]*\.[\w-]*\.[\w-]*/g, '<identity token>');
}

function describeSigningError(e: unknown): string {
  const err = e as { message?: string; code?: string; cause?: { message?: string } };
  const detail = err?.cause?.message ? ` (${err.cause.message})` : '';
  return `${err?.code ? `${err.code}: ` : ''}${err?.message ?? String(e)}${detail}`;
}

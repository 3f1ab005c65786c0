/**
 * `sign REF` and `attest REF`, cosign-compatible: a simple-signing layer appended to the
 * `sha256-<hex>.sig` manifest, or a DSSE in-toto attestation appended to `sha256-<hex>.att`, as
 * `cosign sign` / `cosign attest` write them, so `cosign verify` and `cosign verify-attestation`
 * accept them. Only those attachment manifests are written: the image itself is never pushed, and
 * a tag is refused unless the caller allows it (it is then resolved to a digest once, and that
 * digest is what gets signed).
 */
import crypto from 'node:crypto';
import type { IdentityProvider, Signer } from '@sigstore/sign';
import { HashAlgorithm } from '@sigstore/protobuf-specs';
import type { TransparencyLogEntry } from '@sigstore/bundle';
import { INTOTO_PAYLOAD_TYPE, preAuthEncoding } from '../signing/dsse.ts';
import { hashForKey, pemBlocks } from '../signing/keys.ts';
import { PUBLIC_GOOD_FULCIO, PUBLIC_GOOD_REKOR, redactTokens } from '../signing/endpoints.ts';
import type { Descriptor, RegistryClient } from './client.ts';
import { sha256Digest } from './client.ts';
import { RegistryError } from './errors.ts';
import { MT, parseManifest } from './manifest.ts';
import { pushArtifact } from './push.ts';
import { formatReference, parseReference, repositoryName, attachmentTag, type Reference } from './reference.ts';
import { resolveReference } from './remote.ts';
import {
  COSIGN_BUNDLE_ANNOTATION,
  COSIGN_CERTIFICATE_ANNOTATION,
  COSIGN_CHAIN_ANNOTATION,
  COSIGN_SIGNATURE_ANNOTATION,
  COSIGN_SIGNATURE_TYPE,
  MAX_ATTACHMENT_LAYERS,
} from './signatures.ts';

export type ImageSigner =
  | { kind: 'key'; key: crypto.KeyObject }
  /** Online: an ephemeral key, a Fulcio certificate for the OIDC identity, a Rekor entry. */
  | { kind: 'keyless'; identity: IdentityProvider; fulcioURL?: string; rekorURL?: string; timeout?: number };

export class TagRefusedError extends Error {
  override name = 'TagRefusedError';
}

export interface SignRefOptions {
  signer: ImageSigner;
  /** Sign a tag (resolved to its digest once). Without it a tag is refused, as it can move. */
  allowTag?: boolean;
  /** `-a key=value`: cosign's optional annotations in the signed payload. */
  annotations?: Record<string, string>;
}

export interface SignRefResult {
  reference: string;
  digest: string;
  /** The input was a tag resolved to `digest`. */
  fromTag: boolean;
  /** `registry/repo:sha256-<hex>.sig` (or `.att`). */
  attachment: string;
  /** Digest of the new attachment manifest. */
  manifestDigest: string;
  /** Layers in the attachment manifest after this one was added. */
  layers: number;
  /** The same signature was already there; nothing was added. */
  alreadyPresent: boolean;
  identity?: string;
  logIndex?: string;
}

/** cosign names the repository the way go-containerregistry does: Docker Hub as index.docker.io. */
function cosignRepositoryName(ref: Reference): string {
  return ref.registry === 'docker.io' ? `index.docker.io/${ref.repository}` : repositoryName(ref);
}

/** The simple-signing payload, field order as cosign's Go structs marshal it. */
export function simpleSigningPayload(ref: Reference, digest: string, annotations?: Record<string, string>): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': cosignRepositoryName(ref) },
        image: { 'docker-manifest-digest': digest },
        type: COSIGN_SIGNATURE_TYPE,
      },
      optional: annotations && Object.keys(annotations).length ? annotations : null,
    }),
  );
}

interface Produced {
  signature: Buffer;
  annotations: Record<string, string>;
  identity?: string;
  logIndex?: string;
}

function rekorAnnotation(e: TransparencyLogEntry): string {
  return JSON.stringify({
    SignedEntryTimestamp: Buffer.from(e.inclusionPromise?.signedEntryTimestamp ?? Buffer.alloc(0)).toString('base64'),
    Payload: {
      body: Buffer.from(e.canonicalizedBody).toString('base64'),
      integratedTime: Number(e.integratedTime),
      logIndex: Number(e.logIndex),
      logID: Buffer.from(e.logId?.keyId ?? Buffer.alloc(0)).toString('hex'),
    },
  });
}

/**
 * Signs `data` (the payload, or a DSSE PAE) with a key, or keylessly (the Rekor entry records the
 * payload's message signature, or the DSSE envelope).
 */
async function produce(
  signer: ImageSigner,
  data: Buffer,
  dsse?: { payload: Buffer; payloadType: string },
): Promise<Produced> {
  if (signer.kind === 'key')
    return { signature: crypto.sign(hashForKey(signer.key), data, signer.key), annotations: {} };
  const ephemeral = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signature = crypto.sign('sha256', data, ephemeral.privateKey);
  const publicPem = ephemeral.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const keyHolder: Signer = {
    // Fulcio asks for a proof of possession (a signature over the OIDC subject) through this.
    sign: async (d) => ({
      signature: crypto.sign('sha256', d, ephemeral.privateKey),
      key: { $case: 'publicKey', publicKey: publicPem },
    }),
  };
  try {
    // Online code (sigstore-js's Fulcio and Rekor clients and their HTTP stack) loads only for a keyless signature.
    const { FulcioSigner, RekorWitness } = await import('@sigstore/sign');
    const fulcio = new FulcioSigner({
      identityProvider: signer.identity,
      keyHolder,
      fulcioBaseURL: signer.fulcioURL ?? PUBLIC_GOOD_FULCIO,
      timeout: signer.timeout ?? 15_000,
    });
    const signed = await fulcio.sign(data);
    if (signed.key.$case !== 'x509Certificate') throw new Error('Fulcio did not return a certificate');
    const certPem = signed.key.certificate;
    const witness = new RekorWitness({
      rekorBaseURL: signer.rekorURL ?? PUBLIC_GOOD_REKOR,
      entryType: dsse ? 'dsse' : undefined,
      timeout: signer.timeout ?? 15_000,
    });
    const content = dsse
      ? {
          $case: 'dsseEnvelope' as const,
          dsseEnvelope: {
            payload: dsse.payload,
            payloadType: dsse.payloadType,
            signatures: [{ sig: signature, keyid: '' }],
          },
        }
      : {
          $case: 'messageSignature' as const,
          messageSignature: {
            messageDigest: {
              algorithm: HashAlgorithm.SHA2_256,
              digest: crypto.createHash('sha256').update(data).digest(),
            },
            signature,
          },
        };
    const vm = await witness.testify(content, certPem);
    const entry = vm.tlogEntries?.[0] as TransparencyLogEntry | undefined;
    if (!entry) throw new Error('Rekor returned no log entry');
    const der = pemBlocks(certPem).find((b) => b.label === 'CERTIFICATE')?.der;
    return {
      signature,
      annotations: {
        [COSIGN_CERTIFICATE_ANNOTATION]: certPem,
        [COSIGN_CHAIN_ANNOTATION]: '',
        [COSIGN_BUNDLE_ANNOTATION]: rekorAnnotation(entry),
      },
      identity: der ? new crypto.X509Certificate(der).subjectAltName : undefined,
      logIndex: String(entry.logIndex),
    };
  } catch (e) {
    const err = e as { message?: string; cause?: { message?: string } };
    throw new Error(
      redactTokens(
        `keyless signing: ${err.message ?? String(e)}${err.cause?.message ? ` (${err.cause.message})` : ''}`,
      ),
    );
  }
}

async function target(
  client: RegistryClient,
  input: string,
  allowTag: boolean | undefined,
): Promise<{ ref: Reference; digest: string; fromTag: boolean }> {
  const ref = parseReference(input);
  if (!ref.digest && !allowTag) {
    throw new TagRefusedError(
      `${formatReference(ref)} names a tag, which can be moved to other content after you sign; sign the digest (REF@sha256:…), or pass --allow-tag to sign what the tag points at now`,
    );
  }
  // The subject must exist: a signature is attached to an image that is there, never pushed with it.
  const resolved = await resolveReference(client, ref);
  return { ref, digest: resolved.digest, fromTag: resolved.fromTag };
}

interface NewLayer {
  mediaType: string;
  bytes: Buffer;
  annotations: Record<string, string>;
}

/** Appends a layer to the `.sig`/`.att` manifest (kept as it is otherwise), unless an identical one is there. */
async function appendAttachment(
  client: RegistryClient,
  ref: Reference,
  digest: string,
  suffix: 'sig' | 'att',
  layer: NewLayer,
  sameAs: (existing: Descriptor) => boolean,
): Promise<{ manifestDigest: string; layers: number; alreadyPresent: boolean }> {
  const tag = attachmentTag(digest, suffix);
  let existing: Descriptor[] = [];
  try {
    const m = await client.getManifest(ref.registry, ref.repository, tag);
    const parsed = parseManifest(m.bytes, m.contentType, { maxLayers: MAX_ATTACHMENT_LAYERS, maxIndexEntries: 0 });
    if (parsed.kind !== 'manifest')
      throw new RegistryError(
        'invalid',
        `${repositoryName(ref)}:${tag} exists and is not a manifest; not overwriting it`,
      );
    existing = parsed.layers;
    const dup = existing.find(sameAs);
    if (dup) return { manifestDigest: m.digest, layers: existing.length, alreadyPresent: true };
  } catch (e) {
    if (!(e instanceof RegistryError && e.kind === 'not-found')) throw e;
  }
  if (existing.length >= MAX_ATTACHMENT_LAYERS)
    throw new RegistryError(
      'limit',
      `${repositoryName(ref)}:${tag} already holds ${existing.length} layers (cosign's limit is ${MAX_ATTACHMENT_LAYERS})`,
    );
  const newDigest = await client.pushBlob(ref.registry, ref.repository, layer.bytes);
  const layers = [
    ...existing,
    { mediaType: layer.mediaType, digest: newDigest, size: layer.bytes.length, annotations: layer.annotations },
  ];
  // The config cosign writes: an empty image config whose diff_ids list the layers.
  const config = Buffer.from(
    JSON.stringify({
      architecture: '',
      created: '0001-01-01T00:00:00Z',
      history: layers.map(() => ({ created: '0001-01-01T00:00:00Z' })),
      os: '',
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
      config: {},
    }),
  );
  const pushed = await pushArtifact(client, ref.registry, ref.repository, tag, {
    configMediaType: MT.ociConfig,
    config,
    layers: layers.map((l) => ({
      mediaType: l.mediaType,
      stream: { digest: l.digest, size: l.size, body: Buffer.alloc(0) },
      annotations: l.annotations,
    })),
  });
  return { manifestDigest: pushed.digest, layers: layers.length, alreadyPresent: false };
}

/** `cosign sign` for a reference. */
export async function signReference(
  client: RegistryClient,
  input: string,
  opts: SignRefOptions,
): Promise<SignRefResult> {
  const { ref, digest, fromTag } = await target(client, input, opts.allowTag);
  const payload = simpleSigningPayload(ref, digest, opts.annotations);
  const produced = await produce(opts.signer, payload);
  const sigB64 = produced.signature.toString('base64');
  const payloadDigest = sha256Digest(payload);
  const r = await appendAttachment(
    client,
    ref,
    digest,
    'sig',
    {
      mediaType: MT.cosignSimpleSigning,
      bytes: payload,
      annotations: { [COSIGN_SIGNATURE_ANNOTATION]: sigB64, ...produced.annotations },
    },
    (d) => d.digest === payloadDigest && d.annotations?.[COSIGN_SIGNATURE_ANNOTATION] === sigB64,
  );
  return {
    reference: `${repositoryName(ref)}@${digest}`,
    digest,
    fromTag,
    attachment: `${repositoryName(ref)}:${attachmentTag(digest, 'sig')}`,
    ...r,
    identity: produced.identity,
    logIndex: produced.logIndex,
  };
}

/** cosign's `--type` names and the predicate types they stand for. */
export const PREDICATE_TYPES: Record<string, string> = {
  slsaprovenance: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance02: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance1: 'https://slsa.dev/provenance/v1',
  cyclonedx: 'https://cyclonedx.org/bom',
  spdx: 'https://spdx.dev/Document',
  spdxjson: 'https://spdx.dev/Document',
  custom: 'https://cosign.sigstore.dev/attestation/v1',
  vuln: 'https://cosign.sigstore.dev/attestation/vuln/v1',
  openvex: 'https://openvex.dev/ns',
};

export interface AttestRefOptions extends SignRefOptions {
  /** cosign's `--type`: a name from PREDICATE_TYPES, or a predicate type URI. */
  type: string;
  predicate: Buffer;
  /** RFC 3339 time for the `custom` predicate's Timestamp (default now). */
  now?: Date;
}

/** The in-toto statement cosign builds for `cosign attest --type T --predicate FILE`. */
export function attestationStatement(
  ref: Reference,
  digest: string,
  type: string,
  predicate: Buffer,
  now = new Date(),
): { statement: Buffer; predicateType: string } {
  const known = PREDICATE_TYPES[type];
  let predicateType: string;
  if (known) predicateType = known;
  else if (/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(type)) predicateType = type;
  else
    throw new Error(
      `unknown predicate type ${JSON.stringify(type)}: use ${Object.keys(PREDICATE_TYPES).join(', ')}, or a predicate type URI`,
    );
  let body: unknown;
  if (type === 'custom') {
    body = { Data: predicate.toString('utf8'), Timestamp: now.toISOString().replace(/\.\d{3}Z$/, 'Z') };
  } else {
    try {
      body = JSON.parse(predicate.toString('utf8'));
    } catch (e) {
      if (type === 'spdx') body = predicate.toString('utf8');
      else throw new Error(`the predicate for --type ${type} must be JSON (${(e as Error).message})`);
    }
  }
  const statement = {
    _type: 'https://in-toto.io/Statement/v0.1',
    predicateType,
    subject: [{ name: cosignRepositoryName(ref), digest: { [digest.split(':')[0]]: digest.split(':')[1] } }],
    predicate: body,
  };
  return { statement: Buffer.from(JSON.stringify(statement)), predicateType };
}

/** `cosign attest` for a reference. */
export async function attestReference(
  client: RegistryClient,
  input: string,
  opts: AttestRefOptions,
): Promise<SignRefResult & { predicateType: string }> {
  const { ref, digest, fromTag } = await target(client, input, opts.allowTag);
  const { statement, predicateType } = attestationStatement(ref, digest, opts.type, opts.predicate, opts.now);
  const produced = await produce(opts.signer, preAuthEncoding(INTOTO_PAYLOAD_TYPE, statement), {
    payload: statement,
    payloadType: INTOTO_PAYLOAD_TYPE,
  });
  const envelope = Buffer.from(
    JSON.stringify({
      payloadType: INTOTO_PAYLOAD_TYPE,
      payload: statement.toString('base64'),
      signatures: [{ keyid: '', sig: produced.signature.toString('base64') }],
    }),
  );
  const envDigest = sha256Digest(envelope);
  const r = await appendAttachment(
    client,
    ref,
    digest,
    'att',
    {
      mediaType: MT.dsseEnvelope,
      bytes: envelope,
      annotations: { [COSIGN_SIGNATURE_ANNOTATION]: '', predicateType, ...produced.annotations },
    },
    (d) => d.digest === envDigest,
  );
  return {
    reference: `${repositoryName(ref)}@${digest}`,
    digest,
    fromTag,
    attachment: `${repositoryName(ref)}:${attachmentTag(digest, 'att')}`,
    ...r,
    identity: produced.identity,
    logIndex: produced.logIndex,
    predicateType,
  };
}

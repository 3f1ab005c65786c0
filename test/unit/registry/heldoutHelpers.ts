/**
 * Helpers for the held-out registry attacks: hand-made cosign `.sig`/`.att` manifests and
 * referrers (what an attacker with push access writes, byte for byte), keys, and a gate run.
 */
import crypto from 'node:crypto';
import { RegistryClient, sha256Digest, type Descriptor } from '../../../src/core/registry/client.ts';
import { MT } from '../../../src/core/registry/manifest.ts';
import { pushArtifact, pushIndex } from '../../../src/core/registry/push.ts';
import { attachmentTag } from '../../../src/core/registry/reference.ts';
import { COSIGN_SIGNATURE_ANNOTATION, COSIGN_SIGNATURE_TYPE } from '../../../src/core/registry/signatures.ts';
import { preAuthEncoding } from '../../../src/core/signing/dsse.ts';
import { safetensors } from './fixtures.ts';

export interface KeyPair {
  privateKey: crypto.KeyObject;
  publicKey: crypto.KeyObject;
}

export function ecKey(): KeyPair {
  return crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

export function trustOf(k: KeyPair) {
  return { keys: [{ key: k.publicKey, label: 'release.pub' }], identity: {} };
}

/** cosign's simple-signing payload for `digest`, naming `dockerReference`. */
export function payloadFor(dockerReference: string, digest: string, type = COSIGN_SIGNATURE_TYPE): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': dockerReference },
        image: { 'docker-manifest-digest': digest },
        type,
      },
      optional: null,
    }),
  );
}

export function signBytes(k: KeyPair, data: Buffer): string {
  return crypto.sign('sha256', data, k.privateKey).toString('base64');
}

export interface SigLayer {
  payload: Buffer;
  signature: string;
  annotations?: Record<string, string>;
  mediaType?: string;
}

/** Writes the `sha256-<hex>.sig` manifest with these layers (replacing any). */
export async function pushSig(
  client: RegistryClient,
  host: string,
  repo: string,
  subject: string,
  layers: SigLayer[],
): Promise<string> {
  const pushed = await pushArtifact(client, host, repo, attachmentTag(subject, 'sig'), {
    configMediaType: MT.ociConfig,
    config: Buffer.from('{"architecture":"","os":"","rootfs":{"type":"layers","diff_ids":[]},"config":{}}'),
    layers: layers.map((l) => ({
      mediaType: l.mediaType ?? MT.cosignSimpleSigning,
      bytes: l.payload,
      annotations: { [COSIGN_SIGNATURE_ANNOTATION]: l.signature, ...l.annotations },
    })),
  });
  return pushed.digest;
}

export function statementFor(name: string, digest: string, predicateType: string, predicate: unknown): Buffer {
  const [alg, hex] = digest.split(':');
  return Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v0.1',
      predicateType,
      subject: [{ name, digest: { [alg]: hex } }],
      predicate,
    }),
  );
}

export function envelope(
  statement: Buffer,
  signers: KeyPair[],
  payloadType = 'application/vnd.in-toto+json',
  signedType = payloadType,
): Buffer {
  const pae = preAuthEncoding(signedType, statement);
  return Buffer.from(
    JSON.stringify({
      payloadType,
      payload: statement.toString('base64'),
      signatures: signers.map((k) => ({ keyid: '', sig: crypto.sign('sha256', pae, k.privateKey).toString('base64') })),
    }),
  );
}

/** Writes the `sha256-<hex>.att` manifest with these DSSE layers. */
export async function pushAtt(
  client: RegistryClient,
  host: string,
  repo: string,
  subject: string,
  layers: { envelope: Buffer; predicateType: string }[],
): Promise<string> {
  const pushed = await pushArtifact(client, host, repo, attachmentTag(subject, 'att'), {
    configMediaType: MT.ociConfig,
    config: Buffer.from('{"architecture":"","os":"","rootfs":{"type":"layers","diff_ids":[]},"config":{}}'),
    layers: layers.map((l) => ({
      mediaType: MT.dsseEnvelope,
      bytes: l.envelope,
      annotations: { [COSIGN_SIGNATURE_ANNOTATION]: '', predicateType: l.predicateType },
    })),
  });
  return pushed.digest;
}

/** A one-layer ModelPack-style artifact (a safetensors weight unless other bytes are given). */
export async function pushModel(
  client: RegistryClient,
  host: string,
  repo: string,
  tag: string | undefined,
  layers: { bytes: Buffer; mediaType?: string; title?: string }[] = [
    { bytes: safetensors(4), title: 'model.safetensors' },
  ],
): Promise<Descriptor & { bytes: Buffer }> {
  return pushArtifact(client, host, repo, tag, {
    configMediaType: 'application/vnd.cncf.model.config.v1+json',
    config: Buffer.from(JSON.stringify({ descriptor: { name: repo } })),
    artifactType: 'application/vnd.cncf.model.manifest.v1+json',
    layers: layers.map((l) => ({
      mediaType: l.mediaType ?? 'application/vnd.cncf.model.weight.v1.raw',
      bytes: l.bytes,
      annotations: l.title ? { 'org.opencontainers.image.title': l.title } : undefined,
    })),
  });
}

/** A Sigstore v0.3 bundle whose message signature (by `k`, public-key material) covers `signed`. */
export function keyBundle(k: KeyPair, signed: Buffer): Buffer {
  return Buffer.from(
    JSON.stringify({
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: { publicKey: { hint: '' }, tlogEntries: [] },
      messageSignature: {
        messageDigest: { algorithm: 'SHA2_256', digest: crypto.createHash('sha256').update(signed).digest('base64') },
        signature: crypto.sign('sha256', signed, k.privateKey).toString('base64'),
      },
    }),
  );
}

/** A referrer manifest holding a bundle, listed in the `sha256-<hex>` referrers tag of `listedUnder`. */
export async function pushReferrer(
  client: RegistryClient,
  host: string,
  repo: string,
  listedUnder: string,
  subject: Descriptor | undefined,
  bundle: Buffer,
): Promise<void> {
  const m = await pushArtifact(client, host, repo, undefined, {
    configMediaType: MT.ociEmpty,
    config: Buffer.from('{}'),
    artifactType: MT.sigstoreBundleV03,
    layers: [{ mediaType: MT.sigstoreBundleV03, bytes: bundle }],
    subject,
  });
  await pushIndex(client, host, repo, attachmentTag(listedUnder), [
    { mediaType: MT.ociManifest, digest: m.digest, size: m.size, artifactType: MT.sigstoreBundleV03 },
  ]);
}

export { sha256Digest };

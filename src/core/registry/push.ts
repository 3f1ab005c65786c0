/**
 * Writing to a registry: blobs, then an OCI image manifest that names them. Used by `sign REF`
 * and `attest REF` (which only ever add signature and attestation manifests next to an image,
 * never re-push it) and by the tests and benchmark to publish fixtures.
 */
import type { Body, Descriptor, RegistryClient } from './client.ts';
import { sha256Digest } from './client.ts';
import { MT } from './manifest.ts';

export interface LayerInput {
  mediaType: string;
  bytes?: Buffer;
  /** A blob streamed from elsewhere (digest and size known). */
  stream?: { digest: string; size: number; body: Body };
  annotations?: Record<string, string>;
}

export interface ArtifactInput {
  configMediaType: string;
  config: Buffer;
  layers: LayerInput[];
  artifactType?: string;
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** The manifest JSON for an artifact (layers in order, annotations kept). */
export function buildManifest(input: ArtifactInput, layerDescriptors: Descriptor[]): Buffer {
  const m: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: MT.ociManifest,
    ...(input.artifactType ? { artifactType: input.artifactType } : {}),
    config: { mediaType: input.configMediaType, digest: sha256Digest(input.config), size: input.config.length },
    layers: layerDescriptors,
    ...(input.subject
      ? { subject: { mediaType: input.subject.mediaType, digest: input.subject.digest, size: input.subject.size } }
      : {}),
    ...(input.annotations && Object.keys(input.annotations).length ? { annotations: input.annotations } : {}),
  };
  return Buffer.from(JSON.stringify(m));
}

/** Pushes the blobs and the manifest; returns the manifest's descriptor. `tag` undefined pushes by digest. */
export async function pushArtifact(
  client: RegistryClient,
  registry: string,
  repository: string,
  tag: string | undefined,
  input: ArtifactInput,
): Promise<Descriptor & { bytes: Buffer }> {
  const descriptors: Descriptor[] = [];
  for (const l of input.layers) {
    let digest: string;
    let size: number;
    if (l.stream) {
      digest = await client.pushBlobBody(registry, repository, l.stream.digest, l.stream.body);
      size = l.stream.size;
    } else {
      const bytes = l.bytes ?? Buffer.alloc(0);
      digest = await client.pushBlob(registry, repository, bytes);
      size = bytes.length;
    }
    descriptors.push({
      mediaType: l.mediaType,
      digest,
      size,
      ...(l.annotations && Object.keys(l.annotations).length ? { annotations: l.annotations } : {}),
    });
  }
  await client.pushBlob(registry, repository, input.config);
  const bytes = buildManifest(input, descriptors);
  const digest = sha256Digest(bytes);
  await client.putManifest(registry, repository, tag ?? digest, bytes, MT.ociManifest);
  return { mediaType: MT.ociManifest, digest, size: bytes.length, bytes };
}

/** Pushes an OCI image index (e.g. the referrers tag-schema list) under a tag. */
export async function pushIndex(
  client: RegistryClient,
  registry: string,
  repository: string,
  tag: string,
  manifests: Descriptor[],
  annotations?: Record<string, string>,
): Promise<Descriptor> {
  const bytes = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: MT.ociIndex, manifests, ...(annotations ? { annotations } : {}) }),
  );
  const digest = await client.putManifest(registry, repository, tag, bytes, MT.ociIndex);
  return { mediaType: MT.ociIndex, digest, size: bytes.length };
}

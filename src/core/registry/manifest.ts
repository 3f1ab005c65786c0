/**
 * OCI image manifests and indexes (image-spec v1.1) and their Docker v2 twins, parsed strictly:
 * every descriptor needs a media type, a well-formed digest and a non-negative safe-integer size,
 * and a manifest with more layers or an index with more entries than the limits is refused as
 * incomplete rather than walked. The media type is taken from the document when it names one, and
 * from the registry's Content-Type otherwise; when both exist and differ, that is reported.
 */
import type { Descriptor } from './client.ts';
import { isDigest } from './reference.ts';

export const MT = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  cosignSimpleSigning: 'application/vnd.dev.cosign.simplesigning.v1+json',
  dsseEnvelope: 'application/vnd.dsse.envelope.v1+json',
  sigstoreBundleV03: 'application/vnd.dev.sigstore.bundle.v0.3+json',
  inTotoJson: 'application/vnd.in-toto+json',
} as const;

export interface ManifestLimits {
  maxLayers: number;
  maxIndexEntries: number;
}

export const DEFAULT_MANIFEST_LIMITS: ManifestLimits = { maxLayers: 10_000, maxIndexEntries: 1_000 };

export interface ImageManifest {
  kind: 'manifest';
  mediaType: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations: Record<string, string>;
}

export interface ImageIndex {
  kind: 'index';
  mediaType: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations: Record<string, string>;
}

export type ParsedManifest = ImageManifest | ImageIndex;

export class ManifestError extends Error {
  override name = 'ManifestError';
  constructor(
    message: string,
    readonly limit = false,
  ) {
    super(message);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function annotationsOf(v: unknown, where: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw new ManifestError(`${where}: annotations is not an object`);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) if (typeof val === 'string') out[k] = val;
  return out;
}

export function parseDescriptor(v: unknown, where: string): Descriptor {
  if (!isObject(v)) throw new ManifestError(`${where} is not a descriptor object`);
  const { mediaType, digest, size } = v;
  if (typeof mediaType !== 'string' || mediaType === '' || mediaType.length > 255)
    throw new ManifestError(`${where}: mediaType missing or invalid`);
  if (typeof digest !== 'string' || !isDigest(digest))
    throw new ManifestError(
      `${where}: digest ${JSON.stringify(typeof digest === 'string' ? digest.slice(0, 80) : digest)} is not sha256:<64 hex> or sha512:<128 hex>`,
    );
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    throw new ManifestError(`${where}: size ${JSON.stringify(size)} is not a non-negative integer`);
  const d: Descriptor = { mediaType, digest, size };
  const ann = annotationsOf(v.annotations, where);
  if (Object.keys(ann).length) d.annotations = ann;
  if (typeof v.artifactType === 'string') d.artifactType = v.artifactType;
  if (isObject(v.platform)) {
    const p = v.platform;
    d.platform = {
      os: typeof p.os === 'string' ? p.os : undefined,
      architecture: typeof p.architecture === 'string' ? p.architecture : undefined,
      variant: typeof p.variant === 'string' ? p.variant : undefined,
    };
  }
  if (Array.isArray(v.urls)) d.urls = v.urls.filter((u): u is string => typeof u === 'string');
  return d;
}

/** Parses manifest bytes. `contentType` is the registry's Content-Type (used when the document has none). */
export function parseManifest(
  bytes: Buffer,
  contentType: string,
  limits: ManifestLimits = DEFAULT_MANIFEST_LIMITS,
): ParsedManifest {
  let j: unknown;
  try {
    j = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new ManifestError(`the manifest is not JSON (${(e as Error).message})`);
  }
  if (!isObject(j)) throw new ManifestError('the manifest is not a JSON object');
  if (j.schemaVersion !== 2)
    throw new ManifestError(
      `schemaVersion ${JSON.stringify(j.schemaVersion)} (only schema 2 manifests are supported; Docker schema 1 is deprecated and unsigned content)`,
    );
  const declared = typeof j.mediaType === 'string' ? j.mediaType : undefined;
  const mediaType = declared ?? contentType;
  const artifactType = typeof j.artifactType === 'string' ? j.artifactType : undefined;
  const annotations = annotationsOf(j.annotations, 'manifest');
  const subject = j.subject === undefined || j.subject === null ? undefined : parseDescriptor(j.subject, 'subject');
  // A document with both an index's list and a manifest's config/layers is read as one thing
  // here and another elsewhere; containerd and containers/image refuse it, and so does this.
  if (j.manifests !== undefined && (j.layers !== undefined || j.config !== undefined)) {
    throw new ManifestError(
      'the document has both an index\'s "manifests" and a manifest\'s "config"/"layers": an ambiguous document that runtimes refuse (containerd, containers/image) and readers take for different things',
    );
  }
  const isIndex =
    mediaType === MT.ociIndex ||
    mediaType === MT.dockerList ||
    (declared === undefined && Array.isArray(j.manifests) && !Array.isArray(j.layers));
  if (isIndex) {
    if (!Array.isArray(j.manifests)) throw new ManifestError('the index has no manifests list');
    if (j.manifests.length > limits.maxIndexEntries)
      throw new ManifestError(
        `the index lists ${j.manifests.length} manifests, more than the limit of ${limits.maxIndexEntries}`,
        true,
      );
    return {
      kind: 'index',
      mediaType,
      artifactType,
      manifests: j.manifests.map((m, i) => parseDescriptor(m, `manifests[${i}]`)),
      subject,
      annotations,
    };
  }
  if (mediaType !== MT.ociManifest && mediaType !== MT.dockerManifest && declared !== undefined) {
    throw new ManifestError(`unsupported manifest media type ${JSON.stringify(mediaType)}`);
  }
  if (!Array.isArray(j.layers)) throw new ManifestError('the manifest has no layers list');
  if (j.layers.length > limits.maxLayers)
    throw new ManifestError(
      `the manifest lists ${j.layers.length} layers, more than the limit of ${limits.maxLayers}`,
      true,
    );
  const config = parseDescriptor(j.config, 'config');
  return {
    kind: 'manifest',
    mediaType: mediaType || MT.ociManifest,
    artifactType,
    config,
    layers: j.layers.map((l, i) => parseDescriptor(l, `layers[${i}]`)),
    subject,
    annotations,
  };
}

/** A descriptor's display name: the ORAS/OCI title, the ModelPack file path, or the digest. */
export function layerTitle(d: Descriptor): string | undefined {
  const a = d.annotations ?? {};
  return a['org.opencontainers.image.title'] ?? a['org.cncf.model.filepath'];
}

export function shortDigest(digest: string): string {
  const [alg, hex] = digest.split(':');
  return `${alg}:${hex.slice(0, 12)}`;
}

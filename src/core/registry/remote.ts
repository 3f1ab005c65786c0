/**
 * A model in a registry, inspected by its reference: the tag (if any) resolved to a digest once,
 * the manifest (or every platform of an index) read and checked against that digest, each layer
 * pulled through the scanner (pull.ts), and the signatures and attestations attached to the
 * digest verified against the caller's expectations (signatures.ts). One pass, one result, with
 * every problem as a finding; a limit or an unreadable part makes the result incomplete.
 */
import type { Finding } from '../findings.ts';
import type { ScanOptions } from '../scan/types.ts';
import type { Descriptor, RegistryClient } from './client.ts';
import { RegistryError, type RegistryErrorKind } from './errors.ts';
import {
  DEFAULT_MANIFEST_LIMITS,
  MT,
  ManifestError,
  parseManifest,
  shortDigest,
  type ImageManifest,
  type ManifestLimits,
  type ParsedManifest,
} from './manifest.ts';
import { describePackaging, planPackaging, type Packaging } from './packaging.ts';
import { pullLayer, type LayerResult } from './pull.ts';
import {
  formatReference,
  isLoopbackRegistry,
  manifestReference,
  parseReference,
  pinnedReference,
  repositoryName,
  type Reference,
} from './reference.ts';
import { verifyAttachments, type AttachmentsReport, type RegistryTrust } from './signatures.ts';
import { plural } from '../messageText.ts';

export interface ResolvedReference {
  input: Reference;
  /** The digest every later step uses. */
  digest: string;
  pinned: Reference;
  /** The input named a tag (the digest was resolved from it). */
  fromTag: boolean;
  /** The manifest bytes (already checked against the digest). */
  manifest: Buffer;
  contentType: string;
}

/**
 * Resolves a reference to a digest, once: a digest reference is fetched by digest and checked; a
 * tag is asked for its digest (HEAD, or GET when the registry does not say) and the manifest is
 * then fetched by that digest. Throws RegistryError.
 */
export async function resolveReference(client: RegistryClient, ref: Reference): Promise<ResolvedReference> {
  if (ref.digest) {
    const m = await client.getManifest(ref.registry, ref.repository, ref.digest);
    return {
      input: ref,
      digest: ref.digest,
      pinned: ref,
      fromTag: false,
      manifest: m.bytes,
      contentType: m.contentType,
    };
  }
  const tag = manifestReference(ref);
  const head = await client.headManifest(ref.registry, ref.repository, tag);
  if (!head) throw new RegistryError('not-found', `${formatReference(ref)}: no such tag (manifest unknown)`, 404);
  if (head.digest) {
    const m = await client.getManifest(ref.registry, ref.repository, head.digest);
    return {
      input: ref,
      digest: head.digest,
      pinned: pinnedReference({ ...ref, tag }, head.digest),
      fromTag: true,
      manifest: m.bytes,
      contentType: m.contentType,
    };
  }
  const m = await client.getManifest(ref.registry, ref.repository, tag);
  return {
    input: ref,
    digest: m.digest,
    pinned: pinnedReference({ ...ref, tag }, m.digest),
    fromTag: true,
    manifest: m.bytes,
    contentType: m.contentType,
  };
}

/** Tag → digest, for callers that only need the digest (a "pin this image" quick fix). */
export async function resolveDigest(
  client: RegistryClient,
  reference: string | Reference,
): Promise<{ digest: string; pinned: string; mediaType: string }> {
  const ref = typeof reference === 'string' ? parseReference(reference) : reference;
  const r = await resolveReference(client, ref);
  return { digest: r.digest, pinned: formatReference(r.pinned), mediaType: r.contentType };
}

export interface RemoteInspectOptions {
  /** Pull the layers through the scanner (default true). */
  scan?: boolean;
  /** Verify attached signatures and attestations with this trust (undefined: not looked at). */
  trust?: RegistryTrust;
  scanOptions?: ScanOptions;
  manifestLimits?: Partial<ManifestLimits>;
  /** Most blob bytes read for one inspection (all layers, all platforms). */
  maxDownloadBytes?: number;
  /** Most platforms of an index inspected. */
  maxPlatforms?: number;
  tmpDir?: string;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

export interface InspectedManifest {
  digest: string;
  mediaType: string;
  platform?: string;
  packaging: Packaging;
  artifactType?: string;
  configMediaType: string;
  /** The config JSON when it is small (ModelPack and Docker model configs describe the model). */
  config?: unknown;
  layers: LayerResult[];
}

export interface RemoteModel {
  /** What the user typed. */
  input: string;
  reference?: Reference;
  /** `registry/repo[:tag]@digest`. */
  pinned?: string;
  digest?: string;
  fromTag: boolean;
  mediaType?: string;
  kind?: 'manifest' | 'index';
  manifests: InspectedManifest[];
  attachments?: AttachmentsReport;
  /** Blob bytes read. */
  bytes: number;
  /** False when any part could not be read or checked (the gate fails closed on it). */
  complete: boolean;
  findings: Finding[];
}

export const DEFAULT_MAX_DOWNLOAD = 64 * 1024 ** 3;

function kindRule(kind: RegistryErrorKind): { ruleId: string; severity: 'error' | 'warning' } {
  switch (kind) {
    case 'digest':
      return { ruleId: 'registry/digest-mismatch', severity: 'error' };
    case 'invalid':
      return { ruleId: 'registry/manifest-invalid', severity: 'error' };
    case 'limit':
      return { ruleId: 'registry/incomplete', severity: 'error' };
    case 'auth':
      return { ruleId: 'registry/access-denied', severity: 'error' };
    case 'not-found':
      return { ruleId: 'registry/not-found', severity: 'error' };
    default:
      return { ruleId: 'registry/unreachable', severity: 'error' };
  }
}

function errorFinding(e: unknown, file: string | undefined): Finding {
  if (e instanceof ManifestError)
    return {
      ruleId: e.limit ? 'registry/incomplete' : 'registry/manifest-invalid',
      severity: 'error',
      message: e.message,
      file,
    };
  if (e instanceof RegistryError) {
    const { ruleId, severity } = kindRule(e.kind);
    return { ruleId, severity, message: e.message, file, data: { kind: e.kind, status: e.status ?? null } };
  }
  return { ruleId: 'registry/unreachable', severity: 'error', message: (e as Error)?.message ?? String(e), file };
}

function platformOf(d: Descriptor): string | undefined {
  const p = d.platform;
  if (!p) return undefined;
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/') || undefined;
}

/** Inspects a model in a registry by reference. Never throws for what the registry does; only on cancellation. */
export async function inspectRemote(
  client: RegistryClient,
  input: string,
  opts: RemoteInspectOptions = {},
): Promise<RemoteModel> {
  const out: RemoteModel = { input, fromTag: false, manifests: [], bytes: 0, complete: true, findings: [] };
  const fail = (f: Finding) => {
    out.findings.push(f);
    if (f.severity !== 'info') out.complete = false;
  };
  let ref: Reference;
  try {
    ref = parseReference(input);
  } catch (e) {
    fail({
      ruleId: 'registry/manifest-invalid',
      severity: 'error',
      message: `not a registry reference: ${(e as Error).message}`,
    });
    return out;
  }
  out.reference = ref;
  const repo = repositoryName(ref);
  if (!isLoopbackRegistry(ref.registry) && client.options.allowInsecure) {
    out.findings.push({
      ruleId: 'registry/insecure-transport',
      severity: 'warning',
      message: `${ref.registry}: plain HTTP is allowed (--allow-insecure-registry); if the registry answers over HTTP, its content and any credentials travel unprotected`,
      file: repo,
    });
  }
  opts.onProgress?.(`resolving ${formatReference(ref)}`);
  let resolved: ResolvedReference;
  try {
    resolved = await resolveReference(client, ref);
  } catch (e) {
    if (opts.signal?.aborted) throw e;
    fail(errorFinding(e, formatReference(ref)));
    return out;
  }
  out.digest = resolved.digest;
  out.pinned = formatReference(resolved.pinned);
  out.fromTag = resolved.fromTag;
  const label = `${repo}@${resolved.digest}`;
  if (resolved.fromTag) {
    out.findings.push({
      ruleId: 'registry/tag-reference',
      severity: 'warning',
      message: `${formatReference(ref)} is a tag, which can be moved; it was resolved once to ${resolved.digest}, and everything below is about that digest. Refer to ${repo}@${resolved.digest} to be sure of what you get.`,
      file: label,
      data: { tag: ref.tag ?? 'latest', digest: resolved.digest },
    });
  }
  let top: ParsedManifest;
  const limits = { ...DEFAULT_MANIFEST_LIMITS, ...opts.manifestLimits };
  try {
    top = parseManifest(resolved.manifest, resolved.contentType, limits);
  } catch (e) {
    fail(errorFinding(e, label));
    return out;
  }
  out.mediaType = top.mediaType;
  out.kind = top.kind;
  if (resolved.contentType && top.mediaType !== resolved.contentType && resolved.contentType !== 'application/json') {
    out.findings.push({
      ruleId: 'registry/manifest-invalid',
      severity: 'warning',
      message: `the registry serves the manifest as ${resolved.contentType}, but it declares ${top.mediaType}`,
      file: label,
    });
  }
  const maxDownload = opts.maxDownloadBytes ?? DEFAULT_MAX_DOWNLOAD;
  const inspectManifest = async (m: ImageManifest, digest: string, platform: string | undefined) => {
    const plan = planPackaging(m);
    const im: InspectedManifest = {
      digest,
      mediaType: m.mediaType,
      platform,
      packaging: plan.packaging,
      artifactType: plan.artifactType,
      configMediaType: plan.configMediaType,
      layers: [],
    };
    out.manifests.push(im);
    const where = platform ? `${label} (${platform})` : label;
    if (
      m.config.size > 0 &&
      m.config.size <= 1 << 20 &&
      /json/.test(m.config.mediaType) &&
      m.config.mediaType !== MT.ociEmpty
    ) {
      try {
        const bytes = await client.getSmallBlob(ref.registry, ref.repository, m.config);
        try {
          im.config = JSON.parse(bytes.toString('utf8'));
        } catch {
          /* a config that is not JSON is only not shown */
        }
      } catch (e) {
        if (opts.signal?.aborted) throw e;
        fail(errorFinding(e, where));
      }
    }
    if (opts.scan === false) return;
    for (const lp of plan.layers) {
      opts.signal?.throwIfAborted();
      if (lp.descriptor.urls?.length) {
        fail({
          ruleId: 'registry/incomplete',
          severity: 'error',
          message: `${where}: layer ${lp.index} is a foreign layer served from ${lp.descriptor.urls[0]}; not fetched`,
          file: where,
        });
        continue;
      }
      if (out.bytes + lp.descriptor.size > maxDownload) {
        fail({
          ruleId: 'registry/incomplete',
          severity: 'error',
          message: `${where}: layer ${lp.index} (${lp.title ?? shortDigest(lp.descriptor.digest)}, ${lp.descriptor.size} bytes) would pass the download limit of ${maxDownload} bytes; not scanned`,
          file: where,
        });
        continue;
      }
      opts.onProgress?.(`pulling ${lp.title ?? `layer ${lp.index}`} (${lp.descriptor.size} bytes)`);
      const lr = await pullLayer(client, ref.registry, ref.repository, lp, {
        artifact: label,
        scan: opts.scanOptions,
        tmpDir: opts.tmpDir,
        signal: opts.signal,
        maxRatio: opts.scanOptions?.limits?.maxRatio,
      });
      im.layers.push(lr);
      out.bytes += lr.bytes;
      if (lr.failure) {
        const { ruleId, severity } = kindRule(lr.failureKind ?? 'network');
        fail({
          ruleId,
          severity,
          message:
            lr.failureKind === 'digest'
              ? `${lr.failure}; nothing read from it is trusted, and its scan results were discarded`
              : lr.failure,
          file: where,
          data: { layer: lr.plan.descriptor.digest },
        });
        continue;
      }
      out.findings.push(...lr.findings);
      for (const msg of lr.incomplete)
        fail({ ruleId: 'registry/incomplete', severity: 'error', message: msg, file: where });
      for (const f of lr.files) {
        if (f.scan) {
          out.findings.push(...f.scan.findings);
          if (!f.scan.complete) out.complete = false;
        }
      }
    }
  };
  if (top.kind === 'manifest') {
    await inspectManifest(top, resolved.digest, undefined);
  } else {
    const maxPlatforms = opts.maxPlatforms ?? 64;
    // buildx stores its attestations as index entries for platform unknown/unknown, which no
    // runtime pulls; an entry with that label and a real platform is pulled, so it is inspected.
    const children = top.manifests.filter(
      (d) =>
        !(
          d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' &&
          (d.platform?.os ?? 'unknown') === 'unknown' &&
          (d.platform?.architecture ?? 'unknown') === 'unknown'
        ),
    );
    if (children.length > maxPlatforms)
      fail({
        ruleId: 'registry/incomplete',
        severity: 'error',
        message: `${label}: the index lists ${children.length} manifests; only the first ${maxPlatforms} were inspected`,
        file: label,
      });
    for (const d of children.slice(0, maxPlatforms)) {
      opts.signal?.throwIfAborted();
      const platform = platformOf(d) ?? shortDigest(d.digest);
      try {
        const child = await client.getManifest(ref.registry, ref.repository, d.digest);
        const parsed = parseManifest(child.bytes, child.contentType || d.mediaType, limits);
        if (parsed.kind !== 'manifest') {
          fail({
            ruleId: 'registry/incomplete',
            severity: 'error',
            message: `${label}: ${platform} is a nested index; not followed`,
            file: label,
          });
          continue;
        }
        await inspectManifest(parsed, d.digest, platform);
      } catch (e) {
        if (opts.signal?.aborted) throw e;
        fail(errorFinding(e, `${label} (${platform})`));
      }
    }
  }
  if (opts.trust) {
    opts.onProgress?.('verifying signatures and attestations');
    try {
      const att = await verifyAttachments(
        client,
        {
          registry: ref.registry,
          repository: ref.repository,
          digest: resolved.digest,
          manifestBytes: resolved.manifest,
        },
        opts.trust,
        { signal: opts.signal },
      );
      out.attachments = att;
      out.findings.push(...att.findings);
      for (const msg of att.incomplete)
        fail({ ruleId: 'registry/incomplete', severity: 'error', message: msg, file: label });
      if (!att.signatures.some((s) => s.verified)) {
        out.findings.push({
          ruleId: 'registry/unsigned',
          severity: 'error',
          message: att.signatures.length
            ? `${label}: none of its ${plural(att.signatures.length, 'signature')} verified against what you trust`
            : `${label}: no signature found (looked for the cosign tag ${repo}:${resolved.digest.replace(':', '-')}.sig and Sigstore bundles among its referrers${att.referrers === 'tag-schema' ? ' (referrers tag schema)' : ''})`,
          file: label,
        });
      }
      if (att.others.length)
        out.findings.push({
          ruleId: 'registry/attachment-ignored',
          severity: 'info',
          message: `${att.others.length} attached object(s) that are not signatures or attestations were left alone: ${att.others.slice(0, 3).join('; ')}${att.others.length > 3 ? '; …' : ''}`,
          file: label,
        });
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      fail(errorFinding(e, label));
    }
  }
  if (opts.scan !== false) {
    const files = out.manifests.flatMap((m) => m.layers.flatMap((l) => l.files)).filter((f) => f.scan).length;
    const layers = out.manifests.reduce((n, m) => n + m.layers.length, 0);
    out.findings.push({
      ruleId: 'registry/pulled',
      severity: 'info',
      message: `${label}: ${out.manifests.map((m) => `${describePackaging(m.packaging)}${m.platform ? ` (${m.platform})` : ''}`).join(', ') || 'nothing'}; ${plural(layers, 'layer')}, ${out.bytes} bytes read and checked against their digests, ${plural(files, 'file')} scanned${out.complete ? '' : ' (incomplete)'}`,
      file: label,
    });
  }
  return out;
}

/**
 * Image and artifact references, as the Docker and OCI tools write them:
 * `REGISTRY/REPO:TAG`, `REGISTRY/REPO@sha256:…`, `REGISTRY/REPO:TAG@sha256:…`, optionally prefixed
 * with `oci://`. The grammar is distribution/reference's (reference.go): lower-case path
 * components separated by `.`, `_`, `__` or dashes; tags of at most 128 word characters, dots and
 * dashes; digests `algorithm:hex` with sha256 (64 hex) and sha512 (128 hex) checked by length.
 *
 * Pure functions only: nothing here touches the network. Other areas (Kubernetes manifests, model
 * cards, workflows) use `parseReference` / `tryParseReference` / `pinnedReference`.
 */

export interface Reference {
  /** Registry host as written (`ghcr.io`, `localhost:5000`, `docker.io` for Docker Hub). */
  registry: string;
  /** Repository path inside the registry (`acme/ml-models/sentiment`, `library/ubuntu`). */
  repository: string;
  tag?: string;
  /** `sha256:<64 hex>` or `sha512:<128 hex>`, lower-case. */
  digest?: string;
}

export class ReferenceSyntaxError extends Error {
  override name = 'ReferenceSyntaxError';
}

export const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_API = 'registry-1.docker.io';

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const DIGEST_LENGTHS: Record<string, number> = { sha256: 64, sha512: 128 };
const MAX_NAME = 255;

/** True when the first path component names a registry host rather than a Docker Hub namespace. */
export function isRegistryHost(component: string): boolean {
  return (
    component.includes('.') ||
    component.includes(':') ||
    component === 'localhost' ||
    /[A-Z]/.test(component) ||
    component.startsWith('[')
  );
}

/** `sha256:<hex>` with the right length for its algorithm; anything else is refused. */
export function isDigest(text: string): boolean {
  const m = /^([a-z0-9]+):([a-f0-9]+)$/.exec(text);
  return m !== null && DIGEST_LENGTHS[m[1]] === m[2].length;
}

function checkHost(host: string): void {
  let name = host;
  let port: string | undefined;
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    if (close < 0) throw new ReferenceSyntaxError(`invalid registry host ${JSON.stringify(host)}`);
    port = host.slice(close + 1).replace(/^:/, '') || undefined;
    if (!/^\[[0-9a-fA-F:.]+\]$/.test(host.slice(0, close + 1)))
      throw new ReferenceSyntaxError(`invalid IPv6 registry host ${JSON.stringify(host)}`);
  } else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0) {
      name = host.slice(0, colon);
      port = host.slice(colon + 1);
    }
    if (!name.split('.').every((c) => DOMAIN_COMPONENT.test(c)))
      throw new ReferenceSyntaxError(`invalid registry host ${JSON.stringify(host)}`);
  }
  if (port !== undefined && !(/^\d{1,5}$/.test(port) && Number(port) > 0 && Number(port) < 65536))
    throw new ReferenceSyntaxError(`invalid port in registry host ${JSON.stringify(host)}`);
}

/**
 * Parses a reference. Names without a registry host are Docker Hub's (`ubuntu` is
 * `docker.io/library/ubuntu`), as `docker pull` reads them. Throws ReferenceSyntaxError with the
 * reason when the text is not a reference.
 */
export function parseReference(input: string): Reference {
  let text = input.trim();
  if (/^oci:\/\//i.test(text)) text = text.slice(6);
  if (text === '') throw new ReferenceSyntaxError('empty reference');
  if (/\s/.test(text)) throw new ReferenceSyntaxError(`a reference has no spaces: ${JSON.stringify(input)}`);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text))
    throw new ReferenceSyntaxError(
      `${JSON.stringify(input)} is a URL, not a registry reference (write REGISTRY/REPO:TAG or oci://REGISTRY/REPO:TAG)`,
    );
  let digest: string | undefined;
  const at = text.indexOf('@');
  if (at >= 0) {
    digest = text.slice(at + 1);
    text = text.slice(0, at);
    if (!isDigest(digest))
      throw new ReferenceSyntaxError(
        `invalid digest ${JSON.stringify(digest)}: expected sha256:<64 hex> or sha512:<128 hex>, lower-case`,
      );
  }
  let tag: string | undefined;
  const lastSlash = text.lastIndexOf('/');
  const colon = text.indexOf(':', lastSlash + 1);
  // A colon after the last slash is a tag, unless the whole text is one component (`host:5000` alone is no reference).
  if (colon >= 0) {
    tag = text.slice(colon + 1);
    text = text.slice(0, colon);
    if (!TAG.test(tag))
      throw new ReferenceSyntaxError(
        `invalid tag ${JSON.stringify(tag)}: at most 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'`,
      );
  }
  const parts = text.split('/');
  let registry = DOCKER_HUB;
  if (parts.length > 1 && isRegistryHost(parts[0])) {
    registry = parts.shift()!;
    checkHost(registry);
  }
  if (parts.length === 0 || parts.some((p) => p === ''))
    throw new ReferenceSyntaxError(`invalid repository in ${JSON.stringify(input)}`);
  for (const p of parts) {
    if (!COMPONENT.test(p))
      throw new ReferenceSyntaxError(
        `invalid repository component ${JSON.stringify(p)}: lower-case letters, digits and single separators (. _ __ -) only`,
      );
  }
  if (registry === 'index.docker.io') registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  const repository = parts.join('/');
  if (registry.length + 1 + repository.length > MAX_NAME)
    throw new ReferenceSyntaxError(`the name is longer than ${MAX_NAME} characters`);
  return { registry, repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** parseReference, or undefined when the text is not a reference. */
export function tryParseReference(input: string): Reference | undefined {
  try {
    return parseReference(input);
  } catch {
    return undefined;
  }
}

/**
 * For command lines that take a folder or a reference: true when the text is explicitly a
 * reference (`oci://…`, or a first component that is a registry host such as `ghcr.io/…` or
 * `localhost:5000/…`). Bare names (`ubuntu`, `models/x`) read as paths.
 */
export function looksLikeReference(input: string): boolean {
  const text = input.trim();
  if (/^oci:\/\//i.test(text)) return tryParseReference(text) !== undefined;
  const first = text.split('/')[0];
  if (!text.includes('/') || !isRegistryHost(first) || /^\.\.?$/.test(first)) return false;
  return tryParseReference(text) !== undefined;
}

/** The canonical text: `registry/repository[:tag][@digest]`. */
export function formatReference(ref: Reference): string {
  return `${ref.registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** `registry/repository`, the name cosign signs as `docker-reference`. */
export function repositoryName(ref: Pick<Reference, 'registry' | 'repository'>): string {
  return `${ref.registry}/${ref.repository}`;
}

/** The same reference pinned to `digest` (the tag kept for readers, as `repo:tag@sha256:…`, unless dropped). */
export function pinnedReference(ref: Reference, digest: string, keepTag = true): Reference {
  if (!isDigest(digest)) throw new ReferenceSyntaxError(`invalid digest ${JSON.stringify(digest)}`);
  const out: Reference = { registry: ref.registry, repository: ref.repository, digest };
  if (keepTag && ref.tag !== undefined) out.tag = ref.tag;
  return out;
}

/** The host the distribution API is served from (`docker.io` is `registry-1.docker.io`). */
export function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API : registry;
}

/** Loopback registries may speak plain HTTP (Docker's rule); everything else needs TLS unless the user allows it. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.startsWith('[') ? registry.slice(0, registry.indexOf(']') + 1) : registry.replace(/:\d+$/, '');
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** What the reference asks for at the registry: its digest when pinned, else its tag (`latest` when neither). */
export function manifestReference(ref: Reference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

/** cosign's tag for an object attached to `digest`: `sha256-<hex>.sig`, `.att`, `.sbom`; without a suffix, the OCI referrers fallback tag. */
export function attachmentTag(digest: string, suffix?: 'sig' | 'att' | 'sbom'): string {
  const [alg, hex] = digest.split(':');
  return suffix ? `${alg}-${hex}.${suffix}` : `${alg}-${hex}`;
}

/** Tags that are cosign attachments or referrers-fallback indexes, not releases. */
export function isAttachmentTag(tag: string): boolean {
  return /^sha(256|512)-[a-f0-9]{64,128}(\.(sig|att|sbom))?$/.test(tag);
}

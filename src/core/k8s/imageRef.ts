/**
 * Container image references as the container runtime reads them (Docker's reference grammar):
 * `[registry[:port]/]path[:tag][@algo:hex]`. A first component without `.` or `:` (and not
 * `localhost`) is a Docker Hub path; a Docker Hub name without a slash is under `library/`; no tag
 * and no digest means `latest`.
 *
 * Kept behind this small interface so the registry area's OCI reference parser (src/core/registry)
 * can replace it without touching the rules.
 */
export interface ImageRef {
  raw: string;
  registry: string;
  /** Repository path inside the registry, e.g. `acme/ml-models/sentiment`. */
  repository: string;
  tag?: string;
  digest?: string;
  /** `registry/repository`, normalised (docker.io for Hub names). */
  name: string;
  /** Neither tag nor digest: the runtime pulls `latest`. */
  implicitLatest: boolean;
  /** Offset of `@digest` / `:tag` in `raw` (for edits), when present. */
  tagOffset?: number;
  digestOffset?: number;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;

export function parseImageRef(raw: string): ImageRef | undefined {
  const t = raw.trim();
  if (!t || /\s/.test(t) || t.includes('://') || t.length > 1024) return undefined;
  const at = t.indexOf('@');
  const namePart = at >= 0 ? t.slice(0, at) : t;
  const digest = at >= 0 ? t.slice(at + 1) : undefined;
  if (digest !== undefined && !DIGEST.test(digest)) return undefined;
  const lastSlash = namePart.lastIndexOf('/');
  const colon = namePart.indexOf(':', lastSlash + 1);
  const name = colon >= 0 ? namePart.slice(0, colon) : namePart;
  const tag = colon >= 0 ? namePart.slice(colon + 1) : undefined;
  if (tag !== undefined && !TAG.test(tag)) return undefined;
  const parts = name.split('/');
  let registry = 'docker.io';
  if (parts.length > 1 && (/[.:]/.test(parts[0]) || parts[0] === 'localhost')) registry = parts.shift()!.toLowerCase();
  if (!parts.length || !parts.every((p) => COMPONENT.test(p))) return undefined;
  if (registry === 'docker.io' || registry === 'index.docker.io') {
    registry = 'docker.io';
    if (parts.length === 1) parts.unshift('library');
  }
  const repository = parts.join('/');
  return {
    raw, registry, repository, tag, digest, name: `${registry}/${repository}`,
    implicitLatest: tag === undefined && digest === undefined,
    tagOffset: colon >= 0 ? raw.indexOf(t) + colon + 1 : undefined,
    digestOffset: at >= 0 ? raw.indexOf(t) + at + 1 : undefined,
  };
}

/** A value that is a template or substitution (`$(VAR)`, `${VAR}`, `{{ … }}`) and cannot be judged. */
export function isPlaceholder(value: string): boolean {
  return /\$\(|\$\{|\{\{/.test(value);
}

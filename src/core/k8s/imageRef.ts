import { tryParseReference } from '../registry/reference.ts';

/**
 * Container image references as the container runtime reads them, through the registry area's
 * parser (distribution/reference's grammar: a first component without `.` or `:` (and not
 * `localhost`) is a Docker Hub path, a Hub name without a slash is under `library/`), plus what the
 * rules need: the normalised name and whether the runtime will pull `latest`.
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
}

export function parseImageRef(raw: string): ImageRef | undefined {
  const t = raw.trim();
  // oci:// is KServe's and ORAS's spelling; a container image field never has a scheme
  if (!t || t.includes('://') || t.length > 1024) return undefined;
  const ref = tryParseReference(t);
  if (!ref) return undefined;
  return {
    raw,
    registry: ref.registry,
    repository: ref.repository,
    tag: ref.tag,
    digest: ref.digest,
    name: `${ref.registry}/${ref.repository}`,
    implicitLatest: ref.tag === undefined && ref.digest === undefined,
  };
}

/** A value that is a template or substitution (`$(VAR)`, `${VAR}`, `{{ … }}`) and cannot be judged. */
export function isPlaceholder(value: string): boolean {
  return /\$\(|\$\{|\{\{/.test(value);
}

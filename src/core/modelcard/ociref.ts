/** OCI references (`registry/repo:tag`, `registry/repo@sha256:…`): pinned by digest or movable by tag. */

export interface OciRef {
  name: string;
  tag?: string;
  digest?: string;
  /** Offset of the `@digest` part inside the text. */
  digestOffset?: number;
}

/**
 * Parse `text` as an OCI reference, or return undefined when it is something else (a URL, a path).
 * The first path component must be a registry host (has a dot or a port, or is `localhost`), so
 * that relative paths like `sbom/model.json` are not mistaken for references.
 */
export function parseOciRef(text: string): OciRef | undefined {
  let t = text.trim();
  let base = 0;
  if (/^(oci|docker|registry):\/\//i.test(t)) {
    const cut = t.indexOf('://') + 3;
    base = cut;
    t = t.slice(cut);
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(t) || t.startsWith('/') || t.startsWith('.') || /\s/.test(t))
    return undefined;
  const slash = t.indexOf('/');
  if (slash <= 0) return undefined;
  const host = t.slice(0, slash);
  if (!(host.includes('.') || host.includes(':') || host === 'localhost')) return undefined;
  const at = t.indexOf('@');
  const namePart = at >= 0 ? t.slice(0, at) : t;
  const digest = at >= 0 ? t.slice(at + 1) : undefined;
  const lastSlash = namePart.lastIndexOf('/');
  const colon = namePart.indexOf(':', lastSlash);
  const name = colon >= 0 ? namePart.slice(0, colon) : namePart;
  const tag = colon >= 0 ? namePart.slice(colon + 1) : undefined;
  if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::\d+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+$/i.test(name))
    return undefined;
  return { name, tag, digest, digestOffset: at >= 0 ? base + at + 1 : undefined };
}

import type { TextRange } from '../findings.ts';
import { parseImageRef } from './imageRef.ts';

/**
 * Which images an admission policy checks. Kyverno matches `imageReferences` with its wildcard
 * (`*` any run of characters, `/` included; `?` one character); the Sigstore policy-controller
 * matches `glob` with `*` inside one path segment and `**` across segments, and reads Docker Hub
 * names as `index.docker.io/library/…`. Kyverno's verifyImages compares one spelling only (its
 * ImageInfo string), so its patterns are tried against that one: a pattern that matches no image
 * Kyverno sees must not count as covering it. The other engines' patterns are tried against the
 * image as written and its normalised forms.
 */
export interface ImageScope {
  pattern: string;
  /**
   * `kyverno`: ClusterPolicy `imageReferences`, matched against the one spelling Kyverno builds
   * (see `kyvernoImageString`); `kyverno-ivp`: ImageValidatingPolicy globs; `glob`: policy-controller.
   */
  syntax: 'kyverno' | 'kyverno-ivp' | 'glob';
  /** Where the pattern is written. */
  file?: string;
  range?: TextRange;
  /** The policy's name, for messages. */
  policy: string;
}

const cache = new Map<string, RegExp>();

function toRegExp(pattern: string, syntax: ImageScope['syntax']): RegExp {
  const key = `${syntax}|${pattern}`;
  let re = cache.get(key);
  if (re) return re;
  let src = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      if (syntax === 'glob' && pattern[i + 1] === '*') {
        src += '.*';
        i++;
      } else src += syntax === 'glob' ? '[^/]*' : '.*';
    } else if (c === '?') src += syntax === 'glob' ? '[^/]' : '.';
    else src += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  re = new RegExp(`^${src}$`);
  if (cache.size > 1000) cache.clear();
  cache.set(key, re);
  return re;
}

/** The spellings of an image a policy engine may compare a pattern with. */
export function imageForms(image: string): string[] {
  const forms = new Set<string>([image]);
  const ref = parseImageRef(image);
  if (ref) {
    const suffix = ref.digest ? `@${ref.digest}` : `:${ref.tag ?? 'latest'}`;
    const names = [ref.name];
    if (ref.registry === 'docker.io') {
      names.push(`index.docker.io/${ref.repository}`);
      if (ref.repository.startsWith('library/'))
        names.push(`docker.io/${ref.repository.slice(8)}`, ref.repository.slice(8));
      else names.push(ref.repository);
    }
    for (const n of names) {
      forms.add(n);
      forms.add(n + suffix);
      if (ref.tag && ref.digest) forms.add(`${n}:${ref.tag}@${ref.digest}`);
    }
  }
  return [...forms];
}

/**
 * The string Kyverno's verifyImages compares `imageReferences` with (ImageInfo.String()): the
 * registry (docker.io added to a name without one, `library/` not added), the path, then
 * `@digest` when there is one (the tag dropped) or else `:tag` (`latest` when none). A pattern
 * that matches only another spelling (`ghcr.io/acme/model` without `:*`, `…:v1*` for an image
 * pinned by digest) verifies nothing, and the image is admitted unchecked.
 */
export function kyvernoImageString(image: string): string | undefined {
  const t = image.trim();
  if (!t || /\s|:\/\//.test(t)) return undefined;
  const at = t.indexOf('@');
  const digest = at >= 0 ? t.slice(at + 1) : undefined;
  let name = at >= 0 ? t.slice(0, at) : t;
  const colon = name.lastIndexOf(':');
  let tag: string | undefined;
  if (colon > name.lastIndexOf('/')) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
  }
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  if (slash < 0 || !(/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase()))
    name = `docker.io/${name}`;
  return digest ? `${name}@${digest}` : `${name}:${tag || 'latest'}`;
}

export function scopeMatches(scope: ImageScope, image: string): boolean {
  const re = toRegExp(scope.pattern, scope.syntax);
  if (scope.syntax === 'kyverno') {
    const k = kyvernoImageString(image);
    return k !== undefined && re.test(k);
  }
  return imageForms(image).some((f) => re.test(f));
}

/** Does a pattern cover a whole repository path (`ghcr.io/acme/ml-models/sentiment` and everything under it)? */
export function scopeCoversRepository(scope: ImageScope, repository: string): boolean {
  return scopeMatches(scope, `${repository}:v1`) || scopeMatches(scope, `${repository}@sha256:${'0'.repeat(64)}`);
}

/**
 * Whether a pattern admits images outside the given repositories: tried with a sibling
 * repository under the same parent and with an unrelated registry.
 */
export function scopeBroaderThan(scope: ImageScope, repositories: readonly string[]): string | undefined {
  const probes = new Set<string>(['docker.io/library/nginx:1', 'evil.example/x/y:1']);
  for (const r of repositories) {
    const slash = r.lastIndexOf('/');
    const host = r.split('/')[0];
    probes.add(`${host}/someone-else/model:1`);
    if (slash > 0) probes.add(`${r.slice(0, slash)}-evil/x:1`);
  }
  for (const probe of probes) {
    if (!scopeMatches(scope, probe)) continue;
    if (repositories.some((r) => probe.startsWith(r + ':') || probe.startsWith(r + '/'))) continue;
    return probe;
  }
  return undefined;
}

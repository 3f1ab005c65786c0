import type { TextRange } from '../findings.ts';
import { parseImageRef } from './imageRef.ts';

/**
 * Which images an admission policy checks. Kyverno matches `imageReferences` with its wildcard
 * (`*` any run of characters, `/` included; `?` one character); the Sigstore policy-controller
 * matches `glob` with `*` inside one path segment and `**` across segments, and reads Docker Hub
 * names as `index.docker.io/library/…`. Both are tried against the image as written and in its
 * normalised forms, so a match is never missed because of spelling.
 */
export interface ImageScope {
  pattern: string;
  syntax: 'kyverno' | 'glob';
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
      if (syntax === 'glob' && pattern[i + 1] === '*') { src += '.*'; i++; }
      else src += syntax === 'glob' ? '[^/]*' : '.*';
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
      if (ref.repository.startsWith('library/')) names.push(`docker.io/${ref.repository.slice(8)}`, ref.repository.slice(8));
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

export function scopeMatches(scope: ImageScope, image: string): boolean {
  const re = toRegExp(scope.pattern, scope.syntax);
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

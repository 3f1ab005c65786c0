import { parseImageRef } from './imageRef.ts';

/**
 * Asks a registry which digest a tag points at (the OCI distribution API: a HEAD on the manifest,
 * with the anonymous bearer-token dance when the registry asks for it). Online: called only for
 * the "Pin to digest" action the user chose. Kept small and self-contained so the registry area's
 * client (src/core/registry, with credentials, retries and custom CAs) can replace it.
 */

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

export type Fetch = (url: string, init: { method: string; headers: Record<string, string>; signal?: AbortSignal; redirect?: 'follow' }) => Promise<{ status: number; headers: { get(name: string): string | null }; text(): Promise<string> }>;

function registryHost(registry: string): string {
  return registry === 'docker.io' ? 'registry-1.docker.io' : registry;
}

/** The bearer-token challenge of a 401, as `{realm, service, scope}`. */
export function parseChallenge(header: string | null): { realm: string; params: Record<string, string> } | undefined {
  if (!header || !/^bearer\s/i.test(header)) return undefined;
  const params: Record<string, string> = {};
  for (const m of header.slice(7).matchAll(/(\w+)="([^"]*)"/g)) params[m[1]] = m[2];
  return params.realm && /^https:\/\//.test(params.realm) ? { realm: params.realm, params } : undefined;
}

export async function resolveDigest(image: string, options: { fetch?: Fetch; signal?: AbortSignal } = {}): Promise<string> {
  const ref = parseImageRef(image);
  if (!ref) throw new Error(`not an image reference: ${image}`);
  if (ref.digest) return ref.digest;
  const doFetch = options.fetch ?? (globalThis.fetch as unknown as Fetch);
  const host = registryHost(ref.registry);
  const scheme = /^(localhost|127\.0\.0\.1)(:\d+)?$/.test(host) ? 'http' : 'https';
  const url = `${scheme}://${host}/v2/${ref.repository}/manifests/${encodeURIComponent(ref.tag ?? 'latest')}`;
  const head = (auth?: string) => doFetch(url, { method: 'HEAD', headers: { Accept: ACCEPT, ...(auth ? { Authorization: auth } : {}) }, signal: options.signal, redirect: 'follow' });
  let res = await head();
  if (res.status === 401) {
    const challenge = parseChallenge(res.headers.get('www-authenticate'));
    if (!challenge) throw new Error(`${ref.registry} asks for credentials this quick fix does not have (only anonymous pulls are supported)`);
    const q = new URLSearchParams();
    if (challenge.params.service) q.set('service', challenge.params.service);
    q.set('scope', challenge.params.scope ?? `repository:${ref.repository}:pull`);
    const tokenRes = await doFetch(`${challenge.realm}?${q}`, { method: 'GET', headers: { Accept: 'application/json' }, signal: options.signal, redirect: 'follow' });
    if (tokenRes.status !== 200) throw new Error(`${ref.registry} refused an anonymous token (${tokenRes.status})`);
    const body = JSON.parse(await tokenRes.text()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new Error(`${ref.registry} sent no token`);
    res = await head(`Bearer ${token}`);
  }
  if (res.status !== 200) throw new Error(`${ref.registry} answered ${res.status} for ${ref.repository}:${ref.tag ?? 'latest'}`);
  const digest = res.headers.get('docker-content-digest');
  if (!digest || !/^sha256:[0-9a-f]{64}$/.test(digest)) throw new Error(`${ref.registry} sent no usable Docker-Content-Digest for ${image}`);
  return digest;
}

/** The reference with its digest: the tag is kept for readers (`repo:tag@sha256:…`; runtimes use the digest). */
export function pinnedReference(image: string, digest: string): string {
  return `${image.replace(/@.*$/, '')}@${digest}`;
}

/**
 * A small OCI distribution client (distribution-spec v1.1) on node's http/https, written for
 * hostile registries: every response body has a size cap, every blob is hashed as it streams and
 * cut off at its descriptor's size, redirects are bounded and never downgrade to plain HTTP or
 * carry credentials to another host, and idle connections time out. Retries with backoff on 429
 * and 5xx (honouring Retry-After within a cap). Authentication by the `WWW-Authenticate` challenge
 * (Bearer token service, Basic), with tokens cached per registry and scope.
 *
 * Plain HTTP is used only for loopback registries (after HTTPS fails with a protocol error, as
 * Docker does) or when the caller allows insecure registries.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Worker } from 'node:worker_threads';
import { parseChallenges, type Credential, type CredentialSource } from './auth.ts';
import { RegistryError, redactSecrets } from './errors.ts';
import { apiHost, isDigest, isLoopbackRegistry } from './reference.ts';
import { plural } from '../messageText.ts';

export interface RegistryLimits {
  /** Largest manifest or index (distribution's own limit is 4 MiB). */
  maxManifestBytes: number;
  /** Largest small blob read into memory: configs, signature payloads, attestations, bundles. */
  maxSmallBlobBytes: number;
  /** Largest token response, tag-list page or error body. */
  maxJsonBytes: number;
  /** Most tags listed from one repository. */
  maxTags: number;
  maxRedirects: number;
}

export const DEFAULT_REGISTRY_LIMITS: RegistryLimits = {
  maxManifestBytes: 4 * 1024 * 1024,
  maxSmallBlobBytes: 64 * 1024 * 1024,
  maxJsonBytes: 4 * 1024 * 1024,
  maxTags: 100_000,
  maxRedirects: 5,
};

export interface RequestEvent {
  method: string;
  url: string;
  status?: number;
  error?: string;
}

export interface RegistryClientOptions {
  credentials?: CredentialSource;
  /** Extra CA certificates (PEM) trusted besides the system's. */
  ca?: string | Buffer;
  /** Allow plain HTTP (after HTTPS fails) to registries that are not loopback. */
  allowInsecure?: boolean;
  /** A connection idle for this long is abandoned (ms). */
  idleTimeoutMs?: number;
  /** Attempts after the first on 429, 5xx and connection errors. */
  retries?: number;
  /** First backoff (ms); doubled each attempt, with jitter. */
  retryBaseMs?: number;
  /** Longest wait a Retry-After header may ask for (ms). */
  maxRetryAfterMs?: number;
  limits?: Partial<RegistryLimits>;
  userAgent?: string;
  signal?: AbortSignal;
  /** Each HTTP exchange (for logs and tests; URLs carry no credentials). */
  onRequest?: (e: RequestEvent) => void;
  /** Sleep used between retries (tests replace it to count waits instead of waiting). */
  sleep?: (ms: number) => Promise<void>;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  artifactType?: string;
  platform?: { os?: string; architecture?: string; variant?: string };
  urls?: string[];
}

export interface FetchedManifest {
  bytes: Buffer;
  /** The media type the registry served it as (Content-Type). */
  contentType: string;
  /** sha256 of the bytes (always computed here, never taken from the registry's word). */
  digest: string;
}

export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

const timedSockets = new WeakSet<object>();
const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);

export function sha256Digest(bytes: Buffer): string {
  return `sha256:${crypto.createHash('sha256').update(bytes).digest('hex')}`;
}

/** Hashes `bytes` with the algorithm `digest` names and compares. */
export function digestMatches(bytes: Buffer, digest: string): boolean {
  const [alg, hex] = digest.split(':');
  if (alg !== 'sha256' && alg !== 'sha512') return false;
  return crypto.createHash(alg).update(bytes).digest('hex') === hex;
}

function describeNetworkError(e: NodeJS.ErrnoException): { kind: 'network' | 'tls'; message: string } {
  const code = e.code ?? '';
  if (
    /^(ERR_SSL|ERR_TLS|CERT_|UNABLE_TO|DEPTH_ZERO|SELF_SIGNED|EPROTO)/.test(code) ||
    /certificate|SSL|TLS/.test(e.message)
  ) {
    return { kind: 'tls', message: `TLS: ${e.message}${code ? ` (${code})` : ''}` };
  }
  return { kind: 'network', message: `${e.message}${code && !e.message.includes(code) ? ` (${code})` : ''}` };
}

/** A TLS failure that means "the server does not speak TLS" (not a certificate problem). */
function isPlainHttpServer(e: NodeJS.ErrnoException): boolean {
  return (
    /WRONG_VERSION_NUMBER|packet length too long|unknown protocol|http request/i.test(`${e.code} ${e.message}`) ||
    (e.code === 'EPROTO' && !/certificate/i.test(e.message))
  );
}

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
  url: URL;
}

/** A request body: bytes, or a stream opened anew for each attempt. */
export type Body = Buffer | { size: number; open: () => NodeJS.ReadableStream };

interface SendOptions {
  headers?: Record<string, string>;
  body?: Body;
  /** Registry repository the request is about (the auth scope), or undefined for /v2/. */
  repository?: string;
  push?: boolean;
  /** Statuses returned to the caller instead of being raised (e.g. 404 for "does it exist?"). */
  accept?: number[];
}

/** Reads a body completely, refusing more than `max` bytes (Content-Length is checked first). */
export async function readBounded(res: IncomingMessage, max: number, what: string): Promise<Buffer> {
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) {
    res.destroy();
    throw new RegistryError('limit', `${what} is ${declared} bytes, more than the limit of ${max}`);
  }
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > max) {
      res.destroy();
      throw new RegistryError('limit', `${what} is larger than the limit of ${max} bytes`);
    }
    parts.push(chunk);
  }
  return Buffer.concat(parts, total);
}

async function drain(res: IncomingMessage): Promise<void> {
  // Small error bodies are read so the connection can be reused; anything large is dropped.
  try {
    await readBounded(res, 64 * 1024, 'error body');
  } catch {
    res.destroy();
  }
}

export class RegistryClient {
  readonly limits: RegistryLimits;
  private readonly httpsAgent: https.Agent;
  private readonly httpAgent: http.Agent;
  private readonly schemes = new Map<string, 'https' | 'http'>();
  private readonly tokens = new Map<string, string>();
  private readonly credentialCache = new Map<string, Promise<Credential | undefined>>();
  private readonly sleep: (ms: number) => Promise<void>;
  /** Bytes of blob content received, across every blob this client streamed. */
  blobBytes = 0;
  requests = 0;

  constructor(readonly options: RegistryClientOptions = {}) {
    this.limits = { ...DEFAULT_REGISTRY_LIMITS, ...options.limits };
    const ca = options.ca ? [...tls.rootCertificates, options.ca.toString()] : undefined;
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 16, ca });
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms).unref?.()));
  }

  close(): void {
    this.httpsAgent.destroy();
    this.httpAgent.destroy();
  }

  // ---------------------------------------------------------------- transport

  private once(method: string, url: URL, headers: Record<string, string>, body?: Body): Promise<RawResponse> {
    const signal = this.options.signal;
    if (signal?.aborted) return Promise.reject(new RegistryError('aborted', 'cancelled'));
    const lib = url.protocol === 'https:' ? https : http;
    const idle = this.options.idleTimeoutMs ?? 60_000;
    this.requests++;
    return new Promise<RawResponse>((resolve, reject) => {
      const req = lib.request(
        url,
        {
          method,
          headers: {
            'user-agent': this.options.userAgent ?? 'model-inspect',
            ...headers,
            ...(body ? { 'content-length': String(Buffer.isBuffer(body) ? body.length : body.size) } : {}),
          },
          agent: url.protocol === 'https:' ? this.httpsAgent : this.httpAgent,
          signal,
        },
        (res) => {
          this.options.onRequest?.({ method, url: url.toString(), status: res.statusCode });
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res, url });
        },
      );
      // The idle timer restarts on every byte, so a server that trickles header lines forever
      // would never trip it: the whole response head must arrive within its own deadline,
      // counted from the end of the request body.
      let headTimer: NodeJS.Timeout | undefined;
      req.on('finish', () => {
        headTimer = setTimeout(
          () =>
            req.destroy(
              new RegistryError('network', `${url.host} did not finish its response headers within ${2 * idle} ms`),
            ),
          2 * idle,
        );
        headTimer.unref?.();
      });
      req.on('response', () => clearTimeout(headTimer));
      req.on('close', () => clearTimeout(headTimer));
      req.on('socket', (socket) => {
        // One idle timer per socket (keep-alive sockets are reused: a listener per request would pile up).
        if (timedSockets.has(socket)) return;
        timedSockets.add(socket);
        socket.setTimeout(idle);
        socket.on('timeout', () =>
          socket.destroy(new RegistryError('network', `no data from ${url.host} for ${idle} ms`)),
        );
      });
      req.on('error', (e: NodeJS.ErrnoException) => {
        this.options.onRequest?.({ method, url: url.toString(), error: e.message });
        if (e instanceof RegistryError) reject(e);
        else if (e.name === 'AbortError' || signal?.aborted) reject(new RegistryError('aborted', 'cancelled'));
        else reject(Object.assign(e, { url }));
      });
      if (body && !Buffer.isBuffer(body)) {
        const stream = body.open();
        stream.on('error', (e) => req.destroy(e));
        stream.pipe(req);
      } else req.end(body);
    });
  }

  /** The base URL of a registry's API, deciding HTTPS or (loopback/allowed only) plain HTTP once. */
  private async base(registry: string): Promise<string> {
    const host = apiHost(registry);
    const known = this.schemes.get(host);
    if (known) return `${known}://${host}`;
    const mayUseHttp = isLoopbackRegistry(registry) || this.options.allowInsecure === true;
    try {
      const r = await this.once('GET', new URL(`https://${host}/v2/`), {});
      await drain(r.body);
      this.schemes.set(host, 'https');
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err instanceof RegistryError) throw err;
      if (mayUseHttp && (isPlainHttpServer(err) || err.code === 'ECONNRESET')) {
        this.schemes.set(host, 'http');
      } else {
        const d = describeNetworkError(err);
        const hint =
          !mayUseHttp && isPlainHttpServer(err)
            ? `; it may speak plain HTTP, which is used only for localhost/127.0.0.1 or with --allow-insecure-registry`
            : '';
        throw new RegistryError(d.kind, `cannot reach ${registry}: ${d.message}${hint}`);
      }
    }
    return `${this.schemes.get(host)}://${host}`;
  }

  /** One request with redirects followed under the rules above; no auth or retry logic. */
  private async follow(method: string, url: URL, headers: Record<string, string>, body?: Body): Promise<RawResponse> {
    const seen = new Set<string>();
    let cur = url;
    let h = headers;
    let m = method;
    for (let hop = 0; ; hop++) {
      seen.add(cur.toString());
      let res: RawResponse;
      try {
        res = await this.once(m, cur, h, m === 'GET' || m === 'HEAD' ? undefined : body);
      } catch (e) {
        if (e instanceof RegistryError) throw e;
        const d = describeNetworkError(e as NodeJS.ErrnoException);
        throw new RegistryError(d.kind, `${m} ${redactSecrets(cur.origin + cur.pathname)}: ${d.message}`);
      }
      if (!REDIRECT_STATUS.has(res.status)) return res;
      await drain(res.body);
      const location = res.headers.location;
      if (!location)
        throw new RegistryError('redirect', `${m} ${cur.pathname}: redirect (${res.status}) without a Location`);
      let next: URL;
      try {
        next = new URL(location, cur);
      } catch {
        throw new RegistryError('redirect', `${m} ${cur.pathname}: redirect to an invalid URL`);
      }
      if (seen.has(next.toString()))
        throw new RegistryError(
          'redirect',
          `${m} ${cur.pathname}: redirect loop (${next.origin}${next.pathname} again after ${plural(hop + 1, 'redirect')})`,
        );
      if (hop + 1 > this.limits.maxRedirects)
        throw new RegistryError('limit', `${m} ${cur.pathname}: more than ${this.limits.maxRedirects} redirects`);
      if (next.protocol !== 'https:' && next.protocol !== 'http:')
        throw new RegistryError('redirect', `redirect to a ${next.protocol} URL refused`);
      if (
        next.protocol === 'http:' &&
        cur.protocol === 'https:' &&
        !(isLoopbackRegistry(next.host) || this.options.allowInsecure)
      ) {
        throw new RegistryError('redirect', `redirect from HTTPS to plain HTTP (${next.host}) refused`);
      }
      if (next.protocol === 'http:' && !(isLoopbackRegistry(next.host) || this.options.allowInsecure)) {
        throw new RegistryError('insecure', `redirect to plain HTTP at ${next.host} refused`);
      }
      // Credentials stay with the registry: a redirect to storage on another host goes without them.
      if (next.origin !== cur.origin) {
        h = Object.fromEntries(Object.entries(h).filter(([k]) => k.toLowerCase() !== 'authorization'));
      }
      if (res.status === 303) m = 'GET';
      cur = next;
    }
  }

  private scope(repository: string | undefined, push: boolean | undefined): string {
    return repository ? `repository:${repository}:${push ? 'pull,push' : 'pull'}` : '';
  }

  private credential(registry: string): Promise<Credential | undefined> {
    let c = this.credentialCache.get(registry);
    if (!c) {
      c = this.options.credentials
        ? this.options.credentials(registry).catch(() => undefined)
        : Promise.resolve(undefined);
      this.credentialCache.set(registry, c);
    }
    return c;
  }

  /** Answers a 401 challenge: a Basic header, or a token from the Bearer realm. */
  private async authenticate(
    registry: string,
    challengeHeader: string | string[] | undefined,
    scope: string,
    baseUrl: string,
  ): Promise<string> {
    const challenges = parseChallenges(challengeHeader);
    const cred = await this.credential(registry);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer) {
      const realm = bearer.params.realm;
      if (!realm)
        throw new RegistryError('auth', `${registry} asked for a bearer token without naming a token service (realm)`);
      let realmUrl: URL;
      try {
        realmUrl = new URL(realm, baseUrl);
      } catch {
        throw new RegistryError('auth', `${registry}: invalid token realm ${JSON.stringify(realm)}`);
      }
      if (
        realmUrl.protocol !== 'https:' &&
        !(realmUrl.protocol === 'http:' && (isLoopbackRegistry(realmUrl.host) || this.options.allowInsecure))
      ) {
        throw new RegistryError(
          'auth',
          `${registry}: token service ${realmUrl.origin} is not HTTPS; refusing to ask it for a token`,
        );
      }
      const service = bearer.params.service;
      const wanted = scope || bearer.params.scope || '';
      const headers: Record<string, string> = { accept: 'application/json' };
      let res: RawResponse;
      if (cred?.kind === 'identity-token') {
        const form = new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: cred.token,
          client_id: 'model-inspect',
          ...(service ? { service } : {}),
          ...(wanted ? { scope: wanted } : {}),
        });
        res = await this.follow(
          'POST',
          realmUrl,
          { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
          Buffer.from(form.toString()),
        );
      } else {
        const u = new URL(realmUrl);
        if (service) u.searchParams.set('service', service);
        for (const s of wanted.split(' ').filter(Boolean)) u.searchParams.append('scope', s);
        if (cred?.kind === 'basic')
          headers.authorization = `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`;
        res = await this.follow('GET', u, headers);
      }
      if (res.status === 401 || res.status === 403) {
        await drain(res.body);
        throw new RegistryError(
          'auth',
          `${registry}: the token service refused ${cred ? `the credentials from ${cred.source}` : 'anonymous access'} (HTTP ${res.status})`,
          res.status,
        );
      }
      if (res.status !== 200) {
        await drain(res.body);
        throw new RegistryError('auth', `${registry}: the token service answered HTTP ${res.status}`, res.status);
      }
      const body = await readBounded(res.body, this.limits.maxJsonBytes, 'token response');
      let j: { token?: unknown; access_token?: unknown };
      try {
        j = JSON.parse(body.toString('utf8')) as typeof j;
      } catch {
        throw new RegistryError('auth', `${registry}: the token service answered with something that is not JSON`);
      }
      const token =
        typeof j.token === 'string' && j.token ? j.token : typeof j.access_token === 'string' ? j.access_token : '';
      if (!token) throw new RegistryError('auth', `${registry}: the token service answered without a token`);
      return `Bearer ${token}`;
    }
    if (challenges.some((c) => c.scheme === 'basic')) {
      if (cred?.kind !== 'basic')
        throw new RegistryError(
          'auth',
          `${registry} requires a user name and password (--registry-username and --registry-password-stdin, or docker login)`,
          401,
        );
      return `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString('base64')}`;
    }
    throw new RegistryError(
      'auth',
      `${registry} answered 401 without an authentication challenge this client understands`,
      401,
    );
  }

  /**
   * One API call: base URL, cached authorization, the 401 challenge answered once, retries on
   * 429/5xx/connection errors with exponential backoff. Returns the response for statuses the
   * caller accepts (2xx and `accept`); raises a RegistryError for the rest.
   */
  async send(method: string, registry: string, pathAndQuery: string, opts: SendOptions = {}): Promise<RawResponse> {
    const baseUrl = await this.base(registry);
    const scope = this.scope(opts.repository, opts.push);
    const key = `${registry} ${scope}`;
    let authed = false;
    const retries = this.options.retries ?? 3;
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { ...opts.headers };
      const auth = this.tokens.get(key) ?? this.tokens.get(`${registry} `);
      if (auth) headers.authorization = auth;
      let res: RawResponse;
      try {
        res = await this.follow(method, new URL(pathAndQuery, baseUrl), headers, opts.body);
      } catch (e) {
        if (e instanceof RegistryError && e.kind === 'network' && attempt < retries) {
          await this.backoff(attempt, undefined);
          continue;
        }
        throw e;
      }
      if (res.status === 401 && !authed) {
        await drain(res.body);
        // A challenge from the host a redirect led to (blob storage, a CDN) is not the registry's:
        // answering it would hand the registry's credentials, or a token service it names, to that host.
        if (res.url.origin !== new URL(baseUrl).origin) {
          throw new RegistryError(
            'auth',
            `${method} ${registry}${pathAndQuery.replace(/\?.*$/, '')}: the redirect target ${res.url.origin} asked for credentials; the credentials for ${registry} are not sent to another host`,
            401,
          );
        }
        authed = true;
        this.tokens.set(key, await this.authenticate(registry, res.headers['www-authenticate'], scope, baseUrl));
        attempt--; // answering the challenge is not a retry
        continue;
      }
      if (RETRY_STATUS.has(res.status) && attempt < retries) {
        await drain(res.body);
        await this.backoff(attempt, res.headers['retry-after']);
        continue;
      }
      if ((res.status >= 200 && res.status < 300) || opts.accept?.includes(res.status)) return res;
      const detail = await this.errorDetail(res);
      const what = `${method} ${registry}${pathAndQuery.replace(/\?.*$/, '')}`;
      if (res.status === 401 || res.status === 403)
        throw new RegistryError('auth', `${what}: access denied (HTTP ${res.status}${detail})`, res.status);
      if (res.status === 404) throw new RegistryError('not-found', `${what}: not found (HTTP 404${detail})`, 404);
      if (RETRY_STATUS.has(res.status))
        throw new RegistryError(
          'http',
          `${what}: HTTP ${res.status}${detail} after ${retries + 1} attempts`,
          res.status,
        );
      throw new RegistryError('http', `${what}: HTTP ${res.status}${detail}`, res.status);
    }
  }

  private async errorDetail(res: RawResponse): Promise<string> {
    try {
      const body = await readBounded(res.body, 64 * 1024, 'error body');
      const j = JSON.parse(body.toString('utf8')) as { errors?: { code?: string; message?: string }[] };
      const e = j.errors?.[0];
      return e ? `: ${String(e.code ?? '')}${e.message ? ` ${String(e.message).slice(0, 200)}` : ''}` : '';
    } catch {
      return '';
    }
  }

  private async backoff(attempt: number, retryAfter: string | string[] | undefined): Promise<void> {
    const cap = this.options.maxRetryAfterMs ?? 30_000;
    const ra = Array.isArray(retryAfter) ? retryAfter[0] : retryAfter;
    let ms: number | undefined;
    if (ra !== undefined) {
      const secs = Number(ra);
      ms = Number.isFinite(secs) ? secs * 1000 : Date.parse(ra) - Date.now();
      if (!Number.isFinite(ms) || ms < 0) ms = 0;
    }
    if (ms === undefined) {
      const base = this.options.retryBaseMs ?? 500;
      ms = base * 2 ** attempt * (0.5 + Math.random() / 2);
    }
    await this.sleep(Math.min(ms, cap));
  }

  // ---------------------------------------------------------------- API

  /** GET /v2/: is the registry there, and may we talk to it. */
  async ping(registry: string): Promise<void> {
    const res = await this.send('GET', registry, '/v2/');
    await drain(res.body);
  }

  /**
   * HEAD a manifest: its descriptor, or undefined when it does not exist. The digest is the
   * registry's `Docker-Content-Digest` (callers that trust it must re-check it by GET).
   */
  async headManifest(registry: string, repository: string, reference: string): Promise<Descriptor | undefined> {
    const res = await this.send('HEAD', registry, `/v2/${repository}/manifests/${reference}`, {
      repository,
      headers: { accept: MANIFEST_ACCEPT },
      accept: [404],
    });
    res.body.resume();
    if (res.status === 404) return undefined;
    const digest = String(res.headers['docker-content-digest'] ?? '');
    return {
      mediaType: String(res.headers['content-type'] ?? '').split(';')[0],
      digest: isDigest(digest) ? digest : '',
      size: Number(res.headers['content-length'] ?? -1),
    };
  }

  /**
   * GET a manifest by tag or digest. Asked by digest, the bytes must hash to it; asked by tag, the
   * digest is computed here, and a `Docker-Content-Digest` that disagrees is an error.
   */
  async getManifest(registry: string, repository: string, reference: string): Promise<FetchedManifest> {
    const res = await this.send('GET', registry, `/v2/${repository}/manifests/${reference}`, {
      repository,
      headers: { accept: MANIFEST_ACCEPT },
    });
    const bytes = await readBounded(
      res.body,
      this.limits.maxManifestBytes,
      `manifest ${repository}${isDigest(reference) ? '@' : ':'}${reference}`,
    );
    const contentType = String(res.headers['content-type'] ?? '')
      .split(';')[0]
      .trim();
    if (isDigest(reference)) {
      if (!digestMatches(bytes, reference))
        throw new RegistryError(
          'digest',
          `manifest ${repository}@${reference}: the registry sent ${bytes.length} bytes whose digest is ${sha256Digest(bytes)}, not the one asked for`,
        );
      return { bytes, contentType, digest: reference };
    }
    const digest = sha256Digest(bytes);
    const claimed = String(res.headers['docker-content-digest'] ?? '');
    if (claimed && claimed.startsWith('sha256:') && claimed !== digest) {
      throw new RegistryError(
        'digest',
        `manifest ${repository}:${reference}: the registry says its digest is ${claimed}, but the bytes it sent hash to ${digest}`,
      );
    }
    return { bytes, contentType, digest };
  }

  /** A small blob (config, signature payload, attestation) read whole, checked against its descriptor. */
  async getSmallBlob(registry: string, repository: string, desc: Descriptor): Promise<Buffer> {
    if (desc.size > this.limits.maxSmallBlobBytes)
      throw new RegistryError(
        'limit',
        `blob ${desc.digest} is declared as ${desc.size} bytes, more than the limit of ${this.limits.maxSmallBlobBytes} for ${desc.mediaType}`,
      );
    const res = await this.send('GET', registry, `/v2/${repository}/blobs/${desc.digest}`, { repository });
    const bytes = await readBounded(res.body, Math.max(0, desc.size), `blob ${desc.digest}`).catch((e: unknown) => {
      if (e instanceof RegistryError && e.kind === 'limit')
        throw new RegistryError(
          'digest',
          `blob ${desc.digest}: the registry sent more than the ${desc.size} bytes its descriptor declares`,
        );
      throw e;
    });
    this.blobBytes += bytes.length;
    if (bytes.length !== desc.size)
      throw new RegistryError(
        'digest',
        `blob ${desc.digest}: ${bytes.length} bytes received, its descriptor declares ${desc.size}`,
      );
    if (!digestMatches(bytes, desc.digest))
      throw new RegistryError(
        'digest',
        `blob ${desc.digest}: the content's digest is ${sha256Digest(bytes)}; the registry sent other bytes than the descriptor names`,
      );
    return bytes;
  }

  /**
   * Opens a blob for streaming. Chunks are hashed and counted as they are read; more bytes than the
   * descriptor declares raise at once (an endless body stops there). `verify()` after the last
   * chunk says whether the size and digest matched.
   */
  async openBlob(registry: string, repository: string, desc: Descriptor): Promise<BlobStream> {
    const res = await this.send('GET', registry, `/v2/${repository}/blobs/${desc.digest}`, { repository });
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > desc.size) {
      res.body.destroy();
      throw new RegistryError(
        'digest',
        `blob ${desc.digest}: the registry announces ${declared} bytes, its descriptor declares ${desc.size}`,
      );
    }
    return new BlobStream(res.body, desc, (n) => {
      this.blobBytes += n;
    });
  }

  /** Lists a repository's tags, following `Link: <…>; rel="next"` pages, up to the tag limit. */
  async listTags(
    registry: string,
    repository: string,
    pageSize = 1000,
  ): Promise<{ tags: string[]; truncated: boolean }> {
    const tags: string[] = [];
    let next: string | undefined = `/v2/${repository}/tags/list?n=${pageSize}`;
    const seen = new Set<string>();
    while (next) {
      if (seen.has(next))
        throw new RegistryError('invalid', `tag list of ${repository}: the next-page link repeats itself`);
      seen.add(next);
      const res = await this.send('GET', registry, next, { repository });
      const body = await readBounded(res.body, this.limits.maxJsonBytes, `tag list of ${repository}`);
      let j: { tags?: unknown };
      try {
        j = JSON.parse(body.toString('utf8')) as typeof j;
      } catch {
        throw new RegistryError('invalid', `tag list of ${repository} is not JSON`);
      }
      if (j.tags !== null && j.tags !== undefined && !Array.isArray(j.tags))
        throw new RegistryError('invalid', `tag list of ${repository}: "tags" is not a list`);
      for (const t of (j.tags as unknown[] | null | undefined) ?? []) {
        if (typeof t !== 'string') continue;
        tags.push(t);
        if (tags.length >= this.limits.maxTags) return { tags, truncated: true };
      }
      next = undefined;
      const link = String(res.headers.link ?? '');
      const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
      if (m) {
        const u = new URL(m[1], 'http://x');
        next = `${u.pathname}${u.search}`;
        if (!u.pathname.startsWith(`/v2/${repository}/tags/list`))
          throw new RegistryError(
            'invalid',
            `tag list of ${repository}: the next-page link leaves the tag list (${u.pathname})`,
          );
      }
    }
    return { tags, truncated: false };
  }

  /**
   * OCI 1.1 referrers of a digest, or undefined when the registry has no referrers API (404), in
   * which case callers use the `sha256-<hex>` tag schema.
   */
  async referrers(registry: string, repository: string, digest: string): Promise<Buffer | undefined> {
    const res = await this.send('GET', registry, `/v2/${repository}/referrers/${digest}`, {
      repository,
      headers: { accept: 'application/vnd.oci.image.index.v1+json' },
      accept: [404, 400, 405],
    });
    if (res.status !== 200) {
      await drain(res.body);
      return undefined;
    }
    return readBounded(res.body, this.limits.maxManifestBytes, `referrers of ${digest}`);
  }

  // ---------------------------------------------------------------- push

  async blobExists(registry: string, repository: string, digest: string): Promise<boolean> {
    const res = await this.send('HEAD', registry, `/v2/${repository}/blobs/${digest}`, {
      repository,
      push: true,
      accept: [404],
    });
    res.body.resume();
    return res.status === 200;
  }

  /** Uploads a blob monolithically (POST then PUT ?digest=), unless the registry has it already. */
  async pushBlob(registry: string, repository: string, bytes: Buffer): Promise<string> {
    return this.pushBlobBody(registry, repository, sha256Digest(bytes), bytes);
  }

  /** Uploads a blob whose digest is known (a file streamed from disk, for example). */
  async pushBlobBody(registry: string, repository: string, digest: string, bytes: Body): Promise<string> {
    if (await this.blobExists(registry, repository, digest)) return digest;
    const start = await this.send('POST', registry, `/v2/${repository}/blobs/uploads/`, {
      repository,
      push: true,
      body: Buffer.alloc(0),
    });
    await drain(start.body);
    const location = start.headers.location;
    if (!location) throw new RegistryError('invalid', `${registry}: blob upload started without a Location`);
    const baseUrl = await this.base(registry);
    const u = new URL(location, baseUrl);
    if (u.origin !== new URL(baseUrl).origin)
      throw new RegistryError(
        'invalid',
        `${registry}: the upload location ${u.origin} is on another host; refusing to send the blob there`,
      );
    u.searchParams.set('digest', digest);
    const put = await this.send('PUT', registry, `${u.pathname}${u.search}`, {
      repository,
      push: true,
      body: bytes,
      headers: { 'content-type': 'application/octet-stream' },
    });
    await drain(put.body);
    return digest;
  }

  /** PUT a manifest under a tag or its digest; returns the digest the bytes hash to. */
  async putManifest(
    registry: string,
    repository: string,
    reference: string,
    bytes: Buffer,
    mediaType: string,
  ): Promise<string> {
    const digest = sha256Digest(bytes);
    const res = await this.send('PUT', registry, `/v2/${repository}/manifests/${reference}`, {
      repository,
      push: true,
      body: bytes,
      headers: { 'content-type': mediaType },
    });
    await drain(res.body);
    const claimed = String(res.headers['docker-content-digest'] ?? '');
    if (claimed && claimed !== digest)
      throw new RegistryError(
        'digest',
        `${registry}/${repository}: the registry stored the manifest as ${claimed}, but its bytes hash to ${digest}`,
      );
    return digest;
  }
}

const HASH_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const h = require('node:crypto').createHash(workerData.algorithm);
const ring = new Uint8Array(workerData.ring);
parentPort.on('message', (m) => {
  if (m.end) { parentPort.postMessage({ digest: h.digest('hex') }); return; }
  h.update(ring.subarray(m.offset, m.offset + m.length));
  parentPort.postMessage({ slot: m.slot });
});
`;

const SLOT = 2 * 1024 * 1024;
const SLOTS = 4;
/** Blobs from this size on are hashed on a worker thread, beside the thread that receives and scans them. */
const WORKER_HASH_FROM = 32 * 1024 * 1024;

/**
 * SHA-256/512 of a stream; for large blobs on a worker thread, through a fixed ring of shared
 * memory (4 slots of 2 MiB): chunks are copied into a free slot, the worker hashes slots in order.
 * Memory stays at the ring whatever the blob's size.
 */
class StreamHash {
  private hash?: crypto.Hash;
  private worker?: Worker;
  private ring?: Buffer;
  private slot = 0;
  private fill = 0;
  private busy = new Set<number>();
  private waiters: (() => void)[] = [];
  private failed?: Error;

  constructor(algorithm: 'sha256' | 'sha512', size: number) {
    if (size >= WORKER_HASH_FROM) {
      try {
        const sab = new SharedArrayBuffer(SLOT * SLOTS);
        this.ring = Buffer.from(sab);
        this.worker = new Worker(HASH_WORKER_SOURCE, { eval: true, workerData: { algorithm, ring: sab } });
        this.worker.unref();
        this.worker.on('message', (m: { slot?: number }) => {
          if (m.slot !== undefined) {
            this.busy.delete(m.slot);
            this.waiters.shift()?.();
          }
        });
        this.worker.on('error', (e) => {
          this.failed = e;
          for (const w of this.waiters.splice(0)) w();
        });
      } catch {
        this.worker = undefined;
      }
    }
    if (!this.worker) this.hash = crypto.createHash(algorithm);
  }

  private async waitFree(slot: number): Promise<void> {
    while (this.busy.has(slot) && !this.failed) await new Promise<void>((r) => this.waiters.push(r));
    if (this.failed) throw this.failed;
  }

  private send(): void {
    if (this.fill === 0) return;
    this.busy.add(this.slot);
    this.worker!.postMessage({ slot: this.slot, offset: this.slot * SLOT, length: this.fill });
    this.slot = (this.slot + 1) % SLOTS;
    this.fill = 0;
  }

  async update(chunk: Buffer): Promise<void> {
    if (this.hash) {
      this.hash.update(chunk);
      return;
    }
    let at = 0;
    while (at < chunk.length) {
      if (this.fill === 0) await this.waitFree(this.slot);
      const n = chunk.copy(this.ring!, this.slot * SLOT + this.fill, at, Math.min(chunk.length, at + SLOT - this.fill));
      this.fill += n;
      at += n;
      if (this.fill === SLOT) this.send();
    }
  }

  async digestHex(): Promise<string> {
    if (this.hash) return this.hash.digest('hex');
    this.send();
    const w = this.worker!;
    return new Promise<string>((resolve, reject) => {
      w.on('message', (m: { digest?: string }) => {
        if (m.digest) {
          void w.terminate();
          resolve(m.digest);
        }
      });
      w.once('error', reject);
      w.postMessage({ end: true });
    });
  }

  dispose(): void {
    void this.worker?.terminate();
  }
}

/** A blob being read: hashed and counted per chunk, cut off past the declared size. */
export class BlobStream implements AsyncIterable<Buffer> {
  private readonly hash: StreamHash;
  private received = 0;
  private done = false;

  constructor(
    private readonly body: IncomingMessage,
    readonly descriptor: Descriptor,
    private readonly count: (n: number) => void,
  ) {
    const alg = descriptor.digest.split(':')[0];
    this.hash = new StreamHash(alg === 'sha512' ? 'sha512' : 'sha256', descriptor.size);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    try {
      for await (const chunk of this.body as AsyncIterable<Buffer>) {
        this.received += chunk.length;
        this.count(chunk.length);
        if (this.received > this.descriptor.size) {
          this.body.destroy();
          throw new RegistryError(
            'digest',
            `blob ${this.descriptor.digest}: the registry sent more than the ${this.descriptor.size} bytes its descriptor declares; reading stopped there`,
          );
        }
        await this.hash.update(chunk);
        yield chunk;
      }
      this.done = true;
    } finally {
      if (!this.done) this.hash.dispose();
    }
  }

  /** Bytes received so far. */
  get bytes(): number {
    return this.received;
  }

  /** After the last chunk: the failure (size or digest), or undefined when the content is the descriptor's. */
  async verify(): Promise<string | undefined> {
    if (!this.done) {
      this.hash.dispose();
      return `blob ${this.descriptor.digest}: not read to its end`;
    }
    if (this.received !== this.descriptor.size) {
      this.hash.dispose();
      return `blob ${this.descriptor.digest}: ${this.received} bytes received, its descriptor declares ${this.descriptor.size}`;
    }
    const hex = await this.hash.digestHex();
    const want = this.descriptor.digest.split(':')[1];
    if (hex !== want)
      return `blob ${this.descriptor.digest}: the content's digest is ${this.descriptor.digest.split(':')[0]}:${hex}; the registry sent other bytes than the manifest names`;
    return undefined;
  }

  destroy(): void {
    this.body.destroy();
    this.hash.dispose();
  }
}

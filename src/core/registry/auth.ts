/**
 * Registry authentication as the Docker CLI does it: the `WWW-Authenticate` challenge of a 401
 * (Bearer with realm/service/scope, or Basic), and credentials from the user (flags, stdin), from
 * `~/.docker/config.json` `auths`, or from a credential helper program (`credHelpers`,
 * `credsStore`), which is only ever run when the caller allows it (an explicit flag, or a trusted
 * VS Code workspace): a helper is a program named by a file, so it is run without a shell, with the
 * server name on stdin and a time limit.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DOCKER_HUB } from './reference.ts';

export type Credential =
  | { kind: 'basic'; username: string; password: string; source: string }
  /** An OAuth2 refresh token (`identitytoken` in config.json, `<token>` helpers). */
  | { kind: 'identity-token'; username?: string; token: string; source: string };

/** Finds the credential for a registry host; undefined means anonymous. */
export type CredentialSource = (registry: string) => Promise<Credential | undefined>;

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parses a `WWW-Authenticate` header (RFC 7235): one or more challenges, each `Scheme` followed by
 * comma-separated `key=value` or `key="quoted value"` parameters.
 */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const text = Array.isArray(header) ? header.join(', ') : (header ?? '');
  const out: Challenge[] = [];
  let cur: Challenge | undefined;
  let i = 0;
  const token = (): string => {
    const m = /^[!#$%&'*+.^_`|~\w-]+/.exec(text.slice(i));
    if (!m) return '';
    i += m[0].length;
    return m[0];
  };
  const spaces = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  };
  while (i < text.length) {
    while (i < text.length && /[\s,]/.test(text[i])) i++;
    const t = token();
    if (!t) {
      i++;
      continue;
    }
    spaces();
    if (text[i] === '=' && cur) {
      i++;
      spaces();
      let value = '';
      if (text[i] === '"') {
        i++;
        while (i < text.length && text[i] !== '"') {
          if (text[i] === '\\' && i + 1 < text.length) i++;
          value += text[i++];
        }
        i++;
      } else value = token();
      cur.params[t.toLowerCase()] = value;
    } else {
      cur = { scheme: t.toLowerCase(), params: {} };
      out.push(cur);
    }
  }
  return out;
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** Where Docker keeps its config: $DOCKER_CONFIG/config.json or ~/.docker/config.json. */
export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.DOCKER_CONFIG || path.join(os.homedir(), '.docker'), 'config.json');
}

/** The keys Docker may have stored a registry under (Docker Hub has its historical v1 URL). */
function configKeys(registry: string): string[] {
  const keys = [
    registry,
    `https://${registry}`,
    `http://${registry}`,
    `https://${registry}/v1/`,
    `https://${registry}/v2/`,
  ];
  if (registry === DOCKER_HUB) keys.unshift('https://index.docker.io/v1/', 'index.docker.io', 'registry-1.docker.io');
  return keys;
}

function hostOfKey(key: string): string {
  return key.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
}

export interface DockerCredentialOptions {
  /** The config file (default dockerConfigPath()). */
  configFile?: string;
  /** Run `docker-credential-<helper>` programs (credHelpers, credsStore). Off unless asked for. */
  allowHelpers?: boolean;
  /** Time limit of one helper run. */
  helperTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Told when a helper would have been asked but helpers are not allowed. */
  onHelperSkipped?: (helper: string, registry: string) => void;
}

/** Credentials from Docker's config file (and, when allowed, its credential helpers). */
export function dockerCredentials(opts: DockerCredentialOptions = {}): CredentialSource {
  let loaded: Promise<DockerConfig | undefined> | undefined;
  const file = opts.configFile ?? dockerConfigPath(opts.env);
  const load = () =>
    (loaded ??= fs.readFile(file, 'utf8').then(
      (t) => JSON.parse(t) as DockerConfig,
      () => undefined,
    ));
  return async (registry) => {
    const cfg = await load();
    if (!cfg || typeof cfg !== 'object') return undefined;
    const keys = configKeys(registry);
    const helper =
      cfg.credHelpers?.[registry] ??
      (registry === DOCKER_HUB ? cfg.credHelpers?.['index.docker.io'] : undefined) ??
      cfg.credsStore;
    if (helper && typeof helper === 'string') {
      if (!opts.allowHelpers) {
        opts.onHelperSkipped?.(helper, registry);
      } else {
        const serverUrl = registry === DOCKER_HUB ? 'https://index.docker.io/v1/' : registry;
        const c = await runCredentialHelper(helper, serverUrl, opts.helperTimeoutMs ?? 15_000, opts.env);
        if (c) return c;
      }
    }
    const auths = cfg.auths ?? {};
    for (const [key, entry] of Object.entries(auths)) {
      if (!keys.includes(key) && hostOfKey(key) !== registry) continue;
      if (!entry || typeof entry !== 'object') continue;
      if (typeof entry.identitytoken === 'string' && entry.identitytoken)
        return { kind: 'identity-token', token: entry.identitytoken, source: `${file} (auths.${key}.identitytoken)` };
      if (typeof entry.auth === 'string' && entry.auth) {
        const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon > 0)
          return {
            kind: 'basic',
            username: decoded.slice(0, colon),
            password: decoded.slice(colon + 1),
            source: `${file} (auths.${key})`,
          };
      }
      if (typeof entry.username === 'string' && typeof entry.password === 'string')
        return { kind: 'basic', username: entry.username, password: entry.password, source: `${file} (auths.${key})` };
    }
    return undefined;
  };
}

/**
 * Runs `docker-credential-<helper> get` (the docker-credential-helpers protocol): the server URL on
 * stdin, `{"Username","Secret"}` on stdout; `<token>` as the user name means an identity token.
 */
export function runCredentialHelper(
  helper: string,
  serverUrl: string,
  timeoutMs: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Credential | undefined> {
  if (!/^[\w.-]+$/.test(helper)) return Promise.resolve(undefined);
  const program = `docker-credential-${helper}`;
  return new Promise((resolve) => {
    const child = execFile(
      program,
      ['get'],
      { timeout: timeoutMs, maxBuffer: 1 << 20, env, windowsHide: true },
      (err, stdout) => {
        if (err) {
          resolve(undefined);
          return;
        }
        try {
          const j = JSON.parse(stdout) as { Username?: string; Secret?: string };
          if (!j.Secret) {
            resolve(undefined);
            return;
          }
          if (j.Username === '<token>') resolve({ kind: 'identity-token', token: j.Secret, source: program });
          else resolve({ kind: 'basic', username: j.Username ?? '', password: j.Secret, source: program });
        } catch {
          resolve(undefined);
        }
      },
    );
    child.stdin?.on('error', () => {
      /* the helper may exit before reading */
    });
    child.stdin?.end(serverUrl);
  });
}

/** A fixed credential for one registry (--registry-username / --registry-password-stdin). */
export function staticCredentials(registry: string | undefined, username: string, password: string): CredentialSource {
  return async (r) =>
    registry === undefined || r === registry
      ? { kind: 'basic', username, password, source: 'command line' }
      : undefined;
}

/** The first source that has a credential for the registry wins. */
export function chainCredentials(...sources: (CredentialSource | undefined)[]): CredentialSource {
  return async (registry) => {
    for (const s of sources) {
      if (!s) continue;
      const c = await s(registry);
      if (c) return c;
    }
    return undefined;
  };
}

import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIGSTORE_OAUTH_ISSUER } from './endpoints.ts';

/**
 * The OIDC identity for keyless signing: Sigstore's OAuth flow in the user's browser (authorization
 * code + PKCE, redirect to a one-shot server on the loopback interface), as sigstore-python and
 * cosign do it. Nothing is stored: the token lives for the one signing operation.
 */

export interface BrowserFlowOptions {
  issuer?: string;
  clientId?: string;
  /** Opens the authorization URL in the user's browser. */
  openBrowser: (url: string) => Promise<unknown> | unknown;
  signal?: AbortSignal;
  /** How long to wait for the user (default 5 minutes). */
  timeoutMs?: number;
}

interface Discovery {
  authorization_endpoint: string;
  token_endpoint: string;
}

function b64url(buf: Buffer): string {
  return buf.toString('base64url');
}

/** Only https endpoints, except on the loopback interface (local test stand-ins). */
function checkEndpoint(u: string, what: string): URL {
  const url = new URL(u);
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    throw new Error(`${what} ${u} is not https`);
  return url;
}

async function discover(issuer: string, signal?: AbortSignal): Promise<Discovery> {
  const res = await fetch(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`, { signal });
  if (!res.ok) throw new Error(`OIDC discovery at ${issuer} failed: HTTP ${res.status}`);
  const j = (await res.json()) as Partial<Discovery>;
  if (typeof j.authorization_endpoint !== 'string' || typeof j.token_endpoint !== 'string')
    throw new Error(`OIDC discovery at ${issuer}: no authorization or token endpoint`);
  checkEndpoint(j.authorization_endpoint, 'authorization endpoint');
  checkEndpoint(j.token_endpoint, 'token endpoint');
  return j as Discovery;
}

const DONE_PAGE =
  '<!doctype html><meta charset="utf-8"><title>Sigstore</title><p>Signed in. You can close this tab and return to VS Code.</p>';

/** Runs the browser flow and returns the OIDC identity token. */
export async function browserIdentityToken(opts: BrowserFlowOptions): Promise<string> {
  const issuer = opts.issuer ?? SIGSTORE_OAUTH_ISSUER;
  checkEndpoint(issuer, 'issuer');
  const clientId = opts.clientId ?? 'sigstore';
  const { authorization_endpoint, token_endpoint } = await discover(issuer, opts.signal);
  const verifier = b64url(crypto.randomBytes(32));
  const challenge = b64url(crypto.createHash('sha256').update(verifier).digest());
  const state = b64url(crypto.randomBytes(16));
  const nonce = b64url(crypto.randomBytes(16));

  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const redirectUri = `http://localhost:${port}/auth/callback`;
  try {
    const code = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('timed out waiting for the browser sign-in')),
        opts.timeoutMs ?? 300_000,
      );
      const abort = () => {
        clearTimeout(timer);
        reject(new Error('cancelled'));
      };
      opts.signal?.addEventListener('abort', abort, { once: true });
      server.on('request', (req, res) => {
        const url = new URL(req.url ?? '/', `http://localhost:${port}`);
        if (url.pathname !== '/auth/callback') {
          res.writeHead(404).end();
          return;
        }
        const err = url.searchParams.get('error');
        const gotState = url.searchParams.get('state');
        const gotCode = url.searchParams.get('code');
        // A callback with another state is not ours (a stray or forged request): ignore it.
        if (gotState !== state) {
          res.writeHead(400, { 'content-type': 'text/plain' }).end('state mismatch');
          return;
        }
        res
          .writeHead(err ? 400 : 200, { 'content-type': 'text/html; charset=utf-8' })
          .end(err ? 'Sign-in failed; return to VS Code.' : DONE_PAGE);
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', abort);
        if (err) reject(new Error(`sign-in failed: ${err} ${url.searchParams.get('error_description') ?? ''}`.trim()));
        else if (!gotCode) reject(new Error('sign-in returned no authorization code'));
        else resolve(gotCode);
      });
      const auth = new URL(authorization_endpoint);
      for (const [k, v] of Object.entries({
        response_type: 'code',
        client_id: clientId,
        redirect_uri: redirectUri,
        scope: 'openid email',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        state,
        nonce,
      }))
        auth.searchParams.set(k, v);
      Promise.resolve(opts.openBrowser(auth.toString())).catch(reject);
    });
    const res = await fetch(token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        client_id: clientId,
        code_verifier: verifier,
      }).toString(),
      signal: opts.signal,
    });
    if (!res.ok) throw new Error(`token exchange failed: HTTP ${res.status}`);
    const tok = (await res.json()) as { id_token?: string };
    if (typeof tok.id_token !== 'string') throw new Error('the token endpoint returned no id_token');
    checkNonce(tok.id_token, nonce);
    return tok.id_token;
  } finally {
    server.close();
    server.closeAllConnections?.();
  }
}

/** The ID token must carry the nonce of this flow (a replayed token would not). Fulcio verifies the signature. */
function checkNonce(jwt: string, nonce: string): void {
  const part = jwt.split('.')[1];
  let claims: { nonce?: string };
  try {
    claims = JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8')) as { nonce?: string };
  } catch {
    throw new Error('the ID token is not a JWT');
  }
  if (claims.nonce !== undefined && claims.nonce !== nonce)
    throw new Error('the ID token was issued for another sign-in (nonce mismatch)');
}

/** The subject/email and issuer claims of a token, to tell the user who is about to sign (not verified here). */
export function tokenIdentity(jwt: string): { subject?: string; issuer?: string } {
  try {
    const c = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      email?: string;
      sub?: string;
      iss?: string;
    };
    return { subject: c.email ?? c.sub, issuer: c.iss };
  } catch {
    return {};
  }
}

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fulcioHandler, initializeCA, initializeCTLog, initializeTLog, rekorHandler } from '@sigstore/mock';
import { signPathKeyless } from '../../../src/core/signing/keyless.ts';
import { browserIdentityToken } from '../../../src/core/signing/oidc.ts';
import { verifyPath } from '../../../src/core/signing/index.ts';

/**
 * Keyless signing end to end, against local stand-ins on 127.0.0.1 only: an OIDC issuer (browser
 * flow with PKCE), Fulcio and Rekor from @sigstore/mock. The result must verify offline with a
 * trusted root made of the stand-ins' keys, and only for the signed-in identity.
 */

const ISSUER_CLAIM = 'https://oidc.test.invalid';
const SUBJECT = 'alice@example.com';
let server: http.Server;
let base = '';
let dir = '';
let trustedRoot = '';
const codes = new Map<string, string>(); // code -> PKCE challenge

function canonicalDsse(body: string): string {
  const entry = JSON.parse(body) as {
    kind: string;
    apiVersion: string;
    spec: { proposedContent?: { envelope: string; verifiers: string[] } };
  };
  if (entry.kind !== 'dsse' || !entry.spec.proposedContent) return body;
  const env = JSON.parse(entry.spec.proposedContent.envelope) as { payload: string; signatures: { sig: string }[] };
  const sha = (b: Buffer | string) => crypto.createHash('sha256').update(b).digest('hex');
  return JSON.stringify({
    kind: 'dsse',
    apiVersion: entry.apiVersion,
    spec: {
      envelopeHash: { algorithm: 'sha256', value: sha(entry.spec.proposedContent.envelope) },
      payloadHash: { algorithm: 'sha256', value: sha(Buffer.from(env.payload, 'base64')) },
      signatures: env.signatures.map((x) => ({ signature: x.sig, verifier: entry.spec.proposedContent!.verifiers[0] })),
    },
  });
}

function unsignedJwt(claims: Record<string, unknown>): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${enc({ alg: 'none', typ: 'JWT' })}.${enc(claims)}.`;
}

before(async () => {
  const kp = () => crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ctlog = await initializeCTLog(kp());
  const ca = await initializeCA(kp(), ctlog);
  server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tlog = await initializeTLog(`${base}/rekor`, kp());
  const rekor = rekorHandler(tlog).fn;
  const routes = new Map([
    ['/fulcio/api/v2/signingCert', fulcioHandler(ca).fn],
    // The mock logs entries as proposed; real Rekor turns a proposed "dsse" entry into its
    // canonical form (signatures + payload hash), which is what verifiers check. Do that here.
    ['/rekor/api/v1/log/entries', (body: string) => rekor(canonicalDsse(body))],
  ]);
  let nonce = '';
  server.on('request', (req, res) => {
    const url = new URL(req.url ?? '/', base);
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      if (url.pathname === '/oidc/.well-known/openid-configuration') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            issuer: `${base}/oidc`,
            authorization_endpoint: `${base}/oidc/auth`,
            token_endpoint: `${base}/oidc/token`,
          }),
        );
      } else if (url.pathname === '/oidc/auth') {
        assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
        const code = crypto.randomBytes(8).toString('hex');
        codes.set(code, url.searchParams.get('code_challenge')!);
        nonce = url.searchParams.get('nonce')!;
        const back = new URL(url.searchParams.get('redirect_uri')!);
        assert.equal(back.hostname, 'localhost');
        back.searchParams.set('code', code);
        back.searchParams.set('state', url.searchParams.get('state')!);
        res.writeHead(302, { location: back.toString().replace('//localhost:', '//127.0.0.1:') }).end();
      } else if (url.pathname === '/oidc/token') {
        const p = new URLSearchParams(body);
        const challenge = codes.get(p.get('code') ?? '');
        const ok =
          challenge &&
          crypto
            .createHash('sha256')
            .update(p.get('code_verifier') ?? '')
            .digest('base64url') === challenge;
        if (!ok) {
          res.writeHead(400).end('bad PKCE');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            id_token: unsignedJwt({
              iss: ISSUER_CLAIM,
              sub: SUBJECT,
              email: SUBJECT,
              email_verified: true,
              aud: 'sigstore',
              nonce,
            }),
          }),
        );
      } else {
        const fn = routes.get(url.pathname);
        if (!fn || req.method !== 'POST') {
          res.writeHead(404).end();
          return;
        }
        void fn(body).then((r) =>
          res.writeHead(r.statusCode, { 'content-type': r.contentType ?? 'text/plain' }).end(r.response),
        );
      }
    });
  });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-keyless-'));
  const b64 = (b: ArrayBufferView | Buffer) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
  const valid = { start: '2000-01-01T00:00:00Z' };
  trustedRoot = path.join(dir, 'trusted_root.json');
  fs.writeFileSync(
    trustedRoot,
    JSON.stringify({
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [
        {
          baseUrl: `${base}/rekor`,
          hashAlgorithm: 'SHA2_256',
          publicKey: { rawBytes: b64(tlog.publicKey), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: valid },
          logId: { keyId: crypto.createHash('sha256').update(tlog.publicKey).digest('base64') },
        },
      ],
      certificateAuthorities: [
        {
          subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
          uri: `${base}/fulcio`,
          certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] },
          validFor: valid,
        },
      ],
      ctlogs: [
        {
          baseUrl: `${base}/ct`,
          hashAlgorithm: 'SHA2_256',
          publicKey: { rawBytes: b64(ctlog.publicKey), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: valid },
          logId: { keyId: b64(ctlog.logID) },
        },
      ],
      timestampAuthorities: [],
    }),
  );
});

after(() => {
  server?.close();
  server?.closeAllConnections();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** The browser: follows the authorization redirect back to the loopback callback, as a user's browser would. */
const browser = async (url: string) => {
  await fetch(url, { redirect: 'follow' });
};

test('browser OIDC flow (PKCE, loopback redirect) returns the token', async () => {
  const token = await browserIdentityToken({ issuer: `${base}/oidc`, openBrowser: browser });
  assert.match(token, /^[\w-]+\.[\w-]+\.$/);
});

test('the OIDC flow refuses a non-https issuer that is not on loopback', async () => {
  await assert.rejects(browserIdentityToken({ issuer: 'http://example.com/auth', openBrowser: browser }), /not https/);
});

test('keyless: sign a file and a model folder via Fulcio + Rekor stand-ins; verify offline; identity enforced', async () => {
  const identity = { getToken: () => browserIdentityToken({ issuer: `${base}/oidc`, openBrowser: browser }) };
  const file = path.join(dir, 'w.gguf');
  fs.writeFileSync(file, crypto.randomBytes(100_000));
  const res = await signPathKeyless(file, { identity, fulcioURL: `${base}/fulcio`, rekorURL: `${base}/rekor` });
  assert.equal(res.identity?.includes(SUBJECT), true);
  const policy = { trustedRoot, certificateIdentity: SUBJECT, certificateOidcIssuer: ISSUER_CLAIM };
  const ok = await verifyPath(file, policy);
  assert.equal(ok.verified, true, ok.signatures[0]?.failures.join(' | '));
  assert.equal(ok.signatures[0].identity, SUBJECT);
  assert.ok(ok.signatures[0].tlog?.[0]?.logIndex !== undefined && ok.signatures[0].time);
  const other = await verifyPath(file, { ...policy, certificateIdentity: 'mallory@example.com' });
  assert.equal(other.verified, false);
  assert.equal(
    (await verifyPath(file, { ...policy, trustedRoot: undefined })).verified,
    false,
    'the public-good root does not trust the stand-ins',
  );

  const model = path.join(dir, 'model');
  fs.mkdirSync(model);
  fs.writeFileSync(path.join(model, 'model.safetensors'), crypto.randomBytes(5000));
  fs.writeFileSync(path.join(model, 'config.json'), '{}');
  const m = await signPathKeyless(model, { identity, fulcioURL: `${base}/fulcio`, rekorURL: `${base}/rekor` });
  assert.equal(m.format, 'model-signing');
  const mv = await verifyPath(model, policy);
  assert.equal(mv.verified, true, mv.signatures[0]?.failures.join(' | '));
  fs.writeFileSync(path.join(model, 'config.json'), '{"x":1}');
  const tampered = await verifyPath(model, policy);
  assert.deepEqual(tampered.signatures[0].manifest?.changed, ['config.json']);
});

test('signing errors never carry the identity token', async () => {
  const token = unsignedJwt({ iss: ISSUER_CLAIM, sub: SUBJECT, email: SUBJECT }); // email not verified: rejected
  const file = path.join(dir, 'x.bin');
  fs.writeFileSync(file, 'x');
  await assert.rejects(
    signPathKeyless(file, {
      identity: { getToken: async () => token },
      fulcioURL: `${base}/fulcio`,
      rekorURL: `${base}/rekor`,
    }),
    (e: Error) => {
      assert.ok(!e.message.includes(token.split('.')[1]), e.message);
      assert.match(e.message, /identity token/i);
      return true;
    },
  );
});

test('CLI: model-inspect sign without a key signs keylessly with SIGSTORE_ID_TOKEN', async () => {
  const { execFile } = await import('node:child_process');
  const { REPO } = await import('../helpers.ts');
  const file = path.join(dir, 'ci.safetensors');
  fs.writeFileSync(file, crypto.randomBytes(2048));
  const token = unsignedJwt({ iss: ISSUER_CLAIM, sub: SUBJECT, email: SUBJECT, email_verified: true });
  const r = await new Promise<{ code: number; out: string }>((resolve) => {
    execFile(
      process.execPath,
      [
        path.join(REPO, 'dist', 'cli.js'),
        'sign',
        file,
        '--fulcio-url',
        `${base}/fulcio`,
        '--rekor-url',
        `${base}/rekor`,
        '--allow-flagged',
      ],
      { env: { ...process.env, SIGSTORE_ID_TOKEN: token, NO_COLOR: '1' } },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 2) : 0, out: stdout + stderr });
      },
    );
  });
  assert.equal(r.code, 0, r.out);
  assert.ok(!r.out.includes(token.split('.')[1]), 'the token is never printed');
  const v = await verifyPath(file, { trustedRoot, certificateIdentity: SUBJECT, certificateOidcIssuer: ISSUER_CLAIM });
  assert.equal(v.verified, true, v.signatures[0]?.failures.join(' | '));
});

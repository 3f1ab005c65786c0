/**
 * Keyless `sign REF` and `attest REF` end to end, against local stand-ins only: Fulcio and Rekor
 * from @sigstore/mock on 127.0.0.1 and a real registry. The cosign annotations written (certificate,
 * Rekor SET) must verify offline against a trusted root made of the stand-ins' keys, for the
 * signed-in identity only, and not against the public-good root.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fulcioHandler, initializeCA, initializeCTLog, initializeTLog, rekorHandler } from '@sigstore/mock';
import { RegistryClient } from '../../../src/core/registry/client.ts';
import { pushArtifact } from '../../../src/core/registry/push.ts';
import { inspectRemote } from '../../../src/core/registry/remote.ts';
import { attestReference, signReference } from '../../../src/core/registry/sign.ts';
import { safetensors } from './fixtures.ts';
import { registrySkip, startRegistry, type TestRegistry } from './realRegistry.ts';

const ISSUER = 'https://oidc.test.invalid';
const SUBJECT = 'release@example.com';

/** Real Rekor turns a proposed "dsse" entry into its canonical form; the mock does not. */
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

const jwt = (claims: Record<string, unknown>) => {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${enc({ alg: 'none', typ: 'JWT' })}.${enc(claims)}.`;
};

describe('keyless sign REF / attest REF with Fulcio and Rekor stand-ins', { skip: registrySkip() }, () => {
  let reg: TestRegistry;
  let client: RegistryClient;
  let server: http.Server;
  let base = '';
  let dir = '';
  let trustedRoot = '';
  before(async () => {
    reg = await startRegistry();
    client = new RegistryClient({ retryBaseMs: 1 });
    const kp = () => crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ctlog = await initializeCTLog(kp());
    const ca = await initializeCA(kp(), ctlog);
    server = http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const tlog = await initializeTLog(`${base}/rekor`, kp());
    const rekor = rekorHandler(tlog).fn;
    const routes = new Map<
      string,
      (body: string) => Promise<{ statusCode: number; response: string | ArrayBufferView; contentType?: string }>
    >([
      ['/fulcio/api/v2/signingCert', fulcioHandler(ca).fn],
      ['/rekor/api/v1/log/entries', (body: string) => rekor(canonicalDsse(body))],
    ]);
    server.on('request', (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        const fn = routes.get(new URL(req.url ?? '/', base).pathname);
        if (!fn || req.method !== 'POST') {
          res.writeHead(404).end();
          return;
        }
        void fn(body).then((r) =>
          res.writeHead(r.statusCode, { 'content-type': r.contentType ?? 'text/plain' }).end(r.response),
        );
      });
    });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-reg-keyless-'));
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
  after(async () => {
    client?.close();
    server?.close();
    server?.closeAllConnections();
    await reg?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a keyless signature and attestation verify offline, for the signed-in identity only', async () => {
    const pushed = await pushArtifact(client, reg.host, 'models/keyless', 'v1', {
      configMediaType: 'application/vnd.oci.empty.v1+json',
      config: Buffer.from('{}'),
      layers: [{ mediaType: 'application/vnd.cncf.model.weight.v1.raw', bytes: safetensors(3) }],
    });
    const ref = `${reg.host}/models/keyless@${pushed.digest}`;
    const signer = {
      kind: 'keyless' as const,
      identity: {
        getToken: async () => jwt({ iss: ISSUER, sub: SUBJECT, email: SUBJECT, email_verified: true, aud: 'sigstore' }),
      },
      fulcioURL: `${base}/fulcio`,
      rekorURL: `${base}/rekor`,
    };
    const s = await signReference(client, ref, { signer });
    assert.match(s.identity ?? '', new RegExp(SUBJECT));
    assert.ok(s.logIndex !== undefined);
    await attestReference(client, ref, {
      signer,
      type: 'slsaprovenance1',
      predicate: Buffer.from(
        JSON.stringify({
          buildDefinition: { buildType: 'x', externalParameters: {} },
          runDetails: { builder: { id: 'https://example.com/builder' } },
        }),
      ),
    });

    const ok = await inspectRemote(client, ref, {
      scan: false,
      trust: { keys: [], identity: { certificateIdentity: SUBJECT, certificateOidcIssuer: ISSUER }, trustedRoot },
    });
    const sig = ok.attachments!.signatures[0];
    assert.equal(sig.verified, true, sig.failures.join('; '));
    assert.equal(sig.identity, SUBJECT);
    assert.ok(sig.tlog?.length);
    const att = ok.attachments!.attestations[0];
    assert.equal(att.verified, true, att.failures.join('; '));
    assert.equal(att.predicateType, 'https://slsa.dev/provenance/v1');

    const other = await inspectRemote(client, ref, {
      scan: false,
      trust: {
        keys: [],
        identity: { certificateIdentity: 'mallory@example.com', certificateOidcIssuer: ISSUER },
        trustedRoot,
      },
    });
    assert.ok(other.attachments!.signatures.every((x) => !x.verified));
    assert.ok(other.attachments!.attestations.every((x) => !x.verified));
    const publicGood = await inspectRemote(client, ref, {
      scan: false,
      trust: { keys: [], identity: { certificateIdentity: SUBJECT, certificateOidcIssuer: ISSUER } },
    });
    assert.ok(
      publicGood.attachments!.signatures.every((x) => !x.verified),
      'the public-good root does not trust the stand-ins',
    );
  });
});

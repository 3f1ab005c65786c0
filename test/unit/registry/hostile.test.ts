/**
 * Hostile registries (a stub server on 127.0.0.1): each case must end in a clear finding, never a
 * hang and never a pass. Bounds are on work (bytes, requests), never on wall-clock time.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import type http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { RegistryClient, sha256Digest } from '../../../src/core/registry/client.ts';
import { staticCredentials } from '../../../src/core/registry/auth.ts';
import { inspectRemote } from '../../../src/core/registry/remote.ts';
import { evilPickle, safetensors } from './fixtures.ts';
import { send, startStub, type Stub } from './stub.ts';

const OCI = 'application/vnd.oci.image.manifest.v1+json';

function manifestOf(
  layers: { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }[],
  config = Buffer.from('{}'),
): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI,
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: sha256Digest(config),
        size: config.length,
      },
      layers,
    }),
  );
}

/** Serves `manifest` for repo `name` under tag `t` and its digest, and blobs from a map. */
type BlobServe = Buffer | ((res: http.ServerResponse) => void);

function serveRepo(stub: Stub, name: string, manifest: Buffer, blobs: Map<string, BlobServe>) {
  const digest = sha256Digest(manifest);
  stub.route('*', new RegExp(`^/v2/${name}/manifests/(t|${digest.replace(':', ':')})$`), (req, res) => {
    res.writeHead(200, {
      'content-type': OCI,
      'docker-content-digest': digest,
      'content-length': String(manifest.length),
    });
    res.end(req.method === 'HEAD' ? undefined : manifest);
  });
  stub.route('GET', new RegExp(`^/v2/${name}/blobs/`), (_req, res, url) => {
    const d = url.pathname.split('/').pop()!;
    const b = blobs.get(d);
    if (!b) {
      res.writeHead(404);
      res.end();
      return;
    }
    if (typeof b === 'function') b(res);
    else send(res, b);
  });
  return digest;
}

function endless(res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  const chunk = Buffer.alloc(64 * 1024, 0x80);
  const pump = () => {
    while (!res.destroyed && res.write(chunk));
    if (!res.destroyed) res.once('drain', pump);
  };
  res.on('close', () => res.removeAllListeners('drain'));
  pump();
}

describe('hostile registry (stub server)', () => {
  let stub: Stub;
  const client = () => new RegistryClient({ retryBaseMs: 1, retries: 2 });
  before(async () => {
    stub = await startStub();
  });
  after(async () => {
    await stub.close();
  });

  test('a blob whose bytes do not match its digest: digest-mismatch, and its scan results are discarded', async () => {
    const claimed = safetensors(8);
    const served = Buffer.concat([evilPickle(), Buffer.alloc(claimed.length - evilPickle().length)]);
    const m = manifestOf([
      {
        mediaType: 'application/vnd.oci.image.layer.v1.tar',
        digest: sha256Digest(claimed),
        size: claimed.length,
        annotations: { 'org.opencontainers.image.title': 'model.safetensors' },
      },
    ]);
    serveRepo(
      stub,
      'bad/blob',
      m,
      new Map([
        [sha256Digest(claimed), served],
        [sha256Digest(Buffer.from('{}')), Buffer.from('{}')],
      ]),
    );
    const c = client();
    const r = await inspectRemote(c, `${stub.host}/bad/blob:t`);
    c.close();
    const f = r.findings.find((x) => x.ruleId === 'registry/digest-mismatch');
    assert.ok(f, JSON.stringify(r.findings));
    assert.match(f!.message, /discarded/);
    assert.ok(
      !r.findings.some((x) => x.ruleId.startsWith('scan/')),
      "nothing scanned from bytes that are not the manifest's is reported",
    );
    assert.equal(r.complete, false);
  });

  test('an endless blob body stops at the declared size', async () => {
    const declared = 1024 * 1024;
    const digest = sha256Digest(Buffer.alloc(declared));
    const m = manifestOf([{ mediaType: 'application/vnd.cncf.model.weight.v1.raw', digest, size: declared }]);
    serveRepo(stub, 'endless/blob', m, new Map([[digest, endless]]));
    const before = stub.bytesSent;
    const c = client();
    const r = await inspectRemote(c, `${stub.host}/endless/blob:t`);
    c.close();
    assert.ok(
      r.findings.some((x) => x.ruleId === 'registry/digest-mismatch' && /more than the 1048576 bytes/.test(x.message)),
      JSON.stringify(r.findings),
    );
    assert.ok(stub.bytesSent - before < 64 * 1024 * 1024, `the stub got to send only ${stub.bytesSent - before} bytes`);
  });

  test('an endless manifest stops at the manifest size limit', async () => {
    stub.route('*', '/v2/endless/manifest/manifests/t', (req, res) => {
      if (req.method === 'HEAD') {
        res.writeHead(200, { 'content-type': OCI });
        res.end();
        return;
      }
      endless(res);
    });
    const before = stub.bytesSent;
    const c = client();
    const r = await inspectRemote(c, `${stub.host}/endless/manifest:t`);
    c.close();
    const f = r.findings.find((x) => x.ruleId === 'registry/incomplete');
    assert.ok(f, JSON.stringify(r.findings));
    assert.match(f!.message, /larger than the limit/);
    assert.ok(stub.bytesSent - before < 64 * 1024 * 1024);
  });

  test('a manifest of 100,000 layers: refused by size, and by layer count when the size limit is raised; no blob is fetched', async () => {
    const layers = Array.from({ length: 100_000 }, (_, i) => ({
      mediaType: 'application/vnd.oci.image.layer.v1.tar',
      digest: sha256Digest(Buffer.from(String(i))),
      size: 1,
    }));
    const m = manifestOf(layers);
    serveRepo(stub, 'many/layers', m, new Map());
    const c = client();
    const r = await inspectRemote(c, `${stub.host}/many/layers:t`);
    c.close();
    assert.ok(
      r.findings.some(
        (x) => x.ruleId === 'registry/incomplete' && /(larger|more) than the limit of 4194304/.test(x.message),
      ),
      JSON.stringify(r.findings),
    );
    const big = new RegistryClient({ retryBaseMs: 1, limits: { maxManifestBytes: 64 * 1024 * 1024 } });
    const r2 = await inspectRemote(big, `${stub.host}/many/layers:t`);
    big.close();
    assert.ok(
      r2.findings.some(
        (x) => x.ruleId === 'registry/incomplete' && /100000 layers, more than the limit/.test(x.message),
      ),
      JSON.stringify(r2.findings),
    );
    assert.ok(!stub.requests.some((q) => q.path.startsWith('/v2/many/layers/blobs/')), 'no layer was requested');
  });

  test('redirect loops and endless redirect chains end in a finding', async () => {
    const blob = safetensors(4);
    const digest = sha256Digest(blob);
    const m = manifestOf([{ mediaType: 'application/vnd.cncf.model.weight.v1.raw', digest, size: blob.length }]);
    serveRepo(
      stub,
      'redirect/loop',
      m,
      new Map([
        [
          digest,
          (res) => {
            res.writeHead(307, { location: '/loop/a' });
            res.end();
          },
        ],
      ]),
    );
    stub.route('GET', '/loop/a', (_q, res) => {
      res.writeHead(302, { location: '/loop/b' });
      res.end();
    });
    stub.route('GET', '/loop/b', (_q, res) => {
      res.writeHead(302, { location: '/loop/a' });
      res.end();
    });
    const c = client();
    const r = await inspectRemote(c, `${stub.host}/redirect/loop:t`);
    assert.ok(
      r.findings.some((x) => x.ruleId === 'registry/unreachable' && /redirect loop/.test(x.message)),
      JSON.stringify(r.findings),
    );

    let n = 0;
    serveRepo(
      stub,
      'redirect/chain',
      m,
      new Map([
        [
          digest,
          (res) => {
            res.writeHead(307, { location: `/chain/${n++}` });
            res.end();
          },
        ],
      ]),
    );
    stub.route('GET', /^\/chain\//, (_q, res) => {
      res.writeHead(307, { location: `/chain/${n++}` });
      res.end();
    });
    const r2 = await inspectRemote(c, `${stub.host}/redirect/chain:t`);
    c.close();
    assert.ok(
      r2.findings.some((x) => x.ruleId === 'registry/incomplete' && /more than 5 redirects/.test(x.message)),
      JSON.stringify(r2.findings),
    );
    assert.ok(n <= 7, `${n} redirects were followed`);
  });

  test('a .sig manifest whose signature is for another digest: signed, but not this image', async () => {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const blob = safetensors(4);
    const m = manifestOf([
      { mediaType: 'application/vnd.cncf.model.weight.v1.raw', digest: sha256Digest(blob), size: blob.length },
    ]);
    const digest = serveRepo(stub, 'sig/other', m, new Map([[sha256Digest(blob), blob]]));
    const other = `sha256:${'ab'.repeat(32)}`;
    const payload = Buffer.from(
      JSON.stringify({
        critical: {
          identity: { 'docker-reference': `${stub.host}/sig/other` },
          image: { 'docker-manifest-digest': other },
          type: 'cosign container image signature',
        },
        optional: null,
      }),
    );
    const sig = crypto.sign('sha256', payload, privateKey).toString('base64');
    const sigManifest = manifestOf([
      {
        mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
        digest: sha256Digest(payload),
        size: payload.length,
        annotations: { 'dev.cosignproject.cosign/signature': sig },
      },
    ]);
    stub.route('GET', `/v2/sig/other/manifests/${digest.replace(':', '-')}.sig`, (_q, res) =>
      send(res, sigManifest, { 'content-type': OCI }),
    );
    stub.route('GET', `/v2/sig/other/blobs/${sha256Digest(payload)}`, (_q, res) => send(res, payload));
    const c = client();
    const r = await inspectRemote(c, `${stub.host}/sig/other@${digest}`, {
      scan: false,
      trust: { keys: [{ key: publicKey, label: 'test.pub' }], identity: {} },
    });
    c.close();
    const s = r.attachments!.signatures[0];
    assert.equal(s.verified, false);
    assert.match(s.failures.join(' '), new RegExp(`signs ${other}, not ${digest}`));
    assert.ok(r.findings.some((x) => x.ruleId === 'signing/subject-mismatch'));
    assert.ok(r.findings.some((x) => x.ruleId === 'registry/unsigned'));
  });

  test('429 and 503 are retried with backoff (Retry-After honoured); a registry that stays down is a finding after the retries', async () => {
    let calls = 0;
    const blob = safetensors(4);
    const m = manifestOf([
      { mediaType: 'application/vnd.cncf.model.weight.v1.raw', digest: sha256Digest(blob), size: blob.length },
    ]);
    serveRepo(
      stub,
      'flaky/repo',
      m,
      new Map<string, BlobServe>([
        [
          sha256Digest(blob),
          (res) => {
            calls++;
            if (calls <= 2) {
              res.writeHead(calls === 1 ? 429 : 503, { 'retry-after': '0' });
              res.end();
              return;
            }
            send(res, blob);
          },
        ],
        [sha256Digest(Buffer.from('{}')), Buffer.from('{}')],
      ]),
    );
    const waits: number[] = [];
    const c = new RegistryClient({
      retries: 3,
      retryBaseMs: 1,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    const r = await inspectRemote(c, `${stub.host}/flaky/repo:t`);
    assert.equal(calls, 3);
    assert.deepEqual(waits, [0, 0]);
    assert.ok(r.manifests[0].layers[0].verified);

    stub.route('*', '/v2/down/repo/manifests/t', (_q, res) => {
      res.writeHead(503);
      res.end();
    });
    const before = stub.requests.length;
    const r2 = await inspectRemote(c, `${stub.host}/down/repo:t`);
    c.close();
    assert.equal(stub.requests.length - before, 4, 'one attempt and three retries');
    assert.ok(
      r2.findings.some(
        (x) => x.ruleId === 'registry/unreachable' && /HTTP 503/.test(x.message) && /4 attempts/.test(x.message),
      ),
      JSON.stringify(r2.findings),
    );
  });

  test('a server that accepts and never answers: the idle timeout ends it with a finding', async () => {
    stub.route('*', '/v2/silent/repo/manifests/t', () => {
      /* never answers */
    });
    const c = new RegistryClient({ retries: 0, idleTimeoutMs: 200 });
    const r = await inspectRemote(c, `${stub.host}/silent/repo:t`);
    c.close();
    assert.ok(
      r.findings.some((x) => x.ruleId === 'registry/unreachable' && /no (response|data)/.test(x.message)),
      JSON.stringify(r.findings),
    );
  });

  test('a manifest that does not hash to the digest asked for, and a Docker-Content-Digest that lies', async () => {
    const real = manifestOf([]);
    const lie = sha256Digest(Buffer.from('something else'));
    stub.route('*', `/v2/lying/repo/manifests/${lie}`, (_q, res) => send(res, real, { 'content-type': OCI }));
    stub.route('*', '/v2/lying/repo/manifests/t', (req, res) => {
      if (req.method === 'HEAD') {
        res.writeHead(200, { 'content-type': OCI });
        res.end();
        return;
      }
      send(res, real, { 'content-type': OCI, 'docker-content-digest': lie });
    });
    const c = client();
    const byDigest = await inspectRemote(c, `${stub.host}/lying/repo@${lie}`);
    assert.ok(
      byDigest.findings.some((x) => x.ruleId === 'registry/digest-mismatch'),
      JSON.stringify(byDigest.findings),
    );
    const byTag = await inspectRemote(c, `${stub.host}/lying/repo:t`);
    c.close();
    assert.ok(
      byTag.findings.some((x) => x.ruleId === 'registry/digest-mismatch' && /says its digest is/.test(x.message)),
      JSON.stringify(byTag.findings),
    );
  });

  test('bearer token challenge: the token service gets the credentials, the registry only the token; a cross-host redirect drops them', async () => {
    const storage = await startStub();
    const blob = safetensors(4);
    const m = manifestOf([
      { mediaType: 'application/vnd.cncf.model.weight.v1.raw', digest: sha256Digest(blob), size: blob.length },
    ]);
    const digest = sha256Digest(m);
    stub.route('GET', '/token', (req, res, url) => {
      const ok =
        req.headers.authorization === `Basic ${Buffer.from('alice:s3cret').toString('base64')}` &&
        url.searchParams.get('scope') === 'repository:tok/repo:pull' &&
        url.searchParams.get('service') === 'stub';
      if (!ok) {
        res.writeHead(401);
        res.end();
        return;
      }
      send(res, Buffer.from(JSON.stringify({ token: 'tok-123' })), { 'content-type': 'application/json' });
    });
    const authed = (req: http.IncomingMessage, res: http.ServerResponse) => {
      if (req.headers.authorization === 'Bearer tok-123') return true;
      res.writeHead(401, {
        'www-authenticate': `Bearer realm="http://${stub.host}/token",service="stub",scope="repository:tok/repo:pull"`,
      });
      res.end();
      return false;
    };
    stub.route('*', /^\/v2\/tok\/repo\/manifests\//, (req, res) => {
      if (!authed(req, res)) return;
      res.writeHead(200, { 'content-type': OCI, 'docker-content-digest': digest, 'content-length': String(m.length) });
      res.end(req.method === 'HEAD' ? undefined : m);
    });
    stub.route('GET', /^\/v2\/tok\/repo\/blobs\//, (req, res, url) => {
      if (!authed(req, res)) return;
      res.writeHead(307, { location: `http://${storage.host}/storage${url.pathname}` });
      res.end();
    });
    storage.route('GET', /^\/storage\//, (_q, res) => send(res, blob));
    const c = new RegistryClient({ retryBaseMs: 1, credentials: staticCredentials(stub.host, 'alice', 's3cret') });
    const r = await inspectRemote(c, `${stub.host}/tok/repo:t`);
    c.close();
    await storage.close();
    assert.ok(r.manifests[0]?.layers[0]?.verified, JSON.stringify(r.findings));
    const registryAuth = stub.requests
      .filter((q) => q.path.startsWith('/v2/tok/'))
      .map((q) => q.authorization)
      .filter(Boolean);
    assert.ok(
      registryAuth.every((a) => a === 'Bearer tok-123'),
      'the registry never sees the password',
    );
    assert.ok(
      storage.requests.length > 0 && storage.requests.every((q) => q.authorization === undefined),
      'the storage host gets no credentials',
    );
  });
});

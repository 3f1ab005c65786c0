/**
 * Held-out attacks on the registry half (issue #13), written without reading the other registry
 * tests: what a publisher with push access to the repository, or a hostile registry, can send.
 * Every case asserts the verdict a security tool owes: never signed where it should refuse, never
 * a pass over content that was not read, never a hang, never a credential sent where it does not
 * belong. Real registry: Debian's docker-registry; protocol abuse: the stub server.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { RegistryClient, sha256Digest } from '../../../src/core/registry/client.ts';
import { runRemoteGate } from '../../../src/core/registry/gate.ts';
import { MT } from '../../../src/core/registry/manifest.ts';
import { pushArtifact, pushIndex } from '../../../src/core/registry/push.ts';
import { inspectRemote, type RemoteModel } from '../../../src/core/registry/remote.ts';
import { scanRepository } from '../../../src/core/registry/scanRepository.ts';
import { parsePolicy } from '../../../src/core/gate/policy.ts';
import { attachmentTag } from '../../../src/core/registry/reference.ts';
import { evilPickle, safetensors, tarOf } from './fixtures.ts';
import {
  ecKey,
  envelope,
  keyBundle,
  payloadFor,
  pushAtt,
  pushModel,
  pushReferrer,
  pushSig,
  signBytes,
  statementFor,
  trustOf,
  type KeyPair,
} from './heldoutHelpers.ts';
import { registrySkip, startRegistry, type TestRegistry } from './realRegistry.ts';
import { send, startStub, type Stub } from './stub.ts';
import { staticCredentials } from '../../../src/core/registry/auth.ts';

const CYCLONEDX = 'https://cyclonedx.org/bom';

/** Rewrites a tar header's size field (and its checksum). */
function setTarSize(header: Buffer, size: number): void {
  header.write(size.toString(8).padStart(11, '0') + '\0', 124);
  header.write('        ', 148);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += header[i];
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
}

function signedBy(m: RemoteModel): boolean {
  return m.attachments?.signatures.some((s) => s.verified) ?? false;
}

function rules(m: RemoteModel): string[] {
  return [...new Set(m.findings.map((f) => f.ruleId))];
}

describe('held-out: signatures and attestations an attacker attaches', { skip: registrySkip() }, () => {
  let reg: TestRegistry;
  let client: RegistryClient;
  const release = ecKey();
  const other = ecKey();
  before(async () => {
    reg = await startRegistry();
    client = new RegistryClient({ retryBaseMs: 1 });
  });
  after(async () => {
    client?.close();
    await reg?.stop();
  });

  const modelAt = async (repo: string) => {
    const m = await pushModel(client, reg.host, repo, 'v1');
    return { digest: m.digest, ref: `${reg.host}/${repo}@${m.digest}`, name: `${reg.host}/${repo}` };
  };

  test('a valid signature whose payload names another digest does not sign this one', async () => {
    const a = await modelAt('att/other-digest');
    const b = await pushModel(client, reg.host, 'att/other-digest', 'v2', [
      { bytes: safetensors(8), title: 'model.safetensors' },
    ]);
    const p = payloadFor(a.name, b.digest);
    await pushSig(client, reg.host, 'att/other-digest', a.digest, [{ payload: p, signature: signBytes(release, p) }]);
    const m = await inspectRemote(client, a.ref, { scan: false, trust: trustOf(release) });
    assert.equal(signedBy(m), false);
    assert.ok(rules(m).includes('registry/unsigned'));
    assert.ok(rules(m).includes('signing/subject-mismatch'), rules(m).join(' '));
  });

  test('a signature for this digest that names another repository is reported, not hidden', async () => {
    const a = await modelAt('att/other-repo');
    const p = payloadFor('ghcr.io/acme/ml-models/some-other-model', a.digest);
    await pushSig(client, reg.host, 'att/other-repo', a.digest, [{ payload: p, signature: signBytes(release, p) }]);
    const m = await inspectRemote(client, a.ref, { scan: false, trust: trustOf(release) });
    // cosign itself accepts it (copied images keep their signatures); the other name must be visible.
    const sig = m.attachments!.signatures[0];
    assert.equal(sig.verified, true, sig.failures.join('; '));
    assert.match(sig.notes.join(' '), /some-other-model/);
    assert.ok(
      m.findings.some((f) => /some-other-model/.test(f.message)),
      'a finding names the other repository',
    );
  });

  test('a .sig with one layer by another key and a simple-signing layer of the wrong type: only valid layers count', async () => {
    const a = await modelAt('att/mixed');
    const good = payloadFor(a.name, a.digest);
    const wrongType = payloadFor(a.name, a.digest, 'atomic container signature');
    await pushSig(client, reg.host, 'att/mixed', a.digest, [
      { payload: good, signature: signBytes(other, good) },
      { payload: wrongType, signature: signBytes(release, wrongType) },
    ]);
    const m = await inspectRemote(client, a.ref, { scan: false, trust: trustOf(release) });
    assert.equal(signedBy(m), false, JSON.stringify(m.attachments?.signatures.map((s) => s.failures)));
    // one valid layer among them makes it signed (cosign's rule: at least one)
    const good2 = payloadFor(a.name, a.digest);
    await pushSig(client, reg.host, 'att/mixed', a.digest, [
      { payload: good2, signature: signBytes(other, good2) },
      { payload: good2, signature: signBytes(release, good2) },
    ]);
    const m2 = await inspectRemote(client, a.ref, { scan: false, trust: trustOf(release) });
    assert.equal(signedBy(m2), true);
    assert.equal(m2.attachments!.signatures.filter((s) => s.verified).length, 1);
  });

  test('a signature layer whose payload blob is not its descriptor (size or digest) is refused', async () => {
    const a = await modelAt('att/sig-blob');
    const p = payloadFor(a.name, a.digest);
    const pd = await client.pushBlob(reg.host, 'att/sig-blob', p);
    const sigm = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MT.ociManifest,
        config: {
          mediaType: MT.ociEmpty,
          digest: await client.pushBlob(reg.host, 'att/sig-blob', Buffer.from('{}')),
          size: 2,
        },
        layers: [
          {
            mediaType: MT.cosignSimpleSigning,
            digest: pd,
            size: p.length - 5,
            annotations: { 'dev.cosignproject.cosign/signature': signBytes(release, p) },
          },
        ],
      }),
    );
    await client.putManifest(reg.host, 'att/sig-blob', attachmentTag(a.digest, 'sig'), sigm, MT.ociManifest);
    const m = await inspectRemote(client, a.ref, { scan: false, trust: trustOf(release) });
    assert.equal(signedBy(m), false);
  });

  test('attestations: subject, predicate type, unsigned, other key, payload type', async () => {
    const a = await modelAt('att/attest');
    const b = await pushModel(client, reg.host, 'att/attest', 'v2', [
      { bytes: safetensors(9), title: 'model.safetensors' },
    ]);
    const sbom = { bomFormat: 'CycloneDX', specVersion: '1.6', components: [] };
    const aboutB = statementFor(a.name, b.digest, CYCLONEDX, sbom);
    const aboutA = statementFor(a.name, a.digest, CYCLONEDX, sbom);
    const unsigned = Buffer.from(
      JSON.stringify({
        payloadType: 'application/vnd.in-toto+json',
        payload: aboutA.toString('base64'),
        signatures: [],
      }),
    );
    await pushAtt(client, reg.host, 'att/attest', a.digest, [
      { envelope: envelope(aboutB, [release]), predicateType: CYCLONEDX },
      { envelope: unsigned, predicateType: CYCLONEDX },
      { envelope: envelope(aboutA, [other]), predicateType: CYCLONEDX },
      {
        envelope: envelope(aboutA, [release], 'application/json', 'application/vnd.in-toto+json'),
        predicateType: CYCLONEDX,
      },
      { envelope: envelope(aboutA, [release], 'application/json'), predicateType: CYCLONEDX },
    ]);
    const m = await inspectRemote(client, a.ref, { scan: false, trust: trustOf(release) });
    const atts = m.attachments!.attestations;
    assert.equal(atts.length, 5);
    assert.deepEqual(
      atts.map((x) => x.verified),
      [false, false, false, false, false],
      JSON.stringify(atts.map((x) => x.failures)),
    );
    // the annotation says CycloneDX, the signed statement says something else: the signed one counts
    const vuln = statementFor(a.name, a.digest, 'https://example.com/not-an-sbom', sbom);
    await pushAtt(client, reg.host, 'att/attest', a.digest, [
      { envelope: envelope(vuln, [release]), predicateType: CYCLONEDX },
    ]);
    const scan = await scanRepository(
      client,
      { registry: reg.host, repository: 'att/attest' },
      { trust: trustOf(release), require: ['sbom'], tags: ['v1'] },
    );
    assert.deepEqual(scan.results[0].missing, ['sbom']);
    assert.equal(scan.results[0].ok, false);
  });

  test('referrers: a bundle whose manifest subject is another digest, and one signed over another manifest', async () => {
    const a = await modelAt('att/referrers');
    const b = await pushModel(client, reg.host, 'att/referrers', 'v2', [
      { bytes: safetensors(10), title: 'model.safetensors' },
    ]);
    const bBytes = (await client.getManifest(reg.host, 'att/referrers', b.digest)).bytes;
    // a valid bundle over B, listed under A, its subject B
    await pushReferrer(
      client,
      reg.host,
      'att/referrers',
      a.digest,
      { mediaType: MT.ociManifest, digest: b.digest, size: b.size },
      keyBundle(release, bBytes),
    );
    const m = await inspectRemote(client, a.ref, { scan: false, trust: trustOf(release) });
    assert.equal(signedBy(m), false, JSON.stringify(m.attachments?.signatures));
    // the same bundle, subject rewritten to A: the signature is still over B's bytes
    await pushReferrer(
      client,
      reg.host,
      'att/referrers',
      a.digest,
      { mediaType: MT.ociManifest, digest: a.digest, size: a.digest.length },
      keyBundle(release, bBytes),
    );
    const m2 = await inspectRemote(client, a.ref, { scan: false, trust: trustOf(release) });
    assert.equal(signedBy(m2), false);
  });
});

describe('held-out: content an attacker packs into the model', { skip: registrySkip() }, () => {
  let reg: TestRegistry;
  let client: RegistryClient;
  let dir: string;
  const release = ecKey();
  before(async () => {
    reg = await startRegistry();
    client = new RegistryClient({ retryBaseMs: 1 });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-heldout-'));
    fs.writeFileSync(path.join(dir, 'release.pub'), release.publicKey.export({ type: 'spki', format: 'pem' }));
  });
  after(async () => {
    client?.close();
    await reg?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const sign = async (repo: string, digest: string) => {
    const p = payloadFor(`${reg.host}/${repo}`, digest);
    await pushSig(client, reg.host, repo, digest, [{ payload: p, signature: signBytes(release, p) }]);
  };
  const gate = async (ref: string) => {
    const policy = parsePolicy(
      [
        'gate:',
        '  signatures:',
        '    keys: [release.pub]',
        '  sbom: {enabled: false}',
        '  vulnerabilities: {enabled: false}',
        '  model_card: {enabled: false}',
        '  provenance: {enabled: false}',
        '',
      ].join('\n'),
      path.join(dir, '.model-inspect.yaml'),
    );
    return runRemoteGate(client, ref, { policy, trust: trustOf(release) });
  };

  test('a weight layer that says safetensors and holds a pickle that runs code blocks the gate', async () => {
    const m = await pushModel(client, reg.host, 'pack/lying-type', 'v1', [
      { bytes: evilPickle(), title: 'model.safetensors', mediaType: 'application/vnd.cncf.model.weight.v1.raw' },
    ]);
    await sign('pack/lying-type', m.digest);
    const run = await gate(`${reg.host}/pack/lying-type@${m.digest}`);
    assert.equal(run.verdict.passed, false);
    assert.ok(
      run.model.findings.some((f) => f.ruleId.startsWith('scan/') && f.severity === 'error'),
      run.model.findings.map((f) => f.ruleId).join(' '),
    );
  });

  test('tar layers: traversal, links, duplicates (the later one wins on extraction), sparse members', async () => {
    const tar = tarOf([
      { name: 'model/model.safetensors', data: safetensors(4) },
      { name: '../../../etc/cron.d/x', data: Buffer.from('* * * * * root id\n') },
      { name: 'model/tokenizer.json', data: Buffer.alloc(0), type: '2', link: '/etc/shadow' },
      { name: 'model/config.json', data: Buffer.alloc(0), type: '1', link: '../../outside' },
      { name: 'model/model.safetensors', data: evilPickle() },
    ]);
    const m = await pushModel(client, reg.host, 'pack/tar', 'v1', [
      { bytes: zlib.gzipSync(tar), mediaType: 'application/vnd.cncf.model.weight.v1.tar+gzip', title: 'model' },
    ]);
    await sign('pack/tar', m.digest);
    const run = await gate(`${reg.host}/pack/tar@${m.digest}`);
    assert.equal(run.verdict.passed, false, 'the duplicate holding a pickle blocks');
    const msgs = run.model.findings.map((f) => `${f.ruleId} ${f.message}`).join('\n');
    assert.match(msgs, /scan\/archive-unsafe.*\.\.\/\.\.\/\.\.\/etc\/cron\.d\/x/, msgs);
    assert.match(msgs, /scan\/archive-unsafe.*tokenizer\.json.*symbolic link/, msgs);
    assert.match(msgs, /scan\/archive-unsafe.*config\.json.*hard link/, msgs);
  });

  test('a GNU sparse member beside a clean weight is not skipped silently', async () => {
    const sparse = tarOf([{ name: 'model/extra.pkl', data: Buffer.alloc(0), type: 'S' }]).subarray(0, 512);
    // GNU tar writes the data of a sparse member after its header, with its (data) size in the header
    const body = evilPickle();
    setTarSize(sparse, body.length);
    const clean = tarOf([{ name: 'model/model.safetensors', data: safetensors(4) }]);
    const full = Buffer.concat([
      clean.subarray(0, clean.length - 1024),
      sparse,
      body,
      Buffer.alloc((512 - (body.length % 512)) % 512),
      Buffer.alloc(1024),
    ]);
    const m = await pushModel(client, reg.host, 'pack/sparse', 'v1', [
      { bytes: full, mediaType: 'application/vnd.cncf.model.weight.v1.tar', title: 'model' },
    ]);
    await sign('pack/sparse', m.digest);
    const run = await gate(`${reg.host}/pack/sparse@${m.digest}`);
    assert.equal(run.verdict.passed, false, run.model.findings.map((f) => f.ruleId).join(' '));
  });

  test('a gzip bomb layer ends incomplete, and the gate blocks', async () => {
    // one member of 300 MiB of zeros, compressed as it streams (the test never holds it whole)
    const header = tarOf([{ name: 'model.bin', data: Buffer.alloc(0) }]).subarray(0, 512);
    setTarSize(header, 300 * 1024 * 1024);
    const gz = zlib.createGzip({ level: 9 });
    const out: Buffer[] = [];
    gz.on('data', (c: Buffer) => out.push(c));
    const done = new Promise((r) => gz.on('end', r));
    gz.write(header);
    const mib = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < 300; i++) if (!gz.write(mib)) await new Promise((r) => gz.once('drain', r));
    gz.end(Buffer.alloc(1024));
    await done;
    const m = await pushModel(client, reg.host, 'pack/bomb', 'v1', [
      { bytes: Buffer.concat(out), mediaType: 'application/vnd.cncf.model.weight.v1.tar+gzip', title: 'model' },
    ]);
    await sign('pack/bomb', m.digest);
    const run = await gate(`${reg.host}/pack/bomb@${m.digest}`);
    assert.equal(run.model.complete, false);
    assert.ok(
      run.model.findings.some((f) => f.ruleId === 'registry/incomplete' && /ratio|bomb/.test(f.message)),
      run.model.findings.map((f) => f.message).join('\n'),
    );
    assert.equal(run.verdict.passed, false);
  });

  test('descriptor sizes that lie, smaller and larger than the blob', async () => {
    const w = safetensors(4);
    const wd = await client.pushBlob(reg.host, 'pack/sizes', w);
    const cfg = Buffer.from('{}');
    const cd = await client.pushBlob(reg.host, 'pack/sizes', cfg);
    for (const [name, layerSize, configSize] of [
      ['small', w.length - 1, cfg.length],
      ['large', w.length + 1, cfg.length],
      ['config', w.length, cfg.length + 7],
    ] as const) {
      const man = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MT.ociManifest,
          artifactType: 'application/vnd.cncf.model.manifest.v1+json',
          config: { mediaType: 'application/vnd.cncf.model.config.v1+json', digest: cd, size: configSize },
          layers: [
            {
              mediaType: 'application/vnd.cncf.model.weight.v1.raw',
              digest: wd,
              size: layerSize,
              annotations: { 'org.opencontainers.image.title': 'model.safetensors' },
            },
          ],
        }),
      );
      const digest = await client.putManifest(reg.host, 'pack/sizes', name, man, MT.ociManifest);
      await sign('pack/sizes', digest);
      const run = await gate(`${reg.host}/pack/sizes@${digest}`);
      assert.equal(run.verdict.passed, false, name);
      assert.ok(
        run.model.findings.some((f) => f.ruleId === 'registry/digest-mismatch'),
        `${name}: ${run.model.findings.map((f) => f.ruleId).join(' ')}`,
      );
    }
  });

  test('an index: a malicious platform, and one disguised as a buildx attestation manifest', async () => {
    const good = await pushModel(client, reg.host, 'pack/index', undefined);
    const bad = await pushModel(client, reg.host, 'pack/index', undefined, [
      { bytes: evilPickle(), title: 'model.bin' },
    ]);
    const idx = await pushIndex(client, reg.host, 'pack/index', 'v1', [
      {
        mediaType: MT.ociManifest,
        digest: good.digest,
        size: good.size,
        platform: { os: 'linux', architecture: 'amd64' },
      },
      {
        mediaType: MT.ociManifest,
        digest: bad.digest,
        size: bad.size,
        platform: { os: 'linux', architecture: 'arm64' },
      },
    ]);
    await sign('pack/index', idx.digest);
    const run = await gate(`${reg.host}/pack/index@${idx.digest}`);
    assert.equal(run.verdict.passed, false, 'the arm64 platform holds a pickle');
    const disguised = await pushIndex(client, reg.host, 'pack/index', 'v2', [
      {
        mediaType: MT.ociManifest,
        digest: good.digest,
        size: good.size,
        platform: { os: 'linux', architecture: 'amd64' },
      },
      {
        mediaType: MT.ociManifest,
        digest: bad.digest,
        size: bad.size,
        platform: { os: 'linux', architecture: 'arm64' },
        annotations: {
          'vnd.docker.reference.type': 'attestation-manifest',
          'vnd.docker.reference.digest': good.digest,
        },
      },
    ]);
    await sign('pack/index', disguised.digest);
    const run2 = await gate(`${reg.host}/pack/index@${disguised.digest}`);
    assert.equal(
      run2.verdict.passed,
      false,
      'a platform manifest labelled as an attestation is still pulled by a runtime on arm64',
    );
  });
});

export { crypto, sha256Digest, pushArtifact, type KeyPair };

describe('held-out: a hostile registry speaking HTTP', () => {
  const release = ecKey();
  const manifestFor = (layer: Buffer, cfg = Buffer.from('{}')) =>
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MT.ociManifest,
        artifactType: 'application/vnd.cncf.model.manifest.v1+json',
        config: { mediaType: 'application/vnd.cncf.model.config.v1+json', digest: sha256Digest(cfg), size: cfg.length },
        layers: [
          {
            mediaType: 'application/vnd.cncf.model.weight.v1.raw',
            digest: sha256Digest(layer),
            size: layer.length,
            annotations: { 'org.opencontainers.image.title': 'model.safetensors' },
          },
        ],
      }),
    );
  /** Serves manifests (by digest), blobs and signatures from maps. */
  const serve = (stub: Stub, manifests: Map<string, Buffer>, blobs: Map<string, Buffer>) => {
    stub.route('GET', /^\/v2\/m\/manifests\/sha256:[0-9a-f]{64}$/, (_req, res, url) => {
      const b = manifests.get(url.pathname.split('/').pop()!);
      if (!b) {
        res.writeHead(404).end();
        return;
      }
      send(res, b, { 'content-type': MT.ociManifest, 'docker-content-digest': sha256Digest(b) });
    });
    stub.route('GET', /^\/v2\/m\/blobs\//, (_req, res, url) => {
      const b = blobs.get(url.pathname.split('/').pop()!);
      if (!b) {
        res.writeHead(404).end();
        return;
      }
      send(res, b);
    });
  };

  test('a tag that moves between resolution and fetch: everything is about the digest resolved once', async () => {
    const stub = await startStub();
    try {
      const clean = safetensors(4);
      const evil = evilPickle();
      const m1 = manifestFor(clean);
      const m2 = manifestFor(evil);
      const d1 = sha256Digest(m1);
      const d2 = sha256Digest(m2);
      const manifests = new Map([
        [d1, m1],
        [d2, m2],
      ]);
      const blobs = new Map([
        [sha256Digest(clean), clean],
        [sha256Digest(evil), evil],
        [sha256Digest(Buffer.from('{}')), Buffer.from('{}')],
      ]);
      serve(stub, manifests, blobs);
      let tagAsked = 0;
      // the first answer for the tag is the clean model, every later one the malicious one
      stub.route('*', '/v2/m/manifests/v1', (req, res) => {
        const b = tagAsked++ === 0 ? m1 : m2;
        res.writeHead(200, {
          'content-type': MT.ociManifest,
          'docker-content-digest': sha256Digest(b),
          'content-length': String(b.length),
        });
        res.end(req.method === 'HEAD' ? undefined : b);
      });
      const p = payloadFor(`${stub.host}/m`, d1);
      const sigLayer = Buffer.from(p);
      const sigCfg = Buffer.from('{"rootfs":{"type":"layers","diff_ids":[]}}');
      const sigm = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MT.ociManifest,
          config: { mediaType: MT.ociConfig, digest: sha256Digest(sigCfg), size: sigCfg.length },
          layers: [
            {
              mediaType: MT.cosignSimpleSigning,
              digest: sha256Digest(sigLayer),
              size: sigLayer.length,
              annotations: { 'dev.cosignproject.cosign/signature': signBytes(release, p) },
            },
          ],
        }),
      );
      blobs.set(sha256Digest(sigLayer), sigLayer);
      blobs.set(sha256Digest(sigCfg), sigCfg);
      stub.route('GET', `/v2/m/manifests/${attachmentTag(d1, 'sig')}`, (_req, res) =>
        send(res, sigm, { 'content-type': MT.ociManifest }),
      );
      const client = new RegistryClient({ retryBaseMs: 1 });
      const m = await inspectRemote(client, `${stub.host}/m:v1`, { trust: trustOf(release) });
      client.close();
      assert.equal(tagAsked, 1, 'the tag is asked once');
      assert.equal(m.digest, d1);
      assert.equal(signedBy(m), true);
      assert.ok(
        !m.findings.some((f) => f.ruleId.startsWith('scan/pickle')),
        "the content read is the digest's, not the moved tag's",
      );
      assert.ok(!stub.requests.some((r) => r.path.includes(d2) || r.path.includes(sha256Digest(evil))));
    } finally {
      await stub.close();
    }
  });

  test('credentials never reach another host: a blob redirect, and a challenge from the storage host', async () => {
    const reg = await startStub();
    const storage = await startStub();
    try {
      const layer = safetensors(4);
      const m = manifestFor(layer);
      const d = sha256Digest(m);
      const auth = `Basic ${Buffer.from('ci-bot:s3cret-pw').toString('base64')}`;
      reg.route('*', /.*/, (req, res, url) => {
        if (req.headers.authorization !== auth) {
          res.writeHead(401, { 'www-authenticate': 'Basic realm="registry"' }).end();
          return;
        }
        if (url.pathname === `/v2/m/manifests/${d}`) {
          send(res, m, { 'content-type': MT.ociManifest });
          return;
        }
        if (url.pathname.startsWith('/v2/m/blobs/')) {
          res.writeHead(307, { location: `http://${storage.host}/store${url.pathname}` }).end();
          return;
        }
        if (url.pathname === '/v2/' || url.pathname === '/v2') {
          send(res, Buffer.from('{}'));
          return;
        }
        res.writeHead(404).end();
      });
      // storage asks for credentials of its own, naming a token service on its own host
      storage.route('*', /^\/store\//, (_req, res) => {
        res
          .writeHead(401, { 'www-authenticate': `Bearer realm="http://${storage.host}/token",service="storage"` })
          .end();
      });
      storage.route('*', '/token', (_req, res) => send(res, Buffer.from('{"token":"t"}')));
      const client = new RegistryClient({
        retryBaseMs: 1,
        retries: 0,
        credentials: staticCredentials(undefined, 'ci-bot', 's3cret-pw'),
      });
      const r = await inspectRemote(client, `${reg.host}/m@${d}`, {});
      client.close();
      assert.equal(r.complete, false);
      assert.ok(storage.requests.length > 0, 'the redirect was followed');
      assert.deepEqual(
        storage.requests.filter((x) => x.authorization).map((x) => `${x.path} ${x.authorization}`),
        [],
        'no Authorization header reached the storage host or its token service',
      );
    } finally {
      await reg.close();
      await storage.close();
    }
  });

  test('WWW-Authenticate tricks: a Bearer challenge inside a quoted Basic realm, a file: realm, a plain-HTTP realm for a remote registry', async () => {
    const { parseChallenges } = await import('../../../src/core/registry/auth.ts');
    assert.deepEqual(
      parseChallenges('Basic realm="a, Bearer realm=http://evil/token"').map((c) => c.scheme),
      ['basic'],
    );
    assert.deepEqual(
      parseChallenges('Bearer realm="https://a/t\\", realm=https://evil/t"').map((c) => c.params.realm),
      ['https://a/t", realm=https://evil/t'],
    );
    const stub = await startStub();
    const evil = await startStub();
    try {
      for (const realm of [
        `Basic realm="a, Bearer realm=http://${evil.host}/token"`,
        'Bearer realm="file:///etc/passwd"',
        'Bearer realm="javascript:alert(1)"',
      ]) {
        stub.route('*', /.*/, (_req, res) => {
          res.writeHead(401, { 'www-authenticate': realm }).end();
        });
        const client = new RegistryClient({
          retryBaseMs: 1,
          retries: 0,
          credentials: staticCredentials(undefined, 'u', 'pw'),
        });
        const r = await inspectRemote(client, `${stub.host}/m:v1`, {});
        client.close();
        assert.equal(r.complete, false, realm);
        assert.ok(
          r.findings.some((f) => f.ruleId === 'registry/access-denied'),
          `${realm}: ${r.findings.map((f) => f.ruleId).join(' ')}`,
        );
      }
      assert.equal(evil.requests.length, 0);
    } finally {
      await stub.close();
      await evil.close();
    }
  });

  test(
    'a body that trickles forever (slow-loris) is abandoned after a bounded number of bytes',
    { timeout: 120_000 },
    async () => {
      const stub = await startStub();
      const timers = new Set<NodeJS.Timeout>();
      try {
        stub.route('*', '/v2/m/manifests/v1', (_req, res) => {
          res.writeHead(200, { 'content-type': MT.ociManifest });
          const t = setInterval(() => {
            if (!res.destroyed) res.write(' ');
          }, 100);
          timers.add(t);
          res.on('close', () => clearInterval(t));
        });
        const client = new RegistryClient({ retryBaseMs: 1, retries: 0, idleTimeoutMs: 1000 });
        const r = await inspectRemote(client, `${stub.host}/m:v1`, {});
        client.close();
        assert.equal(r.complete, false);
        assert.ok(stub.bytesSent < 200, `the client kept reading a trickle: ${stub.bytesSent} bytes`);
      } finally {
        for (const t of timers) clearInterval(t);
        await stub.close();
      }
    },
  );

  test('headers that trickle forever are abandoned too', { timeout: 120_000 }, async () => {
    const net = await import('node:net');
    const sockets = new Set<import('node:net').Socket>();
    let sent = 0;
    const server = net.createServer((s) => {
      sockets.add(s);
      s.once('data', () => {
        s.write('HTTP/1.1 200 OK\r\n');
        const t = setInterval(() => {
          if (!s.destroyed) {
            s.write('X-Slow: a\r\n');
            sent++;
          } else clearInterval(t);
        }, 100);
        s.on('close', () => clearInterval(t));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as import('node:net').AddressInfo).port;
    try {
      const client = new RegistryClient({ retryBaseMs: 1, retries: 0, idleTimeoutMs: 1000 });
      const r = await inspectRemote(client, `127.0.0.1:${port}/m:v1`, {});
      client.close();
      assert.equal(r.complete, false);
      assert.ok(sent < 60, `${sent} header lines read before giving up`);
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });

  test('a chunked body that never ends after the declared bytes does not pass', { timeout: 120_000 }, async () => {
    const stub = await startStub();
    try {
      const layer = safetensors(4);
      const m = manifestFor(layer);
      const d = sha256Digest(m);
      stub.route('GET', `/v2/m/manifests/${d}`, (_req, res) => {
        res.writeHead(200, { 'content-type': MT.ociManifest });
        res.write(m); /* never ends */
      });
      const client = new RegistryClient({ retryBaseMs: 1, retries: 0, idleTimeoutMs: 1000 });
      const r = await inspectRemote(client, `${stub.host}/m@${d}`, {});
      client.close();
      // Either read as the exact bytes of the digest, or abandoned: never a hang, never another content.
      if (r.digest) assert.equal(r.digest, d);
      else assert.equal(r.complete, false);
    } finally {
      await stub.close();
    }
  });

  test('a document that is both an index and a manifest is refused, whichever Content-Type it comes with', async () => {
    const stub = await startStub();
    try {
      const clean = safetensors(4);
      const evil = evilPickle();
      const cfg = Buffer.from('{}');
      const cleanManifest = manifestFor(clean);
      const evilLayer = {
        mediaType: 'application/vnd.cncf.model.weight.v1.raw',
        digest: sha256Digest(evil),
        size: evil.length,
        annotations: { 'org.opencontainers.image.title': 'model.bin' },
      };
      // no mediaType of its own: an index to a reader that trusts Content-Type, a manifest to one that looks at the layers
      const both = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          manifests: [
            {
              mediaType: MT.ociManifest,
              digest: sha256Digest(cleanManifest),
              size: cleanManifest.length,
              platform: { os: 'linux', architecture: 'amd64' },
            },
          ],
          config: {
            mediaType: 'application/vnd.cncf.model.config.v1+json',
            digest: sha256Digest(cfg),
            size: cfg.length,
          },
          layers: [evilLayer],
        }),
      );
      const blobs = new Map([
        [sha256Digest(clean), clean],
        [sha256Digest(evil), evil],
        [sha256Digest(cfg), cfg],
      ]);
      const d = sha256Digest(both);
      for (const contentType of [MT.ociIndex, MT.ociManifest]) {
        const manifests = new Map([[sha256Digest(cleanManifest), cleanManifest]]);
        stub.route('GET', /^\/v2\/m\/manifests\/sha256:[0-9a-f]{64}$/, (_req, res, url) => {
          const ref = url.pathname.split('/').pop()!;
          const b = ref === d ? both : manifests.get(ref);
          if (!b) {
            res.writeHead(404).end();
            return;
          }
          send(res, b, { 'content-type': ref === d ? contentType : MT.ociManifest });
        });
        stub.route('GET', /^\/v2\/m\/blobs\//, (_req, res, url) => {
          const b = blobs.get(url.pathname.split('/').pop()!);
          if (!b) {
            res.writeHead(404).end();
            return;
          }
          send(res, b);
        });
        const client = new RegistryClient({ retryBaseMs: 1, retries: 0 });
        const r = await inspectRemote(client, `${stub.host}/m@${d}`, {});
        client.close();
        assert.equal(r.complete, false, contentType);
        assert.ok(
          r.findings.some((f) => f.ruleId === 'registry/manifest-invalid' && /ambiguous/.test(f.message)),
          `${contentType}: ${r.findings.map((f) => `${f.ruleId} ${f.message}`).join('\n')}`,
        );
      }
    } finally {
      await stub.close();
    }
  });

  test('a header larger than node accepts ends in a finding, not a crash', async () => {
    const stub = await startStub();
    try {
      stub.route('*', /.*/, (_req, res) => {
        res.writeHead(200, { 'x-huge': 'a'.repeat(100_000) });
        res.end('{}');
      });
      const client = new RegistryClient({ retryBaseMs: 1, retries: 1 });
      const r = await inspectRemote(client, `${stub.host}/m:v1`, {});
      client.close();
      assert.equal(r.complete, false);
      assert.ok(
        r.findings.some((f) => f.ruleId === 'registry/unreachable'),
        r.findings.map((f) => `${f.ruleId} ${f.message}`).join('\n'),
      );
    } finally {
      await stub.close();
    }
  });
});

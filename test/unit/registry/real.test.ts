/**
 * Against a real registry (Debian's docker-registry, CNCF Distribution 2.8) started for the test on
 * 127.0.0.1: anonymous, with htpasswd basic auth, and behind TLS with a CA made for the test. The
 * client pushes fixtures, the inspection pulls them through the scanner, and plain HTTP requests
 * to the registry API check what is really there.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RegistryClient, sha256Digest } from '../../../src/core/registry/client.ts';
import { staticCredentials } from '../../../src/core/registry/auth.ts';
import { pushArtifact } from '../../../src/core/registry/push.ts';
import { inspectRemote, resolveDigest } from '../../../src/core/registry/remote.ts';
import { MODELPACK_CONFIG, MODELPACK_MANIFEST } from '../../../src/core/registry/packaging.ts';
import { evilPickle, gzip, safetensors, tarOf, zstdStored } from './fixtures.ts';
import { registrySkip, startRegistry, type TestRegistry } from './realRegistry.ts';

const skip = registrySkip();

async function pushModelPack(client: RegistryClient, host: string, repo: string, tag: string) {
  return pushArtifact(client, host, repo, tag, {
    artifactType: MODELPACK_MANIFEST,
    configMediaType: MODELPACK_CONFIG,
    config: Buffer.from(
      JSON.stringify({
        descriptor: { name: 'sentiment' },
        config: { format: 'safetensors' },
        modelfs: { type: 'layers', diffIds: [] },
      }),
    ),
    layers: [
      {
        mediaType: 'application/vnd.cncf.model.weight.v1.raw',
        bytes: safetensors(16),
        annotations: { 'org.cncf.model.filepath': 'model.safetensors' },
      },
      {
        mediaType: 'application/vnd.cncf.model.weight.v1.tar+gzip',
        bytes: gzip(
          tarOf([
            { name: 'extra/pytorch_model.pkl', data: evilPickle() },
            { name: 'extra/readme.txt', data: Buffer.from('hello') },
          ]),
        ),
      },
      {
        mediaType: 'application/vnd.cncf.model.doc.v1.tar+zstd',
        bytes: zstdStored(tarOf([{ name: 'README.md', data: Buffer.from('# model\n') }])),
      },
    ],
  });
}

describe('real registry: anonymous, plain HTTP on 127.0.0.1', { skip }, () => {
  let reg: TestRegistry;
  let client: RegistryClient;
  before(async () => {
    reg = await startRegistry();
    client = new RegistryClient({ retryBaseMs: 1 });
  });
  after(async () => {
    client?.close();
    await reg?.stop();
  });

  test('a ModelPack artifact is pushed, resolved from its tag once, pulled and scanned layer by layer', async () => {
    const pushed = await pushModelPack(client, reg.host, 'models/sentiment', 'v1');
    const check = await reg.api('HEAD', '/v2/models/sentiment/manifests/v1', {
      accept: 'application/vnd.oci.image.manifest.v1+json',
    });
    assert.equal(check.status, 200);
    assert.equal(check.headers['docker-content-digest'], pushed.digest);

    const r = await inspectRemote(client, `${reg.host}/models/sentiment:v1`);
    assert.equal(r.digest, pushed.digest);
    assert.equal(r.pinned, `${reg.host}/models/sentiment:v1@${pushed.digest}`);
    assert.ok(r.findings.some((f) => f.ruleId === 'registry/tag-reference' && f.message.includes(pushed.digest)));
    assert.equal(r.manifests[0].packaging, 'modelpack');
    const layers = r.manifests[0].layers;
    assert.deepEqual(
      layers.map((l) => l.found),
      ['raw', 'tar+gzip', 'tar+zstd'],
    );
    assert.ok(layers.every((l) => l.verified));
    const names = layers.flatMap((l) => l.files.map((f) => f.name));
    assert.ok(names.some((n) => n.endsWith('/model.safetensors')));
    assert.ok(names.some((n) => n.endsWith('!/extra/pytorch_model.pkl')));
    const safe = layers[0].files[0].scan!;
    assert.equal(safe.format, 'safetensors');
    assert.equal(safe.complete, true);
    const bad = r.findings.find((f) => f.ruleId === 'scan/pickle-dangerous-import');
    assert.ok(bad, 'the pickle inside the tar+gzip layer is found');
    assert.match(
      bad!.file!,
      /models\/sentiment@sha256:[0-9a-f]{64}\/layer 1 sha256:[0-9a-f]{12}!\/extra\/pytorch_model\.pkl$/,
    );
    assert.equal(r.complete, true);
  });

  test('resolveDigest gives the digest of a tag and the pinned reference', async () => {
    const pushed = await pushModelPack(client, reg.host, 'models/pin', 'stable');
    const d = await resolveDigest(client, `${reg.host}/models/pin:stable`);
    assert.equal(d.digest, pushed.digest);
    assert.equal(d.pinned, `${reg.host}/models/pin:stable@${pushed.digest}`);
  });

  test('a reference to a digest that is not there is a not-found finding', async () => {
    const r = await inspectRemote(client, `${reg.host}/models/sentiment@${sha256Digest(Buffer.from('nothing'))}`);
    assert.ok(
      r.findings.some((f) => f.ruleId === 'registry/not-found'),
      JSON.stringify(r.findings),
    );
    assert.equal(r.complete, false);
  });
});

describe('real registry: htpasswd basic auth', { skip }, () => {
  let reg: TestRegistry;
  before(async () => {
    reg = await startRegistry({ basicAuth: true });
  });
  after(async () => {
    await reg?.stop();
  });

  test('anonymous access is refused with a clear finding; the right credentials push and pull', async () => {
    const anon = new RegistryClient({ retryBaseMs: 1 });
    const denied = await inspectRemote(anon, `${reg.host}/models/private:v1`);
    anon.close();
    const f = denied.findings.find((x) => x.ruleId === 'registry/access-denied');
    assert.ok(f, JSON.stringify(denied.findings));
    assert.match(f!.message, /user name and password/);

    const client = new RegistryClient({
      retryBaseMs: 1,
      credentials: staticCredentials(reg.host, reg.username!, reg.password!),
    });
    const pushed = await pushModelPack(client, reg.host, 'models/private', 'v1');
    const check = await reg.api('GET', '/v2/models/private/tags/list');
    assert.equal(check.status, 200);
    assert.deepEqual(JSON.parse(check.body.toString()).tags, ['v1']);
    const r = await inspectRemote(client, `${reg.host}/models/private@${pushed.digest}`);
    client.close();
    assert.equal(r.digest, pushed.digest);
    assert.equal(r.fromTag, false);
    assert.ok(!r.findings.some((x) => x.ruleId === 'registry/tag-reference'));
    assert.ok(r.findings.some((x) => x.ruleId === 'scan/pickle-dangerous-import'));
  });

  test('wrong credentials are refused', async () => {
    const client = new RegistryClient({
      retryBaseMs: 1,
      credentials: staticCredentials(reg.host, reg.username!, 'wrong'),
    });
    const r = await inspectRemote(client, `${reg.host}/models/private:v1`);
    client.close();
    assert.ok(
      r.findings.some((x) => x.ruleId === 'registry/access-denied'),
      JSON.stringify(r.findings),
    );
  });
});

describe('real registry: TLS with a test CA', { skip }, () => {
  let reg: TestRegistry;
  before(async () => {
    reg = await startRegistry({ tls: true });
  });
  after(async () => {
    await reg?.stop();
  });

  test('without the CA the certificate is refused (no fall-back to plain HTTP); with --registry-cacert it works', async () => {
    const untrusting = new RegistryClient({ retryBaseMs: 1, retries: 0 });
    const refused = await inspectRemote(untrusting, `${reg.host}/models/tls:v1`);
    untrusting.close();
    const f = refused.findings.find((x) => x.ruleId === 'registry/unreachable');
    assert.ok(f, JSON.stringify(refused.findings));
    assert.match(f!.message, /TLS|certificate/i);

    const client = new RegistryClient({ retryBaseMs: 1, ca: reg.caPem });
    const pushed = await pushModelPack(client, reg.host, 'models/tls', 'v1');
    const check = await reg.api('HEAD', `/v2/models/tls/manifests/${pushed.digest}`, {
      accept: 'application/vnd.oci.image.manifest.v1+json',
    });
    assert.equal(check.status, 200);
    const r = await inspectRemote(client, `${reg.host}/models/tls:v1`);
    client.close();
    assert.equal(r.digest, pushed.digest);
    assert.equal(r.manifests[0].layers.length, 3);
  });
});

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { dockerCredentials, parseChallenges } from '../../../src/core/registry/auth.ts';
import {
  attachmentTag,
  formatReference,
  isAttachmentTag,
  isLoopbackRegistry,
  looksLikeReference,
  parseReference,
  pinnedReference,
  ReferenceSyntaxError,
} from '../../../src/core/registry/reference.ts';
import { declaredFormat, planPackaging } from '../../../src/core/registry/packaging.ts';
import { parseManifest } from '../../../src/core/registry/manifest.ts';

const D = `sha256:${'a'.repeat(64)}`;

test('references: registry, repository, tag, digest, Docker Hub defaults, oci://', () => {
  assert.deepEqual(parseReference('ghcr.io/acme/ml-models/sentiment:v2.1.0'), {
    registry: 'ghcr.io',
    repository: 'acme/ml-models/sentiment',
    tag: 'v2.1.0',
  });
  assert.deepEqual(parseReference(`oci://localhost:5000/m@${D}`), {
    registry: 'localhost:5000',
    repository: 'm',
    digest: D,
  });
  assert.deepEqual(parseReference(`registry.example:443/a/b:tag@${D}`), {
    registry: 'registry.example:443',
    repository: 'a/b',
    tag: 'tag',
    digest: D,
  });
  assert.deepEqual(parseReference('ubuntu'), { registry: 'docker.io', repository: 'library/ubuntu' });
  assert.deepEqual(parseReference('acme/model:1'), { registry: 'docker.io', repository: 'acme/model', tag: '1' });
  assert.deepEqual(parseReference('index.docker.io/acme/model'), { registry: 'docker.io', repository: 'acme/model' });
  assert.equal(formatReference(parseReference(`ghcr.io/a/b:t@${D}`)), `ghcr.io/a/b:t@${D}`);
  assert.equal(formatReference(pinnedReference(parseReference('ghcr.io/a/b:t'), D)), `ghcr.io/a/b:t@${D}`);
  assert.equal(formatReference(pinnedReference(parseReference('ghcr.io/a/b:t'), D, false)), `ghcr.io/a/b@${D}`);
});

test('references: what is refused, and why', () => {
  for (const bad of [
    '',
    'Ghcr.io/A/B',
    'ghcr.io/a/B',
    'ghcr.io/a//b',
    'ghcr.io/a/b:-tag',
    `ghcr.io/a/b@sha256:${'a'.repeat(63)}`,
    'ghcr.io/a/b@md5:abc',
    'https://ghcr.io/a/b',
    'a b',
    'ghcr.io:99999/a',
    `ghcr.io/a/b:${'x'.repeat(129)}`,
    `ghcr.io/${'a'.repeat(260)}`,
  ]) {
    assert.throws(() => parseReference(bad), ReferenceSyntaxError, bad);
  }
});

test('a command-line argument is a reference only when it names a registry host', () => {
  assert.equal(looksLikeReference('ghcr.io/acme/m:1'), true);
  assert.equal(looksLikeReference('localhost:5000/m'), true);
  assert.equal(looksLikeReference('oci://m'), true);
  assert.equal(looksLikeReference('models/sentiment'), false);
  assert.equal(looksLikeReference('./ghcr.io/x'), false);
  assert.equal(looksLikeReference('model.safetensors'), false);
});

test('attachment tags and loopback registries', () => {
  assert.equal(attachmentTag(D, 'sig'), `sha256-${'a'.repeat(64)}.sig`);
  assert.equal(attachmentTag(D), `sha256-${'a'.repeat(64)}`);
  assert.ok(isAttachmentTag(attachmentTag(D, 'att')) && isAttachmentTag(attachmentTag(D)) && !isAttachmentTag('v1'));
  assert.ok(
    isLoopbackRegistry('127.0.0.1:5000') && isLoopbackRegistry('localhost') && isLoopbackRegistry('[::1]:5000'),
  );
  assert.ok(!isLoopbackRegistry('127.0.0.1.example.com') && !isLoopbackRegistry('ghcr.io'));
});

test('WWW-Authenticate challenges are parsed with quoted values and several schemes', () => {
  const c = parseChallenges(
    'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull", Basic realm="x, y"',
  );
  assert.deepEqual(c, [
    {
      scheme: 'bearer',
      params: {
        realm: 'https://auth.docker.io/token',
        service: 'registry.docker.io',
        scope: 'repository:library/ubuntu:pull',
      },
    },
    { scheme: 'basic', params: { realm: 'x, y' } },
  ]);
  assert.deepEqual(parseChallenges('Basic realm=unquoted'), [{ scheme: 'basic', params: { realm: 'unquoted' } }]);
  assert.deepEqual(parseChallenges(undefined), []);
});

test('Docker config: auths (auth, identitytoken); helpers only when allowed', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-dockercfg-'));
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      auths: {
        'ghcr.io': { auth: Buffer.from('bob:tok:en').toString('base64') },
        'https://index.docker.io/v1/': { identitytoken: 'refresh' },
      },
      credHelpers: { 'private.example': 'evil' },
    }),
  );
  const skipped: string[] = [];
  const src = dockerCredentials({ configFile: file, onHelperSkipped: (h) => skipped.push(h) });
  assert.deepEqual(await src('ghcr.io'), {
    kind: 'basic',
    username: 'bob',
    password: 'tok:en',
    source: `${file} (auths.ghcr.io)`,
  });
  assert.equal((await src('docker.io'))?.kind, 'identity-token');
  assert.equal(await src('private.example'), undefined);
  assert.deepEqual(skipped, ['evil'], 'the helper was named, not run');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('packaging by media type: ModelPack, Docker model, ORAS, image', () => {
  const desc = (mediaType: string, annotations?: Record<string, string>) => ({
    mediaType,
    digest: D,
    size: 1,
    ...(annotations ? { annotations } : {}),
  });
  const m = (config: string, layers: ReturnType<typeof desc>[], artifactType?: string) =>
    parseManifest(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          artifactType,
          config: desc(config),
          layers,
        }),
      ),
      '',
    );
  const plan = (x: ReturnType<typeof m>) => (x.kind === 'manifest' ? planPackaging(x) : assert.fail('not a manifest'));
  const mp = plan(
    m('application/vnd.cncf.model.config.v1+json', [
      desc('application/vnd.cncf.model.weight.v1.tar+zstd'),
      desc('application/vnd.cncf.model.doc.v1.raw'),
    ]),
  );
  assert.equal(mp.packaging, 'modelpack');
  assert.deepEqual(
    mp.layers.map((l) => [l.role, l.declared]),
    [
      ['weights', 'tar+zstd'],
      ['docs', 'raw'],
    ],
  );
  assert.equal(
    plan(m('application/vnd.docker.ai.model.config.v0.1+json', [desc('application/vnd.docker.ai.gguf.v3')])).packaging,
    'docker-model',
  );
  const oras = plan(
    m('application/vnd.oci.empty.v1+json', [
      desc('application/vnd.acme.model.safetensors', { 'org.opencontainers.image.title': 'model-weights.safetensors' }),
    ]),
  );
  assert.equal(oras.packaging, 'oras');
  assert.equal(oras.layers[0].title, 'model-weights.safetensors');
  const img = plan(
    m('application/vnd.oci.image.config.v1+json', [desc('application/vnd.oci.image.layer.v1.tar+gzip')]),
  );
  assert.equal(img.packaging, 'image');
  assert.equal(img.layers[0].onlyModelFiles, true);
  assert.equal(declaredFormat('application/vnd.docker.image.rootfs.diff.tar.gzip'), 'tar+gzip');
  assert.equal(declaredFormat('application/vnd.oci.image.layer.v1.tar'), 'tar');
});

test('manifests: strict descriptors', () => {
  const bad = (o: unknown) => assert.throws(() => parseManifest(Buffer.from(JSON.stringify(o)), ''));
  bad({ schemaVersion: 1 });
  bad({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'x', digest: 'sha256:zz', size: 1 },
    layers: [],
  });
  bad({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'x', digest: D, size: -1 },
    layers: [],
  });
  bad({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'x', digest: D, size: 1 },
    layers: [{ digest: D, size: 1 }],
  });
  bad({ schemaVersion: 2, mediaType: 'text/html', config: { mediaType: 'x', digest: D, size: 1 }, layers: [] });
});

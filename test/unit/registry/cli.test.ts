/**
 * The command line against a real registry: `sign REF`, `attest REF` and `registry scan REPO`,
 * checked with plain HTTP requests to the registry API (what was written, and that the image was
 * never re-pushed), and sharding as a pure function.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RegistryClient } from '../../../src/core/registry/client.ts';
import { pushArtifact } from '../../../src/core/registry/push.ts';
import { MODELPACK_CONFIG, MODELPACK_MANIFEST } from '../../../src/core/registry/packaging.ts';
import { globToRegExp, parseShard, shardOf } from '../../../src/core/registry/scanRepository.ts';
import { cli } from '../helpers.ts';
import { safetensors } from './fixtures.ts';
import { registrySkip, startRegistry, type TestRegistry } from './realRegistry.ts';

test('shards split any tag list into disjoint parts that cover it, independent of order', () => {
  const tags = Array.from({ length: 1000 }, (_, i) => `v1.${i}`);
  const parts = [0, 1, 2, 3].map((i) => tags.filter((t) => shardOf(t, 4) === i));
  assert.equal(
    parts.reduce((n, p) => n + p.length, 0),
    tags.length,
  );
  assert.equal(new Set(parts.flat()).size, tags.length);
  for (const p of parts) assert.ok(p.length > 150 && p.length < 350, `balanced enough: ${p.length}`);
  const reversed = [...tags].reverse().filter((t) => shardOf(t, 4) === 2);
  assert.deepEqual(reversed.sort(), [...parts[2]].sort());
  assert.deepEqual(parseShard('3/4'), { index: 3, count: 4 });
  assert.throws(() => parseShard('4/4'), /0 to 3/);
  assert.throws(() => parseShard('1'), /I\/N/);
});

test('tag globs are anchored shell globs', () => {
  assert.ok(globToRegExp('v2.*').test('v2.1.0'));
  assert.ok(!globToRegExp('v2.*').test('xv2.1'));
  assert.ok(!globToRegExp('v2.*').test('v2x1'));
  assert.ok(globToRegExp('release-[0-9]?').test('release-1a'));
});

describe('CLI on a real registry: sign, attest, registry scan', { skip: registrySkip() }, () => {
  let reg: TestRegistry;
  let dir: string;
  let client: RegistryClient;
  const env = { COSIGN_PASSWORD: 'test-pw' };
  const digests: Record<string, string> = {};
  before(async () => {
    reg = await startRegistry();
    client = new RegistryClient({ retryBaseMs: 1 });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-reg-cli-'));
    assert.equal(cli(['generate-key-pair', '--output-key-prefix', path.join(dir, 'release')], { env }).status, 0);
    for (const tag of ['v1', 'v2', 'v3-unsigned']) {
      const pushed = await pushArtifact(client, reg.host, 'models/demo', tag, {
        artifactType: MODELPACK_MANIFEST,
        configMediaType: MODELPACK_CONFIG,
        config: Buffer.from(`{"tag":"${tag}"}`),
        layers: [
          {
            mediaType: 'application/vnd.cncf.model.weight.v1.raw',
            bytes: safetensors(tag.length + 2),
            annotations: { 'org.cncf.model.filepath': 'model.safetensors' },
          },
        ],
      });
      digests[tag] = pushed.digest;
    }
    fs.writeFileSync(
      path.join(dir, 'sbom.json'),
      JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', components: [] }),
    );
    fs.writeFileSync(path.join(dir, 'model-card.yaml'), 'model_details:\n  name: demo\n');
  });
  after(async () => {
    client?.close();
    await reg?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('sign refuses a tag without --allow-tag; signs a digest; the image is not re-pushed', async () => {
    const refused = cli(['sign', `${reg.host}/models/demo:v1`, '--key', path.join(dir, 'release.key')], { env });
    assert.equal(refused.status, 2, refused.stderr);
    assert.match(refused.stderr, /names a tag.*--allow-tag/);

    const before = await reg.api('GET', '/v2/models/demo/tags/list');
    const ok = cli(
      ['sign', `${reg.host}/models/demo@${digests.v1}`, '--key', path.join(dir, 'release.key'), '--format', 'json'],
      { env },
    );
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stderr, /online: reading 127\.0\.0\.1:\d+/);
    const j = JSON.parse(ok.stdout);
    assert.equal(j.signed.digest, digests.v1);
    const after = await reg.api('GET', '/v2/models/demo/tags/list');
    const added = JSON.parse(after.body.toString()).tags.filter(
      (t: string) => !JSON.parse(before.body.toString()).tags.includes(t),
    );
    assert.deepEqual(added, [`${digests.v1.replace(':', '-')}.sig`]);
    const image = await reg.api('HEAD', '/v2/models/demo/manifests/v1', {
      accept: 'application/vnd.oci.image.manifest.v1+json',
    });
    assert.equal(image.headers['docker-content-digest'], digests.v1, 'the image is untouched');
    const sig = await reg.api('GET', `/v2/models/demo/manifests/${digests.v1.replace(':', '-')}.sig`, {
      accept: 'application/vnd.oci.image.manifest.v1+json',
    });
    const m = JSON.parse(sig.body.toString());
    assert.equal(m.layers.length, 1);
    assert.equal(m.layers[0].mediaType, 'application/vnd.dev.cosign.simplesigning.v1+json');
    assert.ok(m.layers[0].annotations['dev.cosignproject.cosign/signature']);
    const payload = await reg.api('GET', `/v2/models/demo/blobs/${m.layers[0].digest}`);
    assert.deepEqual(JSON.parse(payload.body.toString()).critical.image, { 'docker-manifest-digest': digests.v1 });

    const again = cli(['sign', `${reg.host}/models/demo:v2`, '--allow-tag', '--key', path.join(dir, 'release.key')], {
      env,
    });
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, new RegExp(`resolved to ${digests.v2}`));
  });

  test('attest attaches cosign-style DSSE attestations (CycloneDX, custom model card)', async () => {
    for (const [type, file] of [
      ['cyclonedx', 'sbom.json'],
      ['custom', 'model-card.yaml'],
    ]) {
      const r = cli(
        [
          'attest',
          `${reg.host}/models/demo@${digests.v1}`,
          '--type',
          type,
          '--predicate',
          path.join(dir, file),
          '--key',
          path.join(dir, 'release.key'),
        ],
        { env },
      );
      assert.equal(r.status, 0, r.stderr);
    }
    const att = await reg.api('GET', `/v2/models/demo/manifests/${digests.v1.replace(':', '-')}.att`, {
      accept: 'application/vnd.oci.image.manifest.v1+json',
    });
    const m = JSON.parse(att.body.toString());
    assert.deepEqual(
      m.layers.map((l: { annotations: Record<string, string> }) => l.annotations.predicateType),
      ['https://cyclonedx.org/bom', 'https://cosign.sigstore.dev/attestation/v1'],
    );
    const env1 = JSON.parse((await reg.api('GET', `/v2/models/demo/blobs/${m.layers[1].digest}`)).body.toString());
    const st = JSON.parse(Buffer.from(env1.payload, 'base64').toString());
    assert.equal(st.subject[0].digest.sha256, digests.v1.split(':')[1]);
    assert.equal(st.predicate.Data, 'model_details:\n  name: demo\n');
    const bad = cli(
      [
        'attest',
        `${reg.host}/models/demo@${digests.v1}`,
        '--type',
        'cyclonedx',
        '--predicate',
        path.join(dir, 'model-card.yaml'),
        '--key',
        path.join(dir, 'release.key'),
      ],
      { env },
    );
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /must be JSON/);
  });

  test('registry scan: per tag signed/attested, JSON and SARIF, exit 1 when a tag fails; sharded runs cover the repository once', async () => {
    const pub = path.join(dir, 'release.pub');
    const r = cli([
      'registry',
      'scan',
      `${reg.host}/models/demo`,
      '--key',
      pub,
      '--require-attestation',
      'sbom',
      '--format',
      'json',
    ]);
    assert.equal(r.status, 1, r.stderr);
    const j = JSON.parse(r.stdout);
    const byTag = Object.fromEntries(j.tags.map((t: { tag: string }) => [t.tag, t]));
    assert.deepEqual(
      Object.keys(byTag).sort(),
      ['v1', 'v2', 'v3-unsigned'],
      'cosign .sig/.att tags are not listed as releases',
    );
    assert.equal(byTag.v1.ok, true);
    assert.equal(byTag.v2.signed, true);
    assert.deepEqual(byTag.v2.missing, ['sbom']);
    assert.equal(byTag['v3-unsigned'].signed, false);
    assert.ok(j.findings.some((f: { ruleId: string }) => f.ruleId === 'registry/attestation-missing'));
    assert.ok(j.findings.some((f: { ruleId: string }) => f.ruleId === 'registry/unsigned'));

    const only = cli(['registry', 'scan', `${reg.host}/models/demo`, '--key', pub, '--tags', 'v1']);
    assert.equal(only.status, 0, only.stdout + only.stderr);
    assert.match(only.stdout, /1 of 3 tags selected/);

    const sarif = JSON.parse(
      cli(['registry', 'scan', `${reg.host}/models/demo`, '--key', pub, '--format', 'sarif']).stdout,
    );
    assert.ok(sarif.runs[0].results.some((x: { ruleId: string }) => x.ruleId === 'registry/unsigned'));

    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const s = JSON.parse(
        cli(['registry', 'scan', `${reg.host}/models/demo`, '--key', pub, '--shard', `${i}/3`, '--format', 'json'])
          .stdout,
      );
      seen.push(...s.tags.map((t: { tag: string }) => t.tag));
    }
    assert.deepEqual(seen.sort(), ['v1', 'v2', 'v3-unsigned']);
  });

  test('registry scan with the promotion policy: its keys and required attestations', async () => {
    fs.writeFileSync(
      path.join(dir, 'policy.yaml'),
      'gate:\n  signatures:\n    keys: [release.pub]\n  vulnerabilities:\n    enabled: false\n  model_card:\n    max_age_days: 30\n',
    );
    const r = cli([
      'registry',
      'scan',
      `${reg.host}/models/demo`,
      '--policy',
      path.join(dir, 'policy.yaml'),
      '--tags',
      'v1',
      '--format',
      'json',
    ]);
    const j = JSON.parse(r.stdout);
    assert.equal(r.status, 0, r.stdout);
    assert.deepEqual(j.required, ['sbom', 'model-card']);
    assert.equal(j.tags[0].ok, true);
  });
});

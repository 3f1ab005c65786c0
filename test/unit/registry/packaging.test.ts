/**
 * Packaging variants and attachments against the real registry: ORAS files (raw content under a
 * generic tar media type), a container image with a model inside a file-system layer, an index of
 * two platforms, a Docker model artifact, a key-signed cosign attestation, and Sigstore bundles
 * attached as OCI referrers through the tag schema (Distribution 2.8 has no referrers API).
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { bundleToJSON } from '@sigstore/bundle';
import { DSSEBundleBuilder, MessageSignatureBundleBuilder } from '@sigstore/sign';
import { RegistryClient, sha256Digest } from '../../../src/core/registry/client.ts';
import { pushArtifact, pushIndex } from '../../../src/core/registry/push.ts';
import { inspectRemote } from '../../../src/core/registry/remote.ts';
import { attestReference, signReference } from '../../../src/core/registry/sign.ts';
import { cosignKeyHint } from '../../../src/core/signing/keys.ts';
import { evilPickle, gzip, safetensors, tarOf } from './fixtures.ts';
import { registrySkip, startRegistry, type TestRegistry } from './realRegistry.ts';

const OCI_IMAGE_CONFIG = 'application/vnd.oci.image.config.v1+json';

describe('packaging and attachments in a real registry', { skip: registrySkip() }, () => {
  let reg: TestRegistry;
  let client: RegistryClient;
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const trust = { keys: [{ key: publicKey, label: 'test.pub' }], identity: {} };
  before(async () => {
    reg = await startRegistry();
    client = new RegistryClient({ retryBaseMs: 1 });
  });
  after(async () => {
    client?.close();
    await reg?.stop();
  });

  test('ORAS files: a raw file under the generic tar media type is read as the file it is; the title names it', async () => {
    const pushed = await pushArtifact(client, reg.host, 'oras/model', 'v1', {
      artifactType: 'application/vnd.acme.model',
      configMediaType: 'application/vnd.oci.empty.v1+json',
      config: Buffer.from('{}'),
      layers: [
        {
          mediaType: 'application/vnd.oci.image.layer.v1.tar',
          bytes: evilPickle(),
          annotations: { 'org.opencontainers.image.title': 'model-weights.bin' },
        },
        {
          mediaType: 'application/vnd.acme.model.safetensors',
          bytes: safetensors(2),
          annotations: { 'org.opencontainers.image.title': 'model.safetensors' },
        },
      ],
    });
    const r = await inspectRemote(client, `${reg.host}/oras/model@${pushed.digest}`);
    assert.equal(r.manifests[0].packaging, 'oras');
    assert.deepEqual(
      r.manifests[0].layers.map((l) => l.found),
      ['raw', 'raw'],
    );
    assert.ok(r.manifests[0].layers[0].notes.some((n) => /says tar, its content is raw/.test(n)));
    const bad = r.findings.find((f) => f.ruleId === 'scan/pickle-dangerous-import');
    assert.ok(bad?.file?.endsWith('/model-weights.bin'), JSON.stringify(r.findings.map((f) => f.file)));
  });

  test('a container image: the model file inside a file-system layer is found and scanned, the OS files are not', async () => {
    const rootfs = gzip(
      tarOf([
        { name: 'bin/sh', data: Buffer.from('\x7fELF not really') },
        { name: 'etc/passwd', data: Buffer.from('root:x:0:0::/root:/bin/sh\n') },
        { name: 'app/models/classifier.pt', data: evilPickle() },
        { name: 'app/models/link.pt', data: Buffer.alloc(0), type: '2', link: '/etc/passwd' },
        { name: 'app/.wh.old.pt', data: Buffer.alloc(0) },
      ]),
    );
    const pushed = await pushArtifact(client, reg.host, 'images/serving', 'v1', {
      configMediaType: OCI_IMAGE_CONFIG,
      config: Buffer.from(
        JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }),
      ),
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', bytes: rootfs }],
    });
    const r = await inspectRemote(client, `${reg.host}/images/serving@${pushed.digest}`);
    assert.equal(r.manifests[0].packaging, 'image');
    const files = r.manifests[0].layers[0].files.map((f) => f.name.replace(/^.*!\//, ''));
    assert.deepEqual(files, ['app/models/classifier.pt']);
    assert.ok(
      r.findings.some(
        (f) => f.ruleId === 'scan/pickle-dangerous-import' && f.file?.endsWith('!/app/models/classifier.pt'),
      ),
    );
  });

  test('an index: every platform is inspected', async () => {
    const plats: { digest: string; size: number; platform: { os: string; architecture: string } }[] = [];
    for (const arch of ['amd64', 'arm64']) {
      const m = await pushArtifact(client, reg.host, 'images/multi', undefined, {
        configMediaType: OCI_IMAGE_CONFIG,
        config: Buffer.from(JSON.stringify({ architecture: arch, os: 'linux' })),
        layers: [
          {
            mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
            bytes: gzip(tarOf([{ name: `models/${arch}.safetensors`, data: safetensors(3) }])),
          },
        ],
      });
      plats.push({ digest: m.digest, size: m.size, platform: { os: 'linux', architecture: arch } });
    }
    const idx = await pushIndex(
      client,
      reg.host,
      'images/multi',
      'v1',
      plats.map((p) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...p })),
    );
    const r = await inspectRemote(client, `${reg.host}/images/multi:v1`);
    assert.equal(r.digest, idx.digest);
    assert.equal(r.kind, 'index');
    assert.deepEqual(
      r.manifests.map((m) => m.platform),
      ['linux/amd64', 'linux/arm64'],
    );
    assert.deepEqual(
      r.manifests.map((m) => m.layers[0].files.length),
      [1, 1],
    );
  });

  test('a Docker model artifact (GGUF layer)', async () => {
    const gguf = Buffer.alloc(64);
    gguf.write('GGUF', 0);
    gguf.writeUInt32LE(3, 4);
    const pushed = await pushArtifact(client, reg.host, 'ai/tiny', 'v1', {
      configMediaType: 'application/vnd.docker.ai.model.config.v0.1+json',
      config: Buffer.from(JSON.stringify({ config: { format: 'gguf' } })),
      layers: [
        { mediaType: 'application/vnd.docker.ai.gguf.v3', bytes: gguf },
        { mediaType: 'application/vnd.docker.ai.license', bytes: Buffer.from('Apache-2.0') },
      ],
    });
    const r = await inspectRemote(client, `${reg.host}/ai/tiny@${pushed.digest}`);
    assert.equal(r.manifests[0].packaging, 'docker-model');
    assert.deepEqual(
      r.manifests[0].layers.map((l) => l.plan.role),
      ['weights', 'license'],
    );
    assert.equal(r.manifests[0].layers[0].files[0].scan?.format, 'gguf');
    assert.deepEqual(r.manifests[0].config, { config: { format: 'gguf' } });
  });

  test('sign REF and attest REF with a key, then verify: signature, SBOM and model-card attestations', async () => {
    const pushed = await pushArtifact(client, reg.host, 'models/attested', 'v1', {
      configMediaType: 'application/vnd.oci.empty.v1+json',
      config: Buffer.from('{}'),
      layers: [{ mediaType: 'application/vnd.cncf.model.weight.v1.raw', bytes: safetensors(2) }],
    });
    const ref = `${reg.host}/models/attested@${pushed.digest}`;
    await signReference(client, ref, { signer: { kind: 'key', key: privateKey } });
    const again = await signReference(client, ref, { signer: { kind: 'key', key: privateKey } });
    assert.equal(again.layers, 2, 'a second signature (ECDSA is randomised) is appended, the first kept');
    await attestReference(client, ref, {
      signer: { kind: 'key', key: privateKey },
      type: 'cyclonedx',
      predicate: Buffer.from('{"bomFormat":"CycloneDX","specVersion":"1.6"}'),
    });
    await attestReference(client, ref, {
      signer: { kind: 'key', key: privateKey },
      type: 'custom',
      predicate: Buffer.from('model_details:\n  name: x\n'),
    });
    const r = await inspectRemote(client, ref, { scan: false, trust });
    assert.deepEqual(
      r.attachments!.signatures.map((s) => s.verified),
      [true, true],
    );
    assert.deepEqual(
      r.attachments!.attestations.map((a) => [a.predicateType, a.verified]),
      [
        ['https://cyclonedx.org/bom', true],
        ['https://cosign.sigstore.dev/attestation/v1', true],
      ],
    );
    const other = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    const r2 = await inspectRemote(client, ref, {
      scan: false,
      trust: { keys: [{ key: other, label: 'other.pub' }], identity: {} },
    });
    assert.ok(r2.attachments!.attestations.every((a) => !a.verified));
    assert.ok(r2.findings.some((f) => f.ruleId === 'registry/unsigned'));
  });

  test('Sigstore bundles as OCI referrers (cosign 3 format) through the tag schema: a signature and an attestation; a bundle for another digest fails', async () => {
    const pushed = await pushArtifact(client, reg.host, 'models/bundled', 'v1', {
      configMediaType: 'application/vnd.oci.empty.v1+json',
      config: Buffer.from('{}'),
      layers: [{ mediaType: 'application/vnd.cncf.model.weight.v1.raw', bytes: safetensors(5) }],
    });
    const subject = {
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: pushed.digest,
      size: pushed.size,
    };
    const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const signer = {
      sign: async (data: Buffer) => ({
        signature: crypto.sign('sha256', data, privateKey),
        key: { $case: 'publicKey' as const, publicKey: pem, hint: cosignKeyHint(publicKey) },
      }),
    };
    const statement = (digest: string, predicateType: string) =>
      Buffer.from(
        JSON.stringify({
          _type: 'https://in-toto.io/Statement/v1',
          subject: [{ digest: { sha256: digest.split(':')[1] } }],
          predicateType,
          predicate: {},
        }),
      );
    const dsse = async (digest: string, predicateType: string) =>
      Buffer.from(
        JSON.stringify(
          bundleToJSON(
            await new DSSEBundleBuilder({ signer, witnesses: [] }).create({
              data: statement(digest, predicateType),
              type: 'application/vnd.in-toto+json',
            }),
          ),
        ),
      );
    const message = Buffer.from(
      JSON.stringify(
        bundleToJSON(await new MessageSignatureBundleBuilder({ signer, witnesses: [] }).create({ data: pushed.bytes })),
      ),
    );
    const referrers = [];
    for (const [bytes, predicateType] of [
      [await dsse(pushed.digest, 'https://sigstore.dev/cosign/sign/v1'), 'https://sigstore.dev/cosign/sign/v1'],
      [await dsse(pushed.digest, 'https://slsa.dev/provenance/v1'), 'https://slsa.dev/provenance/v1'],
      [
        await dsse(sha256Digest(Buffer.from('another image')), 'https://sigstore.dev/cosign/sign/v1'),
        'https://sigstore.dev/cosign/sign/v1',
      ],
      [message, 'https://sigstore.dev/cosign/sign/v1'],
    ] as const) {
      const annotations = {
        'dev.sigstore.bundle.predicateType': predicateType,
        'dev.sigstore.bundle.content': 'dsse-envelope',
      };
      const m = await pushArtifact(client, reg.host, 'models/bundled', undefined, {
        artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
        configMediaType: 'application/vnd.oci.empty.v1+json',
        config: Buffer.from('{}'),
        layers: [{ mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', bytes }],
        subject,
        annotations,
      });
      referrers.push({
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: m.digest,
        size: m.size,
        artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
        annotations,
      });
    }
    await pushIndex(client, reg.host, 'models/bundled', pushed.digest.replace(':', '-'), referrers);
    const r = await inspectRemote(client, `${reg.host}/models/bundled@${pushed.digest}`, { scan: false, trust });
    const a = r.attachments!;
    assert.equal(a.referrers, 'tag-schema');
    assert.deepEqual(
      a.signatures.map((s) => s.verified),
      [true, false, true],
      JSON.stringify(a.signatures.map((s) => s.failures)),
    );
    assert.ok(a.signatures[1].failures.some((f) => f.startsWith('subject digest')));
    assert.deepEqual(
      a.attestations.map((x) => [x.predicateType, x.verified]),
      [['https://slsa.dev/provenance/v1', true]],
    );
  });
});

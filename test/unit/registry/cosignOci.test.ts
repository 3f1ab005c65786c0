/**
 * Real `cosign sign` output (../shared/fixtures/signing/cosign-oci, from containers/image) pushed
 * into a real registry as cosign writes it (the image manifest byte for byte, then a
 * `sha256-<hex>.sig` manifest with one simple-signing layer per signature and its annotations),
 * then verified by reference, with the upstream test's expected outcomes, must-fail cases included.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RegistryClient, sha256Digest } from '../../../src/core/registry/client.ts';
import { pushArtifact } from '../../../src/core/registry/push.ts';
import { inspectRemote } from '../../../src/core/registry/remote.ts';
import type { RegistryTrust } from '../../../src/core/registry/signatures.ts';
import { parsePublicKey } from '../../../src/core/signing/keys.ts';
import { readCertificates } from '../../../src/core/signing/pki.ts';
import { sharedFixture } from '../helpers.ts';
import { registrySkip, startRegistry, type TestRegistry } from './realRegistry.ts';

const fx = sharedFixture('signing/cosign-oci');
const skip = registrySkip() || fx.skip;

/** The fixture copy flattened git symlinks into files holding the link text: follow them. */
function readFixture(rel: string): Buffer | undefined {
  let p = path.join(fx.path, rel);
  for (let i = 0; i < 4; i++) {
    if (!fs.existsSync(p)) return undefined;
    const b = fs.readFileSync(p);
    const text = b.toString('utf8');
    if (b.length < 200 && /^\.\.?\//.test(text) && !text.includes('\n')) {
      p = path.resolve(path.dirname(p), text);
      continue;
    }
    return b;
  }
  return undefined;
}

interface CosignLayer {
  mimeType: string;
  payload: string;
  annotations: Record<string, string>;
}

function signatureLayer(rel: string): CosignLayer {
  const b = readFixture(rel)!;
  const text = b.toString('utf8');
  // containers/image serialises a sigstore signature as the line " sigstore-json" (after a NUL) and the JSON.
  return JSON.parse(text.slice(text.indexOf('{'))) as CosignLayer;
}

/**
 * Distribution refuses a manifest whose blobs it does not have, and the fixture images' layers are
 * not available offline: placeholder blobs of the declared sizes are planted in the registry's
 * storage under the manifests' digests, so the manifests themselves go through the API unchanged.
 */
function plantBlobs(reg: TestRegistry, repository: string, manifest: Buffer): void {
  const m = JSON.parse(manifest.toString('utf8')) as {
    config: { digest: string; size: number };
    layers: { digest: string; size: number }[];
  };
  for (const d of [m.config, ...m.layers]) {
    const hex = d.digest.split(':')[1];
    const blobDir = path.join(reg.dir, 'data', 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex);
    fs.mkdirSync(blobDir, { recursive: true });
    fs.writeFileSync(path.join(blobDir, 'data'), '');
    fs.truncateSync(path.join(blobDir, 'data'), d.size);
    const link = path.join(
      reg.dir,
      'data',
      'docker',
      'registry',
      'v2',
      'repositories',
      repository,
      '_layers',
      'sha256',
      hex,
    );
    fs.mkdirSync(link, { recursive: true });
    fs.writeFileSync(path.join(link, 'link'), d.digest);
  }
}

const key1 = () => parsePublicKey(readFixture('cosign.pub')!.toString());
const key2 = () => parsePublicKey(readFixture('cosign2.pub')!.toString());

function trust(extra: Partial<RegistryTrust> = {}): RegistryTrust {
  return { keys: [{ key: key1(), label: 'cosign.pub' }], identity: {}, ...extra };
}

describe('cosign signatures from the real cosign, in a real registry', { skip }, () => {
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

  /** Pushes the image manifest (when there is one) and its `.sig` manifest; returns the image digest. */
  async function publish(
    repository: string,
    image: Buffer | undefined,
    signatures: string[],
    subjectDigest?: string,
  ): Promise<string> {
    const digest = subjectDigest ?? sha256Digest(image!);
    if (image) {
      plantBlobs(reg, repository, image);
      const mt = JSON.parse(image.toString('utf8')).mediaType as string;
      assert.equal(await client.putManifest(reg.host, repository, digest, image, mt), digest);
    }
    const layers = signatures.map((s) => signatureLayer(s));
    await pushArtifact(client, reg.host, repository, `${digest.replace(':', '-')}.sig`, {
      configMediaType: 'application/vnd.oci.image.config.v1+json',
      config: Buffer.from(
        JSON.stringify({
          architecture: '',
          created: '0001-01-01T00:00:00Z',
          history: [{ created: '0001-01-01T00:00:00Z' }],
          os: '',
          rootfs: { type: 'layers', diff_ids: layers.map((l) => sha256Digest(Buffer.from(l.payload, 'base64'))) },
          config: {},
        }),
      ),
      layers: layers.map((l) => ({
        mediaType: l.mimeType,
        bytes: Buffer.from(l.payload, 'base64'),
        annotations: l.annotations,
      })),
    });
    return digest;
  }

  const verify = (repository: string, digest: string, t: RegistryTrust) =>
    inspectRemote(client, `${reg.host}/${repository}@${digest}`, { scan: false, trust: t });

  test('dir-img-cosign-valid: verifies with cosign.pub; the signed docker-reference is reported', async () => {
    const digest = await publish('cosign/valid', readFixture('dir-img-cosign-valid/manifest.json'), [
      'dir-img-cosign-valid/signature-1',
    ]);
    const r = await verify('cosign/valid', digest, trust());
    const sig = r.attachments!.signatures;
    assert.equal(sig.length, 1);
    assert.equal(sig[0].verified, true, sig[0].failures.join('; '));
    assert.equal(sig[0].dockerReference, '192.168.64.2:5000/cosign-signed-single-sample');
    assert.ok(sig[0].notes.some((n) => n.includes('docker-reference 192.168.64.2:5000/cosign-signed-single-sample')));
    assert.ok(!r.findings.some((f) => f.ruleId === 'registry/unsigned'));
    assert.ok(r.findings.some((f) => f.ruleId === 'signing/verified'));
  });

  test('the same signature with another key is refused (must fail)', async () => {
    const digest = await publish('cosign/valid-other-key', readFixture('dir-img-cosign-valid/manifest.json'), [
      'dir-img-cosign-valid/signature-1',
    ]);
    const r = await verify('cosign/valid-other-key', digest, {
      keys: [{ key: key2(), label: 'cosign2.pub' }],
      identity: {},
    });
    assert.equal(r.attachments!.signatures[0].verified, false);
    assert.ok(r.findings.some((f) => f.ruleId === 'registry/unsigned'));
  });

  test('dir-img-cosign-valid-2: two signatures, both by cosign.pub (the data says so, whatever the README guessed)', async () => {
    const digest = await publish('cosign/valid-2', readFixture('dir-img-cosign-valid-2/manifest.json'), [
      'dir-img-cosign-valid-2/signature-1',
      'dir-img-cosign-valid-2/signature-2',
    ]);
    const one = await verify('cosign/valid-2', digest, trust());
    assert.deepEqual(
      one.attachments!.signatures.map((s) => s.verified),
      [true, true],
    );
    assert.ok(!one.findings.some((f) => f.ruleId === 'registry/unsigned'));
    const other = await verify('cosign/valid-2', digest, trust({ keys: [{ key: key2(), label: 'cosign2.pub' }] }));
    assert.deepEqual(
      other.attachments!.signatures.map((s) => s.verified),
      [false, false],
    );
    assert.ok(other.findings.some((f) => f.ruleId === 'registry/unsigned'));
  });

  test('dir-img-cosign-valid-with-tag: verifies; its docker-reference names a tag', async () => {
    const digest = await publish('cosign/with-tag', readFixture('dir-img-cosign-valid-with-tag/manifest.json'), [
      'dir-img-cosign-valid-with-tag/signature-1',
    ]);
    const r = await verify('cosign/with-tag', digest, trust());
    assert.equal(r.attachments!.signatures[0].verified, true, r.attachments!.signatures[0].failures.join('; '));
    assert.equal(r.attachments!.signatures[0].dockerReference, '192.168.64.2:5000/skopeo-signed:tag');
  });

  test('dir-img-cosign-key-rekor-valid: key signature whose Rekor SET verifies against the trusted root', async () => {
    const digest = await publish('cosign/key-rekor', readFixture('dir-img-cosign-key-rekor-valid/manifest.json'), [
      'dir-img-cosign-key-rekor-valid/signature-1',
    ]);
    // Signed with the second key (cosign2.pub), as the upstream test's key list shows.
    const r = await verify(
      'cosign/key-rekor',
      digest,
      trust({
        keys: [
          { key: key1(), label: 'cosign.pub' },
          { key: key2(), label: 'cosign2.pub' },
        ],
      }),
    );
    const s = r.attachments!.signatures[0];
    assert.equal(s.verified, true, s.failures.join('; '));
    assert.ok(s.tlog?.length, 'the Rekor entry is reported');
    assert.ok(s.time);
  });

  test('a key signature with a tampered Rekor SET fails (must fail)', async () => {
    const layer = signatureLayer('dir-img-cosign-key-rekor-valid/signature-1');
    const set = JSON.parse(layer.annotations['dev.sigstore.cosign/bundle']) as {
      SignedEntryTimestamp: string;
      Payload: { integratedTime: number };
    };
    set.Payload.integratedTime += 1;
    const image = readFixture('dir-img-cosign-key-rekor-valid/manifest.json')!;
    const digest = sha256Digest(image);
    plantBlobs(reg, 'cosign/key-rekor-bad', image);
    await client.putManifest(reg.host, 'cosign/key-rekor-bad', digest, image, JSON.parse(image.toString()).mediaType);
    await pushArtifact(client, reg.host, 'cosign/key-rekor-bad', `${digest.replace(':', '-')}.sig`, {
      configMediaType: 'application/vnd.oci.image.config.v1+json',
      config: Buffer.from('{}'),
      layers: [
        {
          mediaType: layer.mimeType,
          bytes: Buffer.from(layer.payload, 'base64'),
          annotations: { ...layer.annotations, 'dev.sigstore.cosign/bundle': JSON.stringify(set) },
        },
      ],
    });
    const r = await verify('cosign/key-rekor-bad', digest, trust({ keys: [{ key: key2(), label: 'cosign2.pub' }] }));
    const s = r.attachments!.signatures[0];
    assert.equal(s.verified, false);
    assert.ok(
      s.failures.some((f) => /transparency log/.test(f)),
      s.failures.join('; '),
    );
  });

  test('dir-img-cosign-fulcio-rekor-valid: keyless; Fulcio chain and Rekor SET against the trusted root; identity checked', async () => {
    const digest = await publish('cosign/keyless', readFixture('dir-img-cosign-fulcio-rekor-valid/manifest.json'), [
      'dir-img-cosign-fulcio-rekor-valid/signature-1',
    ]);
    const ok = await verify('cosign/keyless', digest, {
      keys: [],
      identity: { certificateIdentity: 'mitr@redhat.com', certificateOidcIssuer: 'https://github.com/login/oauth' },
    });
    const s = ok.attachments!.signatures[0];
    assert.equal(s.verified, true, s.failures.join('; '));
    assert.equal(s.identity, 'mitr@redhat.com');
    assert.equal(s.issuer, 'https://github.com/login/oauth');
    assert.ok(s.tlog?.length);

    const wrong = await verify('cosign/keyless', digest, {
      keys: [],
      identity: { certificateIdentity: 'mallory@example.com', certificateOidcIssuer: 'https://github.com/login/oauth' },
    });
    assert.equal(wrong.attachments!.signatures[0].verified, false);
    assert.ok(wrong.findings.some((f) => f.ruleId === 'signing/identity-mismatch'));

    const none = await verify('cosign/keyless', digest, { keys: [], identity: {} });
    assert.equal(
      none.attachments!.signatures[0].verified,
      false,
      'a keyless signature with no expected identity does not count',
    );
  });

  test("dir-img-cosign-pki-valid: certificate from the user's own CA, identity in its SAN", async () => {
    const digest = await publish('cosign/pki', readFixture('dir-img-cosign-pki-valid/manifest.json'), [
      'dir-img-cosign-pki-valid/signature-1',
    ]);
    const caRoots = readCertificates(readFixture('pki_root_crts.pem')!.toString());
    const ok = await verify('cosign/pki', digest, {
      keys: [],
      identity: { certificateIdentity: 'qiwan@redhat.com' },
      caRoots,
    });
    const s = ok.attachments!.signatures[0];
    assert.equal(s.verified, true, s.failures.join('; '));
    const otherCa = await verify('cosign/pki', digest, {
      keys: [],
      identity: { certificateIdentity: 'qiwan@redhat.com' },
      caRoots: readCertificates(readFixture('fulcio_v1.crt.pem')!.toString()),
    });
    assert.equal(otherCa.attachments!.signatures[0].verified, false, 'a chain to another CA fails');
  });

  test('dir-img-cosign-modified-manifest: a valid signature of another digest (must fail)', async () => {
    const digest = await publish('cosign/modified', readFixture('dir-img-cosign-modified-manifest/manifest.json'), [
      'dir-img-cosign-modified-manifest/signature-1',
    ]);
    const r = await verify('cosign/modified', digest, trust());
    const s = r.attachments!.signatures[0];
    assert.equal(s.verified, false);
    assert.ok(
      s.failures.some((f) => f.startsWith('subject digest')),
      s.failures.join('; '),
    );
    assert.ok(r.findings.some((f) => f.ruleId === 'signing/subject-mismatch'));
    assert.ok(r.findings.some((f) => f.ruleId === 'registry/unsigned'));
  });

  test('dir-img-cosign-manifest-digest-error: the signature attached to a manifest it does not sign (must fail)', async () => {
    // The fixture's manifest (a schema-1 file) is not in the copy; any other manifest shows the same thing.
    const other = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: sha256Digest(Buffer.from('{}')),
          size: 2,
        },
        layers: [],
      }),
    );
    await client.pushBlob(reg.host, 'cosign/digest-error', Buffer.from('{}'));
    const digest = await publish('cosign/digest-error', other, ['dir-img-cosign-manifest-digest-error/signature-1']);
    const r = await verify('cosign/digest-error', digest, trust());
    assert.equal(r.attachments!.signatures[0].verified, false);
    assert.ok(r.findings.some((f) => f.ruleId === 'registry/unsigned'));
  });

  test('dir-img-cosign-no-manifest: a signature whose image is not in the registry (must fail)', async () => {
    const signed = JSON.parse(
      Buffer.from(signatureLayer('dir-img-cosign-no-manifest/signature-1').payload, 'base64').toString(),
    ).critical.image['docker-manifest-digest'] as string;
    await publish('cosign/no-manifest', undefined, ['dir-img-cosign-no-manifest/signature-1'], signed);
    const r = await verify('cosign/no-manifest', signed, trust());
    assert.ok(
      r.findings.some((f) => f.ruleId === 'registry/not-found'),
      JSON.stringify(r.findings),
    );
    assert.equal(r.attachments, undefined);
  });

  test('dir-img-cosign-other-attachment: a layer that is not a signature is not one (must fail)', async () => {
    const digest = await publish('cosign/other', readFixture('dir-img-cosign-other-attachment/manifest.json'), [
      'dir-img-cosign-other-attachment/signature-1',
    ]);
    const r = await verify('cosign/other', digest, trust());
    assert.equal(r.attachments!.signatures.length, 0);
    assert.ok(r.attachments!.others.some((o) => o.includes('text/plain')));
    assert.ok(r.findings.some((f) => f.ruleId === 'registry/unsigned'));
    assert.ok(r.findings.some((f) => f.ruleId === 'registry/attachment-ignored'));
  });

  test('dir-img-cosign-mixed: one signature by an unknown key and one valid: signed', async () => {
    const digest = await publish('cosign/mixed', readFixture('dir-img-cosign-mixed/manifest.json'), [
      'dir-img-cosign-mixed/signature-1',
      'dir-img-cosign-mixed/signature-2',
    ]);
    const r = await verify('cosign/mixed', digest, trust());
    assert.deepEqual(
      r.attachments!.signatures.map((s) => s.verified),
      [false, true],
    );
    assert.ok(!r.findings.some((f) => f.ruleId === 'registry/unsigned'));
  });

  test('unknown-cosign-key.signature alone: signed by a key that is not trusted (must fail)', async () => {
    const digest = await publish('cosign/unknown-key', readFixture('dir-img-cosign-valid/manifest.json'), [
      'unknown-cosign-key.signature',
    ]);
    const r = await verify('cosign/unknown-key', digest, trust());
    assert.equal(r.attachments!.signatures[0].verified, false);
    assert.ok(r.findings.some((f) => f.ruleId === 'registry/unsigned'));
  });

  test('a signature whose payload was altered in the registry does not verify (must fail)', async () => {
    const layer = signatureLayer('dir-img-cosign-valid/signature-1');
    const payload = JSON.parse(Buffer.from(layer.payload, 'base64').toString());
    payload.critical.identity['docker-reference'] = 'evil.example/other';
    const image = readFixture('dir-img-cosign-valid/manifest.json')!;
    const digest = sha256Digest(image);
    plantBlobs(reg, 'cosign/tampered', image);
    await client.putManifest(reg.host, 'cosign/tampered', digest, image, JSON.parse(image.toString()).mediaType);
    await pushArtifact(client, reg.host, 'cosign/tampered', `${digest.replace(':', '-')}.sig`, {
      configMediaType: 'application/vnd.oci.image.config.v1+json',
      config: Buffer.from('{}'),
      layers: [
        { mediaType: layer.mimeType, bytes: Buffer.from(JSON.stringify(payload)), annotations: layer.annotations },
      ],
    });
    const r = await verify('cosign/tampered', digest, trust());
    assert.equal(r.attachments!.signatures[0].verified, false);
    void crypto;
  });
});

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { signPath, verifyPath } from '../../../src/core/signing/index.ts';
import { comparePosixPaths, rootDigest } from '../../../src/core/signing/modelSigning.ts';
import { KeyError } from '../../../src/core/signing/keys.ts';
import {
  decryptCosignKey,
  encryptCosignKey,
  generateCosignKeyPair,
  loadPrivateKey,
} from '../../../src/core/signing/privateKeys.ts';
import { sharedFixture } from '../helpers.ts';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'mi-signrt-'));
}

test(
  'cosign.key from cosign (empty password) decrypts to P-256; a wrong password is refused',
  { skip: sharedFixture('signing/cosign').skip },
  () => {
    const text = fs.readFileSync(
      sharedFixture('signing/cosign/cosign_generated_encrypted_empty_private.key').path,
      'utf8',
    );
    const key = decryptCosignKey(text, '');
    assert.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.throws(() => decryptCosignKey(text, 'wrong'), KeyError);
  },
);

test('generated key pair: encrypted private key round-trips, never contains the key in clear', () => {
  const pair = generateCosignKeyPair('s3cret');
  assert.match(pair.privateKeyPem, /^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----/);
  assert.doesNotMatch(pair.privateKeyPem, /BEGIN PRIVATE KEY/);
  const key = decryptCosignKey(pair.privateKeyPem, 's3cret');
  assert.ok(crypto.createPublicKey(key).equals(crypto.createPublicKey(pair.publicKeyPem)));
  assert.throws(() => decryptCosignKey(pair.privateKeyPem, 's3creT'), /wrong password/);
  const tampered = pair.privateKeyPem.replace(/\n(.)/, (_m, c: string) => `\n${c === 'A' ? 'B' : 'A'}`);
  assert.throws(() => decryptCosignKey(tampered, 's3cret'));
});

test("scrypt parameters outside cosign's set are refused (no attacker-chosen work factor)", () => {
  const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = encryptCosignKey(privateKey, 'x');
  const body = JSON.parse(Buffer.from(pem.split('\n').slice(1, -2).join(''), 'base64').toString('utf8'));
  body.kdf.params.N = 1 << 24;
  const b64 = Buffer.from(JSON.stringify(body)).toString('base64');
  assert.throws(
    () =>
      decryptCosignKey(
        `-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n${b64}\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n`,
        'x',
      ),
    /scrypt parameters/,
  );
});

test('sign a file with an encrypted cosign key, verify here; tamper fails', async () => {
  const dir = tmp();
  try {
    const pair = generateCosignKeyPair('pw');
    fs.writeFileSync(path.join(dir, 'cosign.pub'), pair.publicKeyPem);
    const key = await loadPrivateKey(pair.privateKeyPem, async () => 'pw');
    const file = path.join(dir, 'model.safetensors');
    fs.writeFileSync(file, crypto.randomBytes(300_000));
    const res = await signPath(file, key);
    assert.equal(res.signatureFile, `${file}.sigstore.json`);
    const bundle = JSON.parse(fs.readFileSync(res.signatureFile, 'utf8'));
    // cosign sign-blob --key --bundle shape: v0.3, hint = base64(sha256(DER)), message signature, no tlog.
    assert.equal(bundle.mediaType, 'application/vnd.dev.sigstore.bundle.v0.3+json');
    assert.equal(
      bundle.verificationMaterial.publicKey.hint,
      crypto
        .createHash('sha256')
        .update(crypto.createPublicKey(pair.publicKeyPem).export({ type: 'spki', format: 'der' }))
        .digest('base64'),
    );
    assert.equal(bundle.messageSignature.messageDigest.algorithm, 'SHA2_256');
    assert.equal(
      Buffer.from(bundle.messageSignature.messageDigest.digest, 'base64').toString('hex'),
      crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex'),
    );
    // The signature is exactly what a Go/OpenSSL verifier checks: ECDSA over SHA-256(file).
    assert.ok(
      crypto.verify(
        'sha256',
        fs.readFileSync(file),
        pair.publicKeyPem,
        Buffer.from(bundle.messageSignature.signature, 'base64'),
      ),
    );
    const ok = await verifyPath(file, { key: path.join(dir, 'cosign.pub') });
    assert.equal(ok.verified, true, ok.signatures[0]?.failures.join(' | '));
    // Flip the byte (writing 0xff left a random file unchanged once in 256 runs).
    const fd = fs.openSync(file, 'r+');
    const byte = Buffer.alloc(1);
    fs.readSync(fd, byte, 0, 1, 150_000);
    fs.writeSync(fd, Buffer.from([byte[0] ^ 0xff]), 0, 1, 150_000);
    fs.closeSync(fd);
    const bad = await verifyPath(file, { key: path.join(dir, 'cosign.pub') });
    assert.equal(bad.verified, false);
    assert.match(bad.signatures[0].failures.join('\n'), /artifact digest: the bundle signs sha256:/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('sign a model folder: model.sig shaped like model_signing, verifies here, tamper is named', async () => {
  const dir = tmp();
  try {
    const model = path.join(dir, 'my-model');
    fs.mkdirSync(path.join(model, 'a'), { recursive: true });
    fs.mkdirSync(path.join(model, '.git'));
    fs.writeFileSync(path.join(model, 'a', 'b.bin'), 'b');
    fs.writeFileSync(path.join(model, 'a.txt'), 'a');
    fs.writeFileSync(path.join(model, 'weights.safetensors'), crypto.randomBytes(1000));
    fs.writeFileSync(path.join(model, '.git', 'HEAD'), 'ref');
    fs.writeFileSync(path.join(model, 'notes.md'), 'ignored');
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-384' });
    fs.writeFileSync(path.join(dir, 'k.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    const res = await signPath(model, privateKey, { ignorePaths: ['notes.md'] });
    assert.equal(res.signatureFile, path.join(model, 'model.sig'));
    assert.equal(res.files, 3);
    const b = JSON.parse(fs.readFileSync(res.signatureFile, 'utf8'));
    assert.deepEqual(Object.keys(b), ['mediaType', 'verificationMaterial', 'dsseEnvelope']);
    assert.deepEqual(b.verificationMaterial.tlogEntries, []);
    assert.equal(
      b.verificationMaterial.publicKey.hint,
      crypto
        .createHash('sha256')
        .update(publicKey.export({ type: 'spki', format: 'pem' }) as string)
        .digest('hex'),
    );
    assert.equal(b.dsseEnvelope.signatures[0].keyid, '');
    const st = JSON.parse(Buffer.from(b.dsseEnvelope.payload, 'base64').toString('utf8'));
    assert.equal(st.predicateType, 'https://model_signing/signature/v1.0');
    assert.equal(st.subject[0].name, 'my-model');
    assert.deepEqual(
      st.predicate.resources.map((r: { name: string }) => r.name),
      ['a/b.bin', 'a.txt', 'weights.safetensors'],
    );
    assert.equal(st.subject[0].digest.sha256, rootDigest(st.predicate.resources));
    assert.deepEqual(st.predicate.serialization.ignore_paths, [
      'model.sig',
      'notes.md',
      '.git',
      '.gitattributes',
      '.github',
      '.gitignore',
    ]);
    const key = path.join(dir, 'k.pub');
    const ok = await verifyPath(model, { key });
    assert.equal(ok.verified, true, ok.signatures[0]?.failures.join(' | '));
    fs.writeFileSync(path.join(model, 'a.txt'), 'A');
    const bad = await verifyPath(model, { key });
    assert.deepEqual(bad.signatures[0].manifest?.changed, ['a.txt']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test(
  'our model.sig matches the structure of the generated fixture byte for byte when signed over the same files',
  { skip: sharedFixture('signing/generated/oms-p256-model').skip },
  async () => {
    const dir = tmp();
    try {
      const src = sharedFixture('signing/generated/oms-p256-model').path;
      const model = path.join(dir, 'oms-p256-model');
      fs.cpSync(src, model, { recursive: true });
      fs.chmodSync(model, 0o755);
      for (const d of ['a', 'sub']) fs.chmodSync(path.join(model, d), 0o755);
      fs.chmodSync(path.join(model, 'model.sig'), 0o644);
      const ref = JSON.parse(fs.readFileSync(path.join(src, 'model.sig'), 'utf8'));
      const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
      await signPath(model, privateKey, { ignorePaths: ['README.md'] });
      const ours = JSON.parse(fs.readFileSync(path.join(model, 'model.sig'), 'utf8'));
      assert.equal(ours.dsseEnvelope.payload, ref.dsseEnvelope.payload, 'identical statement bytes');
      assert.deepEqual(Object.keys(ours), Object.keys(ref));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('PurePosixPath order compares components', () => {
  assert.deepEqual(['a.txt', 'a/b.bin', 'a-b', 'B', 'a/a/z'].sort(comparePosixPaths), [
    'B',
    'a/a/z',
    'a/b.bin',
    'a-b',
    'a.txt',
  ]);
});

test('a hostile signature file: not JSON, huge, garbage — clear failures, no crash', async () => {
  const dir = tmp();
  try {
    const f = path.join(dir, 'w.bin');
    fs.writeFileSync(f, 'data');
    for (const [name, content] of [
      [
        'w.bin.sigstore.json',
        '{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json", "verificationMaterial": 5}',
      ],
      ['w.bin.bundle', '{not json'],
      ['w.bin.sig', '\u0000\u0001garbage'],
    ] as const) {
      fs.writeFileSync(path.join(dir, name), content);
    }
    const r = await verifyPath(f);
    assert.equal(r.signatures.length, 3);
    assert.equal(r.verified, false);
    for (const s of r.signatures) assert.ok(s.failures.length > 0, s.signatureFile);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('no signature: a warning that says where it looked', async () => {
  const dir = tmp();
  try {
    const f = path.join(dir, 'lonely.gguf');
    fs.writeFileSync(f, 'x');
    const r = await verifyPath(f);
    assert.equal(r.verified, false);
    assert.equal(r.findings[0].ruleId, 'signing/no-signature');
    assert.match(r.findings[0].message, /lonely\.gguf\.sig/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { verifyPath } from '../../../src/core/signing/index.ts';
import { omsKeyBundle } from '../../../src/core/signing/modelSigning.ts';
import { signingInspector } from '../../../src/core/signing/inspector.ts';
import { walk } from '../../../src/core/fsutil/walk.ts';

/**
 * model_signing's "shards" serialization and blake2 hashing, checked against a statement built
 * here independently (names `path:start:end`, algorithm `<hash>-sharded-<size>`, shard_size as a
 * JSON float the way protobuf Structs write it).
 */

function shardStatement(root: string, files: string[], shardSize: number, hash: 'sha256' | 'blake2'): Buffer {
  const node = hash === 'sha256' ? 'sha256' : 'blake2b512';
  const resources: { name: string; algorithm: string; digest: string }[] = [];
  for (const rel of files) {
    const data = fs.readFileSync(path.join(root, rel));
    for (let s = 0; s < data.length; s += shardSize) {
      const e = Math.min(data.length, s + shardSize);
      resources.push({
        name: `${rel}:${s}:${e}`,
        algorithm: `${hash}-sharded-${shardSize}`,
        digest: crypto.createHash(node).update(data.subarray(s, e)).digest('hex'),
      });
    }
  }
  const subject = crypto.createHash('sha256');
  for (const r of resources) subject.update(Buffer.from(r.digest, 'hex'));
  return Buffer.from(
    JSON.stringify(
      {
        _type: 'https://in-toto.io/Statement/v1',
        subject: [{ name: path.basename(root), digest: { sha256: subject.digest('hex') } }],
        predicateType: 'https://model_signing/signature/v1.0',
        predicate: {
          serialization: {
            method: 'shards',
            hash_type: hash,
            allow_symlinks: false,
            ignore_paths: ['model.sig'],
            shard_size: shardSize,
          },
          resources,
        },
      },
      null,
      2,
    ).replace(`"shard_size": ${shardSize}`, `"shard_size": ${shardSize}.0`),
  );
}

for (const hash of ['sha256', 'blake2'] as const) {
  test(`shards (${hash}): a signed sharded model verifies; a changed byte names the file`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-shards-'));
    try {
      const model = path.join(dir, 'sharded');
      fs.mkdirSync(path.join(model, 'sub'), { recursive: true });
      fs.writeFileSync(path.join(model, 'big.bin'), crypto.randomBytes(2500));
      fs.writeFileSync(path.join(model, 'sub', 'small.json'), '{"a":1}');
      const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const pub = path.join(dir, 'k.pub');
      fs.writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }));
      const payload = shardStatement(model, ['big.bin', 'sub/small.json'], 1000, hash);
      assert.match(payload.toString(), /"shard_size": 1000\.0/);
      fs.writeFileSync(path.join(model, 'model.sig'), omsKeyBundle(payload, privateKey));
      const ok = await verifyPath(model, { key: pub });
      assert.equal(ok.verified, true, ok.signatures[0]?.failures.join(' | '));
      assert.equal(ok.signatures[0].manifest?.matched, 4);
      const fd = fs.openSync(path.join(model, 'big.bin'), 'r+');
      fs.writeSync(fd, Buffer.from([1]), 0, 1, 2100);
      fs.closeSync(fd);
      const bad = await verifyPath(model, { key: pub });
      assert.deepEqual(bad.signatures[0].manifest?.changed, ['big.bin']);
      fs.appendFileSync(path.join(model, 'sub', 'small.json'), ' ');
      const grown = await verifyPath(model, { key: pub });
      assert.deepEqual(grown.signatures[0].manifest?.changed.sort(), ['big.bin', 'sub/small.json']);
      assert.deepEqual(grown.signatures[0].manifest?.missing, []);
      assert.deepEqual(grown.signatures[0].manifest?.extra, []);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('inspect: the signing inspector verifies model.sig and X.sigstore.json in a folder', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-insp-'));
  try {
    const { signPath } = await import('../../../src/core/signing/index.ts');
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pub = path.join(os.tmpdir(), `mi-insp-${process.pid}.pub`);
    fs.writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }));
    fs.writeFileSync(path.join(dir, 'w.safetensors'), 'weights');
    await signPath(path.join(dir, 'w.safetensors'), privateKey);
    await signPath(dir, privateKey);
    const files = (await walk(dir)).files;
    const { resolveExpectations } = await import('../../../src/core/signing/expectations.ts');
    const expectations = resolveExpectations(
      [{ origin: 'command line', source: '--key', baseDir: os.tmpdir(), keys: [pub] }],
      { inspected: dir },
    );
    const ok = await signingInspector.inspect({
      root: dir,
      files,
      now: new Date(),
      options: { 'signing.expectations': expectations },
    });
    assert.equal(ok.files.length, 2);
    assert.ok(
      ok.files.every((f) => f.summary?.startsWith('verified')),
      JSON.stringify(ok.files),
    );
    const none = await signingInspector.inspect({ root: dir, files, now: new Date(), options: {} });
    // Nothing verified without a key: every signature needs one, and no file is covered.
    assert.ok(
      none.findings.every((f) => f.ruleId === 'signing/key-required' || f.ruleId === 'signing/not-covered'),
      JSON.stringify(none.findings),
    );
    assert.match(none.findings.find((f) => f.ruleId === 'signing/not-covered')?.message ?? '', /1 file is not covered/);
    fs.rmSync(pub);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { Metadata, MetaFile, Root, Signature, Snapshot, TargetFile, Targets, Timestamp, Key } from '@tufjs/models';
import { refreshTrustedRoot } from '../../../src/core/signing/tuf.ts';
import { loadTrustedRoot, shippedTrustedRootPath } from '../../../src/core/signing/index.ts';

/**
 * The opt-in trusted-root refresh, against a TUF repository served on 127.0.0.1 (signed here with
 * an ed25519 key): the refreshed root is written where verification reads it, and a target whose
 * bytes do not match the signed targets metadata is refused.
 */

async function serveRepo(
  trustedRootBytes: Buffer,
  tamper = false,
): Promise<{ url: string; rootFile: string; close: () => void; dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-tuf-'));
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  const pubHex = (publicKey.export({ type: 'spki', format: 'der' }) as Buffer).subarray(-32).toString('hex');
  const keyID = crypto.createHash('sha256').update(pubHex).digest('hex');
  const key = new Key({ keyID, keyType: 'ed25519', scheme: 'ed25519', keyVal: { public: pubHex } });
  const expires = '2099-01-01T00:00:00Z';
  const specVersion = '1.0.31';
  const root = new Root({ version: 1, specVersion, expires, consistentSnapshot: false });
  for (const role of ['root', 'timestamp', 'snapshot', 'targets']) root.addKey(key, role);
  const targets = new Targets({
    version: 1,
    specVersion,
    expires,
    targets: {
      'trusted_root.json': new TargetFile({
        path: 'trusted_root.json',
        length: trustedRootBytes.length,
        hashes: { sha256: crypto.createHash('sha256').update(trustedRootBytes).digest('hex') },
      }),
    },
  });
  const snapshot = new Snapshot({
    version: 1,
    specVersion,
    expires,
    meta: { 'targets.json': new MetaFile({ version: 1 }) },
  });
  const timestamp = new Timestamp({ version: 1, specVersion, expires, snapshotMeta: new MetaFile({ version: 1 }) });
  const sign = (signed: Root | Targets | Snapshot | Timestamp) => {
    const md = new Metadata(signed);
    md.sign((data) => new Signature({ keyID, sig: crypto.sign(null, data, privateKey).toString('hex') }));
    return Buffer.from(JSON.stringify(md.toJSON()));
  };
  const files = new Map<string, Buffer>([
    ['/1.root.json', sign(root)],
    ['/timestamp.json', sign(timestamp)],
    ['/snapshot.json', sign(snapshot)],
    ['/targets.json', sign(targets)],
    ['/targets/trusted_root.json', tamper ? Buffer.concat([trustedRootBytes, Buffer.from(' ')]) : trustedRootBytes],
  ]);
  const rootFile = path.join(dir, 'root.json');
  fs.writeFileSync(rootFile, files.get('/1.root.json')!);
  const server = http.createServer((req, res) => {
    const body = files.get(req.url ?? '');
    if (body) res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    rootFile,
    dir,
    close: () => {
      server.close();
      server.closeAllConnections();
    },
  };
}

test('refresh: a trusted root from a (local) TUF repository is written and loads', async () => {
  const bytes = fs.readFileSync(shippedTrustedRootPath());
  const repo = await serveRepo(bytes);
  try {
    const out = path.join(repo.dir, 'cache');
    const r = await refreshTrustedRoot(out, repo.url, repo.rootFile);
    assert.equal(r.file, path.join(out, 'trusted_root.json'));
    assert.ok(r.tlogs >= 1 && r.certificateAuthorities >= 1);
    assert.equal(loadTrustedRoot(r.file).root.tlogs.length, r.tlogs);
  } finally {
    repo.close();
    fs.rmSync(repo.dir, { recursive: true, force: true });
  }
});

test('refresh: a target that does not match the signed metadata is refused', async () => {
  const repo = await serveRepo(fs.readFileSync(shippedTrustedRootPath()), true);
  try {
    const out = path.join(repo.dir, 'cache');
    await assert.rejects(refreshTrustedRoot(out, repo.url, repo.rootFile));
    assert.equal(fs.existsSync(path.join(out, 'trusted_root.json')), false);
  } finally {
    repo.close();
    fs.rmSync(repo.dir, { recursive: true, force: true });
  }
});

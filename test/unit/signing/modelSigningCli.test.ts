import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { signPath, verifyPath } from '../../../src/core/signing/index.ts';
import { buildOmsStatement, omsKeyBundle } from '../../../src/core/signing/modelSigning.ts';
import { SHARED } from '../helpers.ts';

/**
 * Interop with the real OpenSSF model_signing 1.1.1 (../shared/tools/model-signing), key mode, in
 * both directions: what we sign it verifies, what it signs we verify, and both refuse the same
 * tampering. Skipped with the reason when the tool or its Python is not there.
 */

const MS_DIR = path.join(SHARED, 'tools', 'model-signing');
const MS = path.join(MS_DIR, 'ms');
const probe = fs.existsSync(MS) ? spawnSync(MS, ['--version'], { encoding: 'utf8' }) : undefined;
const skip = !probe
  ? `${MS} is absent (the real model_signing CLI is not beside this clone)`
  : probe.status !== 0
    ? `model_signing does not run here: ${(probe.stderr || probe.stdout).trim().split('\n').pop()}`
    : false;

function ms(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync(MS, args, { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

/** model_signing's Python API, for what its CLI does not offer (blake2). */
function msPython(code: string): { status: number | null; out: string } {
  const r = spawnSync('python3', ['-c', code], {
    encoding: 'utf8',
    env: { ...process.env, PYTHONPATH: path.join(MS_DIR, 'site'), PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION: 'python' },
  });
  return { status: r.status, out: r.stdout + r.stderr };
}

function keyPair(
  dir: string,
  curve: 'P-256' | 'P-384' = 'P-256',
): { priv: string; pub: string; key: crypto.KeyObject } {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: curve });
  const priv = path.join(dir, 'k.pem');
  const pub = path.join(dir, 'k.pub');
  fs.writeFileSync(priv, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  fs.writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }));
  return { priv, pub, key: privateKey };
}

function model(dir: string): string {
  const m = path.join(dir, 'model');
  fs.mkdirSync(path.join(m, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(m, 'model.safetensors'), crypto.randomBytes(3000));
  fs.writeFileSync(path.join(m, 'config.json'), '{"architectures": ["Bert"]}\n');
  fs.writeFileSync(path.join(m, 'sub', 'w.bin'), crypto.randomBytes(100));
  fs.writeFileSync(path.join(m, '.gitattributes'), '*.bin filter=lfs\n');
  return m;
}

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'mi-ms-cli-'));
}

for (const curve of ['P-256', 'P-384'] as const) {
  test(
    `model_signing 1.1.1 verifies the model.sig we write (${curve}), and refuses it once a file is added`,
    { skip },
    async () => {
      const dir = tmp();
      try {
        const k = keyPair(dir, curve);
        const m = model(dir);
        await signPath(m, k.key);
        const ok = ms('verify', 'key', '--signature', path.join(m, 'model.sig'), '--public_key', k.pub, m);
        assert.equal(ok.status, 0, ok.out);
        fs.writeFileSync(path.join(m, 'modeling_evil.py'), 'import os\n');
        const bad = ms('verify', 'key', '--signature', path.join(m, 'model.sig'), '--public_key', k.pub, m);
        assert.notEqual(bad.status, 0, 'model_signing must refuse it too');
        assert.match(bad.out, /modeling_evil\.py/);
        const ours = await verifyPath(m, { keys: [k.pub] });
        assert.equal(ours.verified, false);
        assert.deepEqual(ours.signatures[0].manifest?.extra, ['modeling_evil.py']);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );
}

test(
  'we verify the model.sig model_signing 1.1.1 writes, and name what changed, was added or removed',
  { skip },
  async () => {
    const dir = tmp();
    try {
      const k = keyPair(dir);
      const m = model(dir);
      const signed = ms('sign', 'key', '--private_key', k.priv, '--signature', path.join(m, 'model.sig'), m);
      assert.equal(signed.status, 0, signed.out);
      const ok = await verifyPath(m, { keys: [k.pub] });
      assert.equal(ok.verified, true, JSON.stringify(ok.signatures[0].failures));
      // .gitattributes is in model_signing's default ignore list: present, verified around, not covered.
      assert.deepEqual(ok.signatures[0].manifest?.ignored, ['.gitattributes']);
      assert.deepEqual(ok.signatures[0].manifest?.covered.sort(), ['config.json', 'model.safetensors', 'sub/w.bin']);
      fs.writeFileSync(path.join(m, 'config.json'), '{"auto_map": {}}\n');
      fs.writeFileSync(path.join(m, 'sub', 'new.py'), 'x');
      fs.rmSync(path.join(m, 'sub', 'w.bin'));
      const bad = await verifyPath(m, { keys: [k.pub] });
      assert.equal(bad.verified, false);
      const d = bad.signatures[0].manifest!;
      assert.deepEqual([d.changed, d.extra, d.missing], [['config.json'], ['sub/new.py'], ['sub/w.bin']]);
      assert.notEqual(
        ms('verify', 'key', '--signature', path.join(m, 'model.sig'), '--public_key', k.pub, m).status,
        0,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  'a one-file model signed by model_signing verifies here, and a change names the file, not "."',
  { skip },
  async () => {
    const dir = tmp();
    try {
      const k = keyPair(dir);
      const w = path.join(dir, 'w.safetensors');
      fs.writeFileSync(w, crypto.randomBytes(500));
      const sig = path.join(dir, 'w.model.sig');
      assert.equal(ms('sign', 'key', '--private_key', k.priv, '--signature', sig, w).status, 0);
      const ok = await verifyPath(w, { keys: [k.pub], signature: sig });
      assert.equal(ok.verified, true, JSON.stringify(ok.signatures[0]?.failures));
      fs.appendFileSync(w, 'x');
      const bad = await verifyPath(w, { keys: [k.pub], signature: sig });
      assert.equal(bad.verified, false);
      assert.deepEqual(bad.signatures[0].manifest?.changed, ['w.safetensors']);
      assert.ok(
        bad.findings.some((f) => f.message.includes('w.safetensors was changed')),
        JSON.stringify(bad.findings),
      );
      assert.ok(!bad.findings.some((f) => /: \. /.test(f.message)), 'no finding names "."');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('blake2: the "blake2b" hash name model_signing 1.1 writes is verified here', { skip }, async () => {
  const dir = tmp();
  try {
    const k = keyPair(dir);
    const m = model(dir);
    const r = msPython(
      `from model_signing import signing, hashing\nsigning.Config().use_elliptic_key_signer(private_key=${JSON.stringify(k.priv)}).set_hashing_config(hashing.Config().use_file_serialization(hashing_algorithm='blake2')).sign(${JSON.stringify(m)}, ${JSON.stringify(path.join(m, 'model.sig'))})`,
    );
    assert.equal(r.status, 0, r.out);
    assert.match(fs.readFileSync(path.join(m, 'model.sig'), 'utf8'), /"dsseEnvelope"/);
    const ok = await verifyPath(m, { keys: [k.pub] });
    assert.equal(ok.verified, true, JSON.stringify(ok.signatures[0].failures));
    assert.ok(ok.signatures[0].notes.some((n) => /blake2b/.test(n)));
    fs.writeFileSync(path.join(m, 'model.safetensors'), 'changed');
    assert.deepEqual((await verifyPath(m, { keys: [k.pub] })).signatures[0].manifest?.changed, ['model.safetensors']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test(
  'signatures that do not record their ignore paths (before model_signing 1.1): --ignore-paths, in both tools',
  { skip },
  async () => {
    const dir = tmp();
    try {
      const k = keyPair(dir);
      const m = model(dir);
      fs.mkdirSync(path.join(m, 'cache'));
      fs.writeFileSync(path.join(m, 'cache', 'tmp.bin'), 'not signed');
      // A statement shaped like model_signing 1.0's: the signer ignored cache/ but did not record it.
      const { payload } = await buildOmsStatement(m, { ignorePaths: ['cache'] });
      const st = JSON.parse(payload.toString('utf8'));
      delete st.predicate.serialization.ignore_paths;
      fs.writeFileSync(path.join(m, 'model.sig'), omsKeyBundle(Buffer.from(JSON.stringify(st, null, 2)), k.key));
      const without = await verifyPath(m, { keys: [k.pub] });
      assert.equal(without.verified, false);
      assert.ok(without.signatures[0].manifest?.extra.includes('cache/tmp.bin'));
      const withIgnore = await verifyPath(m, { keys: [k.pub], ignorePaths: ['cache'] });
      assert.equal(withIgnore.verified, true, JSON.stringify(withIgnore.signatures[0].failures));
      assert.ok(withIgnore.signatures[0].notes.some((n) => /not checked, as asked \(--ignore-paths\): cache/.test(n)));
      assert.deepEqual(withIgnore.signatures[0].manifest?.ignored, ['.gitattributes', 'cache']);
      const sig = path.join(m, 'model.sig');
      assert.notEqual(
        ms('verify', 'key', '--signature', sig, '--public_key', k.pub, m).status,
        0,
        'model_signing refuses it without the ignore paths too',
      );
      const msOk = ms(
        'verify',
        'key',
        '--signature',
        sig,
        '--public_key',
        k.pub,
        '--ignore-paths',
        path.join(m, 'cache'),
        m,
      );
      assert.equal(msOk.status, 0, msOk.out);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

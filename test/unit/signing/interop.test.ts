import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { signPath } from '../../../src/core/signing/index.ts';

/**
 * What model-inspect signs, re-checked by an independent implementation (Python `cryptography`
 * and `pathlib`, following model_signing's and cosign's verification rules): key hints, PAE, curve
 * hashes, PurePosixPath ordering, digests. Skipped when python3 with `cryptography` is absent.
 */

const SCRIPT = path.join(import.meta.dirname, 'interop', 'check_signatures.py');
const probe = spawnSync('python3', ['-c', 'import cryptography'], { encoding: 'utf8' });
const skip = probe.status === 0 ? false : 'python3 with the cryptography package is not available';

function py(...args: string[]): { status: number | null; out: string } {
  const r = spawnSync('python3', [SCRIPT, ...args], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

for (const curve of ['P-256', 'P-384'] as const) {
  test(
    `interop (${curve}): our model.sig and blob bundle pass an independent model_signing/cosign re-check`,
    { skip },
    async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-interop-'));
      try {
        const model = path.join(dir, 'model');
        fs.mkdirSync(path.join(model, 'a'), { recursive: true });
        fs.mkdirSync(path.join(model, '.github'));
        fs.writeFileSync(path.join(model, 'a', 'b.bin'), crypto.randomBytes(100));
        fs.writeFileSync(path.join(model, 'a.txt'), 'a');
        fs.writeFileSync(path.join(model, 'a-b.json'), '{}');
        fs.writeFileSync(path.join(model, 'Zeta.safetensors'), crypto.randomBytes(1000));
        fs.writeFileSync(path.join(model, 'ünïcode.txt'), 'u');
        fs.writeFileSync(path.join(model, '.github', 'x.yml'), 'ignored');
        const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: curve });
        const pub = path.join(dir, 'k.pub');
        fs.writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }));
        await signPath(model, privateKey);
        const m = py('model', model, pub);
        assert.equal(m.status, 0, m.out);
        if (curve === 'P-256') {
          const blob = path.join(dir, 'w.gguf');
          fs.writeFileSync(blob, crypto.randomBytes(5000));
          const res = await signPath(blob, privateKey);
          const b = py('blob', blob, res.signatureFile, pub);
          assert.equal(b.status, 0, b.out);
          fs.appendFileSync(blob, 'x');
          assert.notEqual(py('blob', blob, res.signatureFile, pub).status, 0, 'the re-check can fail');
        }
        fs.writeFileSync(path.join(model, 'a.txt'), 'changed');
        assert.notEqual(py('model', model, pub).status, 0, 'the re-check can fail');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  );
}

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { signPath, verifyPath } from '../../../src/core/signing/index.ts';
import { buildOmsStatement, omsKeyBundle, rootDigest, type Resource } from '../../../src/core/signing/modelSigning.ts';
import { resolveExpectations } from '../../../src/core/signing/expectations.ts';

/**
 * A model folder's author attacks the manifest and the names: hand-made manifests (the author
 * holds a key the user trusts, or replays parts of one), links, and names that look alike. Every
 * case must end NOT VERIFIED.
 */

function setup(): { dir: string; model: string; pub: string; key: crypto.KeyObject } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-manifest-'));
  const model = path.join(dir, 'model');
  fs.mkdirSync(model);
  fs.writeFileSync(path.join(model, 'a.bin'), 'aaaa');
  fs.writeFileSync(path.join(model, 'café.txt'.normalize('NFC')), 'c');
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pub = path.join(dir, 'k.pub');
  fs.writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }));
  return { dir, model, pub, key: privateKey };
}

/** Signs a statement whose resources the test rewrote (root digest recomputed, so only the names are wrong). */
async function signEdited(
  model: string,
  key: crypto.KeyObject,
  edit: (r: Resource[]) => Resource[],
  ser: Record<string, unknown> = {},
): Promise<void> {
  const { payload } = await buildOmsStatement(model);
  const st = JSON.parse(payload.toString('utf8'));
  st.predicate.resources = edit(st.predicate.resources);
  Object.assign(st.predicate.serialization, ser);
  st.subject[0].digest.sha256 = rootDigest(st.predicate.resources);
  fs.writeFileSync(path.join(model, 'model.sig'), omsKeyBundle(Buffer.from(JSON.stringify(st, null, 2)), key));
}

const verify = (model: string, pub: string) => verifyPath(model, { keys: [pub] });

test('manifests with ./a, a/../a, /a, a//b or a name listed twice are refused', async () => {
  const s = setup();
  try {
    const cases: [string, (r: Resource[]) => Resource[], RegExp][] = [
      ['./a', (r) => r.map((x) => (x.name === 'a.bin' ? { ...x, name: './a.bin' } : x)), /not a plain relative path/],
      [
        'a/../a',
        (r) => r.map((x) => (x.name === 'a.bin' ? { ...x, name: 'x/../a.bin' } : x)),
        /not a plain relative path/,
      ],
      [
        '/a',
        (r) => r.map((x) => (x.name === 'a.bin' ? { ...x, name: `${s.model}/a.bin` } : x)),
        /not a plain relative path/,
      ],
      ['a//b', (r) => [...r, { ...r[0], name: 'sub//a.bin' }], /not a plain relative path/],
      ['duplicate', (r) => [...r, { ...r[0], digest: '00'.repeat(32) }], /listed twice/],
      ['empty', () => [], /lists no files/],
    ];
    for (const [what, edit, why] of cases) {
      await signEdited(s.model, s.key, edit);
      const r = await verify(s.model, s.pub);
      assert.equal(r.verified, false, what);
      assert.match(r.signatures[0].failures.join('\n'), why, what);
    }
  } finally {
    fs.rmSync(s.dir, { recursive: true, force: true });
  }
});

test('case and Unicode-normalisation variants of a signed name do not verify', async () => {
  const s = setup();
  try {
    await signPath(s.model, s.key);
    assert.equal((await verify(s.model, s.pub)).verified, true);
    fs.renameSync(path.join(s.model, 'a.bin'), path.join(s.model, 'A.bin'));
    const c = await verify(s.model, s.pub);
    assert.equal(c.verified, false);
    assert.deepEqual([c.signatures[0].manifest?.extra, c.signatures[0].manifest?.missing], [['A.bin'], ['a.bin']]);
    fs.renameSync(path.join(s.model, 'A.bin'), path.join(s.model, 'a.bin'));
    fs.renameSync(path.join(s.model, 'café.txt'.normalize('NFC')), path.join(s.model, 'café.txt'.normalize('NFD')));
    const n = await verify(s.model, s.pub);
    assert.equal(n.verified, false, 'an NFD name is not the NFC name that was signed');
  } finally {
    fs.rmSync(s.dir, { recursive: true, force: true });
  }
});

test('links: refused unless the signature allows them, and then only to regular files inside the folder', async () => {
  const s = setup();
  try {
    const secret = path.join(s.dir, 'secret.env');
    fs.writeFileSync(secret, 'TOKEN=x\n');
    await signPath(s.model, s.key);
    // The author swaps a signed file for a link to the same bytes: model_signing refuses links.
    fs.copyFileSync(path.join(s.model, 'a.bin'), path.join(s.model, 'real.bin'));
    fs.rmSync(path.join(s.model, 'a.bin'));
    fs.symlinkSync('real.bin', path.join(s.model, 'a.bin'));
    const r = await verify(s.model, s.pub);
    assert.equal(r.verified, false);
    assert.match(r.signatures[0].failures.join('\n'), /a\.bin is a symbolic link; model signing refuses links/);
    // A manifest that allows links still cannot reach outside the folder.
    fs.rmSync(path.join(s.model, 'a.bin'));
    fs.rmSync(path.join(s.model, 'real.bin'));
    fs.copyFileSync(secret, path.join(s.model, 'a.bin'));
    await signEdited(s.model, s.key, (res) => res, { allow_symlinks: true });
    assert.equal((await verify(s.model, s.pub)).verified, true);
    fs.rmSync(path.join(s.model, 'a.bin'));
    fs.symlinkSync(secret, path.join(s.model, 'a.bin'));
    const out = await verify(s.model, s.pub);
    assert.equal(out.verified, false);
    assert.match(out.signatures[0].failures.join('\n'), /a\.bin is a symbolic link; it leads outside the model folder/);
  } finally {
    fs.rmSync(s.dir, { recursive: true, force: true });
  }
});

test('expectations: a key inside the inspected folder is refused, from any layer; the first layer naming signers wins', () => {
  const s = setup();
  try {
    const inside = resolveExpectations([{ origin: 'policy', source: 'p', baseDir: s.model, keys: ['attacker.pub'] }], {
      inspected: s.model,
    });
    assert.deepEqual(inside.signers.keys, []);
    assert.match(inside.refused[0], /inside the inspected folder/);
    const both = resolveExpectations(
      [
        {
          origin: 'policy',
          source: 'policy',
          baseDir: s.dir,
          keys: ['k.pub'],
          identities: [{ exact: 'x@y.z' }],
          issuers: [{ exact: 'https://i' }],
        },
        { origin: 'settings', source: 'settings', baseDir: s.dir, keys: ['other.pub'] },
      ],
      { inspected: s.model },
    );
    assert.deepEqual(both.signers.keys, [path.join(s.dir, 'other.pub')]);
    assert.deepEqual(both.signers.identities, [], "the policy's identities are not mixed into the settings' signers");
    assert.throws(
      () =>
        resolveExpectations([
          {
            origin: 'settings',
            source: 'settings',
            baseDir: s.dir,
            identities: [{ regexp: 'a)|(.*' }],
            issuers: [{ exact: 'i' }],
          },
        ]),
      /settings: invalid regular expression/,
    );
  } finally {
    fs.rmSync(s.dir, { recursive: true, force: true });
  }
});

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { analyzeModelCard } from '../../../src/core/modelcard/check.ts';
import { FileDigestCache, filesToCheck, localFileFindings } from '../../../src/core/modelcard/fileDigests.ts';
import { checkModelCardFile } from '../../../src/core/modelcard/inspector.ts';
import { applyFix, covered, ids, NOW, VALID_CARD } from './cards.ts';

const weights = Buffer.from('not really weights, but bytes all the same\n');
const realDigest = createHash('sha256').update(weights).digest('hex');

function folder(card: string): { dir: string; card: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-card-files-'));
  fs.writeFileSync(path.join(dir, 'model.safetensors'), weights);
  const file = path.join(dir, 'model-card.yaml');
  fs.writeFileSync(file, card);
  return { dir, card: file };
}

const withArtifacts = (hash: string, p = 'model.safetensors') =>
  VALID_CARD + `artifacts:\n  - path: "${p}"\n    hash: "${hash}"\n    format: safetensors\n`;

test('an artifact digest that matches the file next to the card: no finding', async () => {
  const { card } = folder(withArtifacts(`sha256:${realDigest}`));
  assert.deepEqual((await checkModelCardFile(card, { now: NOW })).findings, []);
});

test('a wrong digest for a local file is reported with the real one; the fix writes it', async () => {
  const wrong = `sha256:${'0f'.repeat(32)}`;
  const text = withArtifacts(wrong);
  const { card } = folder(text);
  const f = (await checkModelCardFile(card, { now: NOW })).findings;
  assert.deepEqual(ids(f), ['card/digest-mismatch']);
  assert.equal(covered(text, f[0]), `"${wrong}"`);
  assert.match(f[0].message, new RegExp(realDigest.slice(0, 12)));
  assert.equal(f[0].fixes?.[0].kind === 'edit' && f[0].fixes[0].isPreferred, false); // the file might be the tampered one
  const fixed = applyFix(text, f[0]);
  fs.writeFileSync(card, fixed);
  assert.deepEqual((await checkModelCardFile(card, { now: NOW })).findings, []);
});

test('a placeholder digest next to a real file: the preferred fix writes the real digest', async () => {
  const text = withArtifacts('sha256:abc123...');
  const { card } = folder(text);
  const f = (await checkModelCardFile(card, { now: NOW })).findings;
  assert.deepEqual(ids(f), ['card/digest-mismatch', 'card/placeholder-digest']);
  const mismatch = f.find((x) => x.ruleId === 'card/digest-mismatch')!;
  assert.equal(mismatch.fixes?.[0].kind === 'edit' && mismatch.fixes[0].isPreferred, true);
  assert.match(applyFix(text, mismatch), new RegExp(`hash: "sha256:${realDigest}"`));
});

test('a path that does not exist is reported; absolute paths and paths above the root are not followed', async () => {
  const { card, dir } = folder(withArtifacts(`sha256:${realDigest}`, 'missing.safetensors'));
  assert.deepEqual(ids((await checkModelCardFile(card, { now: NOW })).findings), ['card/missing-file']);
  // Outside the model folder: never read, only said to be unverified (without the root, the card's folder bounds it).
  fs.writeFileSync(card, withArtifacts(`sha256:${realDigest}`, '../outside/model.safetensors'));
  for (const root of [dir, undefined]) {
    const f = (await checkModelCardFile(card, { now: NOW, root })).findings;
    assert.deepEqual(
      f.map((x) => [x.ruleId, x.severity]),
      [['card/file-not-hashed', 'info']],
    );
    assert.match(f[0].message, /only files inside the model folder are read/);
  }
  fs.writeFileSync(card, withArtifacts(`sha256:${realDigest}`, '/etc/hostname'));
  assert.ok(
    !ids((await checkModelCardFile(card, { now: NOW })).findings).includes('card/digest-mismatch'),
    'an absolute path is never hashed',
  );
});

test('other shapes: a file name mapped to its digest, path + sha256 siblings in an unknown section', async () => {
  const text = VALID_CARD.replace(
    '    batch_size: 32\n',
    `    batch_size: 32\n      checksums:\n        model.safetensors: "sha256:${'0f'.repeat(32)}"\n`,
  );
  const { card } = folder(text);
  assert.deepEqual(ids((await checkModelCardFile(card, { now: NOW })).findings), ['card/digest-mismatch']);
});

test('hashing is cached by path, size and mtime; files over the limit and non-files are reported as not verified', async () => {
  const text = withArtifacts(`sha256:${realDigest}`);
  const { card, dir } = folder(text);
  const a = analyzeModelCard(text, card, { now: NOW });
  const cache = new FileDigestCache();
  assert.equal(await cache.refresh(filesToCheck(card, a)), true);
  assert.equal(await cache.refresh(filesToCheck(card, a)), false); // unchanged: nothing rehashed
  const st = cache.peek(path.join(dir, 'model.safetensors'));
  assert.equal(st?.kind === 'file' && st.sha256, realDigest);
  fs.writeFileSync(path.join(dir, 'model.safetensors'), 'changed');
  assert.equal(await cache.refresh(filesToCheck(card, a)), true);
  assert.equal(ids(localFileFindings(a.doc!, card, a, (p) => cache.peek(p)))[0], 'card/digest-mismatch');
  const small = new FileDigestCache();
  await small.refresh(filesToCheck(card, a), { maxHashBytes: 3 });
  assert.deepEqual(ids(localFileFindings(a.doc!, card, a, (p) => small.peek(p))), ['card/file-not-hashed']);
  fs.rmSync(path.join(dir, 'model.safetensors'));
  fs.mkdirSync(path.join(dir, 'model.safetensors'));
  const dirCache = new FileDigestCache();
  await dirCache.refresh(filesToCheck(card, a));
  assert.deepEqual(ids(localFileFindings(a.doc!, card, a, (p) => dirCache.peek(p))), ['card/file-not-hashed']);
});

test('the HF license_link to a local file is checked for existence', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-card-hf-'));
  const readme = path.join(dir, 'README.md');
  fs.writeFileSync(readme, '---\nlicense: other\nlicense_name: acme\nlicense_link: LICENSE.md\n---\n# x\n');
  assert.deepEqual(ids((await checkModelCardFile(readme)).findings), ['card/missing-file']);
  fs.writeFileSync(path.join(dir, 'LICENSE.md'), 'terms');
  assert.deepEqual((await checkModelCardFile(readme)).findings, []);
});

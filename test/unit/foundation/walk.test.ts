import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';
import { regularFileStat, walk } from '../../../src/core/fsutil/walk.ts';

function tree(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-walk-'));
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-walk-out-'));
  fs.writeFileSync(path.join(outside, 'secret.pt'), 'x');
  fs.mkdirSync(path.join(root, 'sub'));
  fs.writeFileSync(path.join(root, 'sub', 'a.safetensors'), 'abc');
  fs.mkdirSync(path.join(root, 'node_modules'));
  fs.writeFileSync(path.join(root, 'node_modules', 'hidden.pkl'), 'x');
  fs.symlinkSync('sub/a.safetensors', path.join(root, 'inside-link.bin'));
  fs.symlinkSync('node_modules/hidden.pkl', path.join(root, 'into-skipped.pt'));
  fs.symlinkSync(path.join(outside, 'secret.pt'), path.join(root, 'outside-link.pt'));
  fs.symlinkSync('nowhere', path.join(root, 'dangling.pt'));
  fs.symlinkSync('loop-b', path.join(root, 'loop-a'));
  fs.symlinkSync('loop-a', path.join(root, 'loop-b'));
  fs.symlinkSync('sub', path.join(root, 'dir-link'));
  fs.symlinkSync('..', path.join(root, 'sub', 'up'));
  execFileSync('mkfifo', [path.join(root, 'pipe.pt')]);
  return root;
}

test('walk: regular files listed; links inside followed as files; every other entry reported, never opened', async () => {
  const root = tree();
  const w = await walk(root);
  assert.deepEqual(
    w.files.map((f) => [f.rel, f.linkTarget ?? null, f.size]),
    [
      ['inside-link.bin', 'sub/a.safetensors', 3],
      ['into-skipped.pt', 'node_modules/hidden.pkl', 1],
      ['sub/a.safetensors', null, 3],
    ],
  );
  assert.deepEqual(
    w.special.map((s) => [s.rel, s.kind]),
    [['pipe.pt', 'fifo']],
  );
  assert.deepEqual(w.links.map((l) => [l.rel, l.reason]).sort(), [
    ['dangling.pt', 'dangling'],
    ['dir-link', 'directory'],
    ['loop-a', 'loop'],
    ['loop-b', 'loop'],
    ['outside-link.pt', 'outside-root'],
    ['sub/up', 'directory'],
  ]);
  assert.deepEqual(
    w.skipped.map((s) => [s.rel, s.entries]),
    [['node_modules', 1]],
  );
  assert.deepEqual(w.errors, []);
  assert.equal(w.truncated, undefined);
});

test('walk: limits end in truncated, a missing root in an error', async () => {
  const root = tree();
  const w = await walk(root, { maxFiles: 1 });
  assert.equal(w.files.length, 1);
  assert.match(w.truncated ?? '', /more than 1 files/);
  const missing = await walk(path.join(root, 'nope'));
  assert.equal(missing.files.length, 0);
  assert.equal(missing.errors.length, 1);
});

test('regularFileStat refuses FIFOs and devices without opening them', async () => {
  const root = tree();
  const fifo = await regularFileStat(path.join(root, 'pipe.pt'));
  assert.equal(fifo.ok, false);
  assert.match(fifo.ok ? '' : fifo.message, /fifo, not a regular file/);
  const dev = await regularFileStat('/dev/zero');
  assert.match(dev.ok ? '' : dev.message, /character device/);
  assert.equal((await regularFileStat(path.join(root, 'sub', 'a.safetensors'))).ok, true);
});

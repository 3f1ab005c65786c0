import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { BufferAccess, FileAccess } from '../../../src/core/scan/io/source.ts';
import { scanFile } from '../../../src/core/scan/scanner.ts';
import { REPO } from '../helpers.ts';

test('reads outside the source (negative or past the end) return nothing, for files and buffers alike', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mi-src-')), 'x.bin');
  fs.writeFileSync(file, Buffer.from('0123456789'));
  const fa = await FileAccess.open(file);
  try {
    for (const src of [fa, new BufferAccess(Buffer.from('0123456789'))]) {
      assert.equal((await src.read(-2, 4)).length, 0);
      assert.equal((await src.read(Number.NaN, 4)).length, 0);
      assert.equal((await src.read(10, 4)).length, 0);
      assert.equal((await src.read(8, 4)).toString(), '89');
    }
  } finally {
    await fa.close();
  }
});

test('a zip whose recorded offsets point before the file start is scanned, not stopped by an internal error', async () => {
  // A torch checkpoint with two bytes changed (found by fuzzing the converter): the local-header
  // offsets resolve to negative positions.
  const r = await scanFile(path.join(REPO, 'test', 'fixtures', 'scan', 'hostile', 'zip-negative-local-offset.pt'));
  assert.ok(!r.findings.some((f) => /internal error/.test(f.message)), JSON.stringify(r.findings));
  assert.ok(r.findings.some((f) => f.ruleId === 'scan/incomplete' && /no local header/.test(f.message)));
  assert.equal(r.complete, false);
});

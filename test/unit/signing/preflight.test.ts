import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { safetensorsBytes } from '../helpers.ts';
import { describePreflight, preflightFlagged, signPreflight } from '../../../src/core/signing/preflight.ts';

/** What signing asks about first: content the scanner flags as dangerous or could not analyse. */

/** A protocol-2 pickle that calls os.system: what a malicious checkpoint holds. */
const EVIL_PICKLE = Buffer.from('\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03.', 'latin1');

function folder(files: Record<string, string | Buffer>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-preflight-'));
  for (const [rel, body] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), body);
  }
  return dir;
}

test('a clean model folder is not flagged (git metadata is no concern: it is never signed)', async () => {
  const dir = folder({
    'model.safetensors': safetensorsBytes(),
    'config.json': '{}',
    'README.md': '# m\n',
    '.git/objects/ab/cdef': Buffer.from([0x78, 0x01, 0xff, 0x00, 0x13]),
  });
  try {
    const p = await signPreflight(dir);
    assert.equal(preflightFlagged(p), false, describePreflight(p));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a dangerous pickle and unknown binary content are named', async () => {
  const dir = folder({
    'model.safetensors': safetensorsBytes(),
    'sub/extra.pkl': EVIL_PICKLE,
    'blob.dat': Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02, 0x03, 0xff, 0xfe]),
  });
  try {
    const p = await signPreflight(dir);
    assert.deepEqual(
      p.dangerous.map((x) => x.file),
      ['sub/extra.pkl'],
    );
    assert.deepEqual(
      p.unanalysed.map((x) => x.file),
      ['blob.dat'],
    );
    assert.match(describePreflight(p), /sub\/extra\.pkl as dangerous .*blob\.dat could not be analysed/);
    // A single file is judged too.
    const one = await signPreflight(path.join(dir, 'sub', 'extra.pkl'));
    assert.deepEqual(
      one.dangerous.map((x) => x.file),
      ['extra.pkl'],
    );
    // A clean weight file by itself is not flagged, and neither is text (no loader runs it).
    assert.equal(preflightFlagged(await signPreflight(path.join(dir, 'model.safetensors'))), false);
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'hello\n');
    assert.equal(preflightFlagged(await signPreflight(path.join(dir, 'notes.txt'))), false);
    // A weight file whose content is not a model is not analysed, named by itself too.
    fs.writeFileSync(path.join(dir, 'w.safetensors'), 'weights');
    assert.deepEqual(
      (await signPreflight(path.join(dir, 'w.safetensors'))).unanalysed.map((x) => x.file),
      ['w.safetensors'],
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

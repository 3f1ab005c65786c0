/**
 * Held-out scanner-bypass corpus (issue #11): test/fixtures/scan/heldout/files, written by
 * test/fixtures/scan/heldout/corpus.py from opcodes and container bytes (published bypasses of
 * picklescan, fickling, ModelScan and ModelAudit, plus benign real-world-shaped files). The files
 * are committed; `corpus.py verify` ran each with its real loader (verified.json: whether the
 * payload ran). Expectations are exact: the error rule ids each file gets, or why it is incomplete.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { runGate } from '../../../src/core/gate/index.ts';
import { scanFile, scanPaths } from '../../../src/core/scan/scanner.ts';
import type { FileScanResult } from '../../../src/core/scan/types.ts';
import { REPO } from '../helpers.ts';
import { python } from './python.ts';

const HELDOUT = path.join(REPO, 'test', 'fixtures', 'scan', 'heldout');

interface Entry {
  id: string;
  cls: string;
  kind: 'hostile' | 'benign';
  loader: string;
  source: string;
  name: string;
  file: string;
  size: number;
  /** Benign files whose imports are not on the allowlist (sklearn): a review warning, never an error. */
  expect_max?: 'review';
}

const manifest: Entry[] = JSON.parse(fs.readFileSync(path.join(HELDOUT, 'manifest.json'), 'utf8'));
const verified: Record<string, { verified: boolean | null; why?: string; load?: string }> = JSON.parse(
  fs.readFileSync(path.join(HELDOUT, 'verified.json'), 'utf8'),
);
const abs = (e: Entry) => path.join(HELDOUT, e.file);

const uniq = (xs: string[]) => [...new Set(xs)].sort();
/** One line per file: the error rule ids, else why it is incomplete, else its warnings, else clean. */
function verdict(r: FileScanResult): string {
  const errors = uniq(r.findings.filter((f) => f.severity === 'error').map((f) => f.ruleId));
  const warnings = uniq(r.findings.filter((f) => f.severity === 'warning').map((f) => f.ruleId));
  if (errors.length) return errors.join(' ');
  if (!r.complete) return `incomplete: ${warnings.join(' ')}`;
  if (warnings.length) return `review: ${warnings.join(' ')}`;
  return 'clean';
}
const blocks = (v: string) => v !== 'clean' && !v.startsWith('review:');

const D = 'scan/pickle-dangerous-import';
/** What each file must get. A hostile file must block (an error, or incomplete); a benign one must be clean. */
const EXPECTED: Record<string, string> = {
  'r1-p0-os-system': D,
  'r1-p0-posix-system': D,
  'r1-p2-py2-builtin-exec': D,
  'r1-p2-builtins-eval': D,
  'r1-p3-subprocess-call': D,
  'r1-p4-stack-global-os-system': D,
  'r1-p5-subprocess-run': D,
  'r1-p4-stack-global-binstring': D,
  'r1-p0-inst': D,
  'r1-p1-obj': D,
  'r1-binunicode8': D,
  'r1-runpy-run-code': D,
  'r1-py2-commands': D,
  'r1-os-popen': D,
  'r1-os-execv': D,
  'r1-no-proto-stack-global-first': D,
  'r7-getattr-import-memo': 'scan/pickle-dangerous-import scan/pickle-unsafe-call',
  'r2-sour-compile-eval': D,
  'r7-operator-attrgetter': 'scan/pickle-dangerous-import scan/pickle-unsafe-call',
  'r7-operator-methodcaller': 'scan/pickle-dangerous-import scan/pickle-unsafe-call',
  'r7-functools-partial': 'scan/pickle-dangerous-import scan/pickle-unsafe-call',
  'r7-importlib-getattr-static': 'scan/pickle-dangerous-import scan/pickle-unsafe-call',
  'r7-pkgutil-resolve-name': 'scan/pickle-dangerous-import scan/pickle-unsafe-call',
  'r7-marshal-functiontype': 'scan/pickle-dangerous-import scan/pickle-unsafe-call',
  'r7-pydoc-locate': 'scan/pickle-dangerous-import scan/pickle-unsafe-call',
  'r7-code-runsource': D,
  'r7-timeit': D,
  'r7-cprofile-run': D,
  'r7-profile-run': D,
  'r7-bdb-run': D,
  'r7-trace-run': D,
  'r7-doctest-docstring': D,
  'r7-numpy-runstring': D,
  'r7-uuid-command-stdout': D,
  'r7-osx-support-read-output': D,
  'r7-imaplib-stream': D,
  'r7-spawnv-passfds': D,
  'r7-distutils-write-file': D,
  'r7-venv-create': D,
  'r7-pip-main-log': D,
  'r7-lib2to3-grammar-loads': D,
  'r7-unittest-testprogram-obj': D,
  'r7-unittest-testprogram-reduce': D,
  'r7-logging-filehandler': D,
  'r7-gzip-gzipfile': D,
  'r7-bz2-bz2file': D,
  'r7-zipfile-zipfile': D,
  'r7-tarfile-tarfile': D,
  'r7-sqlite3-connect': D,
  'r7-io-fileio': D,
  'r7-builtins-open': D,
  'r7-shutil-copyfile': D,
  'r7-pathlib-write-text': 'scan/pickle-unsafe-call',
  'r7-pathlib-touch': 'scan/pickle-unsafe-call',
  'r7-codecs-open': D,
  'r7-dbm-dumb-open': D,
  'r7-reconstructor-popen': D,
  'r7-ctypes-cdll': 'scan/pickle-dangerous-import scan/pickle-unsafe-call',
  'r7-rot13-computed-import': 'scan/pickle-computed-import scan/pickle-unsafe-call',
  'r6-pathlib-os-system': D,
  'r6-global-eval-call-p5': D,
  'r6-asyncio-submodule': D,
  'r5-build-poisons-module': 'scan/pickle-dangerous-import scan/pickle-global-mutation',
  'r8-pickle-loads-bytes': D,
  'r8-codecs-latin1': D,
  'r8-base64': 'scan/pickle-dangerous-import scan/pickle-unsafe-call',
  'r8-zlib': 'scan/pickle-dangerous-import scan/pickle-unsafe-call',
  'r8-memo-literal': D,
  'r8-protocol0-inner': D,
  'r3-memo-confusion': D,
  'r10-payload-then-invalid': D,
  'r10-payload-then-truncated': D,
  'route-first-opcode-newtrue': D,
  'route-first-opcode-binint2': D,
  'route-first-opcode-short-binunicode': D,
  'route-first-opcode-short-binbytes': D,
  'route-first-opcode-none': D,
  'route-first-opcode-empty-dict': D,
  'route-first-opcode-frame': D,
  'route-int-underscore': D,
  'route-int-hex': D,
  'route-long-first-unicode': D,
  'route-long-first-binunicode': D,
  'route-long-command-line': D,
  'route-as-notes-txt': D,
  'route-as-config-json': D,
  'route-as-safetensors': D,
  'route-as-pth-tar': D,
  'route-extensionless': D,
  'route-npy-named-pickle': D,
  'mark-run-10m': D,
  'many-pickles-then-payload': D,
  'r9-benign-then-payload': D,
  'frame-huge-after-payload': 'scan/pickle-dangerous-import scan/pickle-frame-violation',
  'r11-frame-straddle': D,
  'proto-misplaced': D,
  'npy-object': D,
  'npy-object-descr-object': D,
  'npy-object-u-prefix': D,
  'npy-object-duplicate-descr': D,
  'npy-object-escaped-descr': D,
  'npy-object-structured-lt': D,
  'npy-object-v3': D,
  'npy-object-big-header': D,
  'npy-object-shape-expr': D,
  'npz-object': D,
  'npz-object-deflated': D,
  'npz-member-not-npy': D,
  'joblib-array-then-payload': D,
  'joblib-dtype-float64-name': D,
  'joblib-dtype-lt-f8': D,
  'joblib-dtype-d': D,
  'joblib-unaligned': D,
  'joblib-zlib': D,
  'joblib-gzip': D,
  'joblib-bz2': D,
  'joblib-xz': D,
  'joblib-lzma': D,
  'joblib-lzma-dict-2k': D,
  'joblib-lzma-dict-3k': D,
  'joblib-zf-legacy': D,
  'joblib-zf-no-0x': D,
  'joblib-zf-upper': D,
  'joblib-lz4': 'incomplete: scan/incomplete',
  'wrap-gzip': D,
  'wrap-gzip-split-members': D,
  'wrap-gzip-zero-padding': D,
  'wrap-gzip-benign-then-payload': D,
  'wrap-bz2-streams': D,
  'wrap-xz-streams': D,
  'wrap-lzma-alone': D,
  'wrap-gzip-in-zip': D,
  'zip-data-pkl': D,
  'zip-data-txt-p0': D,
  'zip-flag-0x1': D,
  'zip-flag-0x20': D,
  'zip-crc': D,
  'zip-name-mismatch': D,
  'zip-pickle-in-config': D,
  'zip-eocd-prefix': D,
  'zip-nested-zip': D,
  'torch-legacy-object': D,
  'torch-legacy-magic-eval': D,
  'ts-setstate': 'scan/torchscript-code',
  'gguf-ssti-plain': 'scan/gguf-chat-template',
  'gguf-ssti-hex-escapes': 'scan/gguf-chat-template',
  'gguf-ssti-concat': 'scan/gguf-chat-template',
  'gguf-ssti-second-template': 'scan/gguf-chat-template',
  'keras-lambda': 'scan/keras-lambda',
  'keras-lambda-escaped': 'scan/keras-lambda',
  'b-list-p0': 'clean',
  'b-dict-p1': 'clean',
  'b-tuple-set-p4': 'clean',
  'b-bytes-p5': 'clean',
  'b-ordereddict-p2': 'clean',
  'b-counter-deque': 'clean',
  'b-datetime-decimal': 'clean',
  'b-complex-bytearray': 'clean',
  'b-codecs-encode': 'clean',
  'b-argparse-namespace': 'clean',
  'b-numpy-pickle-core': 'clean',
  'b-numpy-pickle-_core': 'clean',
  'b-torch-state-dict': 'clean',
  'b-torch-state-dict-pt': 'clean',
  'b-torch-legacy': 'clean',
  'b-npy-f8': 'clean',
  'b-npy-structured': 'clean',
  'b-npy-unicode': 'clean',
  'b-npz': 'clean',
  'b-joblib-array': 'clean',
  'b-joblib-array-zlib': 'clean',
  'b-sklearn-like': 'review: scan/pickle-unknown-import',
  'b-random-state': 'clean',
  'b-safetensors': 'clean',
  'b-safetensors-empty-tensor': 'clean',
  'b-gguf-llama3': 'clean',
  'b-gguf-chatml': 'clean',
  'b-gzip-pickle': 'clean',
  'b-bz2-pickle': 'clean',
  'b-long-strings': 'clean',
  'b-float-list': 'clean',
  'b-int-literals-p0': 'clean',
  'b-readme': 'clean',
  'b-config-json': 'clean',
};

describe('held-out scanner-bypass corpus', () => {
  test('size and provenance: at least 100 hostile and 30 benign files; every hostile payload ran in its real loader where that loader is installed', () => {
    const hostile = manifest.filter((e) => e.kind === 'hostile');
    const benign = manifest.filter((e) => e.kind === 'benign');
    assert.ok(hostile.length >= 100, `${hostile.length} hostile`);
    assert.ok(benign.length >= 30, `${benign.length} benign`);
    for (const e of hostile) {
      const v = verified[e.id];
      assert.ok(v, `${e.id} has a loader record`);
      assert.notEqual(v.verified, false, `${e.id}: the payload did not run in ${e.loader} (${v.load})`);
    }
    assert.ok(
      hostile.filter((e) => verified[e.id].verified === true).length >= 100,
      'at least 100 payloads were seen running',
    );
    for (const e of benign) assert.notEqual(verified[e.id].verified, true, `${e.id} is benign but wrote its marker`);
    assert.deepEqual(Object.keys(EXPECTED).sort(), manifest.map((e) => e.id).sort(), 'one expectation per file');
    for (const e of manifest) {
      const want = EXPECTED[e.id];
      if (e.kind === 'hostile') assert.ok(blocks(want), `${e.id}: a hostile file is expected to block, not '${want}'`);
      else
        assert.ok(
          want === 'clean' || (e.expect_max === 'review' && want.startsWith('review:')),
          `${e.id}: a benign file is expected clean, not '${want}'`,
        );
    }
  });

  test('scan: every file gets exactly its expected verdict', async () => {
    const wrong: string[] = [];
    for (const e of manifest) {
      const got = verdict(await scanFile(abs(e)));
      if (got !== EXPECTED[e.id])
        wrong.push(`${e.id} (${e.kind}, ${e.source}): expected '${EXPECTED[e.id]}', got '${got}'`);
    }
    assert.deepEqual(wrong, []);
  });

  test('folder scan: every hostile file is picked by its content and blocks; benign files are clean and all analysed', async () => {
    for (const kind of ['hostile', 'benign'] as const) {
      const dir = path.join(HELDOUT, 'files', kind);
      const res = await scanPaths([dir]);
      const byPath = new Map(res.results.map((r) => [r.path, r]));
      const wrong: string[] = [];
      for (const e of manifest.filter((x) => x.kind === kind)) {
        const r = byPath.get(abs(e));
        if (kind === 'hostile' && !(r && blocks(verdict(r))))
          wrong.push(`${e.id}: ${r ? verdict(r) : 'not scanned in the folder'}`);
        if (kind === 'benign' && r && verdict(r) !== EXPECTED[e.id]) wrong.push(`${e.id}: ${verdict(r)}`);
      }
      assert.deepEqual(wrong, [], kind);
      if (kind === 'benign')
        assert.deepEqual(
          res.notAnalysed.map((n) => n.rel),
          [],
          'no benign file is left unanalysed',
        );
    }
  });

  test('gate (default policy): the scan check names every hostile file, and passes the benign folder', async () => {
    const hostile = await runGate(path.join(HELDOUT, 'files', 'hostile'), { search: false, tools: { pathEnv: '' } });
    const check = hostile.verdict.checks.find((c) => c.id === 'scan');
    assert.equal(check?.status, 'fail');
    const named = new Set(check!.findings.map((f) => f.file && path.resolve(f.file)));
    const missing = manifest.filter((e) => e.kind === 'hostile' && !named.has(abs(e))).map((e) => e.id);
    assert.deepEqual(missing, [], 'every hostile file blocks the gate');
    const benign = await runGate(path.join(HELDOUT, 'files', 'benign'), { search: false, tools: { pathEnv: '' } });
    const ok = benign.verdict.checks.find((c) => c.id === 'scan');
    assert.equal(ok?.status, 'pass', JSON.stringify(ok?.findings.map((f) => f.message)));
  });

  test('the committed files are what corpus.py writes (same bytes; python3 3.11, as marshal output depends on the version)', (t) => {
    const py = python();
    const ver = py
      ? spawnSync(py, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' }).stdout.trim()
      : '';
    if (ver !== '3.11') {
      t.skip(py ? `python3 is ${ver}, not 3.11` : 'python3 is not installed');
      return;
    }
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'heldout-'));
    try {
      const r = spawnSync(py!, [path.join(HELDOUT, 'corpus.py'), 'build', out], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const built: Entry[] = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
      assert.deepEqual(built, manifest);
      for (const e of built)
        assert.ok(
          fs.readFileSync(path.join(out, e.file)).equals(fs.readFileSync(abs(e))),
          `${e.file} differs from the generator's output`,
        );
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});

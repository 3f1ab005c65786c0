import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { peekJsonKind } from '../../../src/core/sbom/discover.ts';
import { locateTools, runGrype } from '../../../src/core/tools/external.ts';
import { findExecutable } from '../../../src/core/tools/locate.ts';
import { runTool, ToolRunError } from '../../../src/core/tools/run.ts';
import { parseCycloneDxVulnerabilities, parseGrypeJson, parseTrivyJson } from '../../../src/core/tools/vulnerabilities.ts';

const FIX = path.join(import.meta.dirname, 'fixtures');
const json = (name: string): unknown => JSON.parse(fs.readFileSync(path.join(FIX, name), 'utf8'));

test('grype JSON: id, severity, package, version, fixed-in, purl; entries without an id are skipped', () => {
  const v = parseGrypeJson(json('grype.json'), 'grype.json');
  assert.equal(v.length, 2);
  assert.deepEqual(
    { id: v[0].id, severity: v[0].severity, package: v[0].package, version: v[0].version, fixedIn: v[0].fixedIn, purl: v[0].purl, scanner: v[0].scanner },
    { id: 'GHSA-pg7h-5qx3-wjr3', severity: 'critical', package: 'torch', version: '2.1.2', fixedIn: ['2.6.0'], purl: 'pkg:pypi/torch@2.1.2', scanner: 'grype' });
  assert.equal(v[1].severity, 'medium');
  assert.deepEqual(v[1].fixedIn, []);
  assert.throws(() => parseGrypeJson({ SchemaVersion: 2 }, 'x'), /not a grype/);
});

test('trivy JSON (schema 2 and the pre-0.20 bare array): comma-separated fixed versions split', () => {
  const v = parseTrivyJson(json('trivy.json'), 'trivy.json');
  assert.deepEqual(v.map((x) => [x.id, x.severity, x.package, x.version]), [
    ['CVE-2024-35195', 'medium', 'requests', '2.31.0'],
    ['CVE-2024-5480', 'high', 'torch', '2.1.2'],
  ]);
  assert.deepEqual(v[1].fixedIn, ['2.2.2', '2.3.0']);
  assert.equal(v[0].purl, 'pkg:pypi/requests@2.31.0');
  const legacy = parseTrivyJson(json('trivy-legacy.json'), 'legacy.json');
  assert.deepEqual(legacy.map((x) => [x.id, x.severity]), [['CVE-2019-6446', 'critical']]);
  assert.throws(() => parseTrivyJson({ matches: [] }, 'x'), /not a trivy/);
});

test('CycloneDX vulnerabilities: highest rating wins, affects resolved to components', () => {
  const v = parseCycloneDxVulnerabilities({
    bomFormat: 'CycloneDX', specVersion: '1.5',
    components: [{ 'bom-ref': 'pkg:pypi/numpy@1.16.0', name: 'numpy', version: '1.16.0', type: 'library' }],
    vulnerabilities: [{ id: 'CVE-2019-6446', ratings: [{ severity: 'medium' }, { severity: 'critical' }], affects: [{ ref: 'pkg:pypi/numpy@1.16.0' }] }],
  }, 'bom.json');
  assert.deepEqual(v.map((x) => [x.id, x.severity, x.package, x.version]), [['CVE-2019-6446', 'critical', 'numpy', '1.16.0']]);
});

test('report files are told apart by their first bytes', async () => {
  assert.equal(await peekJsonKind(path.join(FIX, 'grype.json')), 'grype');
  assert.equal(await peekJsonKind(path.join(FIX, 'trivy.json')), 'trivy');
  assert.equal(await peekJsonKind(path.join(FIX, 'trivy-legacy.json')), 'trivy');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-kind-'));
  fs.writeFileSync(path.join(dir, 'a.json'), '{"name":"x","matchesNothing":1}');
  assert.equal(await peekJsonKind(path.join(dir, 'a.json')), 'other');
});

/** A fake tool on a private PATH: a node script that prints a grype report or misbehaves on request. */
function fakeTool(name: string, body: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-tool-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!${process.execPath}\n${body}\n`);
  fs.chmodSync(file, 0o755);
  return dir;
}

test('the runner finds a tool on PATH, passes arguments without a shell and parses its JSON', { skip: process.platform === 'win32' && 'POSIX shebang scripts' }, async () => {
  const report = fs.readFileSync(path.join(FIX, 'grype.json'), 'utf8');
  const dir = fakeTool('grype', `
    const fs = require('node:fs');
    fs.writeFileSync(process.env.ARGS_OUT, JSON.stringify(process.argv.slice(2)));
    process.stdout.write(${JSON.stringify(report)});`);
  const argsOut = path.join(dir, 'args.json');
  const exe = await findExecutable('grype', { pathEnv: `relative-dir${path.delimiter}${dir}` });
  assert.equal(exe, path.join(dir, 'grype'));
  const hostile = path.join(dir, 'model dir; rm -rf $HOME `id`');
  const run = await runGrype(exe!, { dir: hostile }, { env: { ...process.env, ARGS_OUT: argsOut } });
  assert.equal(run.vulnerabilities.length, 2);
  assert.equal(run.raw, report);
  // the folder name arrives as one argument, uninterpreted
  assert.deepEqual(JSON.parse(fs.readFileSync(argsOut, 'utf8')), [`dir:${hostile}`, '-o', 'json', '-q']);
  const status = await locateTools({ pathEnv: dir });
  assert.equal(status.find((t) => t.id === 'grype')?.path, exe);
  assert.equal(status.find((t) => t.id === 'trivy')?.path, undefined);
  assert.match(status.find((t) => t.id === 'trivy')!.install, /trivy/);
});

test('the runner stops a tool at its time limit, on cancel, and reports a failing exit with stderr', { skip: process.platform === 'win32' && 'POSIX shebang scripts' }, async () => {
  const slow = path.join(fakeTool('slow', 'setTimeout(() => {}, 60_000);'), 'slow');
  const t0 = Date.now();
  await assert.rejects(runTool(slow, [], { timeoutMs: 300 }), (e: unknown) => e instanceof ToolRunError && e.reason === 'timeout');
  assert.ok(Date.now() - t0 < 10_000);
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 200);
  await assert.rejects(runTool(slow, [], { signal: ac.signal }), (e: unknown) => e instanceof ToolRunError && e.reason === 'cancelled');
  const failing = path.join(fakeTool('failing', 'process.stderr.write("db download failed\\n"); process.exit(3);'), 'failing');
  await assert.rejects(runTool(failing, []), (e: unknown) => e instanceof ToolRunError && e.reason === 'exit' && e.exitCode === 3 && /db download failed/.test(e.message));
  const ok = await runTool(failing, [], { okExitCodes: [0, 3] });
  assert.equal(ok.exitCode, 3);
  await assert.rejects(runTool(path.join(os.tmpdir(), 'no-such-tool-xyz'), []), (e: unknown) => e instanceof ToolRunError && e.reason === 'spawn');
});

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { peekJsonKind } from '../../../src/core/sbom/discover.ts';
import { locateTools, runGrype } from '../../../src/core/tools/external.ts';
import { findExecutable } from '../../../src/core/tools/locate.ts';
import { runTool, ToolRunError } from '../../../src/core/tools/run.ts';
import {
  parseCycloneDxVulnerabilities,
  parseGrypeJson,
  parseTrivyJson,
} from '../../../src/core/tools/vulnerabilities.ts';

const FIX = path.join(import.meta.dirname, 'fixtures');
const json = (name: string): unknown => JSON.parse(fs.readFileSync(path.join(FIX, name), 'utf8'));

test('grype JSON: id, severity, package, version, fixed-in, purl; entries without an id are skipped', () => {
  const v = parseGrypeJson(json('grype.json'), 'grype.json');
  assert.equal(v.length, 2);
  assert.deepEqual(
    {
      id: v[0].id,
      severity: v[0].severity,
      package: v[0].package,
      version: v[0].version,
      fixedIn: v[0].fixedIn,
      purl: v[0].purl,
      scanner: v[0].scanner,
    },
    {
      id: 'GHSA-pg7h-5qx3-wjr3',
      severity: 'critical',
      package: 'torch',
      version: '2.1.2',
      fixedIn: ['2.6.0'],
      purl: 'pkg:pypi/torch@2.1.2',
      scanner: 'grype',
    },
  );
  assert.equal(v[1].severity, 'medium');
  assert.deepEqual(v[1].fixedIn, []);
  assert.throws(() => parseGrypeJson({ SchemaVersion: 2 }, 'x'), /not a grype/);
});

test('trivy JSON (schema 2 and the pre-0.20 bare array): comma-separated fixed versions split', () => {
  const v = parseTrivyJson(json('trivy.json'), 'trivy.json');
  assert.deepEqual(
    v.map((x) => [x.id, x.severity, x.package, x.version]),
    [
      ['CVE-2024-35195', 'medium', 'requests', '2.31.0'],
      ['CVE-2024-5480', 'high', 'torch', '2.1.2'],
    ],
  );
  assert.deepEqual(v[1].fixedIn, ['2.2.2', '2.3.0']);
  assert.equal(v[0].purl, 'pkg:pypi/requests@2.31.0');
  const legacy = parseTrivyJson(json('trivy-legacy.json'), 'legacy.json');
  assert.deepEqual(
    legacy.map((x) => [x.id, x.severity]),
    [['CVE-2019-6446', 'critical']],
  );
  assert.throws(() => parseTrivyJson({ matches: [] }, 'x'), /not a trivy/);
});

test('CycloneDX vulnerabilities: highest rating wins, affects resolved to components', () => {
  const v = parseCycloneDxVulnerabilities(
    {
      bomFormat: 'CycloneDX',
      specVersion: '1.5',
      components: [{ 'bom-ref': 'pkg:pypi/numpy@1.16.0', name: 'numpy', version: '1.16.0', type: 'library' }],
      vulnerabilities: [
        {
          id: 'CVE-2019-6446',
          ratings: [{ severity: 'medium' }, { severity: 'critical' }],
          affects: [{ ref: 'pkg:pypi/numpy@1.16.0' }],
        },
      ],
    },
    'bom.json',
  );
  assert.deepEqual(
    v.map((x) => [x.id, x.severity, x.package, x.version]),
    [['CVE-2019-6446', 'critical', 'numpy', '1.16.0']],
  );
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
/** The contents of `file` once it exists (written by renaming, so never seen half-written). */
function whenFileAppears(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const watcher = fs.watch(path.dirname(file), () => look());
    watcher.on('error', reject);
    const look = (): void => {
      if (!fs.existsSync(file)) return;
      watcher.close();
      resolve(fs.readFileSync(file, 'utf8'));
    };
    look();
  });
}

function fakeTool(name: string, body: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-tool-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!${process.execPath}\n${body}\n`);
  fs.chmodSync(file, 0o755);
  return dir;
}

test(
  'the runner finds a tool on PATH, passes arguments without a shell and parses its JSON',
  { skip: process.platform === 'win32' && 'POSIX shebang scripts' },
  async () => {
    const report = fs.readFileSync(path.join(FIX, 'grype.json'), 'utf8');
    const dir = fakeTool(
      'grype',
      `
    const fs = require('node:fs');
    fs.writeFileSync(process.env.ARGS_OUT, JSON.stringify(process.argv.slice(2)));
    process.stdout.write(${JSON.stringify(report)});`,
    );
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
  },
);

test(
  'the runner stops a tool at its time limit, on cancel, and reports a failing exit with stderr',
  { skip: process.platform === 'win32' && 'POSIX shebang scripts' },
  async () => {
    // The fake tool does not exit on its own (for two minutes), so the runner settles only by killing
    // it: 'timeout' is given only for a child that died of a signal. The tool notes when it runs and
    // why it exits; the test waits for those notes, never for time to pass (a wall clock flakes).
    const dir = fakeTool(
      'slow',
      `const fs = require('node:fs');
    const note = (what, text) => { fs.writeFileSync(process.env.NOTE + what + '.tmp', text); fs.renameSync(process.env.NOTE + what + '.tmp', process.env.NOTE + what); };
    process.on('SIGTERM', () => { note('.exit', 'SIGTERM'); process.kill(process.pid, 'SIGKILL'); });
    note('.running', String(process.pid));
    setTimeout(() => { note('.exit', 'exited by itself'); process.exit(0); }, 120_000);`,
    );
    const slow = path.join(dir, 'slow');
    await assert.rejects(
      runTool(slow, [], { timeoutMs: 300, env: { ...process.env, NOTE: path.join(dir, 'run-1') } }),
      (e: unknown) => e instanceof ToolRunError && e.reason === 'timeout',
    );
    // Cancelled while it runs: the runner rejects, and the tool is stopped by the runner's signal.
    const ac = new AbortController();
    const note = path.join(dir, 'run-2');
    const running = whenFileAppears(`${note}.running`);
    const exited = whenFileAppears(`${note}.exit`);
    const cancelled = runTool(slow, [], { signal: ac.signal, env: { ...process.env, NOTE: note } });
    await running;
    ac.abort();
    await assert.rejects(cancelled, (e: unknown) => e instanceof ToolRunError && e.reason === 'cancelled');
    assert.equal(await exited, 'SIGTERM', 'the cancelled tool was not stopped by the runner');
    const failing = path.join(
      fakeTool('failing', 'process.stderr.write("db download failed\\n"); process.exit(3);'),
      'failing',
    );
    await assert.rejects(
      runTool(failing, []),
      (e: unknown) =>
        e instanceof ToolRunError && e.reason === 'exit' && e.exitCode === 3 && /db download failed/.test(e.message),
    );
    const ok = await runTool(failing, [], { okExitCodes: [0, 3] });
    assert.equal(ok.exitCode, 3);
    await assert.rejects(
      runTool(path.join(os.tmpdir(), 'no-such-tool-xyz'), []),
      (e: unknown) => e instanceof ToolRunError && e.reason === 'spawn',
    );
  },
);

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeSparseTorchZip } from '../bench-scan.ts';
import type { Benchmark } from '../bench.ts';

const REPO = path.resolve(import.meta.dirname, '..', '..');
const CLI = path.join(REPO, 'dist', 'cli.js');

/** Runs a whole process, as a shell would; the timings are its start-up plus its work. */
const spawn = (cmd: string, args: string[]) => () => {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  if (r.status !== 0 && r.status !== 1) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
};

/** Loads dist/extension.js as VS Code does (require), with a stand-in for the `vscode` module, and calls nothing. */
const LOAD_EXTENSION = `
const Module = require('node:module');
const load = Module._load;
const stub = () => new Proxy(function () {}, { get: (_t, k) => (k === Symbol.toPrimitive ? () => 0 : stub()), apply: () => stub(), construct: () => stub(), getPrototypeOf: () => proto });
const proto = new Proxy({}, { get: () => stub() });
Module._load = function (req, ...rest) { return req === 'vscode' ? stub() : load.call(this, req, ...rest); };
require(process.argv[1]);
`;

/**
 * Start-up, as a person meets it: whole processes of the CLI, and the load of the extension's
 * main file, each against Node's own start-up (`node -e 0`). picklescan is the yardstick of
 * `scan`'s issue; it is not installed here, so Python's start-up with the modules it scans with
 * stands in for its floor. The checkpoint is the scanner benchmark's 2 GB sparse PyTorch zip.
 */
export function startupBenchmarks(): Benchmark[] {
  if (!fs.existsSync(CLI)) throw new Error('dist/cli.js is missing: npm run bench builds it first');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-bench-startup-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const zip = path.join(dir, 'checkpoint.pt');
  writeSparseTorchZip(zip, 200, 10 * 1024 * 1024);
  const node = { name: 'node -e 0', run: spawn(process.execPath, ['-e', '0']) };
  const out: Benchmark[] = [
    { name: 'startup: model-inspect --version', baseline: node, run: spawn(process.execPath, [CLI, '--version']) },
    {
      name: 'startup: model-inspect scan (2 GB PyTorch zip checkpoint)',
      baseline: node,
      run: spawn(process.execPath, [CLI, 'scan', zip]),
    },
    {
      name: 'startup: model-inspect card (a model card)',
      baseline: node,
      run: spawn(process.execPath, [
        CLI,
        'card',
        path.join(REPO, 'examples', 'sentiment-classifier', 'model-card.yaml'),
      ]),
    },
    {
      name: 'startup: model-inspect verify (a signed model folder)',
      baseline: node,
      run: spawn(process.execPath, [CLI, 'verify', path.join(REPO, 'examples', 'sentiment-classifier-signed')]),
    },
    {
      name: 'startup: model-inspect gate (a signed model folder)',
      baseline: node,
      run: spawn(process.execPath, [CLI, 'gate', path.join(REPO, 'examples', 'sentiment-classifier-signed')]),
    },
    {
      name: "startup: require dist/extension.js (VS Code's code-loading part of activation)",
      baseline: node,
      run: spawn(process.execPath, ['-e', LOAD_EXTENSION, path.join(REPO, 'dist', 'extension.js')]),
    },
  ];
  if (spawnSync('python3', ['-c', 'import zipfile, pickletools'], { stdio: 'ignore' }).status === 0) {
    out.splice(2, 0, {
      name: 'startup: python3 -c "import zipfile, pickletools" (the floor of picklescan\'s process)',
      baseline: node,
      run: spawn('python3', ['-c', 'import zipfile, pickletools']),
    });
  }
  return out;
}

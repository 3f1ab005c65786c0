import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { P } from './build.ts';

/**
 * The real loaders, to prove a hand-made file is not only flagged but really executed: Debian's
 * python3 (scripts/setup-integration.sh installs python3-numpy and python3-joblib for CI). Tests
 * that need a module skip with a message when it is absent. The payloads only write a marker file
 * into a temp folder.
 */
const CANDIDATES = ['/usr/bin/python3', 'python3'];

let found: string | null | undefined;
export function python(): string | undefined {
  if (found !== undefined) return found ?? undefined;
  found = null;
  for (const c of CANDIDATES) {
    const r = spawnSync(c, ['-c', 'import pickle'], { encoding: 'utf8' });
    if (r.status === 0) {
      found = c;
      break;
    }
  }
  return found ?? undefined;
}

const modules = new Map<string, boolean>();
export function hasModule(name: string): boolean {
  const py = python();
  if (!py) return false;
  if (!modules.has(name)) modules.set(name, spawnSync(py, ['-c', `import ${name}`]).status === 0);
  return modules.get(name)!;
}

/** Why a loader check cannot run here, or false when it can. */
export function loaderSkip(...mods: string[]): string | false {
  if (!python()) return 'python3 is not installed: the real loader cannot be run here';
  const missing = mods.filter((m) => !hasModule(m));
  return missing.length
    ? `python3 has no ${missing.join(', ')} module here (scripts/setup-integration.sh installs numpy and joblib)`
    : false;
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'scan-loader-'));
}

/** `builtins.exec("open(MARKER,'w').write('ran')")` as protocol-0 opcodes, without STOP. */
export function markerCall(marker: string): Buffer {
  return new P()
    .global('builtins', 'exec')
    .mark()
    .unicode(`open(${JSON.stringify(marker)},'w').write('ran')`)
    .tuple()
    .reduce()
    .bytes();
}

/**
 * Runs `code` with python3 (the variable `path` holds `file`) and says whether the marker was
 * written. The loader may raise after running the payload (a broken pickle): that still counts.
 */
export function loaderRan(file: string, marker: string, code: string): { ran: boolean; output: string } {
  fs.rmSync(marker, { force: true });
  const script = `import sys\npath = sys.argv[1]\ntry:\n${code
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n')}\nexcept BaseException as e:\n    print('raised', type(e).__name__, e)\n`;
  // The working folder is the marker's, so payloads made ahead of time can write a relative marker.
  const r = spawnSync(python()!, ['-c', script, file], {
    encoding: 'utf8',
    timeout: 120_000,
    cwd: path.dirname(marker),
  });
  return { ran: fs.existsSync(marker), output: `${r.stdout}${r.stderr}` };
}

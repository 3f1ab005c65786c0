import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const REPO = path.resolve(import.meta.dirname, '..', '..');
export const SHARED = path.resolve(REPO, '..', 'shared');
export const SHARED_FIXTURES = path.join(SHARED, 'fixtures');

/**
 * Real third-party fixtures live beside the repo (../shared/fixtures), not in it. In a user's
 * clone they are absent: tests that need them skip and say so.
 */
export function sharedFixture(rel: string): { path: string; skip: false | string } {
  const p = path.join(SHARED_FIXTURES, rel);
  return fs.existsSync(p)
    ? { path: p, skip: false }
    : { path: p, skip: `shared fixture ${rel} is absent (../shared/fixtures is not beside this clone)` };
}

/** Runs the built CLI (dist/cli.js; `npm test` builds it first). */
export function cli(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; input?: string } = {},
): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(REPO, 'dist', 'cli.js'), ...args], {
    cwd: opts.cwd ?? REPO,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    input: opts.input,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A valid one-tensor safetensors file: clean content the scanner reads in full (signing asks about anything else). */
export function safetensorsBytes(): Buffer {
  const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }), 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([len, header, Buffer.alloc(4)]);
}

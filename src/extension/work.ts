import path from 'node:path';
import { DEFAULT_ENGINES } from '../core/gate/engines.ts';
import type { GateEngines } from '../core/gate/index.ts';

/**
 * The engine work the extension has done, counted per path: gate runs (per model folder),
 * signature verifications and weight-file scans (per file or folder verified or scanned). The
 * output channel reports it, and tests bound the work a user action costs with it (never time).
 */
export interface WorkCounts {
  gateRuns: number;
  verifications: number;
  scans: number;
  /** Scans under way now (started, not yet ended). */
  scansRunning: number;
}

const counts = new Map<string, WorkCounts>();

export function countWork(where: string, kind: keyof WorkCounts, n = 1): void {
  const key = path.resolve(where);
  const c = counts.get(key) ?? { gateRuns: 0, verifications: 0, scans: 0, scansRunning: 0 };
  c[kind] += n;
  counts.set(key, c);
}

/** The work done on `where` and everything below it. */
export function workUnder(where: string): WorkCounts {
  const root = path.resolve(where);
  const sum: WorkCounts = { gateRuns: 0, verifications: 0, scans: 0, scansRunning: 0 };
  for (const [p, c] of counts) {
    if (p !== root && !p.startsWith(root + path.sep)) continue;
    sum.gateRuns += c.gateRuns;
    sum.verifications += c.verifications;
    sum.scans += c.scans;
    sum.scansRunning += c.scansRunning;
  }
  return sum;
}

/** The gate's engines as the extension runs them: each verification and each scanned file counted. */
export const COUNTED_ENGINES: GateEngines = {
  ...DEFAULT_ENGINES,
  async verify(target, expectations, ctx) {
    countWork(target.root, 'verifications');
    return DEFAULT_ENGINES.verify!(target, expectations, ctx);
  },
  async scan(target, ctx) {
    const r = await DEFAULT_ENGINES.scan!(target, ctx);
    for (const f of r.files) countWork(f.path, 'scans');
    return r;
  },
};

import fs from 'node:fs';
import path from 'node:path';
import type { CodeServerRun } from './codeServer.ts';
import { OUTPUT_DIR } from './paths.ts';

export interface LayerResult {
  passed: number;
  failed: number;
  skipped: number;
}

/** The suite's last words: "N passed, N failed" (", N skipped" when mocha had pending tests). */
export function parseCounts(text: string): LayerResult | undefined {
  const all = [...text.matchAll(/(\d+) passed, (\d+) failed(?:, (\d+) skipped)?/g)];
  const m = all.at(-1);
  return m ? { passed: Number(m[1]), failed: Number(m[2]), skipped: Number(m[3] ?? 0) } : undefined;
}

/**
 * A failed run's evidence, copied out of the temp run folder (which stop() deletes) into
 * test/output/logs/<layer>/: code-server's log and VS Code's logs (extension host output,
 * window log). Returns the folder.
 */
export function keepFailureLogs(run: CodeServerRun, layer: string): string {
  const dest = path.join(OUTPUT_DIR, 'logs', layer);
  fs.rmSync(dest, { recursive: true, force: true });
  fs.mkdirSync(dest, { recursive: true });
  if (fs.existsSync(run.logFile)) fs.copyFileSync(run.logFile, path.join(dest, 'code-server.log'));
  if (fs.existsSync(run.vscodeLogs)) fs.cpSync(run.vscodeLogs, path.join(dest, 'vscode'), { recursive: true });
  return dest;
}

/** Removes the previous run's evidence of a layer, so test/output/ only shows the latest run. */
export function clearLayerOutput(layer: string, screenshotPrefix?: string): void {
  fs.rmSync(path.join(OUTPUT_DIR, 'logs', layer), { recursive: true, force: true });
  if (!screenshotPrefix || !fs.existsSync(OUTPUT_DIR)) return;
  for (const f of fs.readdirSync(OUTPUT_DIR)) {
    if (f.startsWith(screenshotPrefix) && f.endsWith('.png')) fs.rmSync(path.join(OUTPUT_DIR, f), { force: true });
  }
}

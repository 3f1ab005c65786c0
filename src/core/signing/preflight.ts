import fs from 'node:fs/promises';
import path from 'node:path';
import { scanPaths } from '../scan/scanner.ts';
import { GIT_PATHS } from './modelSigning.ts';
import { isWeightFile } from '../model/target.ts';

/**
 * What signing would vouch for: a signature tells everyone downstream "this is the model as I meant
 * it", so a folder the scanner flags, or holds content it could not analyse, is shown to the signer
 * before the signature is made (the CLI refuses without --allow-flagged, the editor asks).
 */

export interface PreflightItem {
  file: string;
  reason: string;
}

export interface SignPreflight {
  /** Files with an error finding from the scanner (code in a pickle, a dangerous import…). */
  dangerous: PreflightItem[];
  /** Content not analysed in full: incomplete scans, entries not analysed, read errors. */
  unanalysed: PreflightItem[];
}

/** Scans what is about to be signed. A single file is judged only when it is model content. */
export async function signPreflight(target: string, signal?: AbortSignal): Promise<SignPreflight> {
  const abs = path.resolve(target);
  const isDir = (await fs.stat(abs)).isDirectory();
  const root = isDir ? abs : path.dirname(abs);
  const rel = (p: string) => path.relative(root, p).split(path.sep).join('/') || path.basename(p);
  const r = await scanPaths([abs], {}, undefined, signal);
  const dangerous: PreflightItem[] = [];
  const unanalysed: PreflightItem[] = [];
  for (const f of r.results) {
    const bad = f.findings.find((x) => x.severity === 'error');
    if (bad) {
      dangerous.push({ file: rel(f.path), reason: bad.message });
      continue;
    }
    // A file named to be signed is scanned whatever it is; text is not "unanalysed" content, a weight file is.
    if (!f.complete && (isDir || f.format !== 'unknown' || isWeightFile(f.path)))
      unanalysed.push({ file: rel(f.path), reason: f.findings[0]?.message ?? 'not scanned in full' });
  }
  // Git metadata is never part of a model signature (model_signing's default), so it is no concern here.
  for (const n of r.notAnalysed)
    if (!GIT_PATHS.includes(n.rel.split('/')[0])) unanalysed.push({ file: rel(n.path), reason: n.detail });
  for (const e of r.errors) unanalysed.push({ file: rel(e.path), reason: e.message });
  return { dangerous, unanalysed };
}

export function preflightFlagged(p: SignPreflight): boolean {
  return p.dangerous.length > 0 || p.unanalysed.length > 0;
}

/** One sentence naming the flagged files (the first five of each kind). */
export function describePreflight(p: SignPreflight): string {
  const names = (xs: PreflightItem[]) =>
    xs
      .slice(0, 5)
      .map((x) => x.file)
      .join(', ') + (xs.length > 5 ? ` and ${xs.length - 5} more` : '');
  const parts: string[] = [];
  if (p.dangerous.length) parts.push(`the scanner flags ${names(p.dangerous)} as dangerous (${p.dangerous[0].reason})`);
  if (p.unanalysed.length) parts.push(`${names(p.unanalysed)} could not be analysed`);
  return parts.join('; ');
}

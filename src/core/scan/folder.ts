import path from 'node:path';
import { walk, type WalkResult } from '../fsutil/walk.ts';
import { FileAccess } from './io/source.ts';
import { SNIFF_BYTES, sniffContent } from './sniff.ts';
import type { ScanFormat } from './types.ts';
import { WEIGHT_EXTENSIONS } from './area.ts';

/** Extensions that promise model weights (the scan area's descriptor): such a file is always scanned, and unreadable ones are incomplete scans. */
export { WEIGHT_EXTENSIONS } from './area.ts';

/** Version-control data: never read (its objects are history, not what a loader opens), always reported. */
export const NEVER_READ_DIRS: ReadonlySet<string> = new Set(['.git', '.hg', '.svn']);

/** Content no loader runs: counted, not listed. */
const DATA_FORMATS: ReadonlySet<ScanFormat> = new Set(['text', 'json', 'empty']);

const WRAPPERS = new Set(['.tar', '.gz', '.tgz', '.bz2', '.xz', '.lzma', '.zip', '.7z', '.zst', '.lz4']);

/** A weight file by name: its last extension, or the one before a compression suffix (`model.pth.tar`, `clf.pkl.gz`). */
export function hasWeightExtension(p: string): boolean {
  const parts = path
    .basename(p)
    .toLowerCase()
    .split('.')
    .slice(1)
    .map((x) => `.${x}`);
  const last = parts[parts.length - 1];
  if (last === undefined) return false;
  if (WEIGHT_EXTENSIONS.includes(last)) return true;
  const before = parts[parts.length - 2];
  return WRAPPERS.has(last) && before !== undefined && WEIGHT_EXTENSIONS.includes(before);
}

/** Something in a scanned folder that was not analysed, and why. Listed with its size; the gate has a policy for them. */
export interface NotAnalysedEntry {
  path: string;
  /** Relative to the folder, forward slashes. */
  rel: string;
  size: number;
  kind: 'unknown-content' | 'special-file' | 'link' | 'excluded-folder' | 'unreadable';
  /** In words: what it is and why it was not analysed. */
  detail: string;
}

export interface PlannedFile {
  path: string;
  rel: string;
  size: number;
  /** What content sniffing took it to be. */
  format: ScanFormat;
  /** Reached through a symbolic link inside the folder: the target, relative to the folder. */
  linkTarget?: string;
}

export interface ScanPlan {
  /** Files to scan: every file whose content is a model or container format, and every weight-named file. */
  files: PlannedFile[];
  /** Weight-named entries that cannot be scanned (links out of the folder, FIFOs, devices, unreadable): incomplete, never clean. */
  unscannable: { path: string; rel: string; reason: string }[];
  /** Text, JSON and empty files: no loader runs them. */
  dataFiles: number;
  notAnalysed: NotAnalysedEntry[];
  /** Why the walk stopped early, if it did: the scan is then incomplete. */
  truncated?: string;
}

const NATIVE_MAGIC: [Buffer, string][] = [
  [Buffer.from('7f454c46', 'hex'), 'an ELF executable or shared library'],
  [Buffer.from('cafebabe', 'hex'), 'a Mach-O universal binary or Java class'],
  [Buffer.from('feedfacf', 'hex'), 'a Mach-O binary'],
  [Buffer.from('cffaedfe', 'hex'), 'a Mach-O binary'],
  [Buffer.from('4d5a', 'hex'), 'a Windows executable or DLL'],
];

/** The format of a regular file, by content: container magics and a real pickle probe (see sniff.ts). */
export async function classifyFile(file: string): Promise<{ format: ScanFormat; size: number; detail?: string }> {
  const src = await FileAccess.open(file);
  try {
    const head = await src.read(0, Math.min(SNIFF_BYTES, src.size));
    const { format } = await sniffContent(head, src.size, { src });
    const native = format === 'unknown' ? NATIVE_MAGIC.find(([m]) => head.subarray(0, m.length).equals(m)) : undefined;
    return { format, size: src.size, ...(native ? { detail: native[1] } : {}) };
  } finally {
    await src.close();
  }
}

export interface PlanOptions {
  signal?: AbortSignal;
  maxFiles?: number;
  /** A walk the caller already did (with the default skip list); else the folder is walked here. */
  walked?: WalkResult;
}

/**
 * What to scan in a folder, decided by content for every regular file. Folders the default walk
 * skips (`node_modules`, `venv`, `__pycache__` …) are walked too, since a loader can open files
 * there; version-control folders are reported, never read. Links leaving the folder, special files
 * and unreadable entries are listed, never opened.
 */
export async function planFolder(root: string, options: PlanOptions = {}): Promise<ScanPlan> {
  const absRoot = path.resolve(root);
  const maxFiles = options.maxFiles ?? 100_000;
  const first = options.walked ?? (await walk(absRoot, { maxFiles }));
  const plan: ScanPlan = { files: [], unscannable: [], dataFiles: 0, notAnalysed: [] };
  const relOf = (p: string) => path.relative(absRoot, p).split(path.sep).join('/');
  const walks: WalkResult[] = [first];
  let budget = maxFiles - first.files.length;
  let truncated = first.truncated;
  // Skipped folders, breadth first: each is walked with only version-control folders skipped.
  const queue = [...first.skipped];
  while (queue.length) {
    const s = queue.shift()!;
    if (NEVER_READ_DIRS.has(path.basename(s.path))) {
      plan.notAnalysed.push({
        path: s.path,
        rel: relOf(s.path),
        size: 0,
        kind: 'excluded-folder',
        detail: `version-control folder with ${s.entries} entr${s.entries === 1 ? 'y' : 'ies'}: not read`,
      });
      continue;
    }
    if (budget <= 0) {
      truncated ??= `more than ${maxFiles} files; the rest were not read`;
      break;
    }
    const w = await walk(s.path, { maxFiles: budget, skipDirs: NEVER_READ_DIRS });
    budget -= w.files.length;
    truncated ??= w.truncated;
    walks.push(w);
    queue.push(...w.skipped);
  }
  if (truncated) plan.truncated = truncated;
  for (const w of walks) {
    for (const f of w.files) {
      options.signal?.throwIfAborted();
      const rel = relOf(f.path);
      const weight = hasWeightExtension(f.path);
      let c: Awaited<ReturnType<typeof classifyFile>>;
      try {
        c = await classifyFile(f.path);
      } catch (e) {
        const message = (e as Error).message;
        if (weight) plan.unscannable.push({ path: f.path, rel, reason: `could not be read: ${message}` });
        else
          plan.notAnalysed.push({
            path: f.path,
            rel,
            size: f.size,
            kind: 'unreadable',
            detail: `could not be read: ${message}`,
          });
        continue;
      }
      const linkTarget = f.linkTarget !== undefined ? { linkTarget: f.linkTarget } : {};
      if (weight || !(DATA_FORMATS.has(c.format) || c.format === 'unknown')) {
        plan.files.push({ path: f.path, rel, size: c.size, format: c.format, ...linkTarget });
      } else if (c.format === 'unknown') {
        plan.notAnalysed.push({
          path: f.path,
          rel,
          size: c.size,
          kind: 'unknown-content',
          detail: c.detail
            ? `${c.detail}: not analysed`
            : 'binary content of no format this scanner knows (not a pickle, archive or weight format): not analysed',
        });
      } else plan.dataFiles++;
    }
    for (const l of w.links) {
      const why =
        l.reason === 'outside-root'
          ? `links outside the folder (to ${l.target}): not followed`
          : l.reason === 'dangling'
            ? `is a dangling link (to ${l.target})`
            : l.reason === 'loop'
              ? `is a link loop (${l.target})`
              : l.reason === 'directory'
                ? `links to the folder ${l.target}, whose files are scanned where they are`
                : `links to a FIFO, socket or device (${l.target}): not opened`;
      if (l.reason === 'directory') continue;
      const rel = relOf(l.path);
      if (hasWeightExtension(l.path))
        plan.unscannable.push({ path: l.path, rel, reason: `${why}; a loader would open what it points to` });
      else plan.notAnalysed.push({ path: l.path, rel, size: 0, kind: 'link', detail: why });
    }
    for (const sp of w.special) {
      const rel = relOf(sp.path);
      const why = `is a ${sp.kind.replace('-', ' ')}, not a regular file: not opened`;
      if (hasWeightExtension(sp.path)) plan.unscannable.push({ path: sp.path, rel, reason: why });
      else plan.notAnalysed.push({ path: sp.path, rel, size: 0, kind: 'special-file', detail: why });
    }
    for (const e of w.errors) {
      const rel = relOf(e.path);
      if (hasWeightExtension(e.path))
        plan.unscannable.push({ path: e.path, rel, reason: `could not be read: ${e.message}` });
      else
        plan.notAnalysed.push({
          path: e.path,
          rel,
          size: 0,
          kind: 'unreadable',
          detail: `could not be read: ${e.message}`,
        });
    }
  }
  const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  plan.files.sort(byPath);
  plan.unscannable.sort(byPath);
  plan.notAnalysed.sort(byPath);
  return plan;
}

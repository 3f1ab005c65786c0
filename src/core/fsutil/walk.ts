import fs from 'node:fs/promises';
import type { Dirent, Stats } from 'node:fs';
import path from 'node:path';

export interface WalkEntry {
  /** Absolute path (for a file reached through a link: the link's own path, which opens the target). */
  path: string;
  /** Path relative to the walk's root, with forward slashes. */
  rel: string;
  size: number;
  /** Set when the entry is a symbolic link inside the root that was followed: the target, relative to the root. */
  linkTarget?: string;
}

/** A file that is not a regular file or folder: never opened for reading (a FIFO blocks, a device never ends). */
export interface WalkSpecial {
  path: string;
  rel: string;
  kind: SpecialKind;
}
export type SpecialKind = 'fifo' | 'socket' | 'character-device' | 'block-device' | 'unknown';

/** A symbolic link that was not followed, and why. Links that resolve inside the root are followed and listed as files. */
export interface WalkLink {
  path: string;
  rel: string;
  /** What readlink says. */
  target: string;
  /**
   * outside-root: the real target is outside the walk's root (never followed); directory: a link to a
   * folder inside the root, whose files are listed where they really are; special: a link to a FIFO,
   * socket or device.
   */
  reason: 'outside-root' | 'dangling' | 'loop' | 'directory' | 'special';
}

/** A folder not entered because its name is in `skipDirs`; `entries` is how many names it directly holds. */
export interface WalkSkipped {
  path: string;
  rel: string;
  entries: number;
}

export interface WalkOptions {
  /** Folder names never entered (they are still listed in `skipped`, so a caller can report them). */
  skipDirs?: ReadonlySet<string>;
  maxFiles?: number;
  maxDepth?: number;
  /** Follow symbolic links whose target is inside the root (default true). Links leaving the root are never followed. */
  followLinksInside?: boolean;
  /** Paths (relative, forward slashes) neither entered nor listed anywhere: a caller's ignore list (model_signing's ignore paths). */
  ignore?: (rel: string) => boolean;
}

export interface WalkResult {
  files: WalkEntry[];
  /** Why the walk stopped early, if it did (the caller reports it: an incomplete walk is never "clean"). */
  truncated?: string;
  /** Entries that could not be read (permissions, races). A caller must treat them as "not inspected". */
  errors: { path: string; rel: string; message: string }[];
  special: WalkSpecial[];
  links: WalkLink[];
  skipped: WalkSkipped[];
}

export const DEFAULT_SKIP_DIRS: ReadonlySet<string> = new Set([
  '.git',
  'node_modules',
  '.hg',
  '.svn',
  '__pycache__',
  '.venv',
  'venv',
  '.tox',
  '.mypy_cache',
  '.code-server',
]);

export function specialKind(st: Stats | Dirent): SpecialKind {
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'character-device';
  if (st.isBlockDevice()) return 'block-device';
  return 'unknown';
}

const toRel = (root: string, abs: string): string => path.relative(root, abs).split(path.sep).join('/');

function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Everything under `root`, sorted. Regular files are listed; special files, links that leave the
 * root, skipped folders and unreadable entries are listed separately so that no caller can take
 * "not looked at" for "not there". A symbolic link to a regular file inside the root's real path
 * is listed as a file (with `linkTarget`); every other link is listed in `links`, never followed,
 * so the walk cannot loop or leave the root.
 */
export async function walk(root: string, options: WalkOptions = {}): Promise<WalkResult> {
  const skip = options.skipDirs ?? DEFAULT_SKIP_DIRS;
  const maxFiles = options.maxFiles ?? 100_000;
  const maxDepth = options.maxDepth ?? 32;
  const followInside = options.followLinksInside ?? true;
  const absRoot = path.resolve(root);
  const result: WalkResult = { files: [], errors: [], special: [], links: [], skipped: [] };
  let realRoot: string;
  try {
    realRoot = await fs.realpath(absRoot);
  } catch (e) {
    result.errors.push({ path: absRoot, rel: '', message: (e as Error).message });
    return result;
  }

  const addFile = (abs: string, size: number, linkTarget?: string): boolean => {
    if (result.files.length >= maxFiles) {
      result.truncated = `more than ${maxFiles} files; the rest were not read`;
      return false;
    }
    result.files.push({
      path: abs,
      rel: toRel(absRoot, abs),
      size,
      ...(linkTarget !== undefined ? { linkTarget } : {}),
    });
    return true;
  };

  const visit = async (dir: string, depth: number): Promise<void> => {
    if (result.truncated) return;
    if (depth > maxDepth) {
      result.truncated = `folders nested deeper than ${maxDepth} levels were not read`;
      return;
    }
    let entries: Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (e) {
      result.errors.push({ path: dir, rel: toRel(absRoot, dir), message: (e as Error).message });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const ent of entries) {
      if (result.truncated) return;
      const abs = path.join(dir, ent.name);
      const rel = toRel(absRoot, abs);
      if (options.ignore?.(rel)) continue;
      if (ent.isDirectory()) {
        if (skip.has(ent.name)) {
          let count = 0;
          try {
            count = (await fs.readdir(abs)).length;
          } catch {
            /* listed as skipped either way */
          }
          result.skipped.push({ path: abs, rel, entries: count });
        } else {
          await visit(abs, depth + 1);
        }
      } else if (ent.isFile()) {
        try {
          const st = await fs.lstat(abs);
          if (!addFile(abs, st.size)) return;
        } catch (e) {
          result.errors.push({ path: abs, rel, message: (e as Error).message });
        }
      } else if (ent.isSymbolicLink()) {
        let target = '';
        try {
          target = await fs.readlink(abs);
        } catch (e) {
          result.errors.push({ path: abs, rel, message: (e as Error).message });
          continue;
        }
        let real: string;
        try {
          real = await fs.realpath(abs);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          result.links.push({ path: abs, rel, target, reason: code === 'ELOOP' ? 'loop' : 'dangling' });
          continue;
        }
        if (!followInside || !isInside(realRoot, real)) {
          result.links.push({ path: abs, rel, target, reason: 'outside-root' });
          continue;
        }
        let st: Stats;
        try {
          st = await fs.stat(abs);
        } catch (e) {
          result.errors.push({ path: abs, rel, message: (e as Error).message });
          continue;
        }
        if (st.isDirectory()) {
          result.links.push({ path: abs, rel, target, reason: 'directory' });
        } else if (st.isFile()) {
          if (!addFile(abs, st.size, toRel(realRoot, real))) return;
        } else {
          result.links.push({ path: abs, rel, target, reason: 'special' });
        }
      } else {
        result.special.push({ path: abs, rel, kind: specialKind(ent) });
      }
    }
  };
  await visit(absRoot, 0);
  return result;
}

/**
 * Open a path for reading only when it is a regular file (after following links): FIFOs,
 * sockets and devices are refused before `open` is called, since opening a FIFO blocks and
 * reading /dev/zero never ends. Returns the stats, or a message saying what the path is.
 */
export async function regularFileStat(p: string): Promise<{ ok: true; stat: Stats } | { ok: false; message: string }> {
  let st: Stats;
  try {
    st = await fs.stat(p);
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
  if (st.isFile()) return { ok: true, stat: st };
  if (st.isDirectory()) return { ok: false, message: 'is a folder' };
  return { ok: false, message: `is a ${specialKind(st).replace('-', ' ')}, not a regular file; it was not opened` };
}

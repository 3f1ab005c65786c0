import fs from 'node:fs/promises';
import path from 'node:path';

export interface WalkEntry {
  /** Absolute path. */
  path: string;
  /** Path relative to the walk's root, with forward slashes. */
  rel: string;
  size: number;
}

export interface WalkOptions {
  /** Directory names never entered. */
  skipDirs?: ReadonlySet<string>;
  maxFiles?: number;
  maxDepth?: number;
}

export interface WalkResult {
  files: WalkEntry[];
  /** Why the walk stopped early, if it did (the caller reports it: an incomplete walk is never "clean"). */
  truncated?: string;
  /** Entries that could not be read (permissions, races). */
  errors: { path: string; message: string }[];
}

export const DEFAULT_SKIP_DIRS: ReadonlySet<string> = new Set(['.git', 'node_modules', '.hg', '.svn', '__pycache__', '.venv', 'venv', '.tox', '.mypy_cache', '.code-server']);

/** Files under `root`, sorted, without following symbolic links (a link can point anywhere, or loop). */
export async function walk(root: string, options: WalkOptions = {}): Promise<WalkResult> {
  const skip = options.skipDirs ?? DEFAULT_SKIP_DIRS;
  const maxFiles = options.maxFiles ?? 100_000;
  const maxDepth = options.maxDepth ?? 32;
  const files: WalkEntry[] = [];
  const errors: WalkResult['errors'] = [];
  let truncated: string | undefined;
  const visit = async (dir: string, depth: number): Promise<void> => {
    if (truncated) return;
    if (depth > maxDepth) { truncated = `folders nested deeper than ${maxDepth} levels were not read`; return; }
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (e) {
      errors.push({ path: dir, message: (e as Error).message });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const ent of entries) {
      const abs = path.join(dir, ent.name);
      if (ent.isDirectory()) {
        if (!skip.has(ent.name)) await visit(abs, depth + 1);
      } else if (ent.isFile()) {
        if (files.length >= maxFiles) { truncated = `more than ${maxFiles} files; the rest were not read`; return; }
        try {
          const st = await fs.stat(abs);
          files.push({ path: abs, rel: path.relative(root, abs).split(path.sep).join('/'), size: st.size });
        } catch (e) {
          errors.push({ path: abs, message: (e as Error).message });
        }
      }
    }
  };
  await visit(path.resolve(root), 0);
  return { files, truncated, errors };
}

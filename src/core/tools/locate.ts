import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Finds a program: an explicitly configured path (used as is, when it is executable), else the
 * first executable `name` on PATH. Never runs anything to find out.
 */
export async function findExecutable(
  name: string,
  options: { configured?: string; pathEnv?: string; platform?: NodeJS.Platform } = {},
): Promise<string | undefined> {
  if (options.configured)
    return (await isExecutable(options.configured)) ? path.resolve(options.configured) : undefined;
  const platform = options.platform ?? process.platform;
  const dirs = (options.pathEnv ?? process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  const exts = platform === 'win32' ? (process.env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of dirs) {
    // A relative PATH entry (".") would make the program depend on the current folder: skip it.
    if (!path.isAbsolute(dir)) continue;
    for (const ext of exts) {
      const candidate = path.join(dir, name + ext);
      if (await isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
}

async function isExecutable(p: string): Promise<boolean> {
  try {
    const st = await fs.stat(p);
    if (!st.isFile()) return false;
    await fs.access(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

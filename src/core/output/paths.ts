import path from 'node:path';

/** A path as shown to the user: relative to `base` when inside it, with forward slashes. */
export function displayPath(file: string, base: string): string {
  const abs = path.resolve(base, file);
  const rel = path.relative(base, abs);
  const shown = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
  return shown.split(path.sep).join('/');
}

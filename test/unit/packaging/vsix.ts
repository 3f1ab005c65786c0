import fs from 'node:fs';
import path from 'node:path';
import { REPO } from '../helpers.ts';

/** .vscodeignore's patterns, as vsce reads them. */
export const ignoreLines = fs
  .readFileSync(path.join(REPO, '.vscodeignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));

/** The two glob forms .vscodeignore uses: `**` (any depth) and `*` (within one segment). */
function globToRegExp(glob: string): RegExp {
  const body = glob
    .split(/(\*\*|\*)/)
    .map((part) => {
      if (part === '**') return '.*';
      if (part === '*') return '[^/]*';
      return part.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${body}$`);
}

/** vsce semantics: excluded when an exclude pattern matches and no "!" pattern re-includes it. */
export function shipped(rel: string): boolean {
  const p = rel.replace(/^\.\//, '');
  const excluded = ignoreLines.filter((l) => !l.startsWith('!')).some((g) => globToRegExp(g).test(p));
  const included = ignoreLines.filter((l) => l.startsWith('!')).some((g) => globToRegExp(g.slice(1)).test(p));
  return !excluded || included;
}

/** Source references (`git+https://host/org/repo@<commit>`, `git://…`, `https://github.com/o/r/commit/<sha>`): pinned or not. */

export interface SourceRef {
  scheme: string;
  /** True when the text names a git repository (by scheme, `.git` suffix or a known forge). */
  isGit: boolean;
  /** The revision written after `@`, `#`, `/commit/` or `/tree/`, if any. */
  revision?: string;
  /** Offset of the revision inside the text (for ranges). */
  revisionOffset?: number;
}

const FORGES =
  /^(?:[\w.-]+@)?(?:www\.)?(github\.com|gitlab\.com|bitbucket\.org|codeberg\.org|dev\.azure\.com|ssh\.dev\.azure\.com|huggingface\.co|git\.[\w.-]+)[/:]/i;

export function parseSourceRef(text: string): SourceRef {
  const t = text.trim();
  const schemeMatch = /^([a-z][a-z0-9+.-]*):\/\//i.exec(t);
  let scheme = schemeMatch ? schemeMatch[1].toLowerCase() : '';
  let rest = schemeMatch ? t.slice(schemeMatch[0].length) : t;
  let restOffset = schemeMatch ? schemeMatch[0].length : 0;
  if (!scheme && /^[\w.-]+@[\w.-]+:/.test(t)) scheme = 'scp'; // git@github.com:org/repo.git
  const isGit =
    scheme === 'git' ||
    scheme.startsWith('git+') ||
    scheme === 'ssh' ||
    scheme === 'scp' ||
    /\.git(?:$|[@#/])/.test(rest) ||
    FORGES.test(rest);
  if (!isGit) return { scheme, isGit };
  // a user before the host (`git@github.com:`) is not a revision
  const userAt = /^[\w.-]+@/.exec(rest);
  if (userAt && scheme !== 'git' && !scheme.startsWith('git+')) {
    rest = rest.slice(userAt[0].length);
    restOffset += userAt[0].length;
  }
  const commitPath = /\/(?:commit|commits|tree|blob|-\/commit|-\/tree|src)\/([^/?#\s]+)/.exec(rest);
  const at = rest.lastIndexOf('@');
  const hash = rest.indexOf('#');
  let revision: string | undefined;
  let revisionOffset: number | undefined;
  if (at >= 0 && (hash < 0 || at < hash)) {
    const end = hash >= 0 ? hash : rest.length;
    revision = rest.slice(at + 1, end);
    revisionOffset = restOffset + at + 1;
  } else if (hash >= 0 && !/^egg=|^subdirectory=/.test(rest.slice(hash + 1))) {
    revision = rest.slice(hash + 1).split('&')[0];
    revisionOffset = restOffset + hash + 1;
  } else if (commitPath) {
    revision = commitPath[1];
    revisionOffset = restOffset + commitPath.index + commitPath[0].length - commitPath[1].length;
  }
  return { scheme, isGit, revision, revisionOffset };
}

export type RevisionVerdict = 'full' | 'short' | 'name' | 'none';

/** A full commit is 40 hex (SHA-1 repositories) or 64 hex (SHA-256 repositories). */
export function classifyRevision(rev: string | undefined): RevisionVerdict {
  if (rev === undefined || rev === '') return 'none';
  if (/^[0-9a-f]{40}$/i.test(rev) || /^[0-9a-f]{64}$/i.test(rev)) return 'full';
  if (/^[0-9a-f]{4,39}$/i.test(rev) && /[0-9]/.test(rev)) return 'short';
  return 'name';
}

/**
 * Python dependencies declared in a model folder: requirements.txt (pip's format) and
 * pyproject.toml (PEP 621 `[project] dependencies` and Poetry's `[tool.poetry.dependencies]`).
 * Only what is declared is read; nothing is resolved or installed.
 */

export interface PythonDependency {
  /** PEP 503 normalised name (lower case, runs of `-_.` as one `-`). */
  name: string;
  /** The pinned version when the requirement is `==X` (or Poetry's exact `"X"`). */
  version?: string;
  /** The requirement as written, for the SBOM's properties (e.g. `torch>=2.1,<3`). */
  specifier: string;
  /** 1-based line in the file. */
  line: number;
  source: string;
}

export function normalisePythonName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

// PEP 508: a name, optional [extras], then a version spec, up to an environment marker or URL.
const REQ = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(\(?[^;@#]*\)?)?/;

/** One PEP 508 requirement string; undefined when it names no package (URLs, options, paths). */
export function parseRequirement(text: string, line: number, source: string): PythonDependency | undefined {
  const s = text.trim();
  if (!s || s.startsWith('-') || s.startsWith('.') || s.startsWith('/') || /^[a-z+]+:\/\//i.test(s)) return undefined;
  const m = REQ.exec(s);
  if (!m) return undefined;
  const spec = (m[3] ?? '')
    .trim()
    .replace(/^\(|\)$/g, '')
    .trim();
  const pinned = /^===?\s*([^\s,;*]+)$/.exec(spec);
  return { name: normalisePythonName(m[1]), version: pinned?.[1], specifier: s.replace(/\s*#.*$/, ''), line, source };
}

export function parseRequirementsTxt(text: string, source: string): PythonDependency[] {
  const out: PythonDependency[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    // A trailing backslash continues the requirement on the next line.
    let l = lines[i];
    const start = i;
    while (l.endsWith('\\') && i + 1 < lines.length) l = l.slice(0, -1) + lines[++i];
    const noComment = l.replace(/(^|\s)#.*$/, '');
    const dep = parseRequirement(noComment.replace(/\s--hash=\S+/g, ''), start + 1, source);
    if (dep) out.push(dep);
  }
  return out;
}

/**
 * The dependency lists of a pyproject.toml. A full TOML parser is not needed for the two shapes
 * that declare dependencies; anything else in the file is skipped.
 */
export function parsePyproject(text: string, source: string): PythonDependency[] {
  const out: PythonDependency[] = [];
  const lines = text.split(/\r?\n/);
  let table = '';
  for (let i = 0; i < lines.length; i++) {
    const line = stripTomlComment(lines[i]).trim();
    const header = /^\[\s*([^\]]+?)\s*\]$/.exec(line);
    if (header) {
      table = header[1];
      continue;
    }
    if (table === 'project') {
      const arr = /^(dependencies)\s*=\s*\[(.*)$/.exec(line);
      if (!arr) continue;
      // Collect the array's string items until its closing bracket (possibly several lines).
      let rest = arr[2];
      let lineNo = i;
      for (;;) {
        for (const m of rest.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'/g)) {
          const dep = parseRequirement(m[1] ?? m[2], lineNo + 1, source);
          if (dep) out.push(dep);
        }
        if (/\]\s*$/.test(rest) || lineNo + 1 >= lines.length) break;
        rest = stripTomlComment(lines[++lineNo]).trim();
      }
      i = lineNo;
    } else if (table === 'tool.poetry.dependencies') {
      const kv = /^([A-Za-z0-9][A-Za-z0-9._-]*)\s*=\s*(.+)$/.exec(line);
      if (!kv || kv[1].toLowerCase() === 'python') continue;
      const str = /^"([^"]*)"|^'([^']*)'/.exec(kv[2]);
      const inlineVersion = /version\s*=\s*"([^"]*)"/.exec(kv[2]);
      const spec = str ? (str[1] ?? str[2]) : (inlineVersion?.[1] ?? '');
      const exact = /^=?=?\s*(\d[^\s,*^~<>=!]*)$/.exec(spec);
      out.push({
        name: normalisePythonName(kv[1]),
        version: exact?.[1],
        specifier: `${kv[1]} ${spec}`.trim(),
        line: i + 1,
        source,
      });
    }
  }
  return out;
}

function stripTomlComment(line: string): string {
  // A '#' outside a string starts a comment.
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') return line.slice(0, i);
  }
  return line;
}

import parseSpdx from 'spdx-expression-parse';
import spdxIds from 'spdx-license-ids/index.json';
import spdxDeprecated from 'spdx-license-ids/deprecated.json';
import spdxExceptions from 'spdx-exceptions/index.json';
import { closest } from './suggest.ts';

/**
 * SPDX license identifiers and expressions, checked against the SPDX license list as npm ships it
 * (`spdx-license-ids`, `spdx-exceptions`), never against a hand-written list.
 */

const CURRENT = new Set<string>(spdxIds as string[]);
const DEPRECATED = new Set<string>(spdxDeprecated as string[]);
const EXCEPTIONS = new Set<string>(spdxExceptions as string[]);
const BY_LOWER = new Map<string, string>();
for (const id of CURRENT) BY_LOWER.set(id.toLowerCase(), id);
const EXCEPTION_BY_LOWER = new Map<string, string>();
for (const id of EXCEPTIONS) EXCEPTION_BY_LOWER.set(id.toLowerCase(), id);

/** Names people write instead of the identifier (compared after removing case, spaces and punctuation). */
const COMMON_NAMES: Readonly<Record<string, string>> = {
  apache: 'Apache-2.0',
  apache2: 'Apache-2.0',
  apache20: 'Apache-2.0',
  apachelicense20: 'Apache-2.0',
  apachelicenseversion20: 'Apache-2.0',
  apachev2: 'Apache-2.0',
  asl20: 'Apache-2.0',
  mitlicense: 'MIT',
  bsd: 'BSD-3-Clause',
  bsd3: 'BSD-3-Clause',
  bsd2: 'BSD-2-Clause',
  gpl3: 'GPL-3.0-only',
  gplv3: 'GPL-3.0-only',
  gpl2: 'GPL-2.0-only',
  gplv2: 'GPL-2.0-only',
  lgpl3: 'LGPL-3.0-only',
  lgpl21: 'LGPL-2.1-only',
  agpl3: 'AGPL-3.0-only',
  mpl2: 'MPL-2.0',
  cc0: 'CC0-1.0',
  ccby4: 'CC-BY-4.0',
  ccbysa4: 'CC-BY-SA-4.0',
  ccbync4: 'CC-BY-NC-4.0',
  unlicense: 'Unlicense',
};

export type LicenseVerdict =
  | { kind: 'ok' }
  | { kind: 'deprecated'; ids: { id: string; replacement?: string }[] }
  /** Valid (SPDX matches identifiers case-insensitively) but not written as the list spells it. */
  | { kind: 'case'; canonical: string }
  | { kind: 'invalid'; reason: string; suggestion?: string };

function squash(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** The identifier a deprecated one was replaced by (GPL-2.0 → GPL-2.0-only, GPL-2.0+ → GPL-2.0-or-later). */
function replacementFor(id: string): string | undefined {
  if (id.endsWith('+') && CURRENT.has(`${id.slice(0, -1)}-or-later`)) return `${id.slice(0, -1)}-or-later`;
  if (CURRENT.has(`${id}-only`)) return `${id}-only`;
  const m = /^(.*)-with-(.*)-exception$/.exec(id);
  if (m && CURRENT.has(`${m[1]}-only`)) return `${m[1]}-only WITH ${m[2]}-exception`;
  return undefined;
}

/** The best-guess correct spelling of one license token, for "did you mean". */
export function suggestLicenseId(token: string): string | undefined {
  const exact = BY_LOWER.get(token.toLowerCase());
  if (exact) return exact;
  const named = COMMON_NAMES[squash(token)];
  if (named) return named;
  const sq = squash(token);
  for (const id of CURRENT) if (squash(id) === sq) return id;
  return closest(token, CURRENT);
}

/**
 * What `license:` completes to in our card: every current SPDX identifier, then each Hugging Face
 * license id (`hfIds`) as the SPDX id it names (`apache-2.0` → `Apache-2.0`) or, for the Hub's own
 * licenses that SPDX does not list (`llama3.1`, `openrail`), as `LicenseRef-<id>`, which is a valid
 * SPDX expression, so no completion inserts a license the card then rejects.
 */
export function licenseCompletions(hfIds: readonly string[]): { id: string; detail: string }[] {
  const out = new Map<string, string>();
  for (const id of CURRENT) out.set(id, 'SPDX license');
  for (const hf of hfIds) {
    if (hf === 'other' || hf === 'unknown') continue;
    const spdx = BY_LOWER.get(hf.toLowerCase());
    if (spdx) out.set(spdx, `SPDX license (Hugging Face: ${hf})`);
    else if (/^[A-Za-z0-9.-]+$/.test(hf))
      out.set(`LicenseRef-${hf}`, `Hugging Face license ${hf} (not on the SPDX list)`);
  }
  return [...out].map(([id, detail]) => ({ id, detail }));
}

const OPERATORS = new Set(['AND', 'OR', 'WITH']);

/** Verdicts by text: the license line rarely changes between keystrokes, and parsing it is the costly part. */
const VERDICTS = new Map<string, LicenseVerdict>();

/** Check an SPDX license expression (`MIT`, `Apache-2.0 OR MIT`, `GPL-2.0-only WITH Classpath-exception-2.0`, `LicenseRef-x`). */
export function checkSpdxExpression(text: string): LicenseVerdict {
  let v = VERDICTS.get(text);
  if (!v) {
    v = checkUncached(text);
    if (VERDICTS.size >= 512) VERDICTS.clear();
    VERDICTS.set(text, v);
  }
  return v;
}

function checkUncached(text: string): LicenseVerdict {
  const expr = text.trim();
  if (!expr) return { kind: 'invalid', reason: 'it is empty' };
  let parsed = false;
  try {
    parseSpdx(expr);
    parsed = true;
  } catch {
    parsed = false;
  }
  const tokens = expr.replace(/[()]/g, ' ').split(/\s+/).filter(Boolean);
  if (parsed) {
    const deprecated = tokens
      .filter(
        (t) =>
          !OPERATORS.has(t) &&
          !CURRENT.has(t.replace(/\+$/, '')) &&
          (DEPRECATED.has(t) || DEPRECATED.has(t.replace(/\+$/, ''))),
      )
      .map((id) => ({ id, replacement: replacementFor(id) }));
    return deprecated.length ? { kind: 'deprecated', ids: deprecated } : { kind: 'ok' };
  }
  // SPDX matches identifiers case-insensitively: `apache-2.0` is Apache-2.0 written loosely.
  const canonical = tokens.map((t) =>
    OPERATORS.has(t)
      ? t
      : (BY_LOWER.get(t.replace(/\+$/, '').toLowerCase()) ??
        (OPERATORS.has(t.toUpperCase()) ? t.toUpperCase() : undefined)),
  );
  if (canonical.every((c) => c !== undefined)) {
    let out = expr;
    tokens.forEach((t, i) => {
      const c = canonical[i]!;
      if (c !== t)
        out = out.replace(new RegExp(`(^|[\\s(])${t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=$|[\\s)+])`), `$1${c}`);
    });
    try {
      parseSpdx(out);
      return { kind: 'case', canonical: out };
    } catch {
      /* fall through to the token report */
    }
  }
  // Not a valid expression: find the first token that is neither an operator nor a known id.
  const wholeGuess = suggestLicenseId(expr);
  if (tokens.length > 1 && !tokens.some((t) => OPERATORS.has(t.toUpperCase()))) {
    // "Apache License 2.0" is one name written as words, not an expression
    return { kind: 'invalid', reason: 'it is a license name, not an SPDX identifier', suggestion: wholeGuess };
  }
  for (const t of tokens) {
    if (OPERATORS.has(t)) continue;
    if (OPERATORS.has(t.toUpperCase()))
      return {
        kind: 'invalid',
        reason: `the operator \`${t}\` must be upper case`,
        suggestion: expr.replace(new RegExp(`\\b${t}\\b`), t.toUpperCase()),
      };
    const id = t.replace(/\+$/, '');
    if (
      CURRENT.has(id) ||
      DEPRECATED.has(id) ||
      EXCEPTIONS.has(id) ||
      /^(DocumentRef-[\w.-]+:)?LicenseRef-[\w.-]+$/.test(id)
    )
      continue;
    const guess = suggestLicenseId(id) ?? EXCEPTION_BY_LOWER.get(id.toLowerCase());
    const fixed =
      guess && tokens.length === 1 ? guess + (t.endsWith('+') ? '+' : '') : guess ? expr.replace(t, guess) : undefined;
    const custom = guess ? '' : ` (a license of your own is written \`LicenseRef-${id.replace(/[^\w.-]/g, '-')}\`)`;
    return { kind: 'invalid', reason: `\`${t}\` is not an SPDX license identifier${custom}`, suggestion: fixed };
  }
  return {
    kind: 'invalid',
    reason: 'it is not a well-formed SPDX expression (operators are AND, OR, WITH; group with parentheses)',
  };
}

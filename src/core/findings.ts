/**
 * The one currency of the engine. Every check produces `Finding`s; the CLI, the extension and the
 * report panel only render them. Positions are 0-based internally (as in VS Code) and converted to
 * 1-based only at the CLI/SARIF boundary.
 */

export type Severity = 'error' | 'warning' | 'info';

export const SEVERITY_ORDER: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

export interface TextPosition {
  /** 0-based line */
  line: number;
  /** 0-based UTF-16 code unit offset within the line (VS Code's `character`) */
  character: number;
}

export interface TextRange {
  start: TextPosition;
  end: TextPosition;
}

export interface TextEdit {
  /** Defaults to the finding's file. */
  file?: string;
  range: TextRange;
  newText: string;
  /**
   * The same text as a snippet (`${1:placeholder}`, `${1|a,b|}`, `$0`) when part of it is for the
   * user to type or choose: editors that support snippets leave the cursor there. `newText` is what
   * the placeholders expand to, for every other face.
   */
  snippet?: string;
}

/** A fix is either a set of text edits or a named command the face knows how to run. */
export type Fix =
  | { kind: 'edit'; title: string; edits: TextEdit[]; isPreferred?: boolean }
  | { kind: 'command'; title: string; command: string; args?: unknown[] };

export interface RelatedLocation {
  message: string;
  file?: string;
  range?: TextRange;
}

export interface Finding {
  ruleId: string;
  severity: Severity;
  message: string;
  /** Path of the file the finding is about (absolute or as given by the caller). */
  file?: string;
  /** Text range, for text files. */
  range?: TextRange;
  /** Byte offset, for binary files. */
  offset?: number;
  /** Path inside an archive (zip member, tar entry), when the finding is inside one. */
  member?: string;
  fixes?: Fix[];
  related?: RelatedLocation[];
  /** Structured detail for reports (e.g. the pickle global, the opcode, expected vs found digest). */
  data?: Record<string, string | number | boolean | null>;
}

/** Rule categories (the prefix of a rule id). Each belongs to exactly one area's descriptor (src/core/areas.ts; a unit test checks). */
export const RULE_CATEGORIES = [
  'yaml',
  'card',
  'workflow',
  'scan',
  'signing',
  'sbom',
  'gate',
  'python',
  'convert',
  'k8s',
  'admission',
  'chain',
  'registry',
] as const;
export type RuleCategory = (typeof RULE_CATEGORIES)[number];

export interface RuleInfo {
  id: string;
  title: string;
  category: RuleCategory;
  defaultSeverity: Severity;
  /** Markdown: what the rule finds, why it matters, how to fix it. */
  help: string;
}

export function compareSeverity(a: Severity, b: Severity): number {
  return SEVERITY_ORDER[a] - SEVERITY_ORDER[b];
}

export function atLeast(severity: Severity, threshold: Severity): boolean {
  return SEVERITY_ORDER[severity] >= SEVERITY_ORDER[threshold];
}

export function isSeverity(value: unknown): value is Severity {
  return value === 'error' || value === 'warning' || value === 'info';
}

export function range(startLine: number, startChar: number, endLine: number, endChar: number): TextRange {
  return { start: { line: startLine, character: startChar }, end: { line: endLine, character: endChar } };
}

/**
 * Strings in code-point order: the same order on every machine (`localeCompare` depends on the
 * locale and the ICU data Node was built with, so two CI runners could print findings differently).
 */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++; // a surrogate pair is one code point
  }
  return a.length - b.length;
}

/** Findings in a stable order: file, member, then position or offset, then rule, then message (code-point order throughout). */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      compareCodePoints(a.file ?? '', b.file ?? '') ||
      compareCodePoints(a.member ?? '', b.member ?? '') ||
      (a.range?.start.line ?? -1) - (b.range?.start.line ?? -1) ||
      (a.range?.start.character ?? -1) - (b.range?.start.character ?? -1) ||
      (a.offset ?? -1) - (b.offset ?? -1) ||
      compareCodePoints(a.ruleId, b.ruleId) ||
      compareCodePoints(a.message, b.message),
  );
}

function identity(f: Finding): string {
  const r = f.range;
  return [
    f.ruleId,
    f.file ?? '',
    f.member ?? '',
    r ? `${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}` : '',
    f.offset ?? '',
    f.message,
  ].join('\u0000');
}

/** One finding per rule, place and message (two engines, or two passes, may report the same thing); the highest severity is kept. */
export function dedupeFindings(findings: readonly Finding[]): Finding[] {
  const seen = new Map<string, number>();
  const out: Finding[] = [];
  for (const f of findings) {
    const k = identity(f);
    const i = seen.get(k);
    if (i === undefined) {
      seen.set(k, out.length);
      out.push(f);
      continue;
    }
    if (SEVERITY_ORDER[f.severity] > SEVERITY_ORDER[out[i].severity]) out[i] = { ...out[i], severity: f.severity };
  }
  return out;
}

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

export type RuleCategory = 'yaml' | 'card' | 'workflow' | 'scan' | 'signing' | 'sbom' | 'gate' | 'python' | 'convert' | 'k8s' | 'admission' | 'chain' | 'registry';

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

/** Findings in a stable order: file, then position or offset, then rule. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) =>
    (a.file ?? '').localeCompare(b.file ?? '') ||
    (a.member ?? '').localeCompare(b.member ?? '') ||
    (a.range?.start.line ?? -1) - (b.range?.start.line ?? -1) ||
    (a.range?.start.character ?? -1) - (b.range?.start.character ?? -1) ||
    (a.offset ?? -1) - (b.offset ?? -1) ||
    a.ruleId.localeCompare(b.ruleId));
}

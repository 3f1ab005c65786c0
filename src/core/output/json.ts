import type { Finding } from '../findings.ts';
import { sortFindings } from '../findings.ts';
import { displayPath } from './paths.ts';

/** One finding in the house JSON contract (1-based lines and columns; `offset` for binary files). */
export interface JsonFinding {
  ruleId: string;
  severity: Finding['severity'];
  message: string;
  file?: string;
  member?: string;
  range?: { start: { line: number; column: number }; end: { line: number; column: number } };
  offset?: number;
  data?: Finding['data'];
  fixes?: string[];
}

export interface JsonReport {
  version: 1;
  findings: JsonFinding[];
  [extra: string]: unknown;
}

export function toJsonFinding(f: Finding, base: string): JsonFinding {
  const out: JsonFinding = { ruleId: f.ruleId, severity: f.severity, message: f.message };
  if (f.file !== undefined) out.file = displayPath(f.file, base);
  if (f.member !== undefined) out.member = f.member;
  if (f.range) {
    out.range = {
      start: { line: f.range.start.line + 1, column: f.range.start.character + 1 },
      end: { line: f.range.end.line + 1, column: f.range.end.character + 1 },
    };
  } else if (f.offset !== undefined) out.offset = f.offset;
  if (f.data && Object.keys(f.data).length) out.data = f.data;
  if (f.fixes?.length) out.fixes = f.fixes.map((x) => x.title);
  return out;
}

/** The stable JSON contract: `{"version":1,"findings":[…]}` plus command-specific top-level fields. */
export function toJsonReport(
  findings: readonly Finding[],
  base: string,
  extra: Record<string, unknown> = {},
): JsonReport {
  return { version: 1, ...extra, findings: sortFindings(findings).map((f) => toJsonFinding(f, base)) };
}

/**
 * JSON text that is safe on a terminal: JSON.stringify escapes C0 controls but leaves DEL, the C1
 * controls (U+009B is a CSI to some terminals), bidirectional overrides and line separators raw, so
 * a file name could still redraw the screen when the report is printed. Those characters can only
 * occur inside strings, where `\uXXXX` is the same value to every JSON parser.
 */
export function terminalSafeJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

import type { Finding, Severity } from '../findings.ts';
import { sortFindings } from '../findings.ts';
import { displayPath } from './paths.ts';

export interface TextOptions {
  color: boolean;
}

const COLORS: Record<Severity, string> = { error: '\x1b[31m', warning: '\x1b[33m', info: '\x1b[36m' };
const RESET = '\x1b[0m';
const DIM = '\x1b[2m';

/** `file:line:col: severity rule-id message` (or `file@offset` / `file!member@offset` for binaries). */
export function formatFindingLine(f: Finding, base: string, opts: TextOptions): string {
  let where = f.file !== undefined ? sanitizeLine(displayPath(f.file, base)) : '';
  if (f.member) where += `!${sanitizeLine(f.member)}`;
  if (f.range) where += `:${f.range.start.line + 1}:${f.range.start.character + 1}`;
  else if (f.offset !== undefined) where += `@${f.offset}`;
  const sev = opts.color ? `${COLORS[f.severity]}${f.severity}${RESET}` : f.severity;
  const rule = opts.color ? `${DIM}${f.ruleId}${RESET}` : f.ruleId;
  return `${where ? where + ': ' : ''}${sev} ${rule} ${sanitizeLine(f.message)}`;
}

export function formatFindings(findings: readonly Finding[], base: string, opts: TextOptions): string {
  return sortFindings(findings)
    .map((f) => formatFindingLine(f, base, opts))
    .join('\n');
}

export function summaryLine(findings: readonly Finding[]): string {
  const n = { error: 0, warning: 0, info: 0 };
  for (const f of findings) n[f.severity]++;
  const part = (k: number, w: string) => `${k} ${w}${k === 1 ? '' : 's'}`;
  return `${part(n.error, 'error')}, ${part(n.warning, 'warning')}, ${part(n.info, 'info')}`.replace(/infos/, 'info');
}

const escape = (c: string): string => {
  const n = c.codePointAt(0)!;
  return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
};

/**
 * Attacker-controlled strings reach the terminal: control characters (ANSI escapes, carriage
 * returns, backspaces, C1 codes) and bidirectional overrides are shown escaped (`\x1b`), so a file
 * name cannot rewrite "NOT VERIFIED" as "VERIFIED" on screen. Newlines and tabs are kept: this is
 * for whole blocks of our own text with foreign values inside (see `sanitizeLine` for one value).
 */
export function sanitize(s: string): string {
  return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, escape);
}

/** One value on one line: newlines and tabs escaped too, so a name cannot forge a line of its own. */
export function sanitizeLine(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g, escape);
}

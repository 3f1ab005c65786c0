import type { Fix, TextEdit } from '../findings.ts';
import type { YamlDocument, YamlNode } from '../yaml/document.ts';

/**
 * Text edits for quick fixes that keep the user's layout: new keys get the indentation of their
 * siblings, new steps the indentation of the step they are inserted before. When the layout is
 * not a plain block mapping/sequence (flow style, odd indentation) no edit is offered.
 */

export function editFix(title: string, edits: TextEdit[], isPreferred = false): Fix {
  return { kind: 'edit', title, edits, isPreferred };
}

export function replace(doc: YamlDocument, start: number, end: number, newText: string): TextEdit {
  return { range: doc.range({ start, end }), newText };
}

export function insert(doc: YamlDocument, at: number, newText: string): TextEdit {
  return replace(doc, at, at, newText);
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function lineEnd(text: string, offset: number): number {
  const e = text.indexOf('\n', offset);
  const end = e < 0 ? text.length : e;
  return end > 0 && text[end - 1] === '\r' ? end - 1 : end;
}

/** The column of a node, when only blanks (or a sequence dash) precede it on its line. */
export function columnOf(doc: YamlDocument, node: YamlNode): number | undefined {
  const ls = lineStart(doc.text, node.start);
  const before = doc.text.slice(ls, node.start);
  return /^[ ]*(?:-[ ]+)*$/.test(before) ? before.length : undefined;
}

/** Indent a block of lines (the first line is written at the insertion point). */
function indentLines(lines: readonly string[], indent: string, firstPrefix: string): string {
  return lines.map((l, i) => (i === 0 ? firstPrefix + l : l === '' ? '' : indent + l)).join('\n');
}

/** Insert `key: value` lines as the last entries of a block mapping. */
export function appendToMapping(doc: YamlDocument, mapping: YamlNode, lines: readonly string[]): TextEdit | undefined {
  if (mapping.kind !== 'mapping' || !mapping.pairs?.length || doc.text[mapping.start] === '{') return undefined;
  const col = columnOf(doc, mapping.pairs[0].key);
  if (col === undefined) return undefined;
  const last = mapping.pairs[mapping.pairs.length - 1];
  const at = lineEnd(doc.text, Math.max(last.key.end, last.value?.end ?? 0));
  return insert(doc, at, '\n' + indentLines(lines, ' '.repeat(col), ' '.repeat(col)));
}

/** Insert `key: value` lines as the first entries of a block mapping (before its first key). */
export function prependToMapping(doc: YamlDocument, mapping: YamlNode, lines: readonly string[]): TextEdit | undefined {
  if (mapping.kind !== 'mapping' || !mapping.pairs?.length || doc.text[mapping.start] === '{') return undefined;
  const col = columnOf(doc, mapping.pairs[0].key);
  if (col === undefined) return undefined;
  const indent = ' '.repeat(col);
  return insert(doc, mapping.pairs[0].key.start, indentLines(lines, indent, '') + '\n' + indent);
}

/** Insert a new step (given as mapping lines) right before an existing step of a block sequence. */
export function insertStepBefore(doc: YamlDocument, step: YamlNode, lines: readonly string[]): TextEdit | undefined {
  const ls = lineStart(doc.text, step.start);
  const prefix = doc.text.slice(ls, step.start);
  if (!/^[ ]*-[ ]+$/.test(prefix)) return undefined;
  const indent = ' '.repeat(prefix.length);
  return insert(doc, ls, indentLines(lines, indent, prefix) + '\n');
}

/** The comment at the end of the line holding `offset`, if any (`# v4.1.1` after a pinned SHA). */
export function trailingComment(doc: YamlDocument, offset: number): string | undefined {
  const line = doc.text.slice(offset, lineEnd(doc.text, offset));
  const m = /(?:^|[ \t])#\s*(.*)$/.exec(line);
  return m ? m[1].trim() : undefined;
}

export function endOfLine(doc: YamlDocument, offset: number): number {
  return lineEnd(doc.text, offset);
}

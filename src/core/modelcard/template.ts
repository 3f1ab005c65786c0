import type { Fix } from '../findings.ts';
import type { YamlNode } from '../yaml/document.ts';
import type { CardContext } from './context.ts';
import { resolveRef, typesOf, type SchemaNode } from './schema.ts';

/** One line of a template, as plain text and as a snippet whose tab stops sit where the user types. */
export interface TemplateLine {
  text: string;
  snippet: string;
}

/** A value the user has to give: empty in the plain text, a tab stop (with the schema's example as its placeholder) in the snippet. */
const TO_FILL = Symbol('to fill');
interface ToFill {
  [TO_FILL]: true;
  example?: string;
  quoted: boolean;
}

const escapeSnippet = (s: string) => s.replace(/[$}\\]/g, '\\$&');

/**
 * The YAML for a missing field, built from the schema: a section gets its required fields
 * (from the schema's `default` template when it has one), a scalar its default; a value the user
 * must give is empty in the plain text (so what is left to fill in is flagged) and a tab stop in
 * the snippet, with the schema's first example as its placeholder, so the editor leaves the cursor
 * on it instead of inserting an empty value that is an error at once.
 */
export function templateLines(
  key: string,
  schema: SchemaNode,
  root: SchemaNode,
  depth = 0,
  stops = { n: 0 },
): TemplateLine[] {
  const s = resolveRef(root, schema);
  const value = s.default !== undefined ? s.default : skeleton(s, root, depth);
  return emit(key, value, 0, stops);
}

function skeleton(s: SchemaNode, root: SchemaNode, depth: number): unknown {
  const types = typesOf(s);
  if (types[0] === 'object' || (!types.length && s.properties)) {
    const out: Record<string, unknown> = {};
    if (depth > 8) return out;
    for (const r of s.required ?? []) {
      const sub = resolveRef(root, s.properties?.[r] ?? {});
      out[r] = sub.default !== undefined ? sub.default : skeleton(sub, root, depth + 1);
    }
    return out;
  }
  if (types[0] === 'array') return [];
  const example = s.examples?.find((e) => typeof e === 'string' || typeof e === 'number');
  const fill: ToFill = {
    [TO_FILL]: true,
    quoted: types[0] === 'string' || !types.length,
    ...(example !== undefined ? { example: String(example) } : {}),
  };
  return fill;
}

function scalar(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return '';
  return String(v);
}

function isToFill(v: unknown): v is ToFill {
  return typeof v === 'object' && v !== null && TO_FILL in v;
}

function emit(key: string, value: unknown, indent: number, stops: { n: number }): TemplateLine[] {
  const pad = ' '.repeat(indent);
  const same = (line: string): TemplateLine => ({ text: line, snippet: escapeSnippet(line) });
  // an empty string in a schema's default template is a value to fill in too
  if (value === '') value = { [TO_FILL]: true, quoted: true } satisfies ToFill;
  if (isToFill(value)) {
    const stop = `\${${++stops.n}${value.example !== undefined ? `:${escapeSnippet(value.example)}` : ''}}`;
    const head = escapeSnippet(`${pad}${key}:`);
    return [
      value.quoted
        ? { text: `${pad}${key}: ""`, snippet: `${head} "${stop}"` }
        : { text: `${pad}${key}:`, snippet: `${head} ${stop}` },
    ];
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (!entries.length) return [same(`${pad}${key}: {}`)];
    return [same(`${pad}${key}:`), ...entries.flatMap(([k, v]) => emit(k, v, indent + 2, stops))];
  }
  if (Array.isArray(value))
    return [{ text: `${pad}${key}: []`, snippet: `${escapeSnippet(`${pad}${key}:`)} [\${${++stops.n}}]` }];
  const v = scalar(value);
  return [same(v ? `${pad}${key}: ${v}` : `${pad}${key}:`)];
}

/** Joins template lines into one edit's text and snippet (`$0`, the final cursor, after the last line). */
export function joinTemplate(
  lines: readonly TemplateLine[],
  prefix: string,
  nl: string,
  suffix = '',
): { newText: string; snippet: string } {
  return {
    newText: prefix + lines.map((l) => l.text).join(nl) + suffix,
    snippet: escapeSnippet(prefix) + lines.map((l) => l.snippet).join(nl) + '$0' + escapeSnippet(suffix),
  };
}

/** A quick fix inserting `key` (from its template) at the end of a block mapping, at its indentation. */
export function templateInsertion(
  ctx: CardContext,
  mapping: YamlNode,
  key: string,
  schema: SchemaNode,
  root: SchemaNode,
): Fix | undefined {
  const doc = ctx.doc;
  const text = doc.text;
  if (mapping.kind !== 'mapping' || text[mapping.start] === '{') return undefined;
  const first = mapping.pairs?.[0]?.key;
  if (!first) return undefined;
  const lineStart = text.lastIndexOf('\n', first.start - 1) + 1;
  const prefix = text.slice(lineStart, first.start);
  // the first key may follow a `- ` sequence dash: its siblings are indented to the key's column
  const indent = /^[ -]*$/.test(prefix) ? prefix.length : -1;
  if (indent < 0) return undefined;
  let eol = text.indexOf('\n', mapping.end);
  if (eol < 0) eol = text.length;
  else if (text[eol - 1] === '\r') eol--;
  const nl = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = templateLines(key, schema, root).map((l) => ({
    text: ' '.repeat(indent) + l.text,
    snippet: ' '.repeat(indent) + l.snippet,
  }));
  const title = `Add '${key}' from the template`;
  const next = text.indexOf('\n', eol) + 1;
  if (next > 0) {
    // At the start of the next line: editors re-indent a snippet's lines to the line it is typed on,
    // and there that is nothing.
    const at = { start: next, end: next };
    return {
      kind: 'edit',
      title,
      isPreferred: true,
      edits: [{ file: ctx.file, range: doc.range(at), ...joinTemplate(lines, '', nl, nl) }],
    };
  }
  // The mapping ends the file without a newline: plain text (a snippet would be re-indented to its last line).
  const at = { start: eol, end: eol };
  return {
    kind: 'edit',
    title,
    isPreferred: true,
    edits: [{ file: ctx.file, range: doc.range(at), newText: nl + lines.map((l) => l.text).join(nl) }],
  };
}

import type { Fix } from '../findings.ts';
import type { YamlNode } from '../yaml/document.ts';
import type { CardContext } from './context.ts';
import { resolveRef, typesOf, type SchemaNode } from './schema.ts';

/**
 * The YAML for a missing field, built from the schema: a section gets its required fields
 * (from the schema's `default` template when it has one), a scalar its default or an empty
 * string, so the inserted text is valid YAML and what is left to fill in is flagged.
 */
export function templateLines(key: string, schema: SchemaNode, root: SchemaNode, depth = 0): string[] {
  const s = resolveRef(root, schema);
  const value = s.default !== undefined ? s.default : skeleton(s, root, depth);
  return emit(key, value, 0);
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
  if (types[0] === 'string' || !types.length) return '';
  return null;
}

function scalar(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return '';
  return String(v);
}

function emit(key: string, value: unknown, indent: number): string[] {
  const pad = ' '.repeat(indent);
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (!entries.length) return [`${pad}${key}: {}`];
    return [`${pad}${key}:`, ...entries.flatMap(([k, v]) => emit(k, v, indent + 2))];
  }
  if (Array.isArray(value)) return [`${pad}${key}: []`];
  const v = scalar(value);
  return [v ? `${pad}${key}: ${v}` : `${pad}${key}:`];
}

/** A quick fix inserting `key` (from its template) at the end of a block mapping, at its indentation. */
export function templateInsertion(ctx: CardContext, mapping: YamlNode, key: string, schema: SchemaNode, root: SchemaNode): Fix | undefined {
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
  const lines = templateLines(key, schema, root).map((l) => ' '.repeat(indent) + l);
  const at = { start: eol, end: eol };
  return { kind: 'edit', title: `Add '${key}' from the template`, isPreferred: true, edits: [{ file: ctx.file, range: doc.range(at), newText: nl + lines.join(nl) }] };
}

import type { TextPosition, TextRange } from '../findings.ts';
import { parseYaml, type YamlDocument, type YamlNode } from '../yaml/document.ts';
import { LineIndex } from '../yaml/lines.ts';
import { frontMatter, modelCardKind } from './files.ts';
import { licenseCompletions } from './license.ts';
import {
  branchFor,
  describeTypes,
  resolveRef,
  schemaAtPath,
  schemaFor,
  typesOf,
  type CardDialect,
  type SchemaNode,
} from './schema.ts';

/**
 * Editor help for model cards, from the same schemas the validator uses: field documentation for
 * hovers, and key/value completion. Pure (no VS Code), so it is unit-tested; the extension maps
 * the results to its types.
 */

export interface FieldHover {
  markdown: string;
  range: TextRange;
}

export interface CardCompletion {
  label: string;
  kind: 'key' | 'value';
  insertText: string;
  detail?: string;
  documentation?: string;
  /** The range the completion replaces (the partial word at the cursor). */
  range: TextRange;
}

function dialectOf(file: string): CardDialect {
  return modelCardKind(file) === 'hf-readme' ? 'hf-readme' : 'card-yaml';
}

/** The YAML part of a card file (the front matter of a README), with its offset, or undefined. */
function yamlPart(text: string, file: string): { text: string; offset: number } | undefined {
  if (dialectOf(file) === 'hf-readme') return frontMatter(text);
  return { text, offset: 0 };
}

/** Markdown documentation of a schema field. */
export function fieldMarkdown(pathLabel: string, s: SchemaNode): string {
  const parts = [`**${pathLabel}**${typesOf(s).length ? ` · ${describeTypes(typesOf(s))}` : ''}`];
  if (s.description) parts.push(s.description);
  if (s.enum)
    parts.push(
      `Allowed: ${s.enum
        .slice(0, 40)
        .map((v) => `\`${String(v)}\``)
        .join(', ')}${s.enum.length > 40 ? ', …' : ''}`,
    );
  const bounds = [
    s.minimum !== undefined ? `≥ ${s.minimum}` : '',
    s.exclusiveMinimum !== undefined ? `> ${s.exclusiveMinimum}` : '',
    s.maximum !== undefined ? `≤ ${s.maximum}` : '',
    s.exclusiveMaximum !== undefined ? `< ${s.exclusiveMaximum}` : '',
  ].filter(Boolean);
  if (bounds.length) parts.push(`Range: ${bounds.join(', ')}`);
  if (s.format) parts.push(`Format: \`${s.format}\``);
  if (s.required?.length) parts.push(`Required: ${s.required.map((r) => `\`${r}\``).join(', ')}`);
  if (s.examples?.length) parts.push(`Example: \`${String(s.examples[0])}\``);
  return parts.join('\n\n');
}

/** Documentation of the field whose key (or scalar value) is at `pos`. */
export function hoverAt(text: string, file: string, pos: TextPosition): FieldHover | undefined {
  const part = yamlPart(text, file);
  if (!part) return undefined;
  const lines = new LineIndex(text);
  const doc = parseYaml(part.text, { baseOffset: part.offset }, lines);
  if (!doc.root) return undefined;
  const offset = lines.offset(pos) - part.offset;
  if (offset < 0 || offset > part.text.length) return undefined;
  const hit = locate(doc, doc.root, offset, []);
  if (!hit) return undefined;
  const root = schemaFor(dialectOf(file));
  const s = schemaAtPath(root, hit.path);
  if (!s || (!s.description && !s.enum)) return undefined;
  const label = hit.path
    .map((p) => (p === '*' ? '[]' : p))
    .join('.')
    .replace(/\.\[\]/g, '[]');
  return { markdown: fieldMarkdown(label, s), range: doc.range(hit.node) };
}

function locate(
  doc: YamlDocument,
  node: YamlNode,
  offset: number,
  path: (string | number)[],
): { node: YamlNode; path: (string | '*')[] } | undefined {
  if (node.kind === 'mapping') {
    for (const p of node.pairs ?? []) {
      if (offset >= p.key.start && offset <= p.key.end)
        return { node: p.key, path: [...path, p.keyText] as (string | '*')[] };
      const v = p.value;
      if (v && offset >= v.start && offset <= v.end) {
        if (v.kind === 'scalar' || v.kind === 'alias')
          return { node: v, path: [...path, p.keyText] as (string | '*')[] };
        return locate(doc, v, offset, [...path, p.keyText]);
      }
    }
  } else if (node.kind === 'sequence') {
    for (const it of node.items ?? []) {
      if (offset >= it.start && offset <= it.end && it.kind !== 'scalar')
        return locate(doc, it, offset, [...path, '*']);
    }
  }
  return undefined;
}

// ---- completion, by indentation (the document is mid-edit and often not valid YAML) ----

interface LineShape {
  blank: boolean;
  /** Column of the key, if the line has `key:`. */
  keyCol?: number;
  key?: string;
  /** Column of a leading `- `. */
  dashCol?: number;
  /** The key has a value on the same line. */
  hasValue: boolean;
  /** Column of the first content character. */
  indent: number;
}

const KEY_LINE = /^(\s*)(?:(-)(\s+))?("[^"]*"|'[^']*'|[^\s#:'"-][^:#]*?|-[^\s:#][^:#]*?)\s*:(?=\s|$)(.*)$/;

function shape(line: string): LineShape {
  const indent = line.length - line.trimStart().length;
  const t = line.trim();
  if (!t || t.startsWith('#')) return { blank: true, hasValue: false, indent };
  const m = KEY_LINE.exec(line);
  if (m) {
    const dashCol = m[2] ? m[1].length : undefined;
    const keyCol = m[1].length + (m[2] ? 1 + m[3].length : 0);
    const rest = m[5].replace(/\s#.*$/, '').trim();
    return { blank: false, keyCol, key: m[4].replace(/^["']|["']$/g, ''), dashCol, hasValue: rest.length > 0, indent };
  }
  const dash = /^(\s*)-(\s|$)/.exec(line);
  return { blank: false, dashCol: dash ? dash[1].length : undefined, hasValue: true, indent };
}

/** The mapping path (keys and '*' for list items) that a key at `col` on line `lineNo` belongs to. */
function contextPath(
  lines: string[],
  lineNo: number,
  col: number,
  first: number,
  ownDashCol?: number,
): (string | '*')[] {
  const path: (string | '*')[] = [];
  let need = col; // a parent key sits left of this column
  let seq = ownDashCol; // inside a list item whose dash is at this column
  if (seq !== undefined) path.unshift('*');
  for (let i = lineNo - 1; i >= first; i--) {
    const s = shape(lines[i]);
    if (s.blank) continue;
    if (seq !== undefined) {
      // the list's parent key is left of the dash, or at the dash's column without a dash of its own (`key:\n- item`)
      if (s.keyCol !== undefined && !s.hasValue && (s.dashCol === undefined ? s.keyCol <= seq : s.keyCol < seq)) {
        path.unshift(s.key!);
        need = s.keyCol;
        seq = undefined;
        if (s.dashCol !== undefined) {
          path.unshift('*');
          seq = s.dashCol;
        }
      } else if (s.indent < seq && s.dashCol === undefined && s.keyCol === undefined) return path;
      continue;
    }
    if (s.keyCol === need && s.dashCol !== undefined) {
      // the first key of our list item: we are in a mapping inside a list
      path.unshift('*');
      seq = s.dashCol;
      continue;
    }
    if (s.keyCol !== undefined && s.keyCol < need && !s.hasValue) {
      path.unshift(s.key!);
      need = s.keyCol;
      if (s.dashCol !== undefined) {
        path.unshift('*');
        seq = s.dashCol;
      }
      continue;
    }
    if (s.indent < need && s.keyCol === undefined && s.dashCol === undefined) return path; // text we cannot place
  }
  return path;
}

/** Keys already written in the mapping that a key at `col` on `lineNo` belongs to. */
function siblingKeys(lines: string[], lineNo: number, col: number, first: number, last: number): Set<string> {
  const keys = new Set<string>();
  const own = shape(lines[lineNo]);
  if (own.dashCol !== undefined && own.dashCol < col) {
    // a new list item: its siblings are below only
  } else {
    for (let i = lineNo - 1; i >= first; i--) {
      const s = shape(lines[i]);
      if (s.blank) continue;
      if (s.keyCol === col) keys.add(s.key!);
      if (s.dashCol !== undefined && s.dashCol < col) break; // our list item starts here
      if (s.indent < col && s.dashCol === undefined) break;
    }
  }
  for (let i = lineNo + 1; i <= last; i++) {
    const s = shape(lines[i]);
    if (s.blank) continue;
    if (s.dashCol !== undefined && s.dashCol < col) break;
    if (s.indent < col) break;
    if (s.keyCol === col) keys.add(s.key!);
  }
  return keys;
}

/** Completions at `pos`: missing keys of the mapping being typed in, or allowed values of the key on the line. */
/** The Hugging Face license ids, from the Hub card schema's `license` enum. */
function hfLicenseIds(): string[] {
  const hf = schemaFor('hf-readme');
  return (resolveRef(hf, hf.properties?.license ?? {}).enum ?? []).filter((x): x is string => typeof x === 'string');
}

export function completionsAt(text: string, file: string, pos: TextPosition): CardCompletion[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (pos.line >= lines.length) return [];
  let first = 0;
  let last = lines.length - 1;
  if (dialectOf(file) === 'hf-readme') {
    if (!/^(\ufeff)?---\s*$/.test(lines[0] ?? '')) return [];
    const close = lines.findIndex((l, i) => i > 0 && /^---\s*$/.test(l));
    if (close < 0 || pos.line <= 0 || pos.line >= close) return [];
    first = 1;
    last = close - 1;
  }
  const line = lines[pos.line];
  const before = line.slice(0, pos.character);
  const root = schemaFor(dialectOf(file));

  const keyTyping = /^(\s*)(?:(-)(\s+))?([\w.-]*)$/.exec(before);
  if (keyTyping) {
    const dashCol = keyTyping[2] ? keyTyping[1].length : undefined;
    const col = keyTyping[1].length + (keyTyping[2] ? 1 + keyTyping[3].length : 0);
    const path = contextPath(lines, pos.line, col, first, dashCol);
    const found = schemaAtPath(root, path);
    const s = found && branchFor(root, found, 'object');
    if (!s?.properties) return [];
    const have = siblingKeys(lines, pos.line, col, first, last);
    const typedKey = shape(line).key;
    if (typedKey) have.delete(typedKey);
    const range = { start: { line: pos.line, character: col }, end: { line: pos.line, character: pos.character } };
    const required = new Set(s.required ?? []);
    return Object.entries(s.properties)
      .filter(([k]) => !have.has(k))
      .map(([k, raw]) => {
        const sub = resolveRef(root, raw);
        const nested = typesOf(sub)[0] === 'object' || typesOf(sub)[0] === 'array';
        return {
          label: k,
          kind: 'key' as const,
          range,
          insertText: nested ? `${k}:` : `${k}: `,
          detail: `${required.has(k) ? 'required · ' : ''}${describeTypes(typesOf(sub))}`,
          documentation: sub.description,
        };
      })
      .sort((a, b) => Number(!required.has(a.label)) - Number(!required.has(b.label)));
  }

  const valueTyping = /^(\s*)(?:(-)(\s+))?("[^"]*"|'[^']*'|[\w.-]+):\s+(["']?)([^"'#]*)$/.exec(before);
  if (valueTyping) {
    const dashCol = valueTyping[2] ? valueTyping[1].length : undefined;
    const col = valueTyping[1].length + (valueTyping[2] ? 1 + valueTyping[3].length : 0);
    const key = valueTyping[4].replace(/^["']|["']$/g, '');
    const found = schemaAtPath(root, [...contextPath(lines, pos.line, col, first, dashCol), key]);
    const s =
      found &&
      (found.anyOf
        ? (found.anyOf.map((b) => resolveRef(root, b)).find((b) => b.enum || typesOf(b).includes('boolean')) ?? found)
        : found);
    if (!s) return [];
    if (s['x-role'] === 'license') {
      // an SPDX expression: complete the identifier being typed (`MIT OR Apa|`)
      const word = /[\w.+-]*$/.exec(valueTyping[6])![0];
      const range = {
        start: { line: pos.line, character: pos.character - word.length },
        end: { line: pos.line, character: pos.character },
      };
      return licenseCompletions(hfLicenseIds()).map(({ id, detail }) => ({
        label: id,
        kind: 'value' as const,
        insertText: id,
        range,
        detail,
        documentation: s.description,
      }));
    }
    const values =
      s.enum?.filter((v): v is string | number | boolean => v !== null && typeof v !== 'object').map(String) ??
      (typesOf(s).includes('boolean') ? ['true', 'false'] : (s['x-known'] ?? []));
    const partial = valueTyping[6];
    const range = {
      start: { line: pos.line, character: pos.character - partial.length },
      end: { line: pos.line, character: pos.character },
    };
    return values.map((v) => ({
      label: v,
      kind: 'value' as const,
      insertText: v,
      range,
      documentation: s.description,
    }));
  }
  return [];
}

import type { Fix, TextEdit } from '../findings.ts';
import type { YamlDocument, YamlNode } from '../yaml/document.ts';
import { columnOf, insert, replace } from '../workflow/edits.ts';
import { mapping, pair } from './yamlView.ts';

/**
 * Quick-fix edits for manifests that keep the user's layout: a missing field is added under the
 * mapping that should hold it (creating `securityContext:` / `capabilities:` when absent, indented
 * like its siblings), an existing wrong value is replaced in place. Flow mappings (`{}`) get the
 * field inside the braces. When the layout is anything else no edit is offered.
 */

export function fix(title: string, edits: (TextEdit | undefined)[], isPreferred = true): Fix | undefined {
  const real = edits.filter((e): e is TextEdit => e !== undefined);
  return real.length === edits.length && real.length ? { kind: 'edit', title, edits: real, isPreferred } : undefined;
}

function lineEnd(text: string, offset: number): number {
  const e = text.indexOf('\n', offset);
  const end = e < 0 ? text.length : e;
  return end > 0 && text[end - 1] === '\r' ? end - 1 : end;
}

/** Lines for `keys[0]: { keys[1]: … value }` in block style, the first unindented. */
function nested(keys: readonly string[], value: string, indent: string): string[] {
  const lines: string[] = [];
  keys.forEach((k, i) => lines.push(`${indent.repeat(i)}${k}:${i === keys.length - 1 ? ` ${value}` : ''}`));
  return lines;
}

function indentUnit(doc: YamlDocument, m: YamlNode): string {
  const col = m.pairs?.[0] ? columnOf(doc, m.pairs[0].key) : undefined;
  // the document's own step, read from the first nested mapping under this one
  for (const p of m.pairs ?? []) {
    const v = doc.resolveAlias(p.value);
    if (v?.kind === 'mapping' && v.pairs?.length && col !== undefined && doc.text[v.start] !== '{') {
      const c = columnOf(doc, v.pairs[0].key);
      if (c !== undefined && c > col) return ' '.repeat(c - col);
    }
  }
  return '  ';
}

/** Add `key: value` (or a nested path of keys) as the last entry of a mapping. */
function addToMapping(doc: YamlDocument, m: YamlNode, keys: readonly string[], value: string): TextEdit | undefined {
  if (doc.text[m.start] === '{') {
    const flowValue = keys.slice(1).reduceRight((acc, k) => `{${k}: ${acc}}`, value);
    const close = m.end - 1;
    if (doc.text[close] !== '}') return undefined;
    const empty = !m.pairs?.length;
    return insert(doc, close, `${empty ? '' : ', '}${keys[0]}: ${flowValue}`);
  }
  if (!m.pairs?.length) return undefined;
  const col = columnOf(doc, m.pairs[0].key);
  if (col === undefined) return undefined;
  const unit = indentUnit(doc, m);
  const last = m.pairs[m.pairs.length - 1];
  const at = lineEnd(doc.text, Math.max(last.key.end, last.value?.end ?? 0));
  const pad = ' '.repeat(col);
  return insert(
    doc,
    at,
    nested(keys, value, unit)
      .map((l) => `\n${pad}${l}`)
      .join(''),
  );
}

/**
 * Set `keys` (a path under `parent`) to `value` (YAML text for a scalar or flow collection):
 * replaces the value when the last key exists, otherwise adds what is missing.
 */
export function setField(
  doc: YamlDocument,
  parent: YamlNode,
  keys: readonly string[],
  value: string,
): TextEdit | undefined {
  let m = mapping(doc, parent);
  if (!m) return undefined;
  for (let i = 0; i < keys.length; i++) {
    const p = pair(doc, m, keys[i]);
    if (!p) return addToMapping(doc, m, keys.slice(i), value);
    if (i === keys.length - 1) {
      const colon = doc.text.indexOf(':', p.key.end);
      if (colon < 0) return undefined;
      const v = p.value ? doc.resolveAlias(p.value) : null;
      if (p.value && p.value.kind === 'alias') return undefined; // editing an alias would change its anchor's other uses
      const end = Math.max(colon + 1, v && v === p.value ? v.end : colon + 1);
      return replace(doc, p.key.end, end, `: ${value}`);
    }
    const next = mapping(doc, p.value);
    if (!next) {
      // `securityContext:` with no value, or a scalar: replace it with the nested block
      const v = p.value;
      if (v && v.kind !== 'scalar') return undefined;
      if (v && v.kind === 'scalar' && v.value !== null) return undefined;
      const col = columnOf(doc, p.key);
      if (col === undefined) return undefined;
      const colon = doc.text.indexOf(':', p.key.end);
      const pad = ' '.repeat(col + 2);
      return replace(
        doc,
        p.key.end,
        Math.max(colon + 1, v?.end ?? 0),
        `:${nested(keys.slice(i + 1), value, '  ')
          .map((l) => `\n${pad}${l}`)
          .join('')}`,
      );
    }
    m = next;
  }
  return undefined;
}

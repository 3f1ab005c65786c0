import type { YamlDocument, YamlNode, YamlPair } from '../yaml/document.ts';

/**
 * Small readers over the source-mapped YAML tree, shared by the Kubernetes and admission-policy
 * rules. They follow aliases (bounded by the document's anchors) and never throw on wrong types:
 * a value of the wrong shape is simply absent (the schema rules report it).
 */

/** A flow mapping written as a sequence item (`- {a: 1}`) comes back as a mapping keyed by it; unwrap it. */
export function unwrapFlowItem(node: YamlNode | null | undefined): YamlNode | null {
  if (!node) return null;
  const only = node.kind === 'mapping' && node.pairs?.length === 1 ? node.pairs[0] : undefined;
  return only && only.value === null && only.key.kind === 'mapping' ? only.key : node;
}

export function mapping(doc: YamlDocument, node: YamlNode | null | undefined): YamlNode | undefined {
  const n = unwrapFlowItem(doc.resolveAlias(node));
  return n && n.kind === 'mapping' ? n : undefined;
}

export function sequence(doc: YamlDocument, node: YamlNode | null | undefined): YamlNode[] {
  const n = doc.resolveAlias(node);
  if (!n || n.kind !== 'sequence') return [];
  return (n.items ?? []).map((i) => unwrapFlowItem(doc.resolveAlias(i)) ?? i);
}

/**
 * The pair for `key`, with YAML merge keys applied as Kubernetes' parser (go-yaml) applies them: a
 * key written in the mapping wins, else the first mapping merged in (`<<: *a`, `<<: [*a, *b]`,
 * `<<: {…}`) that has it, merges of merges included. Without this a `<<:` could hide
 * `privileged: true` or `hostNetwork: true` from every rule.
 */
export function pair(doc: YamlDocument, node: YamlNode | null | undefined, key: string): YamlPair | undefined {
  const m = mapping(doc, node);
  const own = doc.pair(m, key);
  if (own || !m || key === MERGE_KEY) return own;
  return mergedPair(doc, m, key, 0);
}

const MERGE_KEY = '<<';
/** Merges followed inside merges at most (an alias cycle ends here). */
const MAX_MERGE_DEPTH = 16;

function mergeSources(doc: YamlDocument, m: YamlNode): YamlNode[] {
  const p = doc.pair(m, MERGE_KEY);
  const v = p?.value ? doc.resolveAlias(p.value) : null;
  if (!v) return [];
  if (v.kind === 'sequence')
    return (v.items ?? []).map((i) => mapping(doc, i)).filter((x): x is YamlNode => x !== undefined);
  const one = mapping(doc, v);
  return one ? [one] : [];
}

function mergedPair(doc: YamlDocument, m: YamlNode, key: string, depth: number): YamlPair | undefined {
  if (depth >= MAX_MERGE_DEPTH) return undefined;
  for (const src of mergeSources(doc, m)) {
    const p = doc.pair(src, key) ?? mergedPair(doc, src, key, depth + 1);
    if (p) return p;
  }
  return undefined;
}

/** The value node of `key` (aliases followed), or undefined. */
export function child(doc: YamlDocument, node: YamlNode | null | undefined, key: string): YamlNode | undefined {
  const p = pair(doc, node, key);
  const v = p?.value ? doc.resolveAlias(p.value) : null;
  return v ? (unwrapFlowItem(v) ?? v) : undefined;
}

/** Walk keys from a node. */
export function path(
  doc: YamlDocument,
  node: YamlNode | null | undefined,
  keys: readonly string[],
): YamlNode | undefined {
  let n: YamlNode | undefined = node ?? undefined;
  for (const k of keys) {
    n = child(doc, n, k);
    if (!n) return undefined;
  }
  return n;
}

/** A scalar as a string ('' for null; undefined for collections). Dates and numbers are stringified. */
export function text(doc: YamlDocument, node: YamlNode | null | undefined): string | undefined {
  const n = doc.resolveAlias(node);
  if (!n || n.kind !== 'scalar') return undefined;
  if (n.value === null || n.value === undefined) return '';
  return n.value instanceof Date ? n.value.toISOString() : String(n.value);
}

export function str(doc: YamlDocument, node: YamlNode | null | undefined, key: string): string | undefined {
  return text(doc, child(doc, node, key));
}

/**
 * Kubernetes reads manifests with go-yaml (YAML 1.1), where the plain words `yes`/`on`/`y` are true
 * and `no`/`off`/`n` false: `privileged: yes` makes a privileged container. Quoted, they are strings.
 */
const YAML11_TRUE = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON']);
const YAML11_FALSE = new Set(['n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF']);

/** `true`/`false` when Kubernetes reads the YAML value as a boolean (a real one, or a plain YAML 1.1 word). */
export function bool(doc: YamlDocument, node: YamlNode | null | undefined, key: string): boolean | undefined {
  return boolOf(doc, child(doc, node, key));
}

/** The boolean Kubernetes reads from a value node (see `bool`). */
export function boolOf(doc: YamlDocument, node: YamlNode | null | undefined): boolean | undefined {
  const n = doc.resolveAlias(node);
  if (n?.kind !== 'scalar') return undefined;
  if (typeof n.value === 'boolean') return n.value;
  if (typeof n.value === 'string' && (n.style ?? 'plain') === 'plain') {
    if (YAML11_TRUE.has(n.value)) return true;
    if (YAML11_FALSE.has(n.value)) return false;
  }
  return undefined;
}

export function strings(doc: YamlDocument, node: YamlNode | null | undefined): { value: string; node: YamlNode }[] {
  const n = doc.resolveAlias(node);
  if (n?.kind === 'scalar') {
    const t = text(doc, n);
    return t === undefined ? [] : [{ value: t, node: n }];
  }
  return sequence(doc, n).flatMap((i) => {
    const t = text(doc, i);
    return t === undefined ? [] : [{ value: t, node: i }];
  });
}

/** The pairs of a mapping, aliases resolved and merge keys applied (each key once: the one `pair` returns). */
export function pairs(doc: YamlDocument, node: YamlNode | null | undefined): YamlPair[] {
  const m = mapping(doc, node);
  if (!m) return [];
  const own = m.pairs ?? [];
  if (!own.some((p) => p.keyText === MERGE_KEY)) return own;
  const out: YamlPair[] = [];
  const seen = new Set<string>();
  const add = (ps: readonly YamlPair[]) => {
    for (const p of ps)
      if (p.keyText !== MERGE_KEY && !seen.has(p.keyText)) {
        seen.add(p.keyText);
        out.push(pair(doc, m, p.keyText)!);
      }
  };
  add(own);
  const walk = (n: YamlNode, depth: number) => {
    if (depth >= MAX_MERGE_DEPTH) return;
    for (const src of mergeSources(doc, n)) {
      add(src.pairs ?? []);
      walk(src, depth + 1);
    }
  };
  walk(m, 0);
  return out;
}

/** Where to put a finding about a key: the key itself, or the node when there is no key. */
export function keyOf(doc: YamlDocument, parent: YamlNode | null | undefined, key: string): YamlNode | undefined {
  return pair(doc, parent, key)?.key;
}

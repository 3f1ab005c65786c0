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

export function pair(doc: YamlDocument, node: YamlNode | null | undefined, key: string): YamlPair | undefined {
  return doc.pair(mapping(doc, node), key);
}

/** The value node of `key` (aliases followed), or undefined. */
export function child(doc: YamlDocument, node: YamlNode | null | undefined, key: string): YamlNode | undefined {
  const p = pair(doc, node, key);
  const v = p?.value ? doc.resolveAlias(p.value) : null;
  return v ? unwrapFlowItem(v) ?? v : undefined;
}

/** Walk keys from a node. */
export function path(doc: YamlDocument, node: YamlNode | null | undefined, keys: readonly string[]): YamlNode | undefined {
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

/** `true`/`false` only when the YAML value is a real boolean. */
export function bool(doc: YamlDocument, node: YamlNode | null | undefined, key: string): boolean | undefined {
  const n = child(doc, node, key);
  return n?.kind === 'scalar' && typeof n.value === 'boolean' ? n.value : undefined;
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

/** The pairs of a mapping, aliases resolved. */
export function pairs(doc: YamlDocument, node: YamlNode | null | undefined): YamlPair[] {
  return mapping(doc, node)?.pairs ?? [];
}

/** Where to put a finding about a key: the key itself, or the node when there is no key. */
export function keyOf(doc: YamlDocument, parent: YamlNode | null | undefined, key: string): YamlNode | undefined {
  return pair(doc, parent, key)?.key;
}

import yaml from 'js-yaml';
import type { TextPosition, TextRange } from '../findings.ts';
import { LineIndex } from './lines.ts';

/**
 * A YAML document parsed by js-yaml with a source map: every mapping, sequence, scalar and alias
 * keeps its offsets in the text, so a problem can be placed on the exact key or value.
 *
 * js-yaml reports each node it composes to a `listener` ('open' before, 'close' after). We turn
 * that event stream into a tree. Aliases stay leaves that name their anchor: following them is the
 * caller's choice and is budgeted (see `resolveAlias`), which is what makes alias bombs harmless.
 */

export type YamlNodeKind = 'mapping' | 'sequence' | 'scalar' | 'alias';
export type ScalarStyle = 'plain' | 'single' | 'double' | 'literal' | 'folded';

export interface YamlNode {
  kind: YamlNodeKind;
  /** Offset of the node's first character (after its anchor/tag properties). */
  start: number;
  /** Offset just past the node's last character (trailing blanks and comments excluded). */
  end: number;
  /** Plain value for scalars (as js-yaml resolved it: string, number, boolean, null, Date). */
  value?: unknown;
  /** Resolved tag, e.g. tag:yaml.org,2002:str; '?' is never left here. */
  tag?: string;
  style?: ScalarStyle;
  anchor?: string;
  /** For aliases: the anchor name referred to. */
  alias?: string;
  pairs?: YamlPair[];
  items?: YamlNode[];
}

export interface YamlPair {
  key: YamlNode;
  /** The key as a string (what js-yaml uses as the object property). */
  keyText: string;
  /** `null` when the key has no value node at all (e.g. `key:` followed by a less-indented line). */
  value: YamlNode | null;
}

export interface YamlProblem {
  code: 'syntax' | 'duplicate-key' | 'multiple-documents' | 'too-deep';
  message: string;
  start: number;
  end: number;
}

export interface ParseOptions {
  /** Offset of `text` inside a larger file (front matter), added to every reported offset. */
  baseOffset?: number;
  /** Counters of the work done, added to (tests bound the work instead of timing it). */
  stats?: YamlParseStats;
}

export interface YamlParseStats {
  /** Texts handed to js-yaml (a document with a duplicate key is parsed twice). */
  parses: number;
  /** Nodes js-yaml composed, over every parse. */
  nodes: number;
}

export class YamlDocument {
  readonly lines: LineIndex;
  readonly anchors = new Map<string, YamlNode>();

  constructor(
    readonly text: string,
    readonly root: YamlNode | null,
    readonly problems: YamlProblem[],
    /** Offsets are relative to `text`; this maps them into the containing file. */
    readonly baseOffset: number,
    lines: LineIndex,
  ) {
    this.lines = lines;
    if (root) indexAnchors(root, this.anchors);
  }

  /** Range of a node, or of any [start, end) pair of offsets relative to `text`. */
  range(node: { start: number; end: number }): TextRange {
    return {
      start: this.lines.position(node.start + this.baseOffset),
      end: this.lines.position(node.end + this.baseOffset),
    };
  }

  position(offset: number): TextPosition {
    return this.lines.position(offset + this.baseOffset);
  }

  /** The offset (relative to `text`) of a position in the containing file. */
  offsetAt(pos: TextPosition): number {
    return this.lines.offset(pos) - this.baseOffset;
  }

  /** The source text of a node. */
  source(node: { start: number; end: number }): string {
    return this.text.slice(node.start, node.end);
  }

  /** Follow an alias to its anchored node; other nodes are returned as they are. */
  resolveAlias(node: YamlNode | null | undefined): YamlNode | null {
    if (!node) return null;
    if (node.kind !== 'alias') return node;
    return (node.alias !== undefined && this.anchors.get(node.alias)) || null;
  }

  /** The pair for `key` in a mapping node (the last one if it is duplicated, as js-yaml's json mode). */
  pair(mapping: YamlNode | null | undefined, key: string): YamlPair | undefined {
    const m = this.resolveAlias(mapping);
    if (!m || m.kind !== 'mapping' || !m.pairs) return undefined;
    for (let i = m.pairs.length - 1; i >= 0; i--) if (m.pairs[i].keyText === key) return m.pairs[i];
    return undefined;
  }

  /** Walk a path of keys (strings) and sequence indexes (numbers) from the root. */
  at(path: readonly (string | number)[]): YamlNode | null {
    let node: YamlNode | null = this.root;
    for (const step of path) {
      node = this.resolveAlias(node);
      if (!node) return null;
      if (typeof step === 'number') node = node.kind === 'sequence' ? (node.items?.[step] ?? null) : null;
      else node = this.pair(node, step)?.value ?? null;
    }
    return this.resolveAlias(node);
  }

  /**
   * The plain JavaScript value of a node, following aliases, with a budget on the number of nodes
   * produced. Returns `{ value, complete: false }` when the budget ran out (an alias bomb).
   * `visits` counts every node looked at, including those refused once the budget was spent: the
   * work done, which tests bound instead of timing it.
   */
  toValue(node: YamlNode | null, budget = 100_000): { value: unknown; complete: boolean; visits: number } {
    let left = budget;
    let visits = 0;
    const active = new Set<YamlNode>();
    const build = (n: YamlNode | null): unknown => {
      if (!n) return null;
      visits++;
      if (--left < 0) return undefined;
      if (n.kind === 'alias') {
        const target = this.resolveAlias(n);
        if (!target || active.has(target)) return null; // unknown anchor or a recursive alias
        return build(target);
      }
      if (n.kind === 'scalar') return n.value;
      active.add(n);
      try {
        if (n.kind === 'sequence') return (n.items ?? []).map(build);
        const out: Record<string, unknown> = {};
        for (const p of n.pairs ?? []) {
          if (p.keyText === '<<' && p.value) {
            mergeInto(out, build(p.value));
            continue;
          }
          // defineProperty: a key named __proto__ must stay data, never reach the prototype
          Object.defineProperty(out, p.keyText, {
            value: build(p.value),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
        return out;
      } finally {
        active.delete(n);
      }
    };
    const value = build(node);
    return { value, complete: left >= 0, visits };
  }
}

function mergeInto(out: Record<string, unknown>, merged: unknown): void {
  const sources = Array.isArray(merged) ? merged : [merged];
  for (const src of sources) {
    if (src && typeof src === 'object' && !Array.isArray(src)) {
      for (const [k, v] of Object.entries(src)) {
        if (!Object.prototype.hasOwnProperty.call(out, k))
          Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
      }
    }
  }
}

function indexAnchors(root: YamlNode, anchors: Map<string, YamlNode>): void {
  const stack: YamlNode[] = [root];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.anchor !== undefined) anchors.set(n.anchor, n);
    if (n.items) stack.push(...n.items);
    if (n.pairs)
      for (const p of n.pairs) {
        stack.push(p.key);
        if (p.value) stack.push(p.value);
      }
  }
}

// ---- building the tree from js-yaml's listener events ----

interface Frame {
  open: number;
  children: Frame[];
  close?: number;
  kind?: string | null;
  result?: unknown;
  tag?: string | null;
}

interface ListenerState {
  position: number;
  kind: string | null;
  result: unknown;
  tag: string | null;
}

/** js-yaml nests deeper than this before its own recursion gives out; we refuse earlier, cleanly. */
const MAX_DEPTH = 1000;

export function parseYaml(text: string, options: ParseOptions = {}, lines?: LineIndex): YamlDocument {
  const baseOffset = options.baseOffset ?? 0;
  const index = lines ?? new LineIndex(baseOffset === 0 ? text : undefined);
  const problems: YamlProblem[] = [];
  const depthProblem = checkFlowDepth(text);
  if (depthProblem) {
    problems.push(depthProblem);
    return new YamlDocument(text, null, problems, baseOffset, index);
  }

  let root: YamlNode | null = null;
  const stats = options.stats;
  const attempt = (json: boolean): boolean => {
    const top: Frame = { open: 0, children: [] };
    const stack: Frame[] = [top];
    if (stats) stats.parses++;
    const listener = (event: 'open' | 'close', state: ListenerState) => {
      if (event === 'open') {
        if (stats) stats.nodes++;
        const f: Frame = { open: state.position, children: [] };
        stack[stack.length - 1].children.push(f);
        stack.push(f);
      } else {
        const f = stack.pop();
        if (!f) return;
        f.close = state.position;
        f.kind = state.kind;
        f.result = state.result;
        f.tag = state.tag;
      }
    };
    try {
      // `load` (not loadAll): a second document is an error we report ourselves below.
      yaml.load(text, { json, listener, schema: yaml.DEFAULT_SCHEMA } as unknown as yaml.LoadOptions);
      const first = top.children[0];
      root = first ? toNode(text, first) : null;
      return true;
    } catch (err) {
      const e = err as { name?: string; reason?: string; mark?: { position: number }; message?: string };
      if (e.name === 'YAMLException' && /expected a single document/.test(e.reason ?? e.message ?? '')) {
        const first = top.children[0];
        root = first ? toNode(text, first) : null;
        const sep = /^(?:---|\.\.\.)(?:[ \t]|$)/gm;
        sep.lastIndex = root ? root.end : 0;
        const m = sep.exec(text);
        const at = m ? m.index : text.length;
        problems.push({
          code: 'multiple-documents',
          message: 'the file holds more than one YAML document; only the first was checked',
          start: at,
          end: Math.min(text.length, at + 3),
        });
        return true;
      }
      if (e.name === 'YAMLException' && e.mark) {
        const reason = e.reason ?? e.message ?? 'syntax error';
        if (reason === 'duplicated mapping key' && !json) {
          const at = e.mark.position;
          problems.push({
            code: 'duplicate-key',
            message: `duplicate key ${JSON.stringify(keyTextAt(text, at))}`,
            start: at,
            end: endOfKey(text, at),
          });
          return false; // retried in json mode (duplicates allowed) so the rest can still be checked
        }
        const at = Math.min(e.mark.position, text.length);
        problems.push({ code: 'syntax', message: reason, start: at, end: Math.min(text.length, at + 1) });
        return true;
      }
      if (err instanceof RangeError) {
        problems.push({ code: 'too-deep', message: 'the document is nested too deeply to parse', start: 0, end: 0 });
        return true;
      }
      problems.push({ code: 'syntax', message: String((err as Error)?.message ?? err), start: 0, end: 0 });
      return true;
    }
  };
  if (!attempt(false)) {
    // Report every duplicate, not only the first js-yaml stopped at: json mode keeps the last value.
    attempt(true);
    if (root)
      for (const dup of findDuplicateKeys(root)) {
        if (!problems.some((p) => p.code === 'duplicate-key' && p.start === dup.key.start)) {
          problems.push({
            code: 'duplicate-key',
            message: `duplicate key ${JSON.stringify(dup.keyText)}`,
            start: dup.key.start,
            end: dup.key.end,
          });
        }
      }
  }
  return new YamlDocument(text, root, problems, baseOffset, index);
}

/** Pairs whose key already appeared earlier in the same mapping. */
export function findDuplicateKeys(root: YamlNode): YamlPair[] {
  const dups: YamlPair[] = [];
  const stack: YamlNode[] = [root];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.pairs) {
      const seen = new Set<string>();
      for (const p of n.pairs) {
        if (p.keyText !== '<<' && seen.has(p.keyText)) dups.push(p);
        seen.add(p.keyText);
        if (p.value) stack.push(p.value);
      }
    }
    if (n.items) stack.push(...n.items);
  }
  return dups;
}

/** Flow collections nest by brackets alone; js-yaml recurses once per level. Refuse absurd depths cheaply. */
function checkFlowDepth(text: string): YamlProblem | null {
  let depth = 0;
  let quote = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quote) {
      if (quote === '"' && c === 0x5c) i++;
      else if (text[i] === quote) quote = '';
      continue;
    }
    if (c === 0x22 || c === 0x27) {
      // a quote only opens a string at the start of a scalar
      const prev = i > 0 ? text[i - 1] : ' ';
      if (' \t\n\r[{,:'.includes(prev)) quote = text[i];
    } else if (c === 0x23) {
      const prev = i > 0 ? text[i - 1] : ' ';
      if (' \t\n\r'.includes(prev)) while (i < text.length && text[i] !== '\n') i++;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_DEPTH)
        return {
          code: 'too-deep',
          message: `flow collections nested more than ${MAX_DEPTH} levels deep`,
          start: i,
          end: i + 1,
        };
    } else if (c === 0x5d || c === 0x7d) {
      if (depth > 0) depth--;
    }
  }
  return null;
}

function keyTextAt(text: string, at: number): string {
  const m = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^:\n#]*?)\s*:/.exec(text.slice(at, at + 512));
  if (!m) return text.slice(at, at + 20).split('\n')[0];
  const raw = m[1];
  if (raw.startsWith('"')) {
    try {
      return JSON.parse(raw) as string;
    } catch {
      return raw;
    }
  }
  if (raw.startsWith("'")) return raw.slice(1, -1).replace(/''/g, "'");
  return raw.trim();
}

function endOfKey(text: string, at: number): number {
  const m = /^("(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^:\n#]*?)\s*:/.exec(text.slice(at, at + 512));
  return at + (m ? m[1].length : 1);
}

/** Collapse js-yaml's wrapper frames (a block-context composeNode that kept its inner result). */
function unwrap(f: Frame): Frame {
  let cur = f;
  while (cur.children.length === 1) {
    const only = cur.children[0];
    // Same kind and the very same result: the outer frame only kept the inner one's (a flow
    // collection or scalar read where a block mapping was tried, e.g. the item of `- {a: 1}`).
    if (only.kind === cur.kind && only.result === cur.result) {
      // Keep anchors/tags written on the outer frame: they come before the inner content.
      only.open = Math.min(only.open, cur.open);
      cur = only;
    } else break;
  }
  return cur;
}

function skipBlank(text: string, i: number, end = text.length): number {
  while (i < end) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\ufeff') i++;
    else if (c === '#') {
      while (i < end && text[i] !== '\n') i++;
    } else if (c === '-' && text.startsWith('---', i) && (i === 0 || text[i - 1] === '\n')) i += 3;
    else break;
  }
  return i;
}

/** Anchor (&a) and tag (!t) properties before a node's content. */
function readProperties(text: string, i: number): { at: number; anchor?: string } {
  let anchor: string | undefined;
  for (;;) {
    i = skipBlank(text, i);
    const c = text[i];
    if (c !== '&' && c !== '!') break;
    let j = i + 1;
    if (c === '!' && text[j] === '<') {
      while (j < text.length && text[j] !== '>') j++;
      j++;
    } else while (j < text.length && !' \t\n\r,[]{}'.includes(text[j])) j++;
    if (c === '&') anchor = text.slice(i + 1, j);
    i = j;
  }
  return { at: i, anchor };
}

/** Trim trailing blanks and a trailing comment back to the last content character. */
function trimEnd(text: string, start: number, end: number): number {
  let e = Math.min(end, text.length);
  for (;;) {
    while (e > start && ' \t\n\r'.includes(text[e - 1])) e--;
    // a comment on the last line: '#' preceded by a blank, outside quotes (scalars trim themselves)
    const lineStart = text.lastIndexOf('\n', e - 1) + 1;
    const from = Math.max(lineStart, start);
    const line = text.slice(from, e);
    const hash = commentStart(line);
    if (hash < 0) return e;
    e = from + hash;
  }
}

function commentStart(line: string): number {
  let quote = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (quote === '"' && c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") {
      if (i === 0 || ' \t[{,:'.includes(line[i - 1])) quote = c;
    } else if (c === '#' && (i === 0 || line[i - 1] === ' ' || line[i - 1] === '\t')) return i;
  }
  return -1;
}

function scalarStyle(text: string, at: number): ScalarStyle {
  switch (text[at]) {
    case "'":
      return 'single';
    case '"':
      return 'double';
    case '|':
      return 'literal';
    case '>':
      return 'folded';
    default:
      return 'plain';
  }
}

function scalarEnd(text: string, at: number, close: number, style: ScalarStyle): number {
  if (style === 'double') {
    for (let i = at + 1; i < text.length; i++) {
      if (text[i] === '\\') i++;
      else if (text[i] === '"') return i + 1;
    }
    return close;
  }
  if (style === 'single') {
    for (let i = at + 1; i < text.length; i++) {
      if (text[i] === "'") {
        if (text[i + 1] === "'") i++;
        else return i + 1;
      }
    }
    return close;
  }
  return trimEnd(text, at, close);
}

function toNode(text: string, frame: Frame): YamlNode {
  const f = unwrap(frame);
  const props = readProperties(text, f.open);
  const at = props.at;
  const close = f.close ?? text.length;
  const tag = f.tag && f.tag !== '?' ? f.tag : undefined;

  if (text[at] === '*' && f.kind !== 'mapping' && f.kind !== 'sequence') {
    let j = at + 1;
    while (j < text.length && !' \t\n\r,[]{}'.includes(text[j])) j++;
    return { kind: 'alias', start: at, end: j, alias: text.slice(at + 1, j) };
  }

  if (f.kind === 'mapping') {
    const pairs: YamlPair[] = [];
    const kids = f.children;
    for (let i = 0; i < kids.length; i++) {
      const k = unwrap(kids[i]);
      const keyNode = toNode(text, k);
      let value: YamlNode | null = null;
      const next = kids[i + 1];
      if (next && !isKeyFrame(text, next)) {
        value = toNodeOrEmpty(text, next);
        i++;
      }
      pairs.push({ key: keyNode, keyText: keyString(keyNode, k.result), value });
    }
    const start = Math.min(at, pairs[0]?.key.start ?? at);
    const last = pairs[pairs.length - 1];
    const end = last ? Math.max(last.value?.end ?? last.key.end, last.key.end) : trimEnd(text, start, close);
    return { kind: 'mapping', start, end: flowClose(text, start, end), pairs, anchor: props.anchor, tag };
  }
  if (f.kind === 'sequence') {
    const items = f.children.map((c) => toNodeOrEmpty(text, c)).filter((n): n is YamlNode => n !== null);
    const last = items[items.length - 1];
    const end = last ? last.end : trimEnd(text, at, close);
    return { kind: 'sequence', start: at, end: flowClose(text, at, end), items, anchor: props.anchor, tag };
  }
  const style = scalarStyle(text, at);
  let end = close <= at ? at : scalarEnd(text, at, close, style);
  if (end < at) end = at;
  return { kind: 'scalar', start: at, end, value: f.result ?? null, style, anchor: props.anchor, tag };
}

/** A value frame that composed nothing (`key:` with no value) becomes an empty null scalar at its key. */
function toNodeOrEmpty(text: string, frame: Frame): YamlNode | null {
  const f = unwrap(frame);
  if (f.kind === null && f.result === null && f.children.length === 0) {
    const at = Math.min(f.open, text.length);
    const props = readProperties(text, at);
    // `key: &a` with nothing else, or a truly empty value: point at where the value would be
    const pos = props.anchor !== undefined ? props.at : at;
    return { kind: 'scalar', start: pos, end: pos, value: null, style: 'plain', anchor: props.anchor };
  }
  return toNode(text, f);
}

/** In a mapping's child list, a key is a frame followed (after blanks) by ':' on the same line. */
function isKeyFrame(text: string, frame: Frame): boolean {
  const f = unwrap(frame);
  if (f.kind === 'mapping' || f.kind === 'sequence') return false;
  let i = f.close ?? 0;
  while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  if (text[i] !== ':') return false;
  // an empty frame that closed in front of the next key's ':' is a missing value, not a key
  return !(f.kind === null && f.result === null && f.children.length === 0);
}

function keyString(node: YamlNode, result: unknown): string {
  if (node.kind === 'scalar') {
    const v = node.value;
    if (v === null || v === undefined) return node.end > node.start ? String(v) : 'null';
    return v instanceof Date ? v.toISOString() : String(v);
  }
  return String(result);
}

/** A flow collection's range includes its closing bracket. */
function flowClose(text: string, start: number, end: number): number {
  const open = text[start];
  if (open !== '[' && open !== '{') return end;
  const want = open === '[' ? ']' : '}';
  let i = end;
  while (i < text.length && ' \t\n\r,'.includes(text[i])) i++;
  return text[i] === want ? i + 1 : end;
}

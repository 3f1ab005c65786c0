import type { Node, Point } from 'web-tree-sitter';
import type { TextPosition, TextRange } from '../findings.ts';

/** Small readers over tree-sitter-python nodes, so the checks read as Python, not as tree walking. */

export function position(p: Point): TextPosition {
  // web-tree-sitter parses JS strings as UTF-16, so columns are already UTF-16 code units.
  return { line: p.row, character: p.column };
}

export function rangeOf(node: Node): TextRange {
  return { start: position(node.startPosition), end: position(node.endPosition) };
}

export interface CallArguments {
  positional: Node[];
  keywords: Map<string, { node: Node; value: Node }>;
  /** `*args` or `**kwargs` present: what reaches a parameter cannot be known statically. */
  splat: boolean;
  /** The last argument node (for appending), if any. */
  last?: Node;
  node: Node;
}

export function callArguments(call: Node): CallArguments | undefined {
  const args = call.childForFieldName('arguments');
  if (!args || args.type !== 'argument_list') return undefined;
  const out: CallArguments = { positional: [], keywords: new Map(), splat: false, node: args };
  for (const c of args.namedChildren) {
    if (!c || c.type === 'comment') continue;
    out.last = c;
    if (c.type === 'keyword_argument') {
      const name = c.childForFieldName('name');
      const value = c.childForFieldName('value');
      if (name && value) out.keywords.set(name.text, { node: c, value });
    } else if (c.type === 'list_splat' || c.type === 'dictionary_splat') {
      out.splat = true;
    } else {
      out.positional.push(c);
    }
  }
  return out;
}

/** An argument by position or keyword, as Python binds it (undefined when absent or unknowable). */
export function argument(args: CallArguments, index: number, keyword: string): Node | undefined {
  return args.keywords.get(keyword)?.value ?? args.positional[index];
}

export type Literal =
  | { kind: 'bool'; value: boolean }
  | { kind: 'none' }
  | { kind: 'string'; value: string; quoteStart: string; quoteEnd: string };

/** A literal's value: True/False/None, or a plain string (no f-string holes, no bytes, no concatenation). */
export function literal(node: Node | undefined): Literal | undefined {
  if (!node) return undefined;
  if (node.type === 'true') return { kind: 'bool', value: true };
  if (node.type === 'false') return { kind: 'bool', value: false };
  if (node.type === 'none') return { kind: 'none' };
  if (node.type !== 'string') return undefined;
  const parts = node.namedChildren.filter((c): c is Node => c !== null);
  const start = parts[0];
  const end = parts[parts.length - 1];
  if (start?.type !== 'string_start' || end?.type !== 'string_end') return undefined;
  if (/[bB]/.test(start.text)) return undefined;
  const content = parts.slice(1, -1);
  if (content.some((c) => c.type !== 'string_content')) return undefined;
  const raw = content.map((c) => c.text).join('');
  // An escape in a non-raw string would need decoding; paths with escapes are rare enough to skip.
  if (!/[rR]/.test(start.text) && raw.includes('\\')) return undefined;
  return { kind: 'string', value: raw, quoteStart: start.text, quoteEnd: end.text };
}

/** Every node of a type, in document order, without recursion limits on deep files. */
export function descendants(root: Node, type: string): Node[] {
  return root.descendantsOfType(type).filter((n): n is Node => n !== null);
}

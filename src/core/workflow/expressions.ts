import type * as ExpressionsModule from '@actions/expressions' with { 'resolution-mode': 'import' };
import type * as AstModule from '@actions/expressions/ast' with { 'resolution-mode': 'import' };
import type * as LexerModule from '@actions/expressions/lexer' with { 'resolution-mode': 'import' };
import type { WorkMeter } from './shell.ts';
import type { MappedText } from './text.ts';

/**
 * `${{ … }}` expressions, read with GitHub's own expression lexer and parser
 * (@actions/expressions, the one the GitHub Actions language server uses). The package is
 * ESM-only, so it is loaded once with a dynamic import; esbuild inlines it into the bundles.
 */

export interface ExpressionLib {
  expressions: typeof ExpressionsModule;
  ast: typeof AstModule;
  lexer: typeof LexerModule;
}

let loading: Promise<ExpressionLib> | undefined;

export function loadExpressionLib(): Promise<ExpressionLib> {
  loading ??= Promise.all([
    import('@actions/expressions'),
    import('@actions/expressions/ast'),
    import('@actions/expressions/lexer'),
  ]).then(([expressions, ast, lexer]) => ({ expressions, ast, lexer }));
  return loading;
}

/** One context reference such as `steps.push.outputs.digest` or `github.event.issue.title`. */
export interface ContextRef {
  /** Path segments as written; `*` for a wildcard or a computed index. */
  path: string[];
  /** The same, lower-cased: GitHub compares context and property names case-insensitively. */
  lower: string[];
  /** Document offsets of the reference. */
  start: number;
  end: number;
  /**
   * True when the referenced value can end up verbatim in the expression's result (it is the
   * result, an operand of `||`/`&&`, or an argument of format/join/toJSON). References only
   * compared or tested (`contains(…)`, `==`) cannot inject text.
   */
  flows: boolean;
}

export interface Expression {
  /** Document offsets of the whole `${{ … }}` (or of the bare expression). */
  start: number;
  end: number;
  /** Index range of the expression source in the mapped text. */
  textStart: number;
  textEnd: number;
  source: string;
  refs: ContextRef[];
  /** The parser rejected it; refs were still read from the tokens. */
  invalid: boolean;
}

const CONTEXTS = [
  'github',
  'env',
  'vars',
  'job',
  'jobs',
  'steps',
  'runner',
  'secrets',
  'strategy',
  'matrix',
  'needs',
  'inputs',
];
const STATUS_FUNCTIONS = [
  { name: 'success', minArgs: 0, maxArgs: 0 },
  { name: 'always', minArgs: 0, maxArgs: 0 },
  { name: 'cancelled', minArgs: 0, maxArgs: 0 },
  { name: 'failure', minArgs: 0, maxArgs: 0 },
  { name: 'hashFiles', minArgs: 1, maxArgs: 255 },
];
/** Functions whose result contains their arguments' text. */
const PASS_THROUGH = new Set(['format', 'join', 'tojson', 'fromjson']);

/** Every `${{ … }}` in a scalar. With `bare`, a scalar without `${{` is one expression (`if:`). */
export function expressionsIn(mt: MappedText, lib: ExpressionLib, bare = false, meter?: WorkMeter): Expression[] {
  const out: Expression[] = [];
  const t = mt.text;
  if (bare && !t.includes('${{')) {
    if (t.trim()) out.push(analyse(mt, 0, t.length, 0, t.length, lib, meter));
    return out;
  }
  let i = t.indexOf('${{');
  while (i >= 0) {
    // an unbalanced quote must not hide the expressions after it: fall back to the next `}}`
    let close = findClose(t, i + 3, meter);
    if (close < 0) {
      close = t.indexOf('}}', i + 3);
      if (meter) meter.units += (close < 0 ? t.length : close) - i;
    }
    if (close < 0) break;
    out.push(analyse(mt, i, close + 2, i + 3, close, lib, meter));
    i = t.indexOf('${{', close + 2);
  }
  return out;
}

/** Expressions longer than this are read with the conservative pattern only (no lexer, no parser). */
const MAX_PARSED_EXPRESSION = 64 * 1024;

/** The `}}` that ends an expression, skipping single-quoted strings (which may contain `}}`). */
function findClose(t: string, from: number, meter: WorkMeter | undefined): number {
  let quoted = false;
  const stop = Math.min(t.length - 1, from + MAX_PARSED_EXPRESSION);
  for (let i = from; i < stop; i++) {
    if (t[i] === "'") quoted = !quoted;
    else if (!quoted && t[i] === '}' && t[i + 1] === '}') {
      if (meter) meter.units += i - from;
      return i;
    }
  }
  if (meter) meter.units += stop - from;
  return -1;
}

function analyse(
  mt: MappedText,
  outerStart: number,
  outerEnd: number,
  innerStart: number,
  innerEnd: number,
  lib: ExpressionLib,
  meter: WorkMeter | undefined,
): Expression {
  const source = mt.text.slice(innerStart, innerEnd);
  if (meter) meter.units += source.length;
  if (source.length > MAX_PARSED_EXPRESSION) {
    return {
      ...mt.span(outerStart, outerEnd),
      textStart: outerStart,
      textEnd: outerEnd,
      source,
      refs: fallbackRefs(mt, source, innerStart),
      invalid: true,
    };
  }
  const lineStarts = [0];
  for (let k = 0; k < source.length; k++) if (source[k] === '\n') lineStarts.push(k + 1);
  const index = (p: { line: number; column: number }) => (lineStarts[p.line] ?? 0) + p.column;

  const { TokenType } = lib.lexer;
  let tokens: LexerModule.Token[] = [];
  try {
    tokens = new lib.expressions.Lexer(source).lex().tokens;
  } catch {
    tokens = [];
  }
  const refs: ContextRef[] = [];
  const at = (k: number) => tokens[k]?.type;
  for (let k = 0; k < tokens.length; k++) {
    const tok = tokens[k];
    if (tok.type !== TokenType.IDENTIFIER || at(k - 1) === TokenType.DOT || at(k + 1) === TokenType.LEFT_PAREN)
      continue;
    const path = [tok.lexeme];
    let last = tok;
    let j = k + 1;
    for (;;) {
      if (at(j) === TokenType.DOT && (at(j + 1) === TokenType.IDENTIFIER || at(j + 1) === TokenType.STAR)) {
        path.push(at(j + 1) === TokenType.STAR ? '*' : tokens[j + 1].lexeme);
        last = tokens[j + 1];
        j += 2;
      } else if (
        at(j) === TokenType.LEFT_BRACKET &&
        at(j + 2) === TokenType.RIGHT_BRACKET &&
        (at(j + 1) === TokenType.STRING || at(j + 1) === TokenType.STAR || at(j + 1) === TokenType.NUMBER)
      ) {
        const v = tokens[j + 1];
        path.push(v.type === TokenType.STRING ? String(v.value ?? '') : v.type === TokenType.NUMBER ? '*' : '*');
        last = tokens[j + 2];
        j += 3;
      } else if (at(j) === TokenType.LEFT_BRACKET) {
        // a computed index: the chain continues past the matching bracket with an unknown segment
        let depth = 0;
        let m = j;
        for (; m < tokens.length; m++) {
          if (tokens[m].type === TokenType.LEFT_BRACKET) depth++;
          else if (tokens[m].type === TokenType.RIGHT_BRACKET && --depth === 0) break;
        }
        if (m >= tokens.length) break;
        path.push('*');
        last = tokens[m];
        j = m + 1;
      } else break;
    }
    const s = innerStart + index(tok.range.start);
    const e = innerStart + index(last.range.end);
    refs.push({ path, lower: path.map((p) => p.toLowerCase()), ...mt.span(s, e), flows: true });
    k = j - 1;
  }

  if (!tokens.length) refs.push(...fallbackRefs(mt, source, innerStart));

  let invalid = false;
  try {
    const expr = new lib.expressions.Parser(tokens, CONTEXTS, STATUS_FUNCTIONS).parse();
    const flowing = new Set<number>();
    markFlowing(expr, true, lib.ast, (p) => flowing.add(innerStart + index(p)), 0);
    for (const r of refs) r.flows = flowing.has(startIndex(mt, r.start, innerStart, innerEnd, meter));
  } catch {
    invalid = true; // keep every reference as flowing: the conservative reading
  }
  return { ...mt.span(outerStart, outerEnd), textStart: outerStart, textEnd: outerEnd, source, refs, invalid };
}

/**
 * When GitHub's lexer rejects the text (a stray character), context references are still read
 * with a conservative pattern so that a broken expression cannot hide an injection.
 */
function fallbackRefs(mt: MappedText, source: string, innerStart: number): ContextRef[] {
  const out: ContextRef[] = [];
  const re = /(?<![\w.'"-])([A-Za-z_][\w-]*)((?:\s*\.\s*(?:[A-Za-z_][\w-]*|\*)|\s*\[\s*(?:'[^']*'|\d+|\*)\s*\])+)/g;
  for (let m = re.exec(source); m; m = re.exec(source)) {
    if (!CONTEXTS.includes(m[1].toLowerCase())) continue;
    const path = [
      m[1],
      ...[...m[2].matchAll(/\.\s*([A-Za-z_][\w-]*|\*)|\[\s*(?:'([^']*)'|(\d+|\*))\s*\]/g)].map(
        (x) => x[1] ?? x[2] ?? '*',
      ),
    ];
    out.push({
      path,
      lower: path.map((p) => p.toLowerCase()),
      ...mt.span(innerStart + m.index, innerStart + m.index + m[0].length),
      flows: true,
    });
  }
  return out;
}

/**
 * The mapped-text index whose document offset is `offset` (references start on a token). Offsets
 * never decrease along the text, so a binary search finds it.
 */
function startIndex(mt: MappedText, offset: number, from: number, to: number, meter: WorkMeter | undefined): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    if (meter) meter.units++;
    const mid = (lo + hi) >> 1;
    if (mt.at(mid) < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo < to && mt.at(lo) === offset ? lo : -1;
}

type Expr = AstModule.Expr;
type Pos = { line: number; column: number };

function markFlowing(e: Expr, flows: boolean, ast: typeof AstModule, mark: (p: Pos) => void, depth: number): void {
  if (depth > 200) return;
  const next = (x: Expr, f: boolean) => markFlowing(x, f, ast, mark, depth + 1);
  if (e instanceof ast.Logical) for (const a of e.args) next(a, flows);
  else if (e instanceof ast.Grouping) next(e.group, flows);
  else if (e instanceof ast.FunctionCall) {
    const pass = PASS_THROUGH.has(e.functionName.lexeme.toLowerCase());
    for (const a of e.args) next(a, flows && pass);
  } else if (e instanceof ast.Binary) {
    next(e.left, false);
    next(e.right, false);
  } else if (e instanceof ast.Unary) next(e.expr, false);
  else if (e instanceof ast.IndexAccess || e instanceof ast.ContextAccess) {
    let root: Expr = e;
    while (root instanceof ast.IndexAccess) {
      next(root.index, false);
      root = root.expr;
    }
    if (root instanceof ast.ContextAccess) {
      if (flows) mark(root.name.range.start);
    } else next(root, flows);
  }
}

/** `steps.<id>…`, `needs.<job>…`: the reference's context name, lower-cased. */
export function refContext(r: ContextRef): string {
  return r.lower[0];
}

export function refText(r: ContextRef): string {
  return r.path.map((p, i) => (i === 0 ? p : /^[A-Za-z_][\w-]*$|^\*$/.test(p) ? `.${p}` : `['${p}']`)).join('');
}

/**
 * Jinja chat templates (GGUF `tokenizer.chat_template*`, tokenizer_config.json) rendered without a
 * sandbox run code (CVE-2024-34359). Every escape reaches Python internals through an attribute
 * whose name has a double underscore (`__init__`, `__globals__`), so the check asks whether the
 * template can name one: written plainly, behind string escapes (`'\x5f'`, `'\N{LOW LINE}'`), or
 * computed (`'_' * 2 ~ 'init'`, `'%c'|format(95)`, `(lipsum|string)[18]`) and then used as an
 * attribute (`|attr(…)`, `attribute=…`, `x[…]`, which falls back to getattr). Only code inside
 * `{{ }}` and `{% %}` is read; text and comments are output, not code.
 */

/** Constructs that name the OS or Python internals outright. */
const PLAIN =
  /\bos\.(?:system|popen)|\bsubprocess\b|\bpopen\s*\(|\beval\s*\(|\bexec\s*\(|\bimport\s+os\b|\b__import__\b|\bself\._TemplateReference__context|\bconfig\.items\b|\brequest\.application\b/;
/** Jinja's and Flask's globals that are Python functions or objects (a way into `__globals__`, or characters via |string). */
const GLOBAL_OBJECTS = new Set([
  'lipsum',
  'cycler',
  'joiner',
  'namespace',
  'range',
  'dict',
  'self',
  'config',
  'request',
  'url_for',
  'get_flashed_messages',
  'g',
  'session',
]);
/** Filters and methods that turn a value into text from which characters can be picked or names built. */
const STRING_BUILDERS = new Set([
  'string',
  'list',
  'first',
  'last',
  'join',
  'format',
  'replace',
  'reverse',
  'pprint',
  'slice',
  'batch',
  'urlize',
  'center',
  'indent',
  'wordwrap',
  'lower',
  'upper',
  'title',
  'capitalize',
  'sum',
]);

type Tok =
  { t: 'str'; v: string; named: boolean } | { t: 'name'; v: string } | { t: 'op'; v: string } | { t: 'num'; v: string };

/** Counts the tokens and subscript checks made, so tests can bound the work on hostile sizes. */
export interface TemplateMeter {
  units: number;
}

/** Why the template can reach Python internals, or undefined. */
export function chatTemplateEscape(template: string, meter?: TemplateMeter): string | undefined {
  const plain = PLAIN.exec(template);
  if (plain) return `uses ${JSON.stringify(plain[0])}`;
  for (const code of codeBlocks(template)) {
    const why = checkCode(tokens(code), meter);
    if (why) return why;
  }
  return undefined;
}

/** The code of every `{{ … }}` and `{% … %}` block (whitespace-control dashes included), skipping comments and raw blocks. */
function codeBlocks(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    const open = s.indexOf('{', i);
    if (open < 0 || open + 1 >= s.length) break;
    const kind = s[open + 1];
    if (kind === '#') {
      const end = s.indexOf('#}', open + 2);
      i = end < 0 ? s.length : end + 2;
      continue;
    }
    if (kind !== '{' && kind !== '%') {
      i = open + 1;
      continue;
    }
    const close = kind === '{' ? '}}' : '%}';
    const end = findClose(s, open + 2, close);
    const code = s.slice(open + 2, end < 0 ? s.length : end);
    out.push(code);
    i = end < 0 ? s.length : end + 2;
    if (kind === '%' && code.trim().replace(/^[-+]/, '').replace(/[-+]$/, '').trim() === 'raw') {
      const endraw = /\{%-?\s*endraw\s*-?%\}/g;
      endraw.lastIndex = i;
      const m = endraw.exec(s);
      i = m ? m.index + m[0].length : s.length;
    }
  }
  return out;
}

/** The end of a block, skipping string literals (a `}}` inside a string does not close it). */
function findClose(s: string, from: number, close: string): number {
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (c === "'" || c === '"') {
      for (i++; i < s.length && s[i] !== c; i++) if (s[i] === '\\') i++;
      continue;
    }
    if (s.startsWith(close, i)) return i;
  }
  return -1;
}

function tokens(code: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < code.length) {
    const c = code[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      let raw = '';
      while (j < code.length && code[j] !== c) {
        if (code[j] === '\\' && j + 1 < code.length) {
          raw += code[j] + code[j + 1];
          j += 2;
        } else raw += code[j++];
      }
      const d = decodeEscapes(raw);
      out.push({ t: 'str', v: d.value, named: d.named });
      i = j + 1;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(code.slice(i, i + 256));
    if (name) {
      out.push({ t: 'name', v: name[0] });
      i += name[0].length;
      continue;
    }
    const num = /^[0-9][0-9_.eE]*/.exec(code.slice(i, i + 64));
    if (num) {
      out.push({ t: 'num', v: num[0] });
      i += num[0].length;
      continue;
    }
    const op = /^(?:\*\*|\/\/|==|!=|<=|>=|[-+*/%~|.,:;()[\]{}<>=!])/.exec(code.slice(i, i + 2));
    out.push({ t: 'op', v: op ? op[0] : c });
    i += op ? op[0].length : 1;
  }
  return out;
}

/** Python string escapes as Jinja decodes its literals (`unicode-escape`). */
function decodeEscapes(raw: string): { value: string; named: boolean } {
  let named = false;
  const value = raw.replace(
    /\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|N\{[^}]{0,128}\}|.)/gs,
    (_m, e: string) => {
      if (/^[xuU]/.test(e)) {
        const n = parseInt(e.slice(1), 16);
        return n <= 0x10ffff ? String.fromCodePoint(n) : '';
      }
      if (/^[0-7]/.test(e)) return String.fromCodePoint(parseInt(e, 8));
      if (e.startsWith('N{')) {
        named = true;
        return '';
      }
      return (
        (
          {
            n: '\n',
            t: '\t',
            r: '\r',
            '\\': '\\',
            "'": "'",
            '"': '"',
            a: '\x07',
            b: '\b',
            f: '\f',
            v: '\v',
            '\n': '',
          } as Record<string, string>
        )[e] ?? `\\${e}`
      );
    },
  );
  return { value, named };
}

const DUNDER = /__[A-Za-z]|[A-Za-z0-9]__/;

/** A token that builds a string inside a subscript: `~`, `%`, or a string-building filter other than a pick of one item. */
function buildsKey(t: Tok[], j: number): string | undefined {
  const x = t[j];
  if (x.t === 'op' && (x.v === '~' || x.v === '%')) return 'op';
  const prev = t[j - 1];
  if (
    x.t === 'name' &&
    STRING_BUILDERS.has(x.v) &&
    prev?.t === 'op' &&
    prev.v === '|' &&
    !['first', 'last', 'lower', 'upper', 'title', 'capitalize', 'sum', 'list'].includes(x.v)
  )
    return x.v;
  return undefined;
}

function checkCode(t: Tok[], meter?: TemplateMeter): string | undefined {
  if (meter) meter.units += t.length;
  // Matching brackets and a running count of key-building tokens, so each subscript is judged in
  // one step (scanning every subscript to its end was quadratic in nested brackets).
  const close = new Int32Array(t.length).fill(-1);
  const builders = new Int32Array(t.length + 1);
  const open: number[] = [];
  for (let j = 0; j < t.length; j++) {
    const x = t[j];
    builders[j + 1] = builders[j] + (buildsKey(t, j) ? 1 : 0);
    if (x.t !== 'op') continue;
    if (x.v === '[' || x.v === '(') open.push(j);
    else if ((x.v === ']' || x.v === ')') && open.length) close[open.pop()!] = j;
  }
  for (let i = 0; i < t.length; i++) {
    const k = t[i];
    const prev = t[i - 1];
    const next = t[i + 1];
    if (k.t === 'name' && k.v.includes('__')) return `uses the name ${k.v}`;
    if (k.t === 'str') {
      if (k.named) return 'uses a \\N{…} escape in a string (a way to write _ without writing it)';
      if (DUNDER.test(k.v)) return `uses the string ${JSON.stringify(k.v)}`;
      if (/%c|\{[^{}]{0,32}:c\}/.test(k.v)) return `builds characters from numbers (${JSON.stringify(k.v)})`;
      // '_' * 2, '_' ~ 'init', '_' + x: underscores joined into a name.
      if (
        /^_+$/.test(k.v) &&
        ((prev?.t === 'op' && ['*', '~', '+'].includes(prev.v)) ||
          (next?.t === 'op' && ['*', '~', '+'].includes(next.v)) ||
          (next?.t === 'op' && next.v === '|'))
      ) {
        return `builds a name from the underscore string ${JSON.stringify(k.v)}`;
      }
    }
    // |attr(X) and attribute=X (map, selectattr, sort, groupby, sum, unique…) look attributes up by name.
    if (
      k.t === 'name' &&
      ((k.v === 'attr' && prev?.t === 'op' && prev.v === '|' && next?.t === 'op' && next.v === '(') ||
        (k.v === 'attribute' && next?.t === 'op' && next.v === '='))
    ) {
      const arg = t[i + 2];
      const after = t[i + 3];
      const literal = arg?.t === 'str' && after?.t === 'op' && (after.v === ')' || after.v === ',');
      if (!literal) return `looks an attribute up by a computed name (${k.v})`;
      if (arg.v.startsWith('_')) return `looks up the attribute ${JSON.stringify(arg.v)}`;
    }
    // Characters picked out of a function's text: (lipsum|string)[18], cycler|list.
    if (
      k.t === 'name' &&
      GLOBAL_OBJECTS.has(k.v) &&
      next?.t === 'op' &&
      next.v === '|' &&
      t[i + 2]?.t === 'name' &&
      STRING_BUILDERS.has(t[i + 2].v)
    ) {
      return `turns the global ${k.v} into text (${k.v}|${t[i + 2].v})`;
    }
    // x[…] falls back to getattr: a key built from strings reaches any attribute.
    if (
      k.t === 'op' &&
      k.v === '[' &&
      prev &&
      (prev.t === 'name' || prev.t === 'str' || (prev.t === 'op' && (prev.v === ')' || prev.v === ']')))
    ) {
      const end = close[i] < 0 ? t.length : close[i];
      if (meter) meter.units++;
      if (builders[end] - builders[i + 1] > 0) {
        let j = i + 1;
        while (!buildsKey(t, j)) j++;
        const what = buildsKey(t, j)!;
        return what === 'op'
          ? 'subscripts with a key built from strings (x[a ~ b] falls back to getattr)'
          : `subscripts with a key built by |${what} (x[…] falls back to getattr)`;
      }
    }
  }
  return undefined;
}

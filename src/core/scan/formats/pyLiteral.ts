/**
 * Python literals as `ast.literal_eval` reads them, for headers other tools write as Python source
 * (NumPy's .npy dict). A reader that differs from Python's on any input is a bypass: the header
 * names one dtype to the scanner and another to np.load. So this follows Python's tokenizer on what
 * it accepts (string prefixes and escapes, adjacent strings joined, comments, line continuations,
 * integer forms, duplicate keys: the last wins) and answers undefined for anything else, which the
 * caller treats as "not understood", never as a clean value.
 */

export type PyValue = string | PyBytes | bigint | number | boolean | null | PyTuple | PyValue[] | PyDict;
export interface PyBytes {
  k: 'bytes';
  value: Buffer;
}
export interface PyTuple {
  k: 'tuple';
  items: PyValue[];
}
/** Keys in insertion order; a repeated key keeps its first position and its last value, as dict does. */
export interface PyDict {
  k: 'dict';
  entries: [PyValue, PyValue][];
}

const MAX_DEPTH = 200;

class Fail extends Error {}

export interface PyLiteralOptions {
  /** Drop an `L` after a number, as numpy's `_filter_header` does for Python 2 headers (.npy up to 2.0). */
  py2Long?: boolean;
}

export function parsePyLiteral(text: string, options: PyLiteralOptions = {}): PyValue | undefined {
  const p = new Parser(text.replace(/^[ \t]+/, ''), options.py2Long ?? false);
  try {
    const v = p.value(0);
    p.ws();
    if (p.i !== p.s.length) return undefined;
    return v;
  } catch (e) {
    if (e instanceof Fail) return undefined;
    throw e;
  }
}

export function isTuple(v: PyValue | undefined): v is PyTuple {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && (v as PyTuple).k === 'tuple';
}
export function isDict(v: PyValue | undefined): v is PyDict {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && (v as PyDict).k === 'dict';
}
/** Python's `isinstance(v, int)`: bool is an int. */
export function isPyInt(v: PyValue | undefined): v is bigint | boolean {
  return typeof v === 'bigint' || typeof v === 'boolean';
}
export function dictGet(d: PyDict, key: string): PyValue | undefined {
  return d.entries.find(([k]) => k === key)?.[1];
}

const SIMPLE_ESCAPES: Record<string, string> = {
  '\n': '',
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

class Parser {
  i = 0;
  constructor(
    readonly s: string,
    readonly py2Long: boolean,
  ) {}

  fail(): never {
    throw new Fail();
  }

  /** Whitespace, comments and backslash-newline continuations (all legal inside brackets). */
  ws(): void {
    for (;;) {
      const c = this.s[this.i];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') this.i++;
      else if (c === '#') {
        while (this.i < this.s.length && this.s[this.i] !== '\n' && this.s[this.i] !== '\r') this.i++;
      } else if (c === '\\' && (this.s[this.i + 1] === '\n' || this.s[this.i + 1] === '\r')) this.i += 2;
      else return;
    }
  }

  value(depth: number): PyValue {
    if (depth > MAX_DEPTH) this.fail();
    this.ws();
    const c = this.s[this.i];
    if (c === '{') return this.dict(depth);
    if (c === '[') return this.seq(depth, ']');
    if (c === '(') return this.paren(depth);
    if (c === '-' || c === '+') {
      this.i++;
      const v = this.value(depth + 1);
      if (typeof v === 'bigint') return c === '-' ? -v : v;
      if (typeof v === 'number') return c === '-' ? -v : v;
      return this.fail();
    }
    if (c !== undefined && /[0-9.]/.test(c)) return this.number();
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.s.slice(this.i, this.i + 64))?.[0];
    if (word !== undefined) {
      const q = this.s[this.i + word.length];
      if ((q === "'" || q === '"') && /^(?:[uU]|[rR]|[bB]|[bB][rR]|[rR][bB])$/.test(word)) return this.strings();
      this.i += word.length;
      if (word === 'True') return true;
      if (word === 'False') return false;
      if (word === 'None') return null;
      return this.fail();
    }
    if (c === "'" || c === '"') return this.strings();
    return this.fail();
  }

  dict(depth: number): PyDict {
    this.i++;
    const d: PyDict = { k: 'dict', entries: [] };
    const index = new Map<string, number>();
    for (;;) {
      this.ws();
      if (this.s[this.i] === '}') {
        this.i++;
        return d;
      }
      const key = this.value(depth + 1);
      if (!hashable(key)) this.fail();
      this.ws();
      if (this.s[this.i] !== ':') this.fail();
      this.i++;
      const val = this.value(depth + 1);
      const ck = keyOf(key);
      const at = index.get(ck);
      if (at !== undefined) d.entries[at][1] = val;
      else {
        index.set(ck, d.entries.length);
        d.entries.push([key, val]);
      }
      this.ws();
      if (this.s[this.i] === ',') {
        this.i++;
        continue;
      }
      if (this.s[this.i] === '}') {
        this.i++;
        return d;
      }
      this.fail();
    }
  }

  seq(depth: number, close: string): PyValue[] {
    this.i++;
    const items: PyValue[] = [];
    for (;;) {
      this.ws();
      if (this.s[this.i] === close) {
        this.i++;
        return items;
      }
      items.push(this.value(depth + 1));
      this.ws();
      if (this.s[this.i] === ',') {
        this.i++;
        continue;
      }
      if (this.s[this.i] === close) {
        this.i++;
        return items;
      }
      this.fail();
    }
  }

  /** `()` and `(a,)` are tuples, `(a)` is a. */
  paren(depth: number): PyValue {
    this.i++;
    this.ws();
    if (this.s[this.i] === ')') {
      this.i++;
      return { k: 'tuple', items: [] };
    }
    const first = this.value(depth + 1);
    this.ws();
    if (this.s[this.i] === ')') {
      this.i++;
      return first;
    }
    const rest = this.seqAfterFirst(depth);
    return { k: 'tuple', items: [first, ...rest] };
  }

  private seqAfterFirst(depth: number): PyValue[] {
    // At the comma after the first item.
    this.ws();
    if (this.s[this.i] !== ',') this.fail();
    this.i++;
    const items: PyValue[] = [];
    for (;;) {
      this.ws();
      if (this.s[this.i] === ')') {
        this.i++;
        return items;
      }
      items.push(this.value(depth + 1));
      this.ws();
      if (this.s[this.i] === ',') {
        this.i++;
        continue;
      }
      if (this.s[this.i] === ')') {
        this.i++;
        return items;
      }
      this.fail();
    }
  }

  number(): bigint | number {
    const rest = this.s.slice(this.i, this.i + 4096);
    const end = this.py2Long ? '(?:[ \\t]*L)?(?![0-9A-Za-z_.])' : '(?![0-9A-Za-z_.])';
    const int = new RegExp(
      `^(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|[1-9](?:_?[0-9])*|0+(?:_?0)*)${end}`,
    ).exec(rest);
    if (int) {
      this.i += int[0].length;
      const t = int[0].replace(/[_ \tL]/g, '');
      if (/^0[oO]/.test(t)) return BigInt(`0o${t.slice(2)}`);
      return BigInt(t);
    }
    const digits = '[0-9](?:_?[0-9])*';
    const exp = `[eE][+-]?${digits}`;
    const flt = new RegExp(
      `^(?:(?:${digits})?\\.${digits}(?:${exp})?|${digits}\\.(?:${exp})?|${digits}${exp})${end}`,
    ).exec(rest);
    if (flt) {
      this.i += flt[0].length;
      return Number(flt[0].replace(/[_ \tL]/g, ''));
    }
    return this.fail();
  }

  /** One or more adjacent string literals, joined; str and bytes cannot be mixed. */
  strings(): string | PyBytes {
    let out: string | undefined;
    let bytes: Buffer | undefined;
    let first = true;
    for (;;) {
      if (!first) {
        this.ws();
        const m = /^(?:[uU]|[rR]|[bB]|[bB][rR]|[rR][bB])?['"]/.exec(this.s.slice(this.i, this.i + 3));
        if (!m) break;
      }
      const one = this.string();
      if (typeof one === 'string') {
        if (bytes) this.fail();
        out = (out ?? '') + one;
      } else {
        if (out !== undefined) this.fail();
        bytes = Buffer.concat([bytes ?? Buffer.alloc(0), one.value]);
      }
      first = false;
    }
    return bytes ? { k: 'bytes', value: bytes } : out!;
  }

  string(): string | PyBytes {
    const pre = /^[A-Za-z]*/.exec(this.s.slice(this.i, this.i + 3))![0].toLowerCase();
    this.i += pre.length;
    const raw = pre.includes('r');
    const isBytes = pre.includes('b');
    const q = this.s[this.i];
    const triple = this.s.startsWith(q.repeat(3), this.i);
    const close = triple ? q.repeat(3) : q;
    this.i += close.length;
    let out = '';
    for (;;) {
      if (this.i >= this.s.length) this.fail();
      if (this.s.startsWith(close, this.i)) {
        this.i += close.length;
        break;
      }
      const c = this.s[this.i];
      if (!triple && (c === '\n' || c === '\r')) this.fail();
      if (c === '\\') {
        const n = this.s[this.i + 1];
        if (n === undefined) this.fail();
        if (raw) {
          out += c + n;
          this.i += 2;
          continue;
        }
        this.i += 2;
        if (n === '\r' && this.s[this.i] === '\n') {
          this.i++;
          continue;
        }
        if (n in SIMPLE_ESCAPES) {
          out += SIMPLE_ESCAPES[n];
          continue;
        }
        if (/[0-7]/.test(n)) {
          let digits = n;
          while (digits.length < 3 && /[0-7]/.test(this.s[this.i] ?? '')) digits += this.s[this.i++];
          const code = parseInt(digits, 8);
          if (isBytes && code > 0xff) this.fail();
          out += String.fromCodePoint(code);
          continue;
        }
        const hexLen = n === 'x' ? 2 : !isBytes && n === 'u' ? 4 : !isBytes && n === 'U' ? 8 : 0;
        if (hexLen) {
          const h = this.s.slice(this.i, this.i + hexLen);
          if (!new RegExp(`^[0-9a-fA-F]{${hexLen}}$`).test(h)) this.fail();
          const code = parseInt(h, 16);
          if (code > 0x10ffff) this.fail();
          out += String.fromCodePoint(code);
          this.i += hexLen;
          continue;
        }
        // \N{NAME} needs the Unicode name table: not understood. Unknown escapes stay as written.
        if (n === 'N' && !isBytes) this.fail();
        out += c + n;
        continue;
      }
      if (isBytes && c.charCodeAt(0) > 0x7f) this.fail();
      out += c;
      this.i++;
    }
    return isBytes ? { k: 'bytes', value: Buffer.from(out, 'latin1') } : out;
  }
}

function hashable(v: PyValue): boolean {
  if (Array.isArray(v) || isDict(v)) return false;
  if (isTuple(v)) return v.items.every(hashable);
  return true;
}

/**
 * A string equal for keys Python's dict takes as the same (1 == 1.0 == True, equal tuples), so a
 * repeated key is found in one lookup: comparing each key with every earlier one made a 40 KB
 * header of 6,000 keys take seconds.
 */
function keyOf(v: PyValue): string {
  if (typeof v === 'boolean') return v ? 'n1' : 'n0';
  if (typeof v === 'bigint') return `n${v}`;
  if (typeof v === 'number') return Number.isInteger(v) ? `n${BigInt(v)}` : `f${v}`;
  if (typeof v === 'string') return `s${v}`;
  if (v === null) return 'N';
  if (isTuple(v)) return `t${JSON.stringify(v.items.map(keyOf))}`;
  if (!Array.isArray(v) && v.k === 'bytes') return `b${v.value.toString('hex')}`;
  return 'x';
}

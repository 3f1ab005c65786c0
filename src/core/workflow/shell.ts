import type { MappedText } from './text.ts';

/**
 * A light reader of the shell scripts in `run:` — enough to find commands, their arguments and
 * flags, pipelines, `||`/`&&` chains, redirections and here-documents. It never evaluates
 * anything: `$VAR`, `$(…)` and `${{ … }}` stay inside words as written.
 *
 * Every scan moves forward: each character of the script is visited a bounded number of times
 * (the `WorkMeter` counts them), so a megabyte of `\` continuations costs what a megabyte of
 * anything else does.
 */

export interface Word {
  /** The word with quotes removed and escapes applied (expansions kept verbatim). */
  text: string;
  /** Index range in the script text. */
  start: number;
  end: number;
  /** Any part of the word was quoted. */
  quoted: boolean;
}

export type Operator = '|' | '||' | '&&' | ';' | '&' | '\n' | '(' | ')' | 'end';

export interface Redirect {
  op: string;
  target?: Word;
}

export interface Heredoc {
  delimiter: string;
  /** The delimiter was quoted (`<<'EOF'`): `$VAR` and `$(…)` in the body are not expanded. */
  quoted: boolean;
  start: number;
  end: number;
  body: string;
}

export interface Command {
  /** Every word as written, assignments and wrappers included. */
  words: Word[];
  /** Leading `NAME=value` assignments. */
  assignments: Word[];
  /** The program word (after assignments and wrappers such as sudo/env/time), if any. */
  program?: Word;
  /** Basename of the program (`/usr/local/bin/cosign` -> `cosign`). */
  name: string;
  /** Words after the program. */
  args: Word[];
  redirects: Redirect[];
  /** The operator that ends this command. */
  next: Operator;
  /** The operator before it ('\n' for the first command). */
  prev: Operator;
  heredocs: Heredoc[];
  /** Index range of the command in the script. */
  start: number;
  end: number;
}

export interface Script {
  text: MappedText;
  commands: Command[];
  /** Single-quoted spans [open quote, closing quote) as flat pairs, in order. */
  singleQuoted: number[];
}

/** Counts the characters and steps the analysis visits; tests compare it at n and 2n. */
export interface WorkMeter {
  units: number;
}

const KEYWORDS = new Set([
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'do',
  'done',
  'while',
  'until',
  'for',
  'in',
  'case',
  'esac',
  '!',
  '{',
  '}',
  'function',
  'select',
]);
const WRAPPERS = new Set([
  'sudo',
  'env',
  'time',
  'nohup',
  'exec',
  'command',
  'builtin',
  'nice',
  'timeout',
  'stdbuf',
  'xargs',
]);

export function parseScript(text: MappedText, meter?: WorkMeter): Script {
  const singleQuoted: number[] = [];
  return { text, commands: tokenize(text.text, 0, text.text.length, singleQuoted, meter), singleQuoted };
}

/**
 * The commands of a piece of a script (the inside of a `$(…)`, say), with positions in the whole
 * script. Quoted spans found there are not recorded.
 */
export function commandsIn(src: string, from: number, to: number, meter?: WorkMeter): Command[] {
  return tokenize(src, from, Math.min(to, src.length), [], meter);
}

/** Is index `i` of the script inside single quotes (where `$X` and `${X}` stay literal)? */
export function inSingleQuotes(script: Script, i: number, meter?: WorkMeter): boolean {
  const q = script.singleQuoted;
  let lo = 0;
  let hi = q.length / 2 - 1;
  while (lo <= hi) {
    if (meter) meter.units++;
    const mid = (lo + hi) >> 1;
    if (i <= q[2 * mid]) hi = mid - 1;
    else if (i >= q[2 * mid + 1]) lo = mid + 1;
    else return true;
  }
  return false;
}

const HEREDOC_WORD = /(['"]?)([A-Za-z0-9_.-]+)\1/y;
const FD_TARGET = /\d+|-/y;

function tokenize(
  src: string,
  from: number,
  n: number,
  singleQuoted: number[],
  meter: WorkMeter | undefined,
): Command[] {
  const commands: Command[] = [];
  let words: Word[] = [];
  let redirects: Redirect[] = [];
  let heredocs: Heredoc[] = [];
  let pendingHeredocs: { delimiter: string; strip: boolean; quoted: boolean; into: Heredoc[] }[] = [];
  let prev: Operator = '\n';
  let cmdStart = -1;
  let cur = null as { text: string; start: number; quoted: boolean } | null;
  let redirectOp = null as string | null;
  let visited = 0;

  const endWord = (at: number) => {
    if (!cur) return;
    const w: Word = { text: cur.text, start: cur.start, end: at, quoted: cur.quoted };
    if (redirectOp !== null) {
      redirects.push({ op: redirectOp, target: w });
      redirectOp = null;
    } else words.push(w);
    cur = null;
  };
  const push = (c: string, at: number, quoted = false) => {
    if (!cur) cur = { text: '', start: at, quoted: false };
    if (cmdStart < 0) cmdStart = at;
    cur.text += c;
    if (quoted) cur.quoted = true;
  };
  const endCommand = (op: Operator, at: number) => {
    endWord(at);
    if (redirectOp !== null) {
      redirects.push({ op: redirectOp });
      redirectOp = null;
    }
    if (words.length || redirects.length)
      commands.push(finish(src, words, redirects, heredocs, prev, op, cmdStart < 0 ? at : cmdStart, at));
    if (words.length || redirects.length || op !== '\n') prev = op;
    words = [];
    redirects = [];
    heredocs = [];
    cmdStart = -1;
  };
  /** The index of the next `ch` at or after `at` before the end, or the end. */
  const find = (ch: string, at: number) => {
    const k = src.indexOf(ch, at);
    return k < 0 || k >= n ? n : k;
  };

  let i = from;
  while (i < n) {
    visited++;
    const c = src[i];
    if (c === '\\') {
      if (src[i + 1] === '\n') {
        endWord(i);
        i += 2;
        continue;
      }
      if (src[i + 1] === '\r' && src[i + 2] === '\n') {
        i += 3;
        continue;
      }
      if (i + 1 < n) push(src[i + 1], i, true);
      i += 2;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      endWord(i);
      i++;
      continue;
    }
    if (c === '#' && !cur) {
      const e = find('\n', i);
      visited += e - i;
      i = e;
      continue;
    }
    if (c === '\n') {
      endCommand('\n', i);
      i++;
      // here-document bodies start on the next line
      if (pendingHeredocs.length) {
        for (const h of pendingHeredocs) {
          const bodyStart = i;
          let bodyEnd = n;
          while (i < n) {
            const eol = find('\n', i);
            visited += eol - i + 1;
            const line = src.slice(i, eol);
            if ((h.strip ? line.replace(/^\t+/, '') : line).trim() === h.delimiter) {
              bodyEnd = i;
              i = Math.min(n, eol + 1);
              break;
            }
            i = Math.min(n, eol + 1);
          }
          h.into.push({
            delimiter: h.delimiter,
            quoted: h.quoted,
            start: bodyStart,
            end: bodyEnd,
            body: src.slice(bodyStart, bodyEnd),
          });
        }
        pendingHeredocs = [];
      }
      continue;
    }
    if (c === "'") {
      const end = find("'", i + 1);
      visited += end - i;
      singleQuoted.push(i, end);
      if (!cur) push('', i, true);
      cur!.quoted = true;
      cur!.text += src.slice(i + 1, end);
      i = end + 1;
      continue;
    }
    if (c === '"') {
      if (!cur) push('', i, true);
      cur!.quoted = true;
      let j = i + 1;
      while (j < n && src[j] !== '"') {
        visited++;
        if (src[j] === '\\' && j + 1 < n && '"\\$`\n'.includes(src[j + 1])) {
          if (src[j + 1] !== '\n') cur!.text += src[j + 1];
          j += 2;
          continue;
        }
        if (src[j] === '$' && src[j + 1] === '{' && src[j + 2] === '{') {
          const e = copyUntil(src, j, n, '}}');
          visited += e - j;
          cur!.text += src.slice(j, e);
          j = e;
          continue;
        }
        if (src[j] === '$' && src[j + 1] === '(') {
          const e = balanced(src, j + 1, n, singleQuoted);
          visited += e - j;
          cur!.text += src.slice(j, e);
          j = e;
          continue;
        }
        cur!.text += src[j];
        j++;
      }
      i = j + 1;
      continue;
    }
    if (c === '$' && src[i + 1] === '{' && src[i + 2] === '{') {
      const e = copyUntil(src, i, n, '}}');
      visited += e - i;
      push(src.slice(i, e), i);
      i = e;
      continue;
    }
    if (c === '$' && src[i + 1] === '(') {
      const e = balanced(src, i + 1, n, singleQuoted);
      visited += e - i;
      push(src.slice(i, e), i);
      i = e;
      continue;
    }
    if (c === '`') {
      const close = find('`', i + 1);
      const end = close < n ? close + 1 : n;
      visited += end - i;
      push(src.slice(i, end), i);
      i = end;
      continue;
    }
    if (c === '<' && src[i + 1] === '(') {
      const e = balanced(src, i + 1, n, singleQuoted);
      visited += e - i;
      push(src.slice(i, e), i);
      i = e;
      continue;
    }
    if (c === '|' || c === '&' || c === ';' || c === '(' || c === ')') {
      if (c === '&' && src[i + 1] === '>') {
        endWord(i);
        redirectOp = src[i + 2] === '>' ? '&>>' : '&>';
        i += redirectOp.length;
        continue;
      }
      const two = src.slice(i, i + 2);
      if (two === '||' || two === '&&') {
        endCommand(two, i);
        i += 2;
        continue;
      }
      if (two === ';;') {
        endCommand(';', i);
        i += 2;
        continue;
      }
      if (two === '|&') {
        endCommand('|', i);
        i += 2;
        continue;
      }
      endCommand(c as Operator, i);
      i++;
      continue;
    }
    if (c === '>' || c === '<') {
      // a file-descriptor number right before the operator belongs to it (2>&1)
      const pending = cur as { text: string; start: number } | null;
      if (pending && /^\d+$/.test(pending.text) && pending.start + pending.text.length === i) cur = null;
      else endWord(i);
      if (c === '<' && src[i + 1] === '<' && src[i + 2] !== '<') {
        let j = i + 2;
        const strip = src[j] === '-';
        if (strip) j++;
        while (j < n && (src[j] === ' ' || src[j] === '\t')) j++;
        HEREDOC_WORD.lastIndex = j;
        const m = HEREDOC_WORD.exec(src);
        if (m && m.index + m[0].length <= n) {
          pendingHeredocs.push({ delimiter: m[2], strip, quoted: m[1] !== '', into: heredocs });
          redirects.push({ op: strip ? '<<-' : '<<' });
          visited += j + m[0].length - i;
          i = j + m[0].length;
          continue;
        }
      }
      let op = c;
      let j = i + 1;
      if (c === '<' && src[j] === '<' && src[j + 1] === '<') {
        op = '<<<';
        j += 2;
      } else if (src[j] === c || src[j] === '&' || src[j] === '|') {
        op += src[j];
        j++;
      }
      if (op.endsWith('&')) {
        // >&2 : the target is a descriptor, not a word
        FD_TARGET.lastIndex = j;
        const m = FD_TARGET.exec(src);
        redirects.push({ op });
        i = j + (m ? m[0].length : 0);
        continue;
      }
      redirectOp = op;
      i = j;
      continue;
    }
    push(c, i);
    i++;
  }
  endCommand('end', n);
  if (meter) meter.units += visited;
  return commands;
}

/** The end of a `${{ … }}` (just past its `}}`), or the end of the text. */
function copyUntil(src: string, i: number, n: number, close: string): number {
  const end = src.indexOf(close, i);
  return end < 0 || end + close.length > n ? n : end + close.length;
}

/**
 * From an opening `(` to just past its match, with quotes skipped (single-quoted spans recorded);
 * the end of the text when it is never closed.
 */
export function balanced(src: string, i: number, n: number, singleQuoted: number[]): number {
  let depth = 0;
  let j = i;
  for (; j < n; j++) {
    const c = src[j];
    if (c === "'") {
      const k = src.indexOf("'", j + 1);
      const e = k < 0 || k >= n ? n : k;
      singleQuoted.push(j, e);
      j = e;
      continue;
    }
    if (c === '"') {
      let k = j + 1;
      while (k < n && src[k] !== '"') {
        if (src[k] === '\\') k++;
        k++;
      }
      j = k;
      continue;
    }
    if (c === '\\') {
      j++;
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')' && --depth === 0) break;
  }
  return Math.min(n, j + 1);
}

function finish(
  src: string,
  words: Word[],
  redirects: Redirect[],
  heredocs: Heredoc[],
  prev: Operator,
  next: Operator,
  start: number,
  end: number,
): Command {
  let k = 0;
  const assignments: Word[] = [];
  // keywords and assignments before the program; wrappers (sudo -E, env -i A=b, time -p) skipped
  for (;;) {
    while (k < words.length && KEYWORDS.has(words[k].text) && !words[k].quoted) k++;
    // `NAME=value`; a quoted `"NAME=value"` is a word (a command name), not an assignment
    while (
      k < words.length &&
      /^[A-Za-z_][A-Za-z0-9_]*\+?=/.test(words[k].text) &&
      src[words[k].start] !== '"' &&
      src[words[k].start] !== "'"
    )
      assignments.push(words[k++]);
    if (k < words.length && WRAPPERS.has(basename(words[k].text))) {
      const wrapper = basename(words[k].text);
      k++;
      while (k < words.length && words[k].text.startsWith('-')) {
        // `command -v tool` only asks whether the tool exists
        if (wrapper === 'command' && /^-[vV]$/.test(words[k].text))
          return { words, assignments, name: '', args: words.slice(k), redirects, next, prev, heredocs, start, end };
        // sudo -u USER, timeout -s SIG: options with values
        const opt = words[k].text;
        k++;
        if ((wrapper === 'sudo' && /^-[ugCDhprt]$/.test(opt)) || (wrapper === 'timeout' && /^-[sk]$/.test(opt))) k++;
      }
      if (wrapper === 'timeout' && k < words.length && /^\d/.test(words[k].text)) k++;
      continue;
    }
    break;
  }
  const program = words[k];
  return {
    words,
    assignments,
    program,
    name: program ? basename(program.text) : '',
    args: words.slice(k + 1),
    redirects,
    next,
    prev,
    heredocs,
    start,
    end,
  };
}

export function basename(p: string): string {
  const i = p.lastIndexOf('/');
  return i >= 0 ? p.slice(i + 1) : p;
}

/** The value of `--name VALUE`, `--name=VALUE` or `-n VALUE` among a command's arguments. */
export function flagValue(args: readonly Word[], names: readonly string[]): Word | undefined {
  for (let k = 0; k < args.length; k++) {
    const t = args[k].text;
    for (const name of names) {
      if (t === name) return args[k + 1];
      if (name.startsWith('--') && t.startsWith(name + '=')) {
        const w = args[k];
        return { text: t.slice(name.length + 1), start: w.start + name.length + 1, end: w.end, quoted: w.quoted };
      }
    }
  }
  return undefined;
}

export function hasFlag(args: readonly Word[], names: readonly string[]): Word | undefined {
  return args.find((a) => names.some((n) => a.text === n || (n.startsWith('--') && a.text.startsWith(n + '='))));
}

/** The first word that is not a flag (e.g. the subcommand). */
export function subcommand(cmd: Command): Word | undefined {
  return cmd.args.find((a) => !a.text.startsWith('-'));
}

/** Commands joined by pipes into the same pipeline as commands[i], from its first member. */
export function pipelineAt(commands: readonly Command[], i: number): Command[] {
  let s = i;
  while (s > 0 && commands[s - 1].next === '|') s--;
  const out = [commands[s]];
  let k = s;
  while (commands[k].next === '|' && k + 1 < commands.length) out.push(commands[++k]);
  return out;
}

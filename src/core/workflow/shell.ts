import type { MappedText } from './text.ts';

/**
 * A light reader of the shell scripts in `run:` — enough to find commands, their arguments and
 * flags, pipelines, `||`/`&&` chains, redirections and here-documents. It never evaluates
 * anything: `$VAR`, `$(…)` and `${{ … }}` stay inside words as written.
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
  heredocs: { delimiter: string; start: number; end: number; body: string }[];
  /** Index range of the command in the script. */
  start: number;
  end: number;
}

export interface Script {
  text: MappedText;
  commands: Command[];
}

const KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'fi', 'do', 'done', 'while', 'until', 'for', 'in', 'case', 'esac', '!', '{', '}', 'function', 'select']);
const WRAPPERS = new Set(['sudo', 'env', 'time', 'nohup', 'exec', 'command', 'builtin', 'nice', 'timeout', 'stdbuf', 'xargs']);

export function parseScript(text: MappedText): Script {
  return { text, commands: tokenize(text.text) };
}

function tokenize(src: string): Command[] {
  const commands: Command[] = [];
  let words: Word[] = [];
  let redirects: Redirect[] = [];
  let heredocs: Command['heredocs'] = [];
  let pendingHeredocs: { delimiter: string; strip: boolean; into: Command['heredocs'] }[] = [];
  let prev: Operator = '\n';
  let cmdStart = -1;
  let cur = null as { text: string; start: number; quoted: boolean } | null;
  let redirectOp = null as string | null;

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
    if (redirectOp !== null) { redirects.push({ op: redirectOp }); redirectOp = null; }
    if (words.length || redirects.length) commands.push(finish(words, redirects, heredocs, prev, op, cmdStart < 0 ? at : cmdStart, at));
    if (words.length || redirects.length || op !== '\n') prev = op;
    words = [];
    redirects = [];
    heredocs = [];
    cmdStart = -1;
  };

  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i];
    if (c === '\\') {
      if (src[i + 1] === '\n') { endWordIfSpace(); i += 2; continue; }
      if (src[i + 1] === '\r' && src[i + 2] === '\n') { i += 3; continue; }
      if (i + 1 < n) push(src[i + 1], i, true);
      i += 2;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') { endWord(i); i++; continue; }
    if (c === '#' && !cur) { while (i < n && src[i] !== '\n') i++; continue; }
    if (c === '\n') {
      endCommand('\n', i);
      i++;
      // here-document bodies start on the next line
      if (pendingHeredocs.length) {
        for (const h of pendingHeredocs) {
          const bodyStart = i;
          let bodyEnd = n;
          while (i < n) {
            let eol = src.indexOf('\n', i);
            if (eol < 0) eol = n;
            const line = src.slice(i, eol);
            if ((h.strip ? line.replace(/^\t+/, '') : line).trim() === h.delimiter) { bodyEnd = i; i = Math.min(n, eol + 1); break; }
            i = eol + 1;
            if (i > n) { i = n; break; }
          }
          h.into.push({ delimiter: h.delimiter, start: bodyStart, end: bodyEnd, body: src.slice(bodyStart, bodyEnd) });
        }
        pendingHeredocs = [];
      }
      continue;
    }
    if (c === "'") {
      const close = src.indexOf("'", i + 1);
      const end = close < 0 ? n : close;
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
        if (src[j] === '\\' && j + 1 < n && '"\\$`\n'.includes(src[j + 1])) {
          if (src[j + 1] !== '\n') cur!.text += src[j + 1];
          j += 2;
          continue;
        }
        if (src[j] === '$' && src[j + 1] === '{' && src[j + 2] === '{') { j = copyUntil(src, j, '}}', (s) => { cur!.text += s; }); continue; }
        if (src[j] === '$' && src[j + 1] === '(') { j = copyBalanced(src, j + 1, (s) => { cur!.text += '$' + s; }); continue; }
        cur!.text += src[j];
        j++;
      }
      i = j + 1;
      continue;
    }
    if (c === '$' && src[i + 1] === '{' && src[i + 2] === '{') {
      i = copyUntil(src, i, '}}', (s) => push(s, i));
      continue;
    }
    if (c === '$' && src[i + 1] === '(') {
      const at = i;
      i = copyBalanced(src, i + 1, (s) => push('$' + s, at));
      continue;
    }
    if (c === '`') {
      const close = src.indexOf('`', i + 1);
      const end = close < 0 ? n : close + 1;
      push(src.slice(i, end), i);
      i = end;
      continue;
    }
    if (c === '<' && src[i + 1] === '(' ) {
      const at = i;
      i = copyBalanced(src, i + 1, (s) => push('<' + s, at));
      continue;
    }
    if (c === '|' || c === '&' || c === ';' || c === '(' || c === ')') {
      if (c === '&' && src[i + 1] === '>') { endWord(i); redirectOp = src[i + 2] === '>' ? '&>>' : '&>'; i += redirectOp.length; continue; }
      const two = src.slice(i, i + 2);
      if (two === '||' || two === '&&') { endCommand(two, i); i += 2; continue; }
      if (two === ';;') { endCommand(';', i); i += 2; continue; }
      if (two === '|&') { endCommand('|', i); i += 2; continue; }
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
        while (src[j] === ' ' || src[j] === '\t') j++;
        const m = /^(['"]?)([A-Za-z0-9_.-]+)\1/.exec(src.slice(j));
        if (m) {
          pendingHeredocs.push({ delimiter: m[2], strip, into: heredocs });
          redirects.push({ op: strip ? '<<-' : '<<' });
          i = j + m[0].length;
          continue;
        }
      }
      let op = c;
      let j = i + 1;
      if (src[j] === c || src[j] === '&' || src[j] === '|') { op += src[j]; j++; }
      if (op.endsWith('&')) {
        // >&2 : the target is a descriptor, not a word
        const m = /^\d+|^-/.exec(src.slice(j));
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
  return commands;

  function endWordIfSpace(): void {
    // a line continuation separates words only when it follows a blank, but ending the
    // word is harmless either way for the checks we run
    endWord(i);
  }
}

function copyUntil(src: string, i: number, close: string, sink: (s: string) => void): number {
  const end = src.indexOf(close, i);
  const stop = end < 0 ? src.length : end + close.length;
  sink(src.slice(i, stop));
  return stop;
}

/** From an opening '(' to its match, with quotes skipped; emits the text including both parens. */
function copyBalanced(src: string, i: number, sink: (s: string) => void): number {
  let depth = 0;
  let j = i;
  for (; j < src.length; j++) {
    const c = src[j];
    if (c === "'") { const k = src.indexOf("'", j + 1); j = k < 0 ? src.length : k; continue; }
    if (c === '"') { let k = j + 1; while (k < src.length && src[k] !== '"') { if (src[k] === '\\') k++; k++; } j = k; continue; }
    if (c === '(') depth++;
    else if (c === ')' && --depth === 0) break;
  }
  const stop = Math.min(src.length, j + 1);
  sink(src.slice(i, stop));
  return stop;
}

function finish(words: Word[], redirects: Redirect[], heredocs: Command['heredocs'], prev: Operator, next: Operator, start: number, end: number): Command {
  let k = 0;
  const assignments: Word[] = [];
  // keywords and assignments before the program; wrappers (sudo -E, env -i A=b, time -p) skipped
  for (;;) {
    while (k < words.length && KEYWORDS.has(words[k].text) && !words[k].quoted) k++;
    while (k < words.length && /^[A-Za-z_][A-Za-z0-9_]*\+?=/.test(words[k].text)) assignments.push(words[k++]);
    if (k < words.length && WRAPPERS.has(basename(words[k].text))) {
      const wrapper = basename(words[k].text);
      k++;
      while (k < words.length && words[k].text.startsWith('-')) {
        // `command -v tool` only asks whether the tool exists
        if (wrapper === 'command' && /^-[vV]$/.test(words[k].text)) return { words, assignments, name: '', args: words.slice(k), redirects, next, prev, heredocs, start, end };
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

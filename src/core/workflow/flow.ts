import type { CheckContext } from './context.ts';
import type { TaintKind } from './actions.ts';
import type { ContextRef, Expression } from './expressions.ts';
import type { Job, Step } from './model.ts';
import { balanced, commandsIn, flagValue, inSingleQuotes, type Command, type Script, type Word } from './shell.ts';

/**
 * The data flow of one `run:` script: which shell variables hold attacker-controlled data, what
 * each command prints, and what lands in `$GITHUB_ENV`, `$GITHUB_PATH` and `$GITHUB_OUTPUT`.
 * Everything is read in one forward pass over the commands; nothing is evaluated.
 */

export interface Taint {
  kind: TaintKind;
  /** What the value comes from, for messages (`github.event.issue.title`, `output all_changed_files of tj-actions/changed-files`). */
  why: string;
}

/** What the script reader asks of the workflow-wide analysis (taint.ts implements it). */
export interface TaintSource {
  /** The taint of a `${{ }}` reference as seen from `step`. */
  ref(r: ContextRef, job: Job, step?: Step): Taint | undefined;
  /** The taint of environment variable `name` in `step`. */
  env(job: Job, step: Step | undefined, name: string): Taint | undefined;
  /** Where untrusted files landed before `step`, if they did. */
  filesUntrusted(job: Job, step: Step): { what: string } | undefined;
}

export type EnvFile = 'GITHUB_ENV' | 'GITHUB_PATH' | 'GITHUB_OUTPUT';

export interface EnvFileWrite {
  file: EnvFile;
  /** The variable or output name, when the script shows it. */
  name?: string;
  taint: Taint;
  /** Script index range of the tainted data, and of the file the data goes to. */
  data: { start: number; end: number };
  sink: { start: number; end: number };
  /** The write lets the attacker add lines of their own (new variables, outputs or PATH entries). */
  injects: boolean;
}

export interface ScriptFlow {
  /** Tainted writes to the environment files, in script order. */
  writes: EnvFileWrite[];
  /** `$GITHUB_ENV` names written: their taint, or null when written from clean data. */
  envWrites: Map<string, Taint | null>;
  /** `$GITHUB_OUTPUT` names (lower case) written from tainted data. */
  outputWrites: Map<string, Taint>;
}

/** A tainted piece of a value, with its script index range. */
interface Part {
  taint: Taint;
  start: number;
  end: number;
}

/** One line (or opaque chunk) a command prints. */
interface Item {
  text: string;
  parts: Part[];
  /** Script index of the first `=` (or `<<`) that ends the name in `NAME=value`, when visible. */
  eqAt?: number;
  /** A chunk whose lines cannot be seen (a file's content): the attacker writes whole lines. */
  opaque?: boolean;
}

const ENV_FILE = /\bGITHUB_(ENV|PATH|OUTPUT)\b|\bgithub\.(env|path)\b/;

function envFileOf(text: string): EnvFile | undefined {
  const m = ENV_FILE.exec(text);
  if (!m) return undefined;
  const which = (m[1] ?? m[2]).toUpperCase();
  return which === 'ENV' ? 'GITHUB_ENV' : which === 'PATH' ? 'GITHUB_PATH' : 'GITHUB_OUTPUT';
}

const RANDOM_SOURCE = /openssl\s+rand|uuidgen|\/dev\/u?random|\$\{?RANDOM\b|random\/uuid|secrets\.token|mktemp/;
const MAX_DEPTH = 4;

/** Default variables of the runner that repeat attacker-controlled fields. */
const RUNNER_ENV: Record<string, Taint> = {
  GITHUB_HEAD_REF: { kind: 'line', why: "GITHUB_HEAD_REF (the pull request's branch name)" },
};

const PASS_THROUGH = new Set([
  'cat',
  'tac',
  'tee',
  'cut',
  'sort',
  'uniq',
  'awk',
  'gawk',
  'xargs',
  'rev',
  'fold',
  'fmt',
  'column',
  'paste',
  'envsubst',
  'yq',
  'grep',
  'egrep',
  'fgrep',
  'sed',
  'tr',
  'head',
  'tail',
  'jq',
]);
const DIGESTS = new Set([
  'sha256sum',
  'sha512sum',
  'sha1sum',
  'md5sum',
  'shasum',
  'b2sum',
  'cksum',
  'wc',
  'od',
  'xxd',
  'hexdump',
]);
/** Programs whose first positional argument is a program or pattern, not a file. */
const SCRIPTED = new Set(['awk', 'gawk', 'sed', 'grep', 'egrep', 'fgrep', 'jq', 'yq']);

export function analyseScript(ctx: CheckContext, taint: TaintSource, job: Job, step: Step): ScriptFlow {
  const flow: ScriptFlow = { writes: [], envWrites: new Map(), outputWrites: new Map() };
  const script = ctx.script(step);
  if (!script) return flow;
  return new ScriptReader(ctx, taint, job, step, script, flow).read();
}

class ScriptReader {
  private readonly src: string;
  private readonly vars = new Map<string, Part[]>();
  private readonly random = new Set<string>();
  private readonly exprs: Expression[];
  private readonly fileTaint: Taint | undefined;
  /** Open `NAME<<DELIM` blocks per environment file. */
  private readonly open = new Map<EnvFile, { name: string; delim: string; safe: boolean; parts: Part[] }>();

  constructor(
    private readonly ctx: CheckContext,
    private readonly taint: TaintSource,
    private readonly job: Job,
    private readonly step: Step,
    private readonly script: Script,
    private readonly flow: ScriptFlow,
  ) {
    this.src = script.text.text;
    this.exprs = ctx.expressions(step.run!.node);
    const landing = taint.filesUntrusted(job, step);
    this.fileTaint = landing && { kind: 'text', why: `a file from ${landing.what}` };
  }

  read(): ScriptFlow {
    const cmds = this.script.commands;
    const closers = blockStarts(cmds);
    const items: Item[][] = [];
    let budget = 8 * cmds.length + 64;
    cmds.forEach((cmd, i) => {
      const upstream = cmd.prev === '|' && i > 0 ? items[i - 1] : undefined;
      items[i] = this.itemsOf(cmd, upstream, 0);
      this.assign(cmd, upstream);
      for (const sink of this.sinks(cmd)) {
        let data: Item[];
        if (sink.value) data = [this.item([sink.value], 0)];
        else if (sink.viaTee) data = cmd.name === 'tee' ? items[i] : (upstream ?? []);
        else if (closers.has(i)) {
          data = [];
          for (let j = closers.get(i)!; j < i && budget > 0; j++, budget--) if (emits(cmds[j])) data.push(...items[j]);
        } else data = items[i];
        this.write(sink.file, sink.at, data);
      }
    });
    if (this.ctx.meter) this.ctx.meter.units += cmds.length;
    return this.flow;
  }

  /** Where a command writes to an environment file: its redirections, or tee / Add-Content arguments. */
  private sinks(cmd: Command): { file: EnvFile; at: { start: number; end: number }; viaTee: boolean; value?: Word }[] {
    const out: { file: EnvFile; at: { start: number; end: number }; viaTee: boolean; value?: Word }[] = [];
    for (const r of cmd.redirects) {
      if (!r.target || !/^&?>>?$/.test(r.op)) continue;
      const file = envFileOf(r.target.text);
      if (file) out.push({ file, at: r.target, viaTee: false });
    }
    const name = cmd.name.toLowerCase();
    if (name === 'tee' || name === 'out-file' || name === 'add-content' || name === 'set-content') {
      for (const a of cmd.args) {
        const file = !a.text.startsWith('-') || name !== 'tee' ? envFileOf(a.text) : undefined;
        if (file)
          out.push({
            file,
            at: a,
            viaTee: true,
            value: name === 'tee' ? undefined : flagValue(cmd.args, ['-Value', '-value', '-InputObject']),
          });
      }
    }
    return out;
  }

  private readonly marks = new Map<string, number[]>();

  /**
   * The first `ch` in [from, end), or -1. Offsets of `ch` are listed once per script: searching the
   * text from each word's start (indexOf) ran to the end of the script whenever the word held none,
   * so a script of n words cost n × its length (a 1 MB run: of continuations took a minute).
   */
  private nextOf(ch: string, from: number, end: number): number {
    let at = this.marks.get(ch);
    if (!at) {
      at = [];
      for (let i = this.src.indexOf(ch); i >= 0; i = this.src.indexOf(ch, i + 1)) at.push(i);
      this.marks.set(ch, at);
      if (this.ctx.meter) this.ctx.meter.units += this.src.length;
    }
    let lo = 0;
    let hi = at.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (at[mid] < from) lo = mid + 1;
      else hi = mid;
    }
    if (this.ctx.meter) this.ctx.meter.units++;
    return lo < at.length && at[lo] < end ? at[lo] : -1;
  }

  /** Tainted parts of the script text in [start, end): `${{ }}`, `$VAR`, `${VAR…}`, `$(…)` and backticks. */
  private partsIn(start: number, end: number, depth: number, expand = true): Part[] {
    const parts: Part[] = [];
    // expressions: substituted before the shell runs, quoted or not
    let lo = 0;
    let hi = this.exprs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.exprs[mid].textStart < start) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < this.exprs.length && this.exprs[k].textStart < end; k++) {
      const e = this.exprs[k];
      for (const r of e.refs) {
        if (!r.flows) continue;
        const t = this.taint.ref(r, this.job, this.step);
        if (t) {
          parts.push({ taint: t, start: e.textStart, end: e.textEnd });
          break;
        }
      }
    }
    if (!expand) return parts;
    const src = this.src;
    for (let i = this.nextOf('$', start, end); i >= 0; i = this.nextOf('$', i + 1, end)) {
      if (this.ctx.meter) this.ctx.meter.units++;
      if (inSingleQuotes(this.script, i, this.ctx.meter)) continue;
      const c = src[i + 1];
      if (c === '{' && src[i + 2] === '{') {
        const close = src.indexOf('}}', i);
        i = close < 0 ? end : close;
        continue;
      }
      if (c === '(') {
        const stop = balanced(src, i + 1, end, []);
        if (depth < MAX_DEPTH) parts.push(...this.substitution(i + 2, stop - 1, i, stop, depth + 1));
        i = stop - 1;
        continue;
      }
      let m: RegExpExecArray | null;
      if (c === '{') {
        m = /^\$\{(#?)(?:env:)?([A-Za-z_]\w*)([^}]*)\}/.exec(src.slice(i, Math.min(end, i + 256)));
        if (!m) continue;
        if (m[1] === '#') {
          i += m[0].length - 1;
          continue;
        } // a length is a number
        const v = this.variable(m[2]);
        // ${X//$'\n'/ }, ${X%%$'\n'*}, ${X//[^a-z]/} are how scripts strip newlines; ${X#/label }
        // or ${X%.txt} remove a fixed prefix or suffix and keep every newline
        const strip = stripsNewlines(m[3]);
        for (const p of v)
          parts.push({ taint: strip ? { ...p.taint, kind: 'line' } : p.taint, start: i, end: i + m[0].length });
        i += m[0].length - 1;
        continue;
      }
      m = /^\$(?:env:)?([A-Za-z_]\w*)/.exec(src.slice(i, Math.min(end, i + 256)));
      if (!m) continue;
      for (const p of this.variable(m[1])) parts.push({ taint: p.taint, start: i, end: i + m[0].length });
      i += m[0].length - 1;
    }
    for (let i = this.nextOf('`', start, end); i >= 0; i = this.nextOf('`', i + 1, end)) {
      const close = src.indexOf('`', i + 1);
      const stop = close < 0 || close >= end ? end : close;
      if (depth < MAX_DEPTH && !inSingleQuotes(this.script, i))
        parts.push(...this.substitution(i + 1, stop, i, stop + 1, depth + 1));
      i = stop;
    }
    return parts;
  }

  /** What a `$(…)` prints: the output of its last commands (pipelines read to their end). */
  private substitution(from: number, to: number, outerStart: number, outerEnd: number, depth: number): Part[] {
    const cmds = commandsIn(this.src, from, to, this.ctx.meter);
    const out: Part[] = [];
    let upstream: Item[] | undefined;
    for (const cmd of cmds) {
      const items = this.itemsOf(cmd, cmd.prev === '|' ? upstream : undefined, depth);
      upstream = items;
      if (cmd.next !== '|')
        for (const it of items)
          for (const p of it.parts) out.push({ taint: p.taint, start: outerStart, end: outerEnd });
    }
    return out.slice(0, 1);
  }

  private variable(name: string): Part[] {
    const own = this.vars.get(name);
    if (own) return own;
    const t = this.taint.env(this.job, this.step, name) ?? RUNNER_ENV[name];
    return t ? [{ taint: t, start: 0, end: 0 }] : [];
  }

  private wordParts(w: Word, depth: number): Part[] {
    return this.partsIn(w.start, w.end, depth);
  }

  /** The lines a command prints (upstream: what a pipe feeds it). */
  private itemsOf(cmd: Command, upstream: Item[] | undefined, depth: number): Item[] {
    const name = cmd.name.toLowerCase();
    const args = cmd.args;
    if (!cmd.program) return [];
    if (
      name === 'echo' ||
      name === 'write-output' ||
      name === 'write-host' ||
      (cmd.program.quoted && cmd.args.length === 0 && depth === 0 && cmd.words.length === 1)
    ) {
      const words = name === 'echo' ? skipEchoFlags(args) : cmd.program.quoted && !args.length ? [cmd.program] : args;
      return words.length ? [this.item(words, depth)] : [];
    }
    if (name === 'printf') {
      if (args[0]?.text === '-v') return [];
      return args.length ? [this.item(args, depth)] : [];
    }
    const bodies = cmd.heredocs.flatMap((h) => this.heredocItems(h.start, h.end, h.quoted, depth));
    const herestring = cmd.redirects.find((r) => r.op === '<<<' && r.target);
    const inputFile = cmd.redirects.find((r) => r.op === '<' && r.target);
    if (DIGESTS.has(name) || (name === 'base64' && !args.some((a) => a.text === '-d' || a.text === '--decode')))
      return [];
    if (name === 'git') return this.gitItems(cmd);
    if (name === 'gh') return this.ghItems(cmd);
    if ((name === 'ls' || name === 'find') && this.fileTaint)
      return [
        {
          text: '',
          parts: [
            {
              taint: { kind: 'text', why: `file names from ${this.fileTaint.why.replace(/^a file from /, '')}` },
              start: cmd.program.start,
              end: cmd.program.end,
            },
          ],
          opaque: true,
        },
      ];
    if (!PASS_THROUGH.has(name)) return [];
    // files named on the command line, or fed with `<`
    const files = positionalFiles(name, args);
    const out: Item[] = [...bodies];
    if (herestring?.target) out.push(this.item([herestring.target], depth));
    // the event payload: what the issue, pull request or comment author wrote, unless the filter picks numbers
    const payload = files.find((f) => /GITHUB_EVENT_PATH|github\.event_path/.test(f.text));
    if (
      payload &&
      !(
        SCRIPTED.has(name) &&
        !/title|body|message|head_ref|\.ref\b|label|name|email|description|comment|review|head\b/i.test(
          positionalFiles('', args)[0]?.text ?? '',
        )
      )
    ) {
      out.push({
        text: '',
        parts: [
          {
            taint: { kind: 'text', why: 'the event payload ($GITHUB_EVENT_PATH)' },
            start: payload.start,
            end: payload.end,
          },
        ],
        opaque: true,
      });
    }
    if (this.fileTaint) {
      for (const f of files)
        if (f !== payload)
          out.push({ text: '', parts: [{ taint: this.fileTaint, start: f.start, end: f.end }], opaque: true });
      if (inputFile?.target)
        out.push({
          text: '',
          parts: [{ taint: this.fileTaint, start: inputFile.target.start, end: inputFile.target.end }],
          opaque: true,
        });
    }
    if (!files.length && !inputFile && !bodies.length && !herestring && upstream) out.push(...upstream);
    return transform(name, args, out);
  }

  private item(words: readonly Word[], depth: number): Item {
    const parts: Part[] = [];
    for (const w of words) parts.push(...this.wordParts(w, depth));
    return {
      text: words.map((w) => w.text).join(' '),
      parts,
      eqAt: nameEnd(this.src, words[0].start, words[words.length - 1].end),
    };
  }

  /** A here-document body, line by line (a quoted delimiter stops `$VAR` but not `${{ }}`). */
  private heredocItems(start: number, end: number, quoted: boolean, depth: number): Item[] {
    const out: Item[] = [];
    let i = start;
    while (i < end) {
      const nl = this.src.indexOf('\n', i);
      const e = nl < 0 || nl > end ? end : nl;
      out.push({
        text: this.src.slice(i, e),
        parts: this.partsIn(i, e, depth, !quoted),
        eqAt: nameEnd(this.src, i, e),
      });
      i = e + 1;
    }
    return out;
  }

  /** `git log`/`show` print commit messages and author names unless the format shows only hashes and dates. */
  private gitItems(cmd: Command): Item[] {
    const sub = cmd.args.find((a) => !a.text.startsWith('-'))?.text;
    const at = { start: cmd.program!.start, end: cmd.args[0]?.end ?? cmd.program!.end };
    if (sub === 'log' || sub === 'show' || sub === 'shortlog') {
      const fmt =
        flagValue(cmd.args, ['--format', '--pretty'])?.text ??
        cmd.args.find((a) => /^--(format|pretty)=/.test(a.text))?.text;
      if (sub === 'show' && cmd.args.some((a) => /^[^-].*:/.test(a.text)))
        return this.fileTaint ? [{ text: '', parts: [{ taint: this.fileTaint, ...at }], opaque: true }] : [];
      if (fmt !== undefined && !/%[sbBNfe]|%\(trailers|%[ac][nNeElL]|%[gG][sS]|%w/.test(fmt)) return [];
      // bodies span lines; a subject (%s) or a name is one line
      const kind = fmt === undefined || /%[bBN]|%\(trailers|%w/.test(fmt) ? 'text' : 'line';
      return [
        {
          text: '',
          parts: [
            {
              taint: {
                kind,
                why: `commit ${kind === 'text' ? 'messages' : 'subjects or author names'} printed by git ${sub}`,
              },
              ...at,
            },
          ],
          opaque: true,
        },
      ];
    }
    if (sub === 'diff' && this.fileTaint && cmd.args.some((a) => /^--name-(only|status)$/.test(a.text))) {
      return [
        {
          text: '',
          parts: [{ taint: { kind: 'text', why: 'file names from the pull request (git diff)' }, ...at }],
          opaque: true,
        },
      ];
    }
    return [];
  }

  /** `gh pr view`, `gh issue view`, `gh api` print titles, bodies, comments and branch names when asked for them. */
  private ghItems(cmd: Command): Item[] {
    const w = cmd.args.map((a) => a.text);
    const asked = [
      flagValue(cmd.args, ['--json'])?.text,
      flagValue(cmd.args, ['--jq', '-q', '--template', '-t'])?.text,
      ...w.filter((x) => x.startsWith('repos/') || x.startsWith('/repos/')),
    ]
      .filter(Boolean)
      .join(' ');
    const view = (w[0] === 'pr' || w[0] === 'issue') && (w[1] === 'view' || w[1] === 'list');
    if (!view && w[0] !== 'api') return [];
    const text = /title|body|comments?|message|files|labels/i.test(asked) || (view && !asked);
    const line = /headRefName|head\.ref|head_ref|\bref\b|branch/i.test(asked);
    if (!text && !line) return [];
    return [
      {
        text: '',
        parts: [
          {
            taint: {
              kind: text ? 'text' : 'line',
              why: `pull request or issue text printed by gh ${w[0]}${view ? ' ' + w[1] : ''}`,
            },
            start: cmd.program!.start,
            end: cmd.args[1]?.end ?? cmd.program!.end,
          },
        ],
        opaque: true,
      },
    ];
  }

  /** Assignments, `read`, `for … in`, `printf -v` and validation tests update what variables hold. */
  private assign(cmd: Command, upstream: Item[] | undefined): void {
    const words = cmd.words;
    if (!cmd.program) {
      for (const a of cmd.assignments) this.setFromAssignment(a);
      return;
    }
    // PowerShell: `$text = $env:BODY`, `$env:NOTES = "…"`
    const ps = /^\$(?:env:)?([A-Za-z_]\w*)$/i.exec(words[0]?.text ?? '');
    if (ps && words[1]?.text === '=' && !words[1].quoted) {
      this.vars.set(
        ps[1],
        words.slice(2).flatMap((w) => this.wordParts(w, 0)),
      );
      return;
    }
    const name = cmd.name;
    if (['export', 'declare', 'local', 'readonly', 'typeset'].includes(name)) {
      for (const a of cmd.args) if (/^[A-Za-z_]\w*=/.test(a.text)) this.setFromAssignment(a);
      return;
    }
    if (words[0]?.text === 'for' && words[2]?.text === 'in' && /^[A-Za-z_]\w*$/.test(words[1]?.text ?? '')) {
      // an unquoted list is split at spaces, tabs and newlines: no item holds a newline
      const parts = words
        .slice(3)
        .flatMap((w) =>
          this.wordParts(w, 0).map((p) => (w.quoted ? p : { ...p, taint: { ...p.taint, kind: 'line' as const } })),
        );
      this.vars.set(words[1].text, parts);
      return;
    }
    if (name === 'read') {
      const targets = cmd.args.filter(
        (a, k) => !a.text.startsWith('-') && !/^-[dnNpstu]$/.test(cmd.args[k - 1]?.text ?? ''),
      );
      let parts: Part[] = [];
      const input = cmd.redirects.find((r) => r.op === '<' && r.target);
      const here = cmd.redirects.find((r) => r.op === '<<<' && r.target);
      if (input?.target && this.fileTaint)
        parts = [{ taint: this.fileTaint, start: input.target.start, end: input.target.end }];
      else if (here?.target) parts = this.wordParts(here.target, 0);
      else if (cmd.heredocs.length)
        parts = cmd.heredocs.flatMap((h) => this.heredocItems(h.start, h.end, h.quoted, 0)).flatMap((i) => i.parts);
      else if (upstream) parts = upstream.flatMap((i) => i.parts);
      // read stops at the first newline unless told another delimiter (-d)
      if (!cmd.args.some((a) => a.text === '-d' || /^-[a-z]*d$/.test(a.text)))
        parts = parts.map((p) => ({ ...p, taint: { ...p.taint, kind: 'line' as const } }));
      for (const t of targets) this.vars.set(t.text, parts);
      return;
    }
    if (name === 'printf' && cmd.args[0]?.text === '-v' && cmd.args[1]) {
      this.vars.set(
        cmd.args[1].text,
        cmd.args.slice(2).flatMap((w) => this.wordParts(w, 0)),
      );
      return;
    }
    // [[ $X =~ ^[0-9]+$ ]] and numeric tests: the script goes on only with a value of that shape
    if (name === '[[' || name === '[' || name === 'test') {
      const k = cmd.args.findIndex((a) => a.text === '=~' || /^-(eq|ne|gt|lt|ge|le)$/.test(a.text));
      if (k > 0) {
        const op = cmd.args[k].text;
        // the tokenizer splits `^(a|b)$` at its parentheses and bar: read the pattern up to `]]` from the source
        const close = op === '=~' ? this.src.indexOf(']]', cmd.args[k].end) : -1;
        const re =
          close > 0 && close - cmd.args[k].end < 4096
            ? this.src
                .slice(cmd.args[k].end, close)
                .trim()
                .replace(/^(['"])(.*)\1$/, '$2')
            : (cmd.args[k + 1]?.text ?? '');
        const v = /^\$\{?([A-Za-z_]\w*)\}?$/.exec(cmd.args[k - 1].text);
        if (v && (op !== '=~' || (re.startsWith('^') && re.endsWith('$')))) this.vars.set(v[1], []);
      }
    }
  }

  private setFromAssignment(w: Word): void {
    const m = /^([A-Za-z_]\w*)\+?=/.exec(w.text);
    if (!m) return;
    const raw = this.src.slice(w.start, w.end);
    const eq = raw.indexOf('=');
    if (eq < 0) return;
    const value = raw.slice(eq + 1);
    if (RANDOM_SOURCE.test(value)) this.random.add(m[1]);
    else this.random.delete(m[1]);
    this.vars.set(m[1], this.partsIn(w.start + eq + 1, w.end, 0));
  }

  /** Follows the lines written to an environment file: `NAME=value`, `NAME<<DELIM … DELIM`, PATH entries. */
  private write(file: EnvFile, sink: { start: number; end: number }, items: readonly Item[]): void {
    for (const it of items) {
      const open = this.open.get(file);
      if (open) {
        if (it.text.trim() === open.delim) {
          this.record(file, open.name, open.parts);
          this.open.delete(file);
          continue;
        }
        open.parts.push(...it.parts);
        const text = it.parts.find((p) => p.taint.kind === 'text');
        if (text && !open.safe) this.report(file, open.name, text, sink, true);
        else if (it.opaque && it.parts.length && !open.safe) this.report(file, open.name, it.parts[0], sink, true);
        continue;
      }
      const heredoc = /^([A-Za-z_][\w-]*)<<(.+)$/.exec(it.text.trim());
      const nameEnd = it.eqAt;
      const nameParts = nameEnd === undefined ? it.parts : it.parts.filter((p) => p.start < nameEnd);
      const valueParts = nameEnd === undefined ? [] : it.parts.filter((p) => p.start >= nameEnd);
      if (file === 'GITHUB_PATH') {
        if (it.parts.length) this.report(file, undefined, it.parts[0], sink, true);
        continue;
      }
      if (heredoc) {
        const delim = heredoc[2].trim();
        const v = /^\$\{?([A-Za-z_]\w*)\}?$/.exec(delim);
        this.open.set(file, { name: heredoc[1], delim, safe: !!v && this.random.has(v[1]), parts: [] });
        if (nameParts.length) this.report(file, undefined, nameParts[0], sink, true);
        continue;
      }
      const name = nameEnd !== undefined ? /^\s*([^=\s]*)=/.exec(it.text)?.[1] : undefined;
      if (nameParts.length || (it.opaque && it.parts.length)) {
        this.report(file, name, nameParts[0] ?? it.parts[0], sink, true);
        continue;
      }
      const text = valueParts.find((p) => p.taint.kind === 'text');
      if (text) this.report(file, name, text, sink, true);
      else if (valueParts.length) this.report(file, name, valueParts[0], sink, false);
      if (name) this.record(file, name, valueParts);
    }
  }

  private record(file: EnvFile, name: string, parts: readonly Part[]): void {
    const t = parts[0]?.taint;
    if (file === 'GITHUB_ENV')
      this.flow.envWrites.set(
        name,
        t ? { kind: parts.some((p) => p.taint.kind === 'text') ? 'text' : t.kind, why: t.why } : null,
      );
    else if (file === 'GITHUB_OUTPUT' && t)
      this.flow.outputWrites.set(name.toLowerCase(), {
        kind: parts.some((p) => p.taint.kind === 'text') ? 'text' : t.kind,
        why: t.why,
      });
  }

  private report(
    file: EnvFile,
    name: string | undefined,
    part: Part,
    sink: { start: number; end: number },
    injects: boolean,
  ): void {
    const data = part.end > part.start ? { start: part.start, end: part.end } : sink;
    this.flow.writes.push({ file, name, taint: part.taint, data, sink, injects });
    if (name) this.record(file, name, [part]);
  }
}

/**
 * Does a `${X…}` operator (the text after the name) remove newlines from the value? Only a
 * substitution or a trim whose pattern names a newline (or a class that excludes it) does.
 */
export function stripsNewlines(op: string): boolean {
  const newline = (p: string) => /\$'[^']*\\n|\\n|\[:(space|cntrl):\]/.test(p);
  // ${X//pat/rep}: every match replaced (a single / replaces only the first)
  const all = /^\/\/((?:\\.|[^/])*)/.exec(op);
  if (all) return newline(all[1]) || /\[[!^]/.test(all[1]);
  // ${X%%<newline>*} keeps the first line, ${X##*<newline>} the last
  if (op.startsWith('%%')) return newline(op) && op.endsWith('*');
  if (op.startsWith('##')) return newline(op) && op[2] === '*';
  return false;
}

function skipEchoFlags(args: readonly Word[]): Word[] {
  let k = 0;
  while (k < args.length && /^-[neE]+$/.test(args[k].text)) k++;
  return args.slice(k);
}

/** Positional file arguments of a text tool (after its program or pattern, if it takes one). */
function positionalFiles(name: string, args: readonly Word[]): Word[] {
  const pos: Word[] = [];
  for (let k = 0; k < args.length; k++) {
    const t = args[k].text;
    if (t.startsWith('-') && t.length > 1) {
      if (/^-(n|c|d|f|e|F|k|t|v)$/.test(t) && !SCRIPTED.has(name)) k++;
      else if (/^-(e|f|n|v)$/.test(t) && (name === 'awk' || name === 'gawk' || name === 'grep' || name === 'sed')) k++;
      else if (/^--(arg|argjson)$/.test(t)) k += 2;
      continue;
    }
    pos.push(args[k]);
  }
  if (name === 'tr' || name === 'tee' || name === 'xargs' || name === 'envsubst') return [];
  return SCRIPTED.has(name) ? pos.slice(1) : pos;
}

/** What a filter does to the lines it passes on: keep one line, drop newlines, or encode them. */
function transform(name: string, args: readonly Word[], items: Item[]): Item[] {
  const words = args.map((a) => a.text);
  const oneLine =
    (name === 'head' &&
      words.some(
        (w, k) => /^-(n)?1$/.test(w) || (w === '-n' && words[k + 1] === '1') || w === '-c' || /^-c\d+$/.test(w),
      )) ||
    (name === 'tail' && words.some((w, k) => /^-(n)?1$/.test(w) || (w === '-n' && words[k + 1] === '1'))) ||
    (name === 'tr' &&
      words.some((w) => w === '-d' || w === '-dc' || w === '-cd') &&
      words.some((w) => /\\n|\[:space:\]|\[:cntrl:\]|\[:alnum:\]|\[:digit:\]/.test(w))) ||
    (name === 'tr' && !words.some((w) => w.startsWith('-')) && /\\n/.test(words[0] ?? '')) ||
    (name === 'sed' && words.some((w) => /^(1p|1q|q|\$p)$/.test(w)) && words.includes('-n')) ||
    (name === 'jq' && !words.some((w) => /^-(r|j|-raw-output|-join-output|[a-z]*r[a-z]*)$/.test(w)));
  if (!oneLine) return items;
  return items.map((it) => ({
    ...it,
    parts: it.parts.map((p) => ({ ...p, taint: { ...p.taint, kind: 'line' as const } })),
  }));
}

/** The script index of the `=` (or `<<`) that ends a `NAME=value` line, skipping expansions. */
function nameEnd(src: string, start: number, end: number): number | undefined {
  for (let i = start; i < end; i++) {
    const c = src[i];
    if (c === '=' || (c === '<' && src[i + 1] === '<')) return i;
    if (c === '$' && (src[i + 1] === '{' || src[i + 1] === '(')) return undefined;
    if (c === ' ' || c === '\t' || c === '\n') return undefined;
  }
  return undefined;
}

/** Commands that print to the pipe or stream the block's redirection collects. */
function emits(cmd: Command): boolean {
  return cmd.next !== '|' && !cmd.redirects.some((r) => /^&?>>?$/.test(r.op) && r.target);
}

/** For each command that closes a block (`}`, `done`, `fi`, `esac`, `)`), the index of the command that opened it. */
function blockStarts(cmds: readonly Command[]): Map<number, number> {
  const out = new Map<number, number>();
  const stack: number[] = [];
  const parens: number[] = [];
  cmds.forEach((cmd, i) => {
    if (cmd.prev === '(') parens.push(i);
    for (const w of cmd.words) {
      if (w.quoted) break;
      const t = w.text;
      if (t === '{' || t === 'if' || t === 'case' || t === 'while' || t === 'until' || t === 'for' || t === 'select')
        stack.push(i);
      else if (t === '}' || t === 'fi' || t === 'esac' || t === 'done') {
        const s = stack.pop();
        if (s !== undefined) out.set(i, s);
      } else if (t !== 'then' && t !== 'do' && t !== 'else' && t !== 'elif' && t !== '!') break;
    }
    if (cmd.prev === ')' && !cmd.program && parens.length) out.set(i, parens.pop()!);
  });
  return out;
}

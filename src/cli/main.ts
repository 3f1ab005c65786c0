import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { atLeast, dedupeFindings, sortFindings, type Finding } from '../core/findings.ts';
import { terminalSafeJson, toJsonFinding, toJsonReport } from '../core/output/json.ts';
import { displayPath } from '../core/output/paths.ts';
import { formatFindings, sanitize, sanitizeLine, summaryLine } from '../core/output/text.ts';
import { flagHelp, parseArgs, UsageError, type FlagSpec } from './args.ts';
import { COMMANDS } from './commands/index.ts';
import type { CliIO, Command, CommandResult, FailOn, OutputFormat } from './command.ts';
import { VERSION } from './version.ts';

export const COMMON_FLAGS: Readonly<Record<string, FlagSpec>> = {
  format: { value: true, short: 'f', metavar: 'text|json|sarif', description: 'output format (default text)' },
  'fail-on': {
    value: true,
    metavar: 'error|warning|info|never',
    description: 'exit 1 when a finding is at or above this severity (default error)',
  },
  output: {
    value: true,
    short: 'o',
    metavar: 'FILE',
    description: 'write the report to FILE instead of standard output',
  },
  'no-color': { description: 'no ANSI colours in text output (also NO_COLOR=1)' },
  help: { short: 'h', description: 'show help for the command' },
};

/** The whole help: the one place that loads every command (for its summary). */
async function usage(): Promise<string> {
  const commands = await Promise.all(COMMANDS.map((c) => c.load()));
  const w = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    `model-inspect ${VERSION}: model supply chain inspection (offline by default)`,
    '',
    'usage: model-inspect <command> [paths…] [options]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(w)}${c.summary}`),
    '',
    'common options:',
    flagHelp(COMMON_FLAGS),
    '',
    'exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage or I/O error',
    "run 'model-inspect <command> --help' for a command's options",
  ].join('\n');
}

function commandHelp(cmd: Command): string {
  return [
    `usage: model-inspect ${cmd.usage}`,
    '',
    cmd.summary,
    '',
    'options:',
    flagHelp({ ...cmd.flags, ...COMMON_FLAGS }),
  ].join('\n');
}

function exitCodeFor(result: ShownResult, failOn: FailOn): number {
  if (result.exitCode !== undefined) return result.exitCode;
  if (failOn === 'never') return 0;
  return result.findings.some((f) => atLeast(f.severity, failOn)) ? 1 : 0;
}

/** A command's result as shown: its findings after the findings step, text and JSON made from those. */
export interface ShownResult extends Omit<CommandResult, 'text' | 'json'> {
  text?: string;
  json?: Record<string, unknown>;
  /** Findings an inline comment silenced. */
  suppressed: Finding[];
  /** The policy files whose `rules:` set the findings' severities (text output names them). */
  policies?: string[];
}

export function shownResult(
  result: CommandResult,
  shown: { findings: Finding[]; suppressed: Finding[]; policies?: string[] },
): ShownResult {
  return {
    ...result,
    policies: shown.policies,
    findings: shown.findings,
    suppressed: sortFindings(dedupeFindings([...(result.suppressed ?? []), ...shown.suppressed])),
    text: typeof result.text === 'function' ? result.text(shown.findings) : result.text,
    json: typeof result.json === 'function' ? result.json(shown.findings) : result.json,
  };
}

export async function render(result: ShownResult, format: OutputFormat, io: CliIO, color: boolean): Promise<string> {
  if (format === 'json')
    return (
      terminalSafeJson(
        toJsonReport(result.findings, io.cwd, {
          ...(result.json ?? {}),
          suppressed: result.suppressed.map((f) => toJsonFinding(f, io.cwd)),
        }),
      ) + '\n'
    );
  if (format === 'sarif') {
    // SARIF carries every reported rule's help: the rule catalogue of all areas loads only for it.
    const { toSarif } = await import('../core/output/sarif.ts');
    return (
      terminalSafeJson(toSarif(result.findings, io.cwd, { toolVersion: VERSION, suppressed: result.suppressed })) + '\n'
    );
  }
  if (result.document !== undefined) {
    if (result.findings.length) io.stderr(formatFindings(result.findings, io.cwd, { color: false }) + '\n');
    return result.document;
  }
  const parts: string[] = [];
  // Commands escape each foreign value as they lay out their text; this is the last guard for the
  // terminal (an ESC or a carriage return that slipped through is shown, never obeyed).
  if (result.text) parts.push(sanitize(result.text.trimEnd()));
  if (result.findings.length) parts.push(formatFindings(result.findings, io.cwd, { color }));
  const silenced = result.suppressed.length;
  parts.push(
    summaryLine(result.findings) + (silenced ? ` (${silenced} suppressed by model-inspect-disable comments)` : ''),
  );
  // Whose rule settings judged: a repository's policy can switch rules off, so it is named.
  for (const p of result.policies ?? [])
    parts.push(sanitize(`rule settings from the policy ${displayPath(p, io.cwd)}`));
  return parts.join('\n\n') + '\n';
}

/** Runs the CLI and returns its exit code (never throws; never calls process.exit). */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout((await usage()) + '\n');
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    io.stdout(VERSION + '\n');
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    io.stderr(`model-inspect: unknown command '${name}'\n\n${await usage()}\n`);
    return 2;
  }
  // Only this command's module (and the engines it imports) loads.
  const cmd = await entry.load();
  let format: OutputFormat = 'text';
  let failOn: FailOn = 'error';
  let args;
  try {
    args = parseArgs(rest, { ...cmd.flags, ...COMMON_FLAGS });
    if (args.has('help')) {
      io.stdout(commandHelp(cmd) + '\n');
      return 0;
    }
    const f = args.get('format') ?? 'text';
    if (cmd.documentFormats?.includes(f)) format = 'text';
    else if (f !== 'text' && f !== 'json' && f !== 'sarif')
      throw new UsageError(
        `--format must be text, json or sarif${cmd.documentFormats?.length ? ` (or ${cmd.documentFormats.join(', ')})` : ''}, not '${f}'`,
      );
    else format = f;
    const fo = args.get('fail-on') ?? 'error';
    if (fo !== 'error' && fo !== 'warning' && fo !== 'info' && fo !== 'never')
      throw new UsageError(`--fail-on must be error, warning, info or never, not '${fo}'`);
    failOn = fo;
    const n = args.positionals.length;
    if (n < cmd.positionals.min) throw new UsageError(`missing ${cmd.positionals.metavar}`);
    if (cmd.positionals.max !== undefined && n > cmd.positionals.max)
      throw new UsageError(`too many arguments: ${args.positionals.slice(cmd.positionals.max).join(' ')}`);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`model-inspect ${cmd.name}: ${e.message}\nusage: model-inspect ${cmd.usage}\n`);
      return 2;
    }
    throw e;
  }
  let result: ShownResult;
  try {
    const raw = await cmd.run(args, io);
    // Every command's findings go through the one findings step before any format shows them.
    // Loaded after the command (it reads files and the policy): --version and usage errors load no engine.
    const { presentCliFindings } = await import('./present.ts');
    result = shownResult(raw, await presentCliFindings(raw.findings, args, io.cwd));
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`model-inspect ${cmd.name}: ${sanitizeLine(e.message)}\nusage: model-inspect ${cmd.usage}\n`);
      return 2;
    }
    io.stderr(`model-inspect ${cmd.name}: ${sanitizeLine((e as Error)?.message ?? String(e))}\n`);
    return 2;
  }
  const color =
    format === 'text' &&
    !args.has('no-color') &&
    !io.env.NO_COLOR &&
    !args.has('output') &&
    io.env.FORCE_COLOR !== '0' &&
    Boolean(process.stdout.isTTY);
  const out = await render(result, format, io, color);
  const file = args.get('output');
  if (file) {
    try {
      fs.writeFileSync(path.resolve(io.cwd, file), out);
    } catch (e) {
      io.stderr(`model-inspect: cannot write ${file}: ${(e as Error).message}\n`);
      return 2;
    }
  } else io.stdout(out);
  return exitCodeFor(result, failOn);
}

function terminalPrompt(question: string, secret: boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    if (!process.stdin.isTTY) {
      reject(new Error('no terminal to ask for a password on'));
      return;
    }
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    if (secret) {
      // Echo nothing while the secret is typed.
      (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
        if (s.includes(question)) process.stderr.write(question);
      };
    }
    rl.question(question, (answer) => {
      rl.close();
      process.stderr.write(secret ? '\n' : '');
      resolve(answer);
    });
  });
}

export function processIO(): CliIO {
  return {
    cwd: process.cwd(),
    env: process.env,
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    prompt: terminalPrompt,
  };
}

import type { Finding, Severity } from '../core/findings.ts';
import type { FlagSpec, ParsedArgs } from './args.ts';

export interface CliIO {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Asks for a secret on the terminal (key passwords); undefined when there is no terminal. */
  prompt?: (question: string, secret: boolean) => Promise<string>;
  /** Reads all of standard input (--registry-password-stdin); default: process.stdin. */
  readStdin?: () => Promise<string>;
  signal?: AbortSignal;
}

export interface CommandResult {
  findings: Finding[];
  /**
   * Extra top-level fields for the JSON report (e.g. `files`, `signatures`, `checks`); a function
   * when they count findings: it gets the findings as shown (after rule settings and suppressions).
   */
  json?: Record<string, unknown> | ((shown: readonly Finding[]) => Record<string, unknown>);
  /** Text printed before the findings in text format (tables, summaries); a function of the shown findings when it counts them. */
  text?: string | ((shown: readonly Finding[]) => string);
  /** Findings an engine step already silenced with an inline comment (the gate's card check): listed with the rest. */
  suppressed?: Finding[];
  /**
   * Overrides the exit code derived from --fail-on (e.g. `verify`: 0 verified, 1 not verified).
   */
  exitCode?: number;
  /**
   * A generated document (e.g. the `sbom` command's CycloneDX JSON). In text format it is the whole
   * output (stdout or --output) as is, and findings go to stderr; json/sarif render the findings.
   */
  document?: string;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  flags: Readonly<Record<string, FlagSpec>>;
  /** Minimum and maximum number of positional arguments. */
  positionals: { min: number; max?: number; metavar: string };
  /** Values of --format this command writes as its own document (e.g. `admission generate --format kyverno`). */
  documentFormats?: readonly string[];
  run(args: ParsedArgs, io: CliIO): Promise<CommandResult>;
}

export type OutputFormat = 'text' | 'json' | 'sarif';
export type FailOn = Severity | 'never';

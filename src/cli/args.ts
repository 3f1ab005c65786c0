/** A small, strict argument parser: unknown flags are usage errors, never silently ignored. */

export interface FlagSpec {
  /** Takes a value (`--flag VALUE` or `--flag=VALUE`); otherwise a boolean switch. */
  value?: boolean;
  /** May be given more than once (values collected in order). */
  repeat?: boolean;
  /** One-letter alias, e.g. 'o'. */
  short?: string;
  description: string;
  /** Placeholder for help text, e.g. 'FILE'. */
  metavar?: string;
}

export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string[]>;
  has(name: string): boolean;
  get(name: string): string | undefined;
  all(name: string): string[];
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseArgs(argv: readonly string[], specs: Readonly<Record<string, FlagSpec>>): ParsedArgs {
  const flags = new Map<string, string[]>();
  const positionals: string[] = [];
  const shorts = new Map<string, string>();
  for (const [name, s] of Object.entries(specs)) if (s.short) shorts.set(s.short, name);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    let name: string | undefined;
    let inline: string | undefined;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      inline = eq >= 0 ? a.slice(eq + 1) : undefined;
    } else if (/^-[A-Za-z]$/.test(a)) {
      name = shorts.get(a[1]);
      if (!name) throw new UsageError(`unknown option ${a}`);
    } else {
      positionals.push(a);
      continue;
    }
    const spec = specs[name];
    if (!spec) throw new UsageError(`unknown option --${name}`);
    let value = 'true';
    if (spec.value) {
      if (inline !== undefined) value = inline;
      else if (i + 1 < argv.length) value = argv[++i];
      else throw new UsageError(`--${name} needs a value`);
    } else if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
    const prev = flags.get(name);
    if (prev && !spec.repeat) throw new UsageError(`--${name} given more than once`);
    flags.set(name, [...(prev ?? []), value]);
  }
  return {
    positionals,
    flags,
    has: (n) => flags.has(n),
    get: (n) => flags.get(n)?.[flags.get(n)!.length - 1],
    all: (n) => flags.get(n) ?? [],
  };
}

export function flagHelp(specs: Readonly<Record<string, FlagSpec>>): string {
  const rows = Object.entries(specs).map(([name, s]) => {
    const left = `${s.short ? `-${s.short}, ` : '    '}--${name}${s.value ? ` ${s.metavar ?? 'VALUE'}` : ''}`;
    return [left, s.description] as const;
  });
  const w = Math.max(...rows.map((r) => r[0].length)) + 2;
  return rows.map(([l, d]) => `  ${l.padEnd(w)}${d}`).join('\n');
}

import { ALLOW, ALLOW_PATTERNS, BENIGN_DUNDERS, DENY, DENY_ANYWHERE, WHY, type DenyReason } from './names.ts';

export type Verdict =
  { kind: 'allowed' } | { kind: 'denied'; reason: DenyReason; matched: string; why: string } | { kind: 'unknown' };

const MAX_COMPONENTS = 32;

/**
 * Classify one import `module.name` (already Python-2-normalised). Allowlist first; then every
 * dotted prefix against the deny set; then every later component and component run against the
 * modules that must never be reachable (`pathlib` + `os.system`); then dunder components.
 */
export function classifyGlobal(module: string, name: string): Verdict {
  const full = `${module}.${name}`;
  if (ALLOW.has(full) || ALLOW_PATTERNS.some((p) => p.test(full))) return { kind: 'allowed' };
  const parts = full.split('.').slice(0, MAX_COMPONENTS);
  // Longest deny prefix, so `os.path` reports its own reason rather than `os`'s.
  for (let j = parts.length; j >= 1; j--) {
    const prefix = parts.slice(0, j).join('.');
    const reason = DENY.get(prefix);
    if (reason) return denied(reason, prefix);
  }
  // builtins outside the plain data types (fickling blocks the whole module except safe types).
  if (parts[0] === 'builtins' || parts[0] === '__builtins__') return denied('builtin', full);
  for (let i = 1; i < parts.length; i++) {
    if (DENY_ANYWHERE.has(parts[i]))
      return denied(
        DENY.get(parts[i]) ?? 'import',
        parts.slice(i).join('.'),
        `reaches ${parts[i]} through attribute access, which `,
      );
    for (let j = parts.length; j > i; j--) {
      const run = parts.slice(i, j).join('.');
      const reason = DENY.get(run);
      if (reason && j - i > 1) return denied(reason, run, `reaches ${run} through attribute access, which `);
    }
  }
  for (let i = 1; i < parts.length; i++) {
    if (/^__.*__$/.test(parts[i]) && !BENIGN_DUNDERS.has(parts[i])) return denied('internals', parts[i]);
  }
  if (/^__.*__$/.test(parts[0]) && !BENIGN_DUNDERS.has(parts[0])) return denied('internals', parts[0]);
  return { kind: 'unknown' };
}

function denied(reason: DenyReason, matched: string, prefix = ''): Verdict {
  return { kind: 'denied', reason, matched, why: prefix + WHY[reason] };
}

/** Opcodes that call a callable as a function (arbitrary code), vs. instantiate a class via __new__. */
export const FUNCTION_CALL_OPCODES: ReadonlySet<string> = new Set(['REDUCE', 'INST', 'OBJ']);

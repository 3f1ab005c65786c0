import type { RuleInfo, Severity } from './findings.ts';
import { AREAS } from './areas.ts';

/**
 * The rule catalogue: every rule id any engine can emit, with its help. Each area owns a
 * `rules.ts` with its list and an `area.ts` that names it; the catalogue is the areas' rules, in
 * the order of `AREAS`.
 */
const ALL: readonly RuleInfo[] = AREAS.flatMap((a) => a.rules);

const BY_ID = new Map<string, RuleInfo>();
for (const rule of ALL) {
  if (BY_ID.has(rule.id)) throw new Error(`duplicate rule id ${rule.id}`);
  BY_ID.set(rule.id, rule);
}

export function allRules(): readonly RuleInfo[] {
  return ALL;
}

export function ruleInfo(id: string): RuleInfo | undefined {
  return BY_ID.get(id);
}

export function defaultSeverity(id: string): Severity {
  return BY_ID.get(id)?.defaultSeverity ?? 'warning';
}

import type { RuleInfo, Severity } from './findings.ts';
import { YAML_RULES } from './yaml/rules.ts';
import { GATE_RULES } from './gate/rules.ts';
import { CARD_RULES } from './modelcard/rules.ts';
import { SBOM_RULES } from './sbom/rules.ts';
import { PYTHON_RULES } from './python/rules.ts';
import { CONVERT_RULES } from './convert/rules.ts';
import { SIGNING_RULES } from './signing/rules.ts';
import { SCAN_RULES } from './scan/rules.ts';
import { WORKFLOW_RULES } from './workflow/rules.ts';
import { ADMISSION_RULES, CHAIN_RULES, K8S_RULES } from './k8s/rules.ts';
import { REGISTRY_RULES } from './registry/rules.ts';

/**
 * The rule catalogue: every rule id any engine can emit, with its help. Each area owns a
 * `rules.ts` exporting its list; this file only gathers them, so adding an area is one line here.
 */
const ALL: readonly RuleInfo[] = [
  ...YAML_RULES,
  ...GATE_RULES,
  ...WORKFLOW_RULES,
  ...CARD_RULES,
  ...SBOM_RULES,
  ...PYTHON_RULES,
  ...CONVERT_RULES,
  ...SIGNING_RULES,
  ...SCAN_RULES,
  ...K8S_RULES,
  ...ADMISSION_RULES,
  ...CHAIN_RULES,
  ...REGISTRY_RULES,
];

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

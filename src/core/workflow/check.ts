import type { Finding } from '../findings.ts';
import { parseYaml } from '../yaml/document.ts';
import { yamlProblemFindings } from '../yaml/findings.ts';
import { CheckContext, type WorkflowCheck } from './context.ts';
import { loadExpressionLib, type ExpressionLib } from './expressions.ts';
import { buildWorkflow } from './model.ts';
import type { WorkMeter } from './shell.ts';
import { artifactsAndCaches } from './checks/artifacts.ts';
import { envFileInjection } from './checks/envfile.ts';
import { injectionAndTriggers } from './checks/injection.ts';
import { modelChecks } from './checks/model.ts';
import { permissions } from './checks/permissions.ts';
import { pinning } from './checks/pinning.ts';
import { signing } from './checks/signing.ts';
import { provenanceSubjects } from './checks/provenance.ts';
import { selfHostedRunners } from './checks/runners.ts';
import { references, reusableWorkflowAsStep } from './checks/structure.ts';
import { logins, tools } from './checks/tools.ts';

/** Every workflow check, in report order. */
const CHECKS: readonly WorkflowCheck[] = [
  reusableWorkflowAsStep,
  references,
  pinning,
  permissions,
  signing,
  provenanceSubjects,
  tools,
  logins,
  injectionAndTriggers,
  envFileInjection,
  artifactsAndCaches,
  selfHostedRunners,
  modelChecks,
];

export interface WorkflowCheckOptions {
  /** Already-loaded expression parser (saves an await in hot paths). */
  lib?: ExpressionLib;
  /** Counts the work done (characters and steps visited); tests bound it. */
  meter?: WorkMeter;
  /** The owner (user or organisation) of the repository the workflow belongs to, when known. */
  repositoryOwner?: string;
}

/**
 * Check the text of one workflow file. Nothing is executed or fetched: scripts are tokenized,
 * expressions parsed, and findings placed on the exact key, value or script word.
 */
export async function checkWorkflowText(
  text: string,
  file: string | undefined,
  options: WorkflowCheckOptions = {},
): Promise<Finding[]> {
  const lib = options.lib ?? (await loadExpressionLib());
  return checkWorkflowWith(text, file, lib, options.meter, options.repositoryOwner);
}

export function checkWorkflowWith(
  text: string,
  file: string | undefined,
  lib: ExpressionLib,
  meter?: WorkMeter,
  repositoryOwner?: string,
): Finding[] {
  const doc = parseYaml(text);
  const findings = yamlProblemFindings(doc, file);
  if (findings.some((f) => f.ruleId === 'yaml/syntax')) return findings;
  const wf = buildWorkflow(doc);
  if (!wf) return findings;
  const ctx = new CheckContext(wf, file, lib, meter, repositoryOwner);
  for (const check of CHECKS) {
    try {
      findings.push(...check(ctx));
    } catch (e) {
      // one faulty check must not hide the others' findings
      findings.push({
        ruleId: 'gate/incomplete',
        severity: 'warning',
        message: `workflow check ${check.name} failed: ${(e as Error)?.message ?? e}`,
        file,
      });
    }
  }
  return dedupe(findings);
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const k = `${f.ruleId}|${f.range?.start.line}:${f.range?.start.character}|${f.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

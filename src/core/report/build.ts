import { runGate, type GateRunOptions } from '../gate/index.ts';
import { buildChainReport } from '../k8s/chainReport.ts';
import type { ModelReport } from './model.ts';

/** The report for a model folder or weight file: the same evidence and checks as `model-inspect gate`. */
export async function buildModelReport(
  modelPath: string,
  options: GateRunOptions & { chain?: boolean } = {},
): Promise<ModelReport> {
  const run = await runGate(modelPath, options);
  // The chain is context for the verdict, never part of it: a failure here leaves the section empty.
  const chain = options.chain
    ? await buildChainReport(run.evidence.root, options.stopAt, options.signal).catch(() => undefined)
    : undefined;
  // Dates and class instances must not reach postMessage: round-trip through JSON once, here.
  return JSON.parse(
    JSON.stringify({
      generatedAt: (options.now ?? new Date()).toISOString(),
      evidence: run.evidence,
      verdict: run.verdict,
      policyFile: run.policy.file,
      policyFindings: run.policy.findings,
      findings: run.findings,
      suppressed: run.suppressed,
      chain,
    }),
  ) as ModelReport;
}

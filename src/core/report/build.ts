import { runGate, type GateRunOptions } from '../gate/index.ts';
import type { ModelReport } from './model.ts';

/** The report for a model folder or weight file: the same evidence and checks as `model-inspect gate`. */
export async function buildModelReport(modelPath: string, options: GateRunOptions = {}): Promise<ModelReport> {
  const run = await runGate(modelPath, options);
  // Dates and class instances must not reach postMessage: round-trip through JSON once, here.
  return JSON.parse(JSON.stringify({
    generatedAt: (options.now ?? new Date()).toISOString(),
    evidence: run.evidence,
    verdict: run.verdict,
    policyFile: run.policy.file,
    policyFindings: run.policy.findings,
  })) as ModelReport;
}

import type { Finding } from '../findings.ts';
import type { GateVerdict } from '../gate/verdict.ts';
import type { Evidence } from '../gate/evidence.ts';
import type { ChainReport } from '../k8s/chainTypes.ts';

/**
 * What the report panel shows for one model: the evidence and the gate's verdict over it. Plain
 * JSON (it crosses postMessage and is kept in the webview's state); built by `buildModelReport`.
 */
export interface ModelReport {
  generatedAt: string;
  evidence: Evidence;
  verdict: GateVerdict;
  policyFile?: string;
  /** Problems in the policy file (also in the Verdict's Policy check when they are errors). */
  policyFindings: Finding[];
  /** Everything the run found, through the findings step (what `model-inspect gate` and exports list). */
  findings: Finding[];
  /** Findings an inline comment silenced. */
  suppressed: Finding[];
  /** The chain of the repository the model belongs to (workflow, card, promotion policy, manifests, admission policy). */
  chain?: ChainReport;
}

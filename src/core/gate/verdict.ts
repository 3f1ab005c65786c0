import type { Finding } from '../findings.ts';

/**
 * The gate's verdict: plain data (it crosses postMessage to the report panel, whose type-check
 * has no Node types, so this file imports nothing that needs Node).
 */
export type GateCheckId = 'policy' | 'signatures' | 'provenance' | 'scan' | 'sbom' | 'vulnerabilities' | 'model-card';
export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface GateCheck {
  id: GateCheckId;
  title: string;
  status: CheckStatus;
  /** Why it passed, failed or was skipped: one line each. */
  reasons: string[];
  findings: Finding[];
}

export interface GateVerdict {
  passed: boolean;
  checks: GateCheck[];
  findings: Finding[];
  policyFile?: string;
  evaluatedAt: string;
}

import path from 'node:path';
import { collectEvidence, type GateEngines } from './collect.ts';
import { DEFAULT_ENGINES } from './engines.ts';
import { evaluateGate } from './evaluate.ts';
import type { Evidence } from './evidence.ts';
import { loadPolicy, type LoadedPolicy } from './policy.ts';
import type { GateVerdict } from './verdict.ts';
import { modelTarget } from '../model/target.ts';
import type { ToolLocations } from '../tools/external.ts';

export interface GateRunOptions {
  now?: Date;
  signal?: AbortSignal;
  /** Policy file to use instead of the nearest `.model-inspect.yaml`. */
  policyFile?: string;
  /** Where the policy search stops (the workspace folder). */
  stopAt?: string;
  engines?: GateEngines;
  runTools?: boolean;
  tools?: ToolLocations;
  toolTimeoutMs?: number;
  onProgress?: (message: string) => void;
}

export interface GateRun {
  evidence: Evidence;
  verdict: GateVerdict;
  policy: LoadedPolicy;
}

/** The promotion gate over a model folder (or the folder of a weight file): evidence, then verdict. */
export async function runGate(modelPath: string, options: GateRunOptions = {}): Promise<GateRun> {
  const now = options.now ?? new Date();
  const target = await modelTarget(modelPath);
  const policy = await loadPolicy(target.root, { file: options.policyFile, stopAt: options.stopAt });
  const evidence = await collectEvidence(target, {
    now,
    signal: options.signal,
    policyDir: policy.file ? path.dirname(policy.file) : target.root,
    onProgress: options.onProgress,
    engines: options.engines ?? DEFAULT_ENGINES,
    policy: policy.policy,
    runTools: options.runTools,
    tools: options.tools,
    toolTimeoutMs: options.toolTimeoutMs,
  });
  const verdict = evaluateGate(evidence, policy, now);
  return { evidence, verdict, policy };
}

export { evaluateGate } from './evaluate.ts';
export type { GateVerdict, GateCheck, GateCheckId, CheckStatus } from './verdict.ts';
export type { Evidence } from './evidence.ts';
export type { GateEngines } from './collect.ts';

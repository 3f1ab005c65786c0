import path from 'node:path';
import { resolveExpectations, type ExpectationLayer, type Expectations } from '../signing/expectations.ts';
import { parsePolicyPattern } from '../signing/policy.ts';
import { collectEvidence, type GateEngines } from './collect.ts';
import { DEFAULT_ENGINES } from './engines.ts';
import { evaluateGate } from './evaluate.ts';
import type { GateVerdict } from './verdict.ts';
import type { Evidence } from './evidence.ts';
import { loadPolicy, policiesInside, type LoadedPolicy, type PolicySource } from './policy.ts';
import { modelTarget } from '../model/target.ts';
import type { ToolLocations } from '../tools/external.ts';

/**
 * The one entry point of the promotion gate for every face (CLI `gate`, the report panel, the
 * tree, exports): plain data in, plain data out. The face says what it trusts (its expectation
 * layer: flags or settings, and where the policy may come from); the gate adds the policy's layer
 * and resolves them once.
 */
export interface GateRunOptions extends PolicySource {
  now?: Date;
  signal?: AbortSignal;
  /** Policy file to use instead of searching above the model folder. */
  policyFile?: string;
  /** Expectations from the command line or the settings (the policy's are added by the gate). */
  expectations?: ExpectationLayer[];
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
  expectations: Expectations;
}

/** The expectation layer a promotion policy gives (its keys relative to the policy file). */
export function policyLayer(loaded: LoadedPolicy, fallbackDir: string): ExpectationLayer {
  const s = loaded.policy.signatures;
  return {
    origin: 'policy',
    source: loaded.file ? `${path.basename(path.dirname(loaded.file))}/${path.basename(loaded.file)}` : 'default policy',
    baseDir: loaded.file ? path.dirname(loaded.file) : fallbackDir,
    keys: s.keys,
    identities: s.identities.map(parsePolicyPattern),
    issuers: s.issuers.map(parsePolicyPattern),
    sourceRepository: loaded.policy.provenance.sourceRepository,
  };
}

/** The promotion gate over a model folder (or the folder of a weight file): evidence, then verdict. */
export async function runGate(modelPath: string, options: GateRunOptions = {}): Promise<GateRun> {
  const now = options.now ?? new Date();
  const target = await modelTarget(modelPath);
  const policy = await loadPolicy(target.root, { file: options.policyFile ?? options.file, stopAt: options.stopAt, search: options.search, inspected: target.root });
  policy.ignored = policiesInside([...target.files, ...target.special]).filter((f) => f !== policy.file);
  const expectations = resolveExpectations([...options.expectations ?? [], policyLayer(policy, target.root)], { inspected: target.root });
  const evidence = await collectEvidence(target, {
    now,
    signal: options.signal,
    policyDir: policy.file ? path.dirname(policy.file) : target.root,
    onProgress: options.onProgress,
    engines: options.engines ?? DEFAULT_ENGINES,
    policy: policy.policy,
    expectations,
    runTools: options.runTools,
    tools: options.tools,
    toolTimeoutMs: options.toolTimeoutMs,
  });
  const verdict = evaluateGate(evidence, policy, now);
  return { evidence, verdict, policy, expectations };
}

export { evaluateGate } from './evaluate.ts';
export type { GateVerdict, GateCheck, GateCheckId, CheckStatus } from './verdict.ts';
export type { Evidence } from './evidence.ts';
export type { GateEngines } from './collect.ts';
export type { ExpectationLayer, Expectations } from '../signing/expectations.ts';

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
import type { Finding } from '../findings.ts';
import { presentFindings, readSourceFile, readSourceTexts, type PresentOptions } from '../present.ts';
import type { RuleSettings } from '../ruleSettings.ts';

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
  /**
   * Rule settings of the face (VS Code's `modelInspect.rules.*`), before the policy's `rules:`.
   * The CLI has none of its own: the policy's apply.
   */
  rules?: readonly RuleSettings[];
}

export interface GateRun {
  evidence: Evidence;
  verdict: GateVerdict;
  policy: LoadedPolicy;
  expectations: Expectations;
  /** How the findings of this run are presented (the face's rules, then the policy's; inline comments or not). */
  presentation: Pick<PresentOptions, 'rules' | 'inline'>;
  /** Everything the run found, through the findings step: the verdict's reasons, policy problems, SBOM and vulnerability report findings. */
  findings: Finding[];
  /** Findings an inline comment silenced (in the model card: never a verdict, signature or scan finding). */
  suppressed: Finding[];
}

/** The expectation layer a promotion policy gives (its keys relative to the policy file). */
export function policyLayer(loaded: LoadedPolicy, fallbackDir: string): ExpectationLayer {
  const s = loaded.policy.signatures;
  return {
    origin: 'policy',
    source: loaded.file
      ? `${path.basename(path.dirname(loaded.file))}/${path.basename(loaded.file)}`
      : 'default policy',
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
  const policy = await loadPolicy(target.root, {
    file: options.policyFile ?? options.file,
    stopAt: options.stopAt,
    search: options.search,
    inspected: target.root,
  });
  policy.ignored = policiesInside([...target.files, ...target.special]).filter((f) => f !== policy.file);
  const expectations = resolveExpectations([...(options.expectations ?? []), policyLayer(policy, target.root)], {
    inspected: target.root,
  });
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
  const presentation = {
    rules: [...(options.rules ?? []), ...(policy.rules ? [policy.rules] : [])],
    inline: policy.inline !== false,
  };
  // The engines' findings go through the same step as every face's before the gate judges them:
  // a rule the settings or the policy turn off, or a card line its author silenced, does not block.
  const suppressed = await presentEvidence(evidence, presentation);
  const verdict = evaluateGate(evidence, policy, now);
  const shown = presentFindings(
    [
      ...verdict.findings,
      ...policy.findings.filter((f) => f.severity !== 'error'),
      ...evidence.sbom.findings,
      ...evidence.vulnerabilities.findings,
    ],
    presentation,
  );
  return { evidence, verdict, policy, expectations, presentation, findings: shown.findings, suppressed };
}

/** Applies the findings step to each engine's evidence, in place; returns what inline comments silenced. */
async function presentEvidence(
  evidence: Evidence,
  presentation: Pick<PresentOptions, 'rules' | 'inline'>,
): Promise<Finding[]> {
  const suppressed: Finding[] = [];
  const step = async (findings: Finding[]): Promise<Finding[]> => {
    const text = presentation.inline ? await readSourceTexts(findings, readSourceFile) : undefined;
    const r = presentFindings(findings, { ...presentation, text });
    suppressed.push(...r.suppressed);
    return r.findings;
  };
  evidence.card.findings = await step(evidence.card.findings);
  for (const f of evidence.scan.files) f.findings = await step(f.findings);
  evidence.signatures.findings = await step(evidence.signatures.findings);
  evidence.sbom.findings = await step(evidence.sbom.findings);
  evidence.vulnerabilities.findings = await step(evidence.vulnerabilities.findings);
  return suppressed;
}

export { evaluateGate } from './evaluate.ts';
export type { GateVerdict, GateCheck, GateCheckId, CheckStatus } from './verdict.ts';
export type { Evidence } from './evidence.ts';
export type { GateEngines } from './collect.ts';
export type { ExpectationLayer, Expectations } from '../signing/expectations.ts';

import fs from 'node:fs/promises';
import path from 'node:path';
import type { Finding } from '../findings.ts';
import { discoverSboms, jsonCandidates, peekJsonKind, type JsonFileKind } from '../sbom/discover.ts';
import { MAX_SBOM_BYTES } from '../sbom/read.ts';
import { locateTools, runGrype, runTrivy, type ToolLocations } from '../tools/external.ts';
import type { ToolStatus } from '../tools/types.ts';
import { vulnerabilitiesFromJson } from '../tools/external.ts';
import type { Vulnerability } from '../tools/vulnerabilities.ts';
import { decodeUtf8 } from '../yaml/decode.ts';
import { readCardFacts } from '../modelcard/facts.ts';
import type {
  CardEvidence,
  Evidence,
  ProvenanceClaim,
  ScanEvidence,
  SignatureEvidence,
  VulnerabilityEvidence,
} from './evidence.ts';
import type { GatePolicy } from './policy.ts';
import type { Expectations } from '../signing/expectations.ts';
import type { ModelTarget } from '../model/target.ts';
import { jsonErrorMessage } from '../jsonError.ts';

/**
 * The engines the gate asks for evidence, behind small interfaces so the gate does not depend on
 * how scanning, verification and card checking are done (and tests can stand in for them).
 */
export interface GateEngines {
  /** Verify every signature of the model folder against the expected signers (keys, identities, issuers, CA). */
  verify?(target: ModelTarget, expectations: Expectations, ctx: EngineContext): Promise<SignatureEvidence>;
  /** Scan the weight files for code (pickle imports and calls, format problems). */
  scan?(target: ModelTarget, ctx: EngineContext): Promise<ScanEvidence>;
  /** Validate the model card file (local paths it names stay inside the model folder): its findings. */
  checkCard?(file: string, target: ModelTarget, ctx: EngineContext): Promise<Finding[]>;
}

export interface EngineContext {
  now: Date;
  signal?: AbortSignal;
  /** Folder of the policy file (policy paths such as `keys:` are relative to it). */
  policyDir?: string;
  onProgress?: (message: string) => void;
}

export interface CollectOptions extends EngineContext {
  engines: GateEngines;
  policy: GatePolicy;
  /** Resolved once from the command line or settings and the policy (src/core/signing/expectations.ts). */
  expectations: Expectations;
  /** Run grype/trivy when installed (they may download their vulnerability database). Off by default. */
  runTools?: boolean;
  tools?: ToolLocations;
  /** Time limit per tool run. */
  toolTimeoutMs?: number;
}

export async function collectEvidence(target: ModelTarget, options: CollectOptions): Promise<Evidence> {
  const ctx: EngineContext = {
    now: options.now,
    signal: options.signal,
    policyDir: options.policyDir,
    onProgress: options.onProgress,
  };
  const incomplete = walkProblems(target);

  // Classify the folder's JSON files once; SBOM and vulnerability discovery both use it.
  const kinds = new Map<string, JsonFileKind>();
  for (const f of jsonCandidates(target.files)) kinds.set(f.path, await peekJsonKind(f.path));
  // A report or SBOM over the size limit is not read: it could hold what blocks the model.
  for (const f of target.files.filter((x) => /\.json$/i.test(x.path) && x.size > MAX_SBOM_BYTES)) {
    const kind = await peekJsonKind(f.path);
    if (kind !== 'other')
      incomplete.push({
        ruleId: 'gate/incomplete',
        severity: 'error',
        message: `${f.rel} looks like a ${kind} document of ${f.size} bytes, over the ${MAX_SBOM_BYTES}-byte limit: not read`,
        file: f.path,
      });
  }

  options.onProgress?.('reading the model card');
  const card = await cardEvidence(target, ctx, options.engines, incomplete);
  options.onProgress?.('reading SBOMs');
  const sbom = await discoverSboms(
    target.files,
    card.facts?.sbomRef
      ? { value: card.facts.sbomRef.value, file: card.file!, range: card.facts.sbomRef.range }
      : undefined,
    kinds,
  );
  options.onProgress?.('verifying signatures');
  const signatures = await engineStep(
    'signature verification',
    target,
    incomplete,
    options.signal,
    () =>
      options.engines.verify
        ? options.engines.verify(target, options.expectations, ctx)
        : Promise.resolve(unavailableSignatures('no signature engine in this build')),
    (message) => unavailableSignatures(message),
  );
  options.onProgress?.('scanning weight files');
  const scan = await engineStep(
    'weight file scan',
    target,
    incomplete,
    options.signal,
    () =>
      options.engines.scan
        ? options.engines.scan(target, ctx)
        : Promise.resolve({ available: false, note: 'no scanner in this build', files: [] }),
    (message) => ({ available: false, note: message, files: [] }),
  );
  options.onProgress?.('reading vulnerability reports');
  const vulnerabilities = await vulnerabilityEvidence(target, kinds, options);
  // A scanner the user asked to run that gave no report leaves the vulnerabilities unknown.
  for (const f of vulnerabilities.findings.filter((x) => x.ruleId === 'gate/incomplete'))
    incomplete.push({ ...f, severity: 'error' });
  vulnerabilities.findings = vulnerabilities.findings.filter((x) => x.ruleId !== 'gate/incomplete');

  const provenance: ProvenanceClaim[] = [];
  for (const f of card.facts?.sourceRepositories ?? [])
    provenance.push({
      repository: f.value,
      source: `model card ${f.key}`,
      verified: false,
      file: card.file,
      range: f.range,
    });
  for (const s of signatures.results) {
    if (s.sourceRepository)
      provenance.push({
        repository: s.sourceRepository,
        source: `${path.basename(s.signatureFile)}${s.verified ? '' : ' (not verified)'}`,
        verified: s.verified,
        file: s.signatureFile,
        covers: s.verified ? s.covers : [],
      });
  }
  return {
    root: target.root,
    name: card.facts?.name ?? target.name,
    weightFiles: target.weightFiles.map((w) => ({ path: w.path, rel: w.rel, size: w.size })),
    files: target.files.map((w) => ({ path: w.path, rel: w.rel, size: w.size })),
    skipped: target.skipped.map((s) => ({ path: s.path, rel: s.rel, entries: s.entries })),
    signatures,
    scan,
    card,
    sbom,
    vulnerabilities,
    provenance,
    incomplete,
  };
}

const LINK_REASONS = {
  'outside-root': 'it leads outside the model folder',
  dangling: 'it leads nowhere',
  loop: 'it loops',
  directory:
    'it leads to a folder (its files are inspected where they are, and a loader following the link would see them under another name)',
  special: 'it leads to a FIFO, socket or device',
} as const;

/**
 * What the walk could not inspect, as findings the gate blocks on: limits, unreadable entries,
 * special files (never opened: a FIFO blocks, a device never ends) and links that are not followed.
 */
export function walkProblems(target: ModelTarget): Finding[] {
  const out: Finding[] = [];
  if (target.truncated)
    out.push({
      ruleId: 'gate/incomplete',
      severity: 'error',
      message: `inspection incomplete: ${target.truncated}`,
      file: target.root,
    });
  for (const e of target.errors)
    out.push({
      ruleId: 'gate/incomplete',
      severity: 'error',
      message: `${e.rel || '.'} could not be read (${e.message}): what it holds was not inspected`,
      file: e.path,
    });
  for (const s of target.special)
    out.push({
      ruleId: 'gate/file-refused',
      severity: 'error',
      message: `${s.rel} is a ${s.kind.replace('-', ' ')}, not a regular file: never opened, not scanned, and no signature can cover it`,
      file: s.path,
    });
  for (const l of target.links)
    out.push({
      ruleId: 'gate/file-refused',
      severity: 'error',
      message: `${l.rel} is a symbolic link that is not followed: ${LINK_REASONS[l.reason]}`,
      file: l.path,
    });
  return out;
}

function unavailableSignatures(note: string): SignatureEvidence {
  return { available: false, note, results: [], findings: [] };
}

/** Runs one engine; a thrown error becomes an incomplete finding and "unavailable" evidence. */
async function engineStep<T>(
  what: string,
  target: ModelTarget,
  incomplete: Finding[],
  signal: AbortSignal | undefined,
  run: () => Promise<T>,
  onError: (message: string) => T,
): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (signal?.aborted) throw e;
    const message = `${what} failed: ${(e as Error)?.message ?? String(e)}`;
    incomplete.push({ ruleId: 'gate/incomplete', severity: 'error', message, file: target.root });
    return onError(message);
  }
}

async function cardEvidence(
  target: ModelTarget,
  ctx: EngineContext,
  engines: GateEngines,
  incomplete: Finding[],
): Promise<CardEvidence> {
  if (!target.cardFile) return { findings: [] };
  const facts = await readCardFacts(target.cardFile);
  let findings: Finding[] = [];
  try {
    findings = engines.checkCard ? await engines.checkCard(target.cardFile, target, ctx) : [];
  } catch (e) {
    if (ctx.signal?.aborted) throw e;
    incomplete.push({
      ruleId: 'gate/incomplete',
      severity: 'error',
      message: `model card check failed: ${(e as Error).message}`,
      file: target.cardFile,
    });
  }
  return { file: target.cardFile, findings, facts };
}

async function vulnerabilityEvidence(
  target: ModelTarget,
  kinds: Map<string, JsonFileKind>,
  options: CollectOptions,
): Promise<VulnerabilityEvidence> {
  const out: VulnerabilityEvidence = { reports: [], vulnerabilities: [], findings: [], tools: [], runs: [] };
  // A report that cannot be read may list what blocks the model: when the check is on, that is an
  // incomplete inspection (it blocks), not a warning beside another report that happens to be clean.
  const unreadable = (file: string, kind: JsonFileKind, why: string) =>
    out.findings.push(
      options.policy.vulnerabilities.enabled
        ? {
            ruleId: 'gate/incomplete',
            severity: 'error',
            message: `${path.basename(file)} looks like a ${kind} report but cannot be read (${why}): the vulnerabilities it lists are not known`,
            file,
          }
        : { ruleId: 'sbom/unreadable', severity: 'warning', message: `${kind} report cannot be read: ${why}`, file },
    );
  for (const [file, kind] of kinds) {
    if (kind !== 'grype' && kind !== 'trivy' && kind !== 'cyclonedx') continue;
    let json: unknown;
    try {
      json = JSON.parse(decodeUtf8(await fs.readFile(file)).text);
    } catch (e) {
      unreadable(file, kind, `not valid JSON: ${jsonErrorMessage(e)}`);
      continue;
    }
    // A CycloneDX file counts as a vulnerability report only when it carries a vulnerabilities array.
    if (
      kind === 'cyclonedx' &&
      !(
        typeof json === 'object' &&
        json !== null &&
        Array.isArray((json as { vulnerabilities?: unknown }).vulnerabilities)
      )
    )
      continue;
    try {
      out.vulnerabilities.push(...vulnerabilitiesFromJson(json, file, kind));
      out.reports.push(file);
    } catch (e) {
      unreadable(file, kind, (e as Error).message);
    }
  }
  out.tools = await locateTools(options.tools);
  if (options.runTools) await runScanners(target, out, options);
  return out;
}

async function runScanners(target: ModelTarget, out: VulnerabilityEvidence, options: CollectOptions): Promise<void> {
  const find = (id: ToolStatus['id']) => out.tools.find((t) => t.id === id && t.path);
  // No cwd: runTool gives each run a private folder (see RunOptions.cwd), so neither the model
  // folder nor the shared temp folder can configure the scanner.
  const runOptions = { signal: options.signal, timeoutMs: options.toolTimeoutMs };
  const grype = find('grype');
  const trivy = find('trivy');
  const record = (tool: string, vulns: Vulnerability[]) => {
    out.vulnerabilities.push(...vulns);
    out.reports.push(`${tool} (run ${options.now.toISOString()})`);
    out.runs.push({ tool, ok: true, message: `${vulns.length} vulnerabilit${vulns.length === 1 ? 'y' : 'ies'}` });
  };
  const attempt = async (tool: string, run: () => Promise<Vulnerability[]>) => {
    options.onProgress?.(`running ${tool}`);
    try {
      record(tool, await run());
    } catch (e) {
      if (options.signal?.aborted) throw e;
      out.runs.push({ tool, ok: false, message: (e as Error).message });
      out.findings.push({
        ruleId: 'gate/incomplete',
        severity: 'warning',
        message: `${tool} did not produce a report: ${(e as Error).message}`,
        file: target.root,
      });
    }
  };
  if (grype?.path)
    await attempt('grype', async () => (await runGrype(grype.path!, { dir: target.root }, runOptions)).vulnerabilities);
  else if (trivy?.path)
    await attempt('trivy', async () => (await runTrivy(trivy.path!, target.root, runOptions)).vulnerabilities);
  else out.runs.push({ tool: 'grype/trivy', ok: false, message: 'neither grype nor trivy is installed' });
}

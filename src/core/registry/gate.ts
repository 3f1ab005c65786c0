/**
 * The promotion gate on a reference: the same checks, policy and verdict as `gate DIR`, over
 * evidence read from the registry. The seed's four checks map onto it: the signature (a cosign
 * signature or Sigstore bundle on the digest, from an expected signer, covers every layer, since
 * the digest names them all), vulnerabilities (from a verified vulnerability attestation or the
 * attested SBOM), the SBOM attestation, and the model-card attestation (cosign's `custom` predicate,
 * validated by the model-card engine); plus the scan of every layer and provenance (verified SLSA
 * attestations and keyless GitHub identities). Only **verified** attestations are evidence: an
 * unsigned SBOM or card attached to the image is anyone's word.
 */
import type { Finding } from '../findings.ts';
import { evaluateGate, normaliseRepository } from '../gate/evaluate.ts';
import type {
  CardEvidence,
  Evidence,
  ProvenanceClaim,
  ScannedFile,
  SignatureResult as GateSignature,
} from '../gate/evidence.ts';
import type { LoadedPolicy } from '../gate/policy.ts';
import type { GateVerdict } from '../gate/verdict.ts';
import { checkModelCardText } from '../modelcard/check.ts';
import { cardFactsFromText } from '../modelcard/facts.ts';
import { parseSbomJson } from '../sbom/read.ts';
import type { SbomDocument } from '../sbom/types.ts';
import type { Expectations } from '../signing/expectations.ts';
import { ruleForFailure } from '../signing/findings.ts';
import { provenanceFacts, isSlsaProvenance } from '../signing/provenance.ts';
import {
  parseCycloneDxVulnerabilities,
  parseGrypeJson,
  parseTrivyJson,
  type Vulnerability,
} from '../tools/vulnerabilities.ts';
import type { RegistryClient } from './client.ts';
import { inspectRemote, type RemoteInspectOptions, type RemoteModel } from './remote.ts';
import type { AttachedResult, RegistryTrust } from './signatures.ts';

export const CUSTOM_PREDICATE = 'https://cosign.sigstore.dev/attestation/v1';
export const VULN_PREDICATE = 'https://cosign.sigstore.dev/attestation/vuln/v1';
const SBOM_PREDICATES = ['https://cyclonedx.org/bom', 'https://spdx.dev/Document'];

export interface RemoteGateOptions extends Omit<RemoteInspectOptions, 'trust' | 'scan'> {
  policy: LoadedPolicy;
  trust: RegistryTrust;
  /** Where the expected signers came from (shown with the Signatures check). */
  expectations?: Pick<Expectations, 'notes' | 'refused'>;
  now?: Date;
}

export interface RemoteGateRun {
  model: RemoteModel;
  evidence: Evidence;
  verdict: GateVerdict;
  policy: LoadedPolicy;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The model card cosign's `custom` predicate carries: `{"Data": "<text>", "Timestamp": …}` (or a bare string). */
export function customPredicateText(predicate: unknown): string | undefined {
  if (typeof predicate === 'string') return predicate;
  if (isObject(predicate) && typeof predicate.Data === 'string') return predicate.Data;
  return undefined;
}

function signerOf(a: AttachedResult): string {
  return a.identity ?? a.key ?? 'a trusted key';
}

/** Gate evidence from what was read from the registry (and only verified attestations). */
export function remoteEvidence(
  m: RemoteModel,
  now = new Date(),
  expectations?: Pick<Expectations, 'notes' | 'refused'>,
): Evidence {
  const label = m.digest && m.reference ? `${m.reference.registry}/${m.reference.repository}@${m.digest}` : m.input;
  const scanned = m.manifests.flatMap((im) => im.layers.flatMap((l) => l.files));
  const files = scanned
    .filter((f) => f.scan)
    .map((f) => ({ path: f.name, rel: f.name.slice(label.length + 1) || f.name, size: f.size }));
  const incomplete: Finding[] = m.findings
    .filter(
      (f) =>
        f.ruleId.startsWith('registry/') &&
        f.severity === 'error' &&
        !['registry/unsigned', 'registry/attestation-missing'].includes(f.ruleId),
    )
    .map((f) => ({ ...f, ruleId: 'gate/incomplete', message: `${f.message} (${f.ruleId})` }));
  if (!m.digest)
    incomplete.push({
      ruleId: 'gate/incomplete',
      severity: 'error',
      message: `${m.input} could not be resolved: nothing was inspected`,
      file: m.input,
    });

  const att = m.attachments;
  const coverAll = files.map((f) => f.path);
  const results: GateSignature[] = (att?.signatures ?? []).map((s) => ({
    file: label,
    signatureFile: s.signatureFile,
    format: s.format,
    verified: s.verified,
    identity: s.identity,
    issuer: s.issuer,
    time: s.time,
    tlogEntry: s.tlog?.[0]
      ? `log index ${s.tlog[0].logIndex}${s.tlog[0].kind ? ` (${s.tlog[0].kind})` : ''}`
      : undefined,
    key: s.key,
    // Verified cryptographically, refused only for who signed: the gate reports the signer, not a broken signature.
    signerRejected:
      !s.verified &&
      s.failures.length > 0 &&
      s.failures.every((f) => ruleForFailure(f) === 'signing/identity-mismatch'),
    // A signature on the manifest digest vouches for every blob the manifest names.
    covers: s.verified ? coverAll : [],
    sourceRepository:
      s.verified && s.identity && /^https:\/\/github\.com\/[^/]+\/[^/]+\//.test(s.identity)
        ? normaliseRepository(s.identity)
        : undefined,
    failures: s.failures,
  }));
  const verifiedAtt = (att?.attestations ?? []).filter((a) => a.verified && a.statement);
  const notes: Finding[] = (att?.attestations ?? [])
    .filter((a) => !a.verified)
    .map((a) => ({
      ruleId: 'registry/attestation-missing',
      severity: 'warning',
      message: `${a.predicateType ?? 'an attestation'} attached to ${label} does not verify (${a.failures[0] ?? 'not verified'}); it is not used as evidence`,
      file: label,
    }));

  // The model card: the newest verified `custom` attestation holding a card.
  const card: CardEvidence = { findings: [] };
  const cardAtt = [...verifiedAtt]
    .reverse()
    .find((a) => a.predicateType === CUSTOM_PREDICATE && customPredicateText(a.statement!.predicate) !== undefined);
  if (cardAtt) {
    const text = customPredicateText(cardAtt.statement!.predicate)!;
    const cardFile = `${label}!/model-card.yaml`;
    card.file = cardFile;
    card.facts = cardFactsFromText(text, cardFile);
    card.findings = checkModelCardText(text, cardFile, { now });
  }

  const sboms: SbomDocument[] = [];
  const sbomFindings: Finding[] = [...notes];
  const reports: string[] = [];
  const vulns: Vulnerability[] = [];
  for (const [i, a] of verifiedAtt.entries()) {
    const where = `${label}!/attestation-${i}-${(a.predicateType ?? '').replace(/^https?:\/\//, '').replace(/[^\w.-]+/g, '_')}.json`;
    const pred = a.statement!.predicate;
    if (SBOM_PREDICATES.includes(a.predicateType ?? '')) {
      const r = parseSbomJson(pred, where);
      sbomFindings.push(...r.findings);
      if (r.sbom) {
        sboms.push(r.sbom);
        if (r.sbom.vulnerabilityCount > 0 || (isObject(pred) && Array.isArray(pred.vulnerabilities))) {
          reports.push(where);
          vulns.push(...parseCycloneDxVulnerabilities(pred, where));
        }
      }
    } else if (a.predicateType === VULN_PREDICATE && isObject(pred)) {
      const result = isObject(pred.scanner) ? pred.scanner.result : undefined;
      const scanner = isObject(pred.scanner) && typeof pred.scanner.uri === 'string' ? pred.scanner.uri : '';
      if (isObject(result)) {
        reports.push(where);
        vulns.push(
          ...(/trivy/i.test(scanner) || 'Results' in result
            ? parseTrivyJson(result, where)
            : parseGrypeJson(result, where)),
        );
      }
    }
  }

  const provenance: ProvenanceClaim[] = [];
  for (const a of verifiedAtt) {
    if (!isSlsaProvenance(a.statement!)) continue;
    for (const repo of provenanceFacts(a.statement!).sources)
      provenance.push({
        repository: repo,
        source: `SLSA provenance attested by ${signerOf(a)}`,
        verified: true,
        file: label,
      });
  }
  for (const s of results)
    if (s.sourceRepository)
      provenance.push({
        repository: s.sourceRepository,
        source: `signing certificate of ${s.identity}`,
        verified: true,
        file: label,
      });
  for (const f of card.facts?.sourceRepositories ?? [])
    provenance.push({
      repository: f.value,
      source: `attested model card ${f.key}`,
      verified: false,
      file: card.file,
      range: f.range,
    });

  const scanFiles: ScannedFile[] = scanned
    .filter((f) => f.scan)
    .map((f) => ({ path: f.name, format: f.scan!.format, complete: f.scan!.complete, findings: f.scan!.findings }));
  return {
    root: label,
    name:
      card.facts?.name ??
      (m.reference ? `${m.reference.repository}${m.reference.tag ? `:${m.reference.tag}` : ''}` : m.input),
    weightFiles: files,
    files,
    skipped: [],
    signatures: {
      available: att !== undefined,
      note: att ? undefined : 'the signatures could not be read',
      results,
      findings: att?.findings ?? [],
      expectations: expectations ? { notes: expectations.notes, refused: expectations.refused } : undefined,
    },
    scan: { available: true, files: scanFiles },
    card,
    sbom: { sboms, findings: sbomFindings },
    vulnerabilities: { reports, vulnerabilities: vulns, findings: [], tools: [], runs: [] },
    provenance,
    incomplete,
  };
}

/** `gate REF`: inspect (pull, scan, verify attachments), then the gate's own evaluation. */
export async function runRemoteGate(
  client: RegistryClient,
  input: string,
  opts: RemoteGateOptions,
): Promise<RemoteGateRun> {
  const model = await inspectRemote(client, input, { ...opts, scan: true, trust: opts.trust });
  const evidence = remoteEvidence(model, opts.now, opts.expectations);
  const verdict = evaluateGate(evidence, opts.policy, opts.now);
  return { model, evidence, verdict, policy: opts.policy };
}

import type { Finding, TextRange } from '../findings.ts';
import type { SbomDocument } from '../sbom/types.ts';
import type { ToolStatus } from '../tools/types.ts';
import type { Vulnerability } from '../tools/vulnerabilities.ts';
import type { CardFacts } from '../modelcard/types.ts';

/**
 * Everything the gate decides on, gathered once and shown as is in the report panel. Plain data
 * (JSON-serialisable): the panel receives it through postMessage.
 */
export interface Evidence {
  root: string;
  name: string;
  weightFiles: { path: string; rel: string; size: number }[];
  signatures: SignatureEvidence;
  scan: ScanEvidence;
  card: CardEvidence;
  sbom: SbomEvidence;
  vulnerabilities: VulnerabilityEvidence;
  provenance: ProvenanceClaim[];
  /** Parts that could not be inspected (walk limits, engine failures): never "clean". */
  incomplete: Finding[];
}

export interface SignatureResult {
  /** The file the signature is over (for a model manifest such as model.sig: the model folder). */
  file: string;
  signatureFile: string;
  /** e.g. "sigstore-bundle", "cosign-signature", "openssf-model-signing". */
  format: string;
  verified: boolean;
  identity?: string;
  issuer?: string;
  /** When it was signed (ISO 8601), from the transparency log or the certificate. */
  time?: string;
  /** Transparency-log entry, e.g. "rekor #123456 (log id …)". */
  tlogEntry?: string;
  /** Key or certificate in one line (fingerprint, subject, validity). */
  key?: string;
  /** Verified with a key the policy lists (an allowed signer without an identity). */
  trustedKey?: boolean;
  /** Absolute paths of the files this signature vouches for (every file of a verified model manifest). */
  covers: string[];
  /** Source repository from the certificate or a provenance attestation (verified when `verified`). */
  sourceRepository?: string;
  failures: string[];
}

export interface SignatureEvidence {
  /** False when no signature engine was available: the gate then cannot pass a signature check. */
  available: boolean;
  note?: string;
  results: SignatureResult[];
  findings: Finding[];
}

export interface ScannedFile {
  path: string;
  format: string;
  /** False when the scanner hit a limit or an error: what was not read is not known to be safe. */
  complete: boolean;
  findings: Finding[];
}

export interface ScanEvidence {
  available: boolean;
  note?: string;
  files: ScannedFile[];
  /** Files of the model no engine analyses (unknown binary content, links out of the folder, FIFOs…): `gate.scan.not_analysed` decides. */
  notAnalysed?: { path: string; rel: string; size: number; kind: string; detail: string }[];
}

export interface CardEvidence {
  file?: string;
  findings: Finding[];
  facts?: CardFacts;
}

export interface SbomEvidence {
  sboms: SbomDocument[];
  findings: Finding[];
}

export interface VulnerabilityEvidence {
  /** Report files (or tool runs) the vulnerabilities were read from. */
  reports: string[];
  vulnerabilities: Vulnerability[];
  findings: Finding[];
  tools: ToolStatus[];
  /** Tools that were run for this evidence, with how it went. */
  runs: { tool: string; ok: boolean; message: string }[];
}

export interface ProvenanceClaim {
  repository: string;
  /** Where the claim comes from, e.g. "model card provenance.training_config.source". */
  source: string;
  verified: boolean;
  file?: string;
  range?: TextRange;
}

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
  /** Every regular file of the model (links to files inside it included): what signatures must cover. */
  files: { path: string; rel: string; size: number }[];
  /** Folders the walk did not enter (`.git`, `node_modules`…): covered only by a folder signature that read them. */
  skipped: { path: string; rel: string; entries: number }[];
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
  /** Absolute paths of the files this signature vouches for (the files of a verified model manifest that matched). */
  covers: string[];
  /** Absolute paths of folders the walk skipped that a verified folder signature read and covers. */
  coversFolders?: string[];
  /** Absolute paths in the folder that the signature's signer ignored: not covered by it. */
  ignored?: string[];
  /** The signature verified cryptographically, but its signer is not an expected one. */
  signerRejected?: boolean;
  /** Model signatures: files changed, added and removed since signing (absolute paths). */
  manifest?: { changed: string[]; added: string[]; removed: string[] };
  /** Source repository from the certificate or a provenance attestation (verified when `verified`). */
  sourceRepository?: string;
  failures: string[];
}

export interface SignatureEvidence {
  /** False when no signature engine was available: the gate then cannot pass a signature check. */
  available: boolean;
  note?: string;
  /** Where the expected signers came from, and what was refused (see the README's trust model). */
  expectations?: { notes: string[]; refused: string[] };
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
  /**
   * Absolute paths of the files the verified signature or attestation behind the claim vouches for:
   * it states where those were built, not its neighbours. Undefined: the whole model (an attestation
   * on a registry digest covers every layer).
   */
  covers?: string[];
}

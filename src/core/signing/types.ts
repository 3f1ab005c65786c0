import type { Finding } from '../findings.ts';

/** The signature formats the verifier understands. */
export type SignatureFormat =
  /** A Sigstore bundle (v0.1–v0.3) over one file: message signature or DSSE. cosign 3 writes these. */
  | 'sigstore-bundle'
  /** `cosign sign-blob --key` output: base64 of a DER ECDSA signature over the file. */
  | 'cosign-signature'
  /** cosign's legacy `--bundle` JSON `{base64Signature, cert, rekorBundle}`. */
  | 'cosign-legacy-bundle'
  /** OpenSSF model signing `model.sig` over a model folder (or a single file). */
  | 'model-signing'
  /** A DSSE in-toto attestation (for example SLSA provenance) about one file. */
  | 'in-toto'
  /** `cosign sign` of an image or artifact in a registry: a simple-signing layer of the `sha256-<hex>.sig` manifest. */
  | 'cosign-image-signature'
  /** `cosign attest` in a registry: a DSSE envelope layer of the `sha256-<hex>.att` manifest. */
  | 'cosign-attestation';

/** The transparency-log entry a signature was recorded in. */
export interface TlogSummary {
  logIndex: string;
  /** ISO time the log says it integrated the entry (Rekor v1); absent for Rekor v2 entries. */
  integratedTime?: string;
  /** Hex log id. */
  logId?: string;
  /** Entry kind and version, e.g. `hashedrekord 0.0.1`. */
  kind?: string;
}

/** What one signature file says about one artifact, and whether every check passed. */
export interface SignatureResult {
  /** The artifact (file) or model folder the signature covers. */
  file: string;
  /** The signature, bundle or attestation file. */
  signatureFile: string;
  format: SignatureFormat;
  verified: boolean;
  /** The signer: certificate SAN (email, URI) for keyless signatures; absent for keys. */
  identity?: string;
  /** OIDC issuer from the certificate (keyless). */
  issuer?: string;
  /** When it was signed: from a verified transparency-log entry or timestamp (ISO 8601). */
  time?: string;
  tlog?: TlogSummary[];
  /** One line naming the key or certificate (algorithm, hint, subject, validity). */
  key?: string;
  /** DSSE statement predicate type, when there is one. */
  predicateType?: string;
  /** Every check that failed, in words: which check, expected vs found. Empty when verified. */
  failures: string[];
  /** Facts worth showing that are not failures (e.g. "no transparency-log entry: key signature only"). */
  notes: string[];
  /** Model folders: file-level differences between the signed manifest and the folder. */
  manifest?: ManifestDiff;
}

export interface ManifestDiff {
  /** The model root the names are relative to. */
  root: string;
  /** Signed, but not in the folder. */
  missing: string[];
  /** In the folder, not signed (and not ignored). */
  extra: string[];
  /** Present, but the digest differs. */
  changed: string[];
  /** How many signed resources matched. */
  matched: number;
  /** Files (relative names) whose every signed resource matched: what a verified signature covers. */
  covered: string[];
  /** Paths in the folder that the check skipped (the signer's ignore paths, git metadata, --ignore-paths): not covered. */
  ignored: string[];
}

export interface VerificationReport {
  /** The path that was verified (file or folder), absolute. */
  path: string;
  /** True when at least one signature was found and every signature that was checked verified. */
  verified: boolean;
  signatures: SignatureResult[];
  /** The same results as findings (rule ids in `signing/*`), for the CLI, diagnostics and the gate. */
  findings: Finding[];
}

/** An expected identity or issuer: an exact value, or a regular expression matched against the whole value. */
export type SignerPattern = { exact: string } | { regexp: string; flags?: string };

/** What the user expects of a signer. Exact values are compared exactly; regexes are always anchored. */
export interface IdentityPolicy {
  certificateIdentity?: string;
  certificateIdentityRegexp?: string;
  certificateOidcIssuer?: string;
  certificateOidcIssuerRegexp?: string;
}

/** What the user expects of SLSA provenance. */
export interface ProvenancePolicy {
  /** Builder id: exact, or a prefix ending at `@` (a builder id without its ref matches any ref). */
  builderId?: string;
  /** Source repository, e.g. `github.com/org/repo` or `https://github.com/org/repo`. */
  sourceRepository?: string;
}

export interface VerifyOptions extends IdentityPolicy {
  /** An explicit signature, bundle or attestation file (otherwise discovered next to the artifact). */
  signature?: string;
  /** A public key (PEM file path) to verify key-signed bundles and raw cosign signatures with. */
  key?: string;
  /** More public keys: a key signature verifies when one of them verifies it. */
  keys?: readonly string[];
  /** Expected identities and issuers as lists (any one matches), besides the cosign-style single values. */
  identities?: readonly SignerPattern[];
  issuers?: readonly SignerPattern[];
  /** Expected keys or CA files that were refused (e.g. inside the inspected folder): said in every key failure. */
  refused?: readonly string[];
  /**
   * Paths (relative to the model folder) a model signature's check skips, for signatures made before
   * model_signing 1.1 that do not record the paths their signer ignored. Files there are not covered.
   */
  ignorePaths?: readonly string[];
  /** A Sigstore trusted_root.json (private instances); default: the shipped public-good root. */
  trustedRoot?: string;
  /** PEM file with the CA certificate(s) a certificate-chain signature must chain to. */
  certificateChain?: string;
  provenance?: ProvenancePolicy;
  /**
   * Keyless signatures verify only against an expected identity and issuer (cosign's rule). When
   * false, a keyless signature with no expected identity still verifies and the identity is reported.
   */
  requireIdentity?: boolean;
  signal?: AbortSignal;
}

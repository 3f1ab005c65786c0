/**
 * Signing and verification: Sigstore bundles (v0.1–v0.3), cosign formats and keys, OpenSSF model
 * signing, in-toto/SLSA provenance. This is the public surface other areas (report panel, gate,
 * CLI, extension) use; everything else in this folder is an implementation detail.
 *
 *   verifyPath(path, options)  → Promise<VerificationReport>
 *   discoverSignatures(path)   → Promise<DiscoveredSignature[]>
 */
export { verifyPath } from './verify.ts';
export { discoverSignatures, type DiscoveredSignature, type DiscoveredFormat } from './discover.ts';
export { signPath, signBlob, signModel, type SignOptions, type SignResult } from './sign.ts';
export { isEncryptedCosignKey, KeyError } from './keys.ts';
export { shippedTrustedRootPath, loadTrustedRoot, TrustedRootError } from './trustedRoot.ts';
export { SIGNING_RULES } from './rules.ts';
export type {
  VerificationReport,
  SignatureResult,
  SignatureFormat,
  VerifyOptions,
  IdentityPolicy,
  ProvenancePolicy,
  TlogSummary,
  ManifestDiff,
} from './types.ts';

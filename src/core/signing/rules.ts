import type { RuleInfo } from '../findings.ts';

export const SIGNING_RULES: readonly RuleInfo[] = [
  {
    id: 'signing/verified',
    title: 'Signature verified',
    category: 'signing',
    defaultSeverity: 'info',
    help: 'Every check of this signature passed: the signature over the file (or the model manifest), the key or certificate chain, the transparency-log entry and timestamps the bundle carries, and the expected signer identity. The message names the signer, the time and the log index. Nothing to fix; keep the signature next to the artifact so others can verify it too.',
  },
  {
    id: 'signing/no-signature',
    title: 'No signature found',
    category: 'signing',
    defaultSeverity: 'warning',
    help: 'No signature was found next to the file (`X.sig`, `X.sigstore.json`, `X.sigstore`, `X.bundle`, `X.intoto.jsonl`) or in the model folder (`model.sig`). An unsigned model cannot be traced to whoever produced it, and a swapped file would go unnoticed. Sign it (`Model Inspect: Sign…`, `model-inspect sign`, `cosign sign-blob`, or `model_signing sign`), or point the verifier at the signature with `--bundle`/`--signature`.',
  },
  {
    id: 'signing/invalid-signature',
    title: 'Signature does not verify',
    category: 'signing',
    defaultSeverity: 'error',
    help: 'A cryptographic check failed: the signature over the file or DSSE payload, the certificate chain to the trusted Fulcio CA, the certificate transparency SCT, the transparency-log entry (inclusion proof, checkpoint or signed entry timestamp, and whether the entry describes this signature), or the timestamp. The message says which check and what was expected. Usually the file was changed after signing, the signature belongs to another file, or the bundle was tampered with. Do not use the artifact until it verifies; obtain it and its signature again from the producer.',
  },
  {
    id: 'signing/identity-mismatch',
    title: 'Signer identity not the expected one',
    category: 'signing',
    defaultSeverity: 'error',
    help: 'The keyless signature is valid, but the certificate was issued to another identity or by another OIDC issuer than expected, or no expectation was given. Anyone can obtain a Sigstore certificate for their own account, so a keyless signature means something only when the identity is checked. Give the expected identity and issuer (`--certificate-identity`/`--certificate-identity-regexp` and `--certificate-oidc-issuer`, or the `modelInspect.signing.certificateIdentity` and `modelInspect.signing.certificateOidcIssuer` settings). Regular expressions are anchored at both ends.',
  },
  {
    id: 'signing/manifest-mismatch',
    title: 'Model files differ from the signed manifest',
    category: 'signing',
    defaultSeverity: 'error',
    help: 'The OpenSSF model signature (`model.sig`) is valid, but the folder is not what was signed: a file was changed (its digest differs), a signed file is missing, or a file that is neither signed nor ignored was added. Each differing file is named. A changed weight or an added pickle can carry a backdoor; restore the signed files, or have the producer sign the new version.',
  },
  {
    id: 'signing/subject-mismatch',
    title: 'Attestation is about another file',
    category: 'signing',
    defaultSeverity: 'error',
    help: 'The in-toto attestation (for example SLSA provenance) is validly signed, but none of its subjects has the digest of this file, so it says nothing about it. The file was changed after the build, or the attestation belongs to another artifact. Get the attestation that was produced for this exact file.',
  },
  {
    id: 'signing/provenance-mismatch',
    title: 'Provenance from an unexpected builder or source',
    category: 'signing',
    defaultSeverity: 'error',
    help: 'The SLSA provenance is validly signed and about this file, but it was built by another builder, from another source repository, or signed by a workflow other than the expected builder. This is what a build on a fork or a malicious workflow looks like. Give the expected builder id and source repository (`--builder-id`, `--source-uri`, settings, or the model card\'s provenance section) and accept only artifacts that match.',
  },
  {
    id: 'signing/key-required',
    title: 'Public key or CA certificate needed',
    category: 'signing',
    defaultSeverity: 'error',
    help: 'The signature was made with a key (cosign `--key`, `model_signing sign key`) or with a certificate from your own PKI (`model_signing sign certificate`), and can only be verified with the matching public key or CA certificate, which was not given. Pass `--key cosign.pub` or `--certificate-chain ca.pem`, or set `modelInspect.signing.publicKey` / `modelInspect.signing.certificateChain`. A key hint or an embedded certificate chain only helps to find the trust anchor; it is never trusted by itself.',
  },
  {
    id: 'signing/trusted-root-invalid',
    title: 'Trusted root unusable',
    category: 'signing',
    defaultSeverity: 'error',
    help: 'The Sigstore trusted root (`trusted_root.json`) could not be used: it is missing, not valid JSON, not a trusted root, or a transparency or CT log key in it has no validity start (`publicKey.validFor.start`). A key without a start would be trusted for signatures made before it existed, so such roots are rejected. Use the shipped public-good root, refresh it (`Model Inspect: Refresh Sigstore Trusted Root`), or fix the private instance\'s root.',
  },
  {
    id: 'signing/unsupported-format',
    title: 'Signature format not supported',
    category: 'signing',
    defaultSeverity: 'warning',
    help: 'The signature uses a format or algorithm this tool cannot check offline, such as a model manifest hashed with blake3 (Node has sha256 and blake2 only) or an unknown model-signing predicate. Nothing was verified, which is not the same as a valid signature. Re-sign with sha256 (model_signing\'s default, and this tool\'s), or verify with the tool that produced it.',
  },
];

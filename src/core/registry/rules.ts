import type { RuleInfo } from '../findings.ts';

const r = (id: string, title: string, defaultSeverity: RuleInfo['defaultSeverity'], help: string): RuleInfo => ({
  id: `registry/${id}`,
  title,
  category: 'registry',
  defaultSeverity,
  help,
});

export const REGISTRY_RULES: readonly RuleInfo[] = [
  r(
    'tag-reference',
    'Reference by tag',
    'warning',
    'The reference names a tag (`repo:v2.1.0`, or none, which means `latest`). Whoever can push to the repository can move a tag to other content at any time, so what was checked and what a cluster later pulls can differ. The tag was resolved to a digest once, the digest is printed, and everything else was checked against that digest.\n\n**Fix:** refer to the model by digest (`repo@sha256:…`) in deployments, policies and gates; the message gives the pinned reference.',
  ),
  r(
    'unreachable',
    'Registry could not be read',
    'error',
    "The registry could not be reached or did not answer as the distribution specification requires: a connection, DNS or TLS failure, an idle timeout, an HTTP error after the retries, a refused redirect (a loop, or a downgrade from HTTPS to plain HTTP). Nothing from the registry is trusted, and what could not be read is not known to be safe.\n\n**Fix:** check the reference, the network and the registry's certificate (`--registry-cacert` for a private CA); plain HTTP is used only for `localhost`/`127.0.0.1` or with `--allow-insecure-registry`.",
  ),
  r(
    'access-denied',
    'Registry refused access',
    'error',
    'The registry (or its token service) answered 401 or 403: anonymous access is not allowed, or the credentials used were refused. The message names where the credentials came from.\n\n**Fix:** `docker login REGISTRY`, or give `--registry-username` and `--registry-password-stdin`; credential helpers (`credHelpers`, `credsStore` in `~/.docker/config.json`) are only run with `--registry-credential-helpers` or in a trusted VS Code workspace.',
  ),
  r(
    'not-found',
    'Not in the registry',
    'error',
    'The repository, tag or digest does not exist in the registry (HTTP 404, manifest unknown).\n\n**Fix:** check the reference; a digest from another registry is only the same content if it was copied by digest.',
  ),
  r(
    'digest-mismatch',
    'Content does not match its digest',
    'error',
    "The registry sent bytes that are not what their digest or descriptor names: a manifest that does not hash to the digest asked for, a blob whose SHA-256 or size differs from the manifest's descriptor (reading stops as soon as a blob runs past its declared size), or a registry whose `Docker-Content-Digest` disagrees with the bytes. Content addressing is what makes an OCI reference mean something; nothing read from such bytes is trusted, and their scan results are discarded.\n\n**Fix:** do not use the artifact from this registry; pull it again from the publisher and compare digests. A registry, proxy or cache that alters content is compromised or broken.",
  ),
  r(
    'manifest-invalid',
    'Manifest or index is malformed',
    'error',
    'The manifest or index is not valid JSON, has no schema version 2, names an unsupported media type (Docker schema 1 is refused), or has descriptors without a media type, a well-formed digest or a non-negative size. Clients read such documents differently, which an attacker can use to show a scanner one thing and a runtime another.\n\n**Fix:** re-push the artifact with a current tool (oras, docker, cosign, modctl).',
  ),
  r(
    'incomplete',
    'Part of the artifact was not checked',
    'error',
    'A limit was reached or part could not be read: a manifest too large or with too many layers, an index with too many platforms, the download limit, an archive with too many members, a decompression bomb, a foreign layer served from elsewhere, or a blob that needs random access and is larger than the spool limit. What was not checked is not known to be safe; the promotion gate fails closed on it.\n\n**Fix:** raise the limit if the artifact is legitimately large (`--max-download-size`), or do not promote it.',
  ),
  r(
    'insecure-transport',
    'Plain HTTP allowed to a remote registry',
    'warning',
    'With `--allow-insecure-registry`, a registry that is not `localhost`/`127.0.0.1` may be spoken to over plain HTTP when it does not speak TLS. Anyone on the network path can then change what is pulled, and credentials sent to it are readable. Digests still protect the content of a reference by digest, not a tag.\n\n**Fix:** serve the registry over TLS (with your own CA: `--registry-cacert`).',
  ),
  r(
    'unsigned',
    'No valid signature in the registry',
    'error',
    "No signature attached to this digest verified against what you trust: none was found (neither cosign's `sha256-<hex>.sig` tag nor a Sigstore bundle among the OCI referrers), or every one failed (another key, another identity, another image's digest, a tampered payload). Each failed signature has its own `signing/*` finding saying why.\n\n**Fix:** sign the digest (`model-inspect sign REF --key cosign.key`, or `cosign sign`), and verify with the key or identity of the publisher you expect.",
  ),
  r(
    'attestation-missing',
    'Required attestation not attached',
    'error',
    "The policy requires an attestation (an SBOM as CycloneDX or SPDX, the model card as cosign's `custom` predicate, SLSA provenance) attached to this digest and verified against what you trust, and there is none that verifies.\n\n**Fix:** attach it: `model-inspect attest REF --predicate FILE --type cyclonedx|spdx|custom|slsaprovenance --key cosign.key` (or `cosign attest`).",
  ),
  r(
    'attachment-ignored',
    'Attached objects that are not signatures',
    'info',
    'Objects attached to the digest (layers of the `.sig`/`.att` manifests, or OCI referrers) that are neither cosign signatures, DSSE attestations nor Sigstore bundles were listed and left alone. They prove nothing about the artifact.\n\n**Fix:** nothing to do, unless you expected them to be signatures.',
  ),
  r(
    'tag-verified',
    'Tag still signed and attested',
    'info',
    'From `registry scan`: the tag resolved to a digest that carries a signature verified against what you trust, and every attestation the policy requires. The message names the signers and the attested predicate types. Informational.',
  ),
  r(
    'pulled',
    'Pulled and scanned',
    'info',
    'What was read from the registry: the packaging (CNCF ModelPack, Docker model artifact, ORAS files, container image, index platforms), how many layers and bytes were read and checked against their digests, and how many files were scanned. Informational.',
  ),
];

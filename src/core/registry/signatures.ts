/**
 * Signatures and attestations stored in a registry next to an image or artifact, verified offline:
 *
 * - cosign's tag scheme: `sha256-<hex>.sig` (one simple-signing layer per signature: the payload
 *   `{"critical":{"identity":{"docker-reference"},"image":{"docker-manifest-digest"},"type":"cosign
 *   container image signature"}}`, the signature in the `dev.cosignproject.cosign/signature`
 *   annotation, and for keyless signatures the certificate, chain and Rekor SET in
 *   `dev.sigstore.cosign/{certificate,chain,bundle}`) and `sha256-<hex>.att` (DSSE envelopes);
 * - Sigstore bundles attached as OCI 1.1 referrers (cosign 3's new bundle format), through the
 *   referrers API or, where the registry has none, the `sha256-<hex>` referrers tag schema.
 *
 * Everything read here is attacker-controlled evidence: the payload must sign *this* digest, keys
 * and identities come only from the caller's expectations, and an embedded certificate is trusted
 * only through the Sigstore trusted root (keyless) or the caller's CA certificates (own PKI).
 */
import crypto from 'node:crypto';
import type { Finding } from '../findings.ts';
import { parseStatement, verifyDsseSignature, type Statement } from '../signing/dsse.ts';
import { resultFindings } from '../signing/findings.ts';
import { describeKey, hashForKey, pemBlocks } from '../signing/keys.ts';
import { describeCertificate, verifyChain } from '../signing/pki.ts';
import {
  checkIdentity,
  compilePolicy,
  compileSigners,
  matchesAny as matchesAllowed,
  type CompiledPolicy,
} from '../signing/policy.ts';
import { checkProvenance, isSlsaProvenance } from '../signing/provenance.ts';
import { verifySigstoreBundle, type BundleVerification } from '../signing/sigstoreBundle.ts';
import { loadTrustedRoot, type LoadedTrustedRoot } from '../signing/trustedRoot.ts';
import type { IdentityPolicy, ProvenancePolicy, SignatureResult, SignerPattern } from '../signing/types.ts';
import type { Descriptor, RegistryClient } from './client.ts';
import { RegistryError } from './errors.ts';
import { MT, parseManifest, type ImageManifest, type ParsedManifest } from './manifest.ts';
import { attachmentTag, repositoryName, tryParseReference } from './reference.ts';

export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const COSIGN_CERTIFICATE_ANNOTATION = 'dev.sigstore.cosign/certificate';
export const COSIGN_CHAIN_ANNOTATION = 'dev.sigstore.cosign/chain';
export const COSIGN_BUNDLE_ANNOTATION = 'dev.sigstore.cosign/bundle';
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';
/** cosign 3 signs images with an in-toto statement of this predicate type (new bundle format). */
export const COSIGN_SIGN_PREDICATE = 'https://sigstore.dev/cosign/sign/v1';
/** cosign's limit on layers in a signature or attestation manifest (pkg/oci/mutate). */
export const MAX_ATTACHMENT_LAYERS = 1000;

const BUNDLE_ARTIFACT_TYPES = new Set([MT.sigstoreBundleV03, 'application/vnd.dev.sigstore.bundle+json;version=0.3']);

/** What the caller trusts: never taken from the registry. */
export interface RegistryTrust {
  /** Public keys a key signature must verify with. */
  keys: { key: crypto.KeyObject; label: string }[];
  identity: IdentityPolicy;
  /** Keyless signatures count only with an expected identity and issuer (cosign's rule). Default true. */
  requireIdentity?: boolean;
  /** A Sigstore trusted_root.json; default the shipped public-good root. */
  trustedRoot?: string;
  /** CA certificates for signatures from the user's own PKI (cosign --certificate-chain). */
  caRoots?: crypto.X509Certificate[];
  provenance?: ProvenancePolicy;
  /**
   * Signers a promotion policy allows (`gate.signatures.identities` / `issuers`: exact, or `/regex/`),
   * used when no single expected identity is given.
   */
  allowed?: { identities: string[]; issuers: string[] };
  /** Expected signers as pattern lists (the expectation resolver's form); used instead of `identity` when given. */
  signers?: { identities: readonly SignerPattern[]; issuers: readonly SignerPattern[] };
}

export type AttachmentSource = 'sig-tag' | 'att-tag' | 'referrer';

export interface AttachedResult extends SignatureResult {
  source: AttachmentSource;
  kind: 'signature' | 'attestation';
  /** The `docker-reference` a cosign signature names (evidence: reported, compared, never trusted). */
  dockerReference?: string;
  /** The digest the signature or statement says it is about. */
  signedDigest?: string;
  statement?: Statement;
}

export interface AttachmentsReport {
  subject: string;
  signatures: AttachedResult[];
  attestations: AttachedResult[];
  /** How referrers were found. */
  referrers: 'api' | 'tag-schema' | 'none';
  /** Layers or referrers that are not signatures (reported, not verified). */
  others: string[];
  /** Lists cut at a limit, or attachments that could not be read: the answer is incomplete. */
  incomplete: string[];
  findings: Finding[];
}

export interface AttachmentOptions {
  /** Read attestations (`.att` and attestation referrers). Default true. */
  attestations?: boolean;
  /** Read OCI referrers (Sigstore bundles). Default true. */
  referrers?: boolean;
  signal?: AbortSignal;
}

interface Subject {
  registry: string;
  repository: string;
  digest: string;
  /** The subject manifest's bytes (a message-signature bundle over an image signs these). */
  manifestBytes?: Buffer;
}

interface SimpleSigning {
  dockerReference?: string;
  manifestDigest?: string;
  type?: string;
}

function parseSimpleSigning(bytes: Buffer): SimpleSigning | string {
  let j: unknown;
  try {
    j = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    return `the signed payload is not JSON (${(e as Error).message})`;
  }
  const critical = (j as { critical?: Record<string, unknown> })?.critical;
  if (typeof critical !== 'object' || critical === null)
    return 'the signed payload has no "critical" section: not a simple-signing payload';
  const identity = critical.identity as Record<string, unknown> | undefined;
  const image = critical.image as Record<string, unknown> | undefined;
  return {
    dockerReference: typeof identity?.['docker-reference'] === 'string' ? identity['docker-reference'] : undefined,
    manifestDigest: typeof image?.['docker-manifest-digest'] === 'string' ? image['docker-manifest-digest'] : undefined,
    type: typeof critical.type === 'string' ? critical.type : undefined,
  };
}

/** The Rekor SET annotation: `{"SignedEntryTimestamp", "Payload": {body, integratedTime, logIndex, logID}}`. */
interface RekorBundle {
  SignedEntryTimestamp?: string;
  Payload?: { body?: string; integratedTime?: number; logIndex?: number; logID?: string };
}

function tlogEntryJson(rb: RekorBundle): Record<string, unknown> | string {
  if (!rb?.Payload?.body || !rb.SignedEntryTimestamp)
    return 'the Rekor bundle annotation lacks its body or signed entry timestamp';
  let body: { kind?: string; apiVersion?: string };
  try {
    body = JSON.parse(Buffer.from(rb.Payload.body, 'base64').toString('utf8')) as typeof body;
  } catch {
    return 'the Rekor entry body is not JSON';
  }
  return {
    logIndex: String(rb.Payload.logIndex ?? 0),
    logId: { keyId: Buffer.from(rb.Payload.logID ?? '', 'hex').toString('base64') },
    kindVersion: { kind: body.kind ?? 'hashedrekord', version: body.apiVersion ?? '0.0.1' },
    integratedTime: String(rb.Payload.integratedTime ?? 0),
    inclusionPromise: { signedEntryTimestamp: rb.SignedEntryTimestamp },
    canonicalizedBody: rb.Payload.body,
  };
}

/** A Sigstore v0.1 bundle carrying a cosign layer's signature, certificate or key, and Rekor entry. */
function bundleFromCosign(
  content: { message: { payload: Buffer; signature: string } } | { dsse: unknown },
  material: { certDer?: Buffer } | { publicKey: true },
  rekor?: Record<string, unknown>,
): unknown {
  const vm: Record<string, unknown> = { tlogEntries: rekor ? [rekor] : [] };
  if ('certDer' in material && material.certDer)
    vm.x509CertificateChain = { certificates: [{ rawBytes: material.certDer.toString('base64') }] };
  else vm.publicKey = { hint: '' };
  const out: Record<string, unknown> = {
    mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.1',
    verificationMaterial: vm,
  };
  if ('message' in content) {
    out.messageSignature = {
      messageDigest: {
        algorithm: 'SHA2_256',
        digest: crypto.createHash('sha256').update(content.message.payload).digest('base64'),
      },
      signature: content.message.signature,
    };
  } else out.dsseEnvelope = content.dsse;
  return out;
}

function sanValues(cert: crypto.X509Certificate): string[] {
  return (cert.subjectAltName ?? '')
    .split(/,\s*/)
    .map((s) => s.replace(/^(email|URI|DNS|IP Address):/, ''))
    .filter(Boolean);
}

interface Ctx {
  trust: RegistryTrust;
  policy: CompiledPolicy;
  root(): LoadedTrustedRoot;
  subject: Subject;
  label: string;
}

/** Checks what a certificate in an annotation is worth: own PKI (caRoots) or keyless (Fulcio + Rekor). */
async function verifyWithCertificate(
  r: AttachedResult,
  ctx: Ctx,
  ann: Record<string, string>,
  content:
    | { message: { payload: Buffer; signature: string } }
    | { dsse: unknown; payload: Buffer; payloadType: string; sig: Buffer },
): Promise<void> {
  const certBlock = pemBlocks(ann[COSIGN_CERTIFICATE_ANNOTATION] ?? '').find((b) => b.label === 'CERTIFICATE');
  if (!certBlock) {
    r.failures.push('certificate: the dev.sigstore.cosign/certificate annotation holds no PEM certificate');
    return;
  }
  let leaf: crypto.X509Certificate;
  try {
    leaf = new crypto.X509Certificate(certBlock.der);
  } catch (e) {
    r.failures.push(`certificate: cannot parse it (${(e as Error).message})`);
    return;
  }
  if (ctx.trust.caRoots?.length) {
    // The user's own PKI: the chain to their CA, the signature with the leaf's key, the identity in its SANs.
    const chain = pemBlocks(ann[COSIGN_CHAIN_ANNOTATION] ?? '')
      .filter((b) => b.label === 'CERTIFICATE')
      .flatMap((b) => {
        try {
          return [new crypto.X509Certificate(b.der)];
        } catch {
          return [];
        }
      });
    r.key = describeCertificate(leaf);
    r.failures.push(...verifyChain([leaf, ...chain], ctx.trust.caRoots));
    const ok =
      'message' in content
        ? (() => {
            try {
              return crypto.verify(
                hashForKey(leaf.publicKey),
                content.message.payload,
                leaf.publicKey,
                Buffer.from(content.message.signature, 'base64'),
              );
            } catch {
              return false;
            }
          })()
        : verifyDsseSignature(content.payloadType, content.payload, content.sig, leaf.publicKey);
    if (!ok) r.failures.push("signature: it does not verify with the certificate's key");
    const sans = sanValues(leaf);
    r.identity = sans[0];
    if (ctx.policy.identities.length) {
      if (!sans.some((v) => ctx.policy.identities.some((m) => m.test(v))))
        r.failures.push(
          `certificate identity: expected ${ctx.policy.identities.map((m) => m.describe).join(' or ')}, found ${JSON.stringify(leaf.subjectAltName ?? '(none)')}`,
        );
    } else if (ctx.trust.allowed?.identities.length) {
      if (!sans.some((v) => matchesAllowed(v, ctx.trust.allowed!.identities)))
        r.failures.push(
          `certificate identity: ${JSON.stringify(leaf.subjectAltName ?? '(none)')} is not among the policy's identities`,
        );
    } else if (ctx.trust.requireIdentity !== false) {
      r.notes.push(
        `certificate-chain signature: any certificate your CA issued is accepted (no expected identity given); it names ${leaf.subjectAltName ?? leaf.subject.replace(/\n/g, ', ')}`,
      );
    }
    r.notes.push('certificate-chain signature: no transparency log; the chain was checked at the current time');
    return;
  }
  let rekor: Record<string, unknown> | undefined;
  if (ann[COSIGN_BUNDLE_ANNOTATION]) {
    let rb: RekorBundle;
    try {
      rb = JSON.parse(ann[COSIGN_BUNDLE_ANNOTATION]) as RekorBundle;
    } catch {
      r.failures.push('transparency log: the dev.sigstore.cosign/bundle annotation is not JSON');
      return;
    }
    const e = tlogEntryJson(rb);
    if (typeof e === 'string') {
      r.failures.push(`transparency log: ${e}`);
      return;
    }
    rekor = e;
  } else {
    r.failures.push(
      "transparency log: a keyless signature without a Rekor entry (dev.sigstore.cosign/bundle): the time of signing, and so the short-lived certificate's validity then, cannot be established offline; if the certificate is from your own CA, give --certificate-chain",
    );
    return;
  }
  let root: LoadedTrustedRoot;
  try {
    root = ctx.root();
  } catch (e) {
    r.failures.push(`trusted root: ${(e as Error).message}`);
    return;
  }
  const json =
    'message' in content
      ? bundleFromCosign({ message: content.message }, { certDer: certBlock.der }, rekor)
      : bundleFromCosign({ dsse: content.dsse }, { certDer: certBlock.der }, rekor);
  const bv = await verifySigstoreBundle({
    json,
    artifactBytes: 'message' in content ? content.message.payload : undefined,
    root,
  });
  applyBundle(r, bv, ctx);
}

function applyBundle(r: AttachedResult, bv: BundleVerification, ctx: Ctx): void {
  r.identity = bv.identity ?? r.identity;
  r.issuer = bv.issuer;
  r.time = bv.time;
  r.tlog = bv.tlog.length ? bv.tlog : undefined;
  r.key = bv.key ?? r.key;
  r.failures.push(...bv.failures);
  r.notes.push(...bv.notes);
  if (bv.ok && bv.keyless) r.failures.push(...identityFailures(ctx, bv.identity, bv.issuer));
}

function identityFailures(ctx: Ctx, identity: string | undefined, issuer: string | undefined): string[] {
  const allowed = ctx.trust.allowed;
  if (
    !ctx.policy.identities.length &&
    !ctx.policy.issuers.length &&
    allowed &&
    (allowed.identities.length || allowed.issuers.length)
  ) {
    const out: string[] = [];
    if (!allowed.identities.length || !matchesAllowed(identity, allowed.identities))
      out.push(
        `certificate identity: ${JSON.stringify(identity ?? '(none)')} is not among the policy's identities (${allowed.identities.join(', ') || 'none listed'})`,
      );
    if (allowed.issuers.length && !matchesAllowed(issuer, allowed.issuers))
      out.push(
        `OIDC issuer: ${JSON.stringify(issuer ?? '(none)')} is not among the policy's issuers (${allowed.issuers.join(', ')})`,
      );
    return out;
  }
  return checkIdentity(ctx.policy, identity, issuer, ctx.trust.requireIdentity !== false);
}

/** Verifies one simple-signing layer of a `.sig` manifest. */
async function verifySignatureLayer(
  client: RegistryClient,
  ctx: Ctx,
  layer: Descriptor,
  index: number,
  sigTag: string,
): Promise<AttachedResult | string> {
  const ann = layer.annotations ?? {};
  const where = `${ctx.label}:${sigTag}[${index}]`;
  if (layer.mediaType !== MT.cosignSimpleSigning)
    return `${where}: a ${layer.mediaType} layer, not a cosign signature (ignored)`;
  const r: AttachedResult = {
    file: `${repositoryName(ctx.subject)}@${ctx.subject.digest}`,
    signatureFile: where,
    format: 'cosign-image-signature',
    verified: false,
    failures: [],
    notes: [],
    source: 'sig-tag',
    kind: 'signature',
  };
  let payload: Buffer;
  try {
    payload = await client.getSmallBlob(ctx.subject.registry, ctx.subject.repository, layer);
  } catch (e) {
    r.failures.push(`signature payload: ${(e as Error).message}`);
    return finish(r);
  }
  const ss = parseSimpleSigning(payload);
  if (typeof ss === 'string') {
    r.failures.push(`signature payload: ${ss}`);
    return finish(r);
  }
  r.dockerReference = ss.dockerReference;
  r.signedDigest = ss.manifestDigest;
  if (ss.type !== COSIGN_SIGNATURE_TYPE)
    r.failures.push(`signature payload: type ${JSON.stringify(ss.type ?? null)}, expected "${COSIGN_SIGNATURE_TYPE}"`);
  // The subject check: a valid signature of another image says nothing about this one.
  if (ss.manifestDigest !== ctx.subject.digest)
    r.failures.push(
      `subject digest: the signature signs ${ss.manifestDigest ?? '(no digest)'}, not ${ctx.subject.digest} (it belongs to another image)`,
    );
  const sigB64 = ann[COSIGN_SIGNATURE_ANNOTATION];
  if (!sigB64) {
    r.failures.push('signature: the layer has no dev.cosignproject.cosign/signature annotation');
    return finish(r);
  }
  const sig = Buffer.from(sigB64, 'base64');
  if (ss.dockerReference && !sameRepository(ss.dockerReference, repositoryName(ctx.subject))) {
    r.notes.push(
      `the signature names docker-reference ${ss.dockerReference}, not ${repositoryName(ctx.subject)} (copied between registries, or signed for another name)`,
    );
  }
  // A key the user trusts, if the signature verifies with one.
  for (const k of ctx.trust.keys) {
    let ok = false;
    try {
      ok = crypto.verify(hashForKey(k.key), payload, k.key, sig);
    } catch {
      ok = false;
    }
    if (!ok) continue;
    r.key = `${k.label} (${describeKey(k.key)})`;
    if (ann[COSIGN_BUNDLE_ANNOTATION])
      await checkKeyRekor(r, ctx, ann[COSIGN_BUNDLE_ANNOTATION], { message: { payload, signature: sigB64 } }, k.key);
    else r.notes.push('no transparency-log entry: a key signature only');
    return finish(r);
  }
  if (ann[COSIGN_CERTIFICATE_ANNOTATION]) {
    await verifyWithCertificate(r, ctx, ann, { message: { payload, signature: sigB64 } });
    return finish(r);
  }
  if (ctx.trust.keys.length === 0)
    r.failures.push(
      "public key: the image was signed with a key, and no public key was given to verify it with (--key, or the policy's keys)",
    );
  else
    r.failures.push(
      `signature: it does not verify with ${ctx.trust.keys.length === 1 ? 'the given public key' : `any of the ${ctx.trust.keys.length} given public keys`} (signed with another key)`,
    );
  return finish(r);
}

function sameRepository(dockerReference: string, repo: string): boolean {
  const parsed = tryParseReference(dockerReference);
  return parsed !== undefined && repositoryName(parsed) === repo;
}

/** A key signature that also carries a Rekor SET: the entry must verify against the trusted root's log keys. */
async function checkKeyRekor(
  r: AttachedResult,
  ctx: Ctx,
  annotation: string,
  content: { message: { payload: Buffer; signature: string } } | { dsse: unknown },
  key: crypto.KeyObject,
): Promise<void> {
  let rb: RekorBundle;
  try {
    rb = JSON.parse(annotation) as RekorBundle;
  } catch {
    r.failures.push('transparency log: the dev.sigstore.cosign/bundle annotation is not JSON');
    return;
  }
  const e = tlogEntryJson(rb);
  if (typeof e === 'string') {
    r.failures.push(`transparency log: ${e}`);
    return;
  }
  let root: LoadedTrustedRoot;
  try {
    root = ctx.root();
  } catch (err) {
    r.failures.push(`trusted root: ${(err as Error).message}`);
    return;
  }
  const json = bundleFromCosign(content, { publicKey: true }, e);
  const bv = await verifySigstoreBundle({
    json,
    artifactBytes: 'message' in content ? content.message.payload : undefined,
    root,
    publicKey: key,
  });
  r.time = bv.time;
  r.tlog = bv.tlog.length ? bv.tlog : undefined;
  r.failures.push(...bv.failures);
}

function finish(r: AttachedResult): AttachedResult {
  r.verified = r.failures.length === 0;
  return r;
}

interface DsseEnvelope {
  payloadType?: string;
  payload?: string;
  signatures?: { keyid?: string; sig?: string }[];
}

/** Verifies one DSSE layer of an `.att` manifest. */
async function verifyAttestationLayer(
  client: RegistryClient,
  ctx: Ctx,
  layer: Descriptor,
  index: number,
  attTag: string,
): Promise<AttachedResult | string> {
  const ann = layer.annotations ?? {};
  const where = `${ctx.label}:${attTag}[${index}]`;
  if (layer.mediaType !== MT.dsseEnvelope)
    return `${where}: a ${layer.mediaType} layer, not a DSSE attestation (ignored)`;
  const r: AttachedResult = {
    file: `${repositoryName(ctx.subject)}@${ctx.subject.digest}`,
    signatureFile: where,
    format: 'cosign-attestation',
    verified: false,
    failures: [],
    notes: [],
    source: 'att-tag',
    kind: 'attestation',
    predicateType: ann.predicateType,
  };
  let bytes: Buffer;
  try {
    bytes = await client.getSmallBlob(ctx.subject.registry, ctx.subject.repository, layer);
  } catch (e) {
    r.failures.push(`attestation: ${(e as Error).message}`);
    return finish(r);
  }
  let env: DsseEnvelope;
  try {
    env = JSON.parse(bytes.toString('utf8')) as DsseEnvelope;
  } catch (e) {
    r.failures.push(`attestation: the DSSE envelope is not JSON (${(e as Error).message})`);
    return finish(r);
  }
  if (
    typeof env?.payload !== 'string' ||
    typeof env.payloadType !== 'string' ||
    !Array.isArray(env.signatures) ||
    env.signatures.length === 0
  ) {
    r.failures.push('attestation: not a DSSE envelope with a payload, payload type and signatures');
    return finish(r);
  }
  const payload = Buffer.from(env.payload, 'base64');
  const sigs = env.signatures.map((s) => Buffer.from(String(s?.sig ?? ''), 'base64'));
  let keyOk = false;
  for (const k of ctx.trust.keys) {
    if (!sigs.some((s) => verifyDsseSignature(env.payloadType!, payload, s, k.key))) continue;
    keyOk = true;
    r.key = `${k.label} (${describeKey(k.key)})`;
    if (ann[COSIGN_BUNDLE_ANNOTATION]) await checkKeyRekor(r, ctx, ann[COSIGN_BUNDLE_ANNOTATION], { dsse: env }, k.key);
    else r.notes.push('no transparency-log entry: a key signature only');
    break;
  }
  if (!keyOk) {
    if (ann[COSIGN_CERTIFICATE_ANNOTATION])
      await verifyWithCertificate(r, ctx, ann, { dsse: env, payload, payloadType: env.payloadType, sig: sigs[0] });
    else if (ctx.trust.keys.length === 0)
      r.failures.push(
        "public key: the attestation was signed with a key, and no public key was given to verify it with (--key, or the policy's keys)",
      );
    else r.failures.push('signature: no DSSE signature in the envelope verifies with the given public key(s)');
  }
  checkStatementSubject(r, ctx, payload, env.payloadType);
  return finish(r);
}

/** The statement must be about this digest; SLSA provenance is held to the expected builder and source. */
function checkStatementSubject(r: AttachedResult, ctx: Ctx, payload: Buffer, payloadType: string): void {
  if (payloadType !== MT.inTotoJson) {
    r.failures.push(`attestation: payload type ${JSON.stringify(payloadType)}, expected ${MT.inTotoJson}`);
    return;
  }
  const st = parseStatement(payload);
  if (typeof st === 'string') {
    r.failures.push(`in-toto statement: ${st}`);
    return;
  }
  r.statement = st;
  if (r.predicateType && r.predicateType !== st.predicateType)
    r.notes.push(
      `the layer annotation says predicate type ${r.predicateType}; the signed statement says ${st.predicateType} (the signed one counts)`,
    );
  r.predicateType = st.predicateType;
  const [alg, hex] = ctx.subject.digest.split(':');
  const match = st.subjects.find((s) => s.digest[alg] === hex);
  r.signedDigest = match
    ? ctx.subject.digest
    : st.subjects.map((s) => Object.entries(s.digest).map(([a, h]) => `${a}:${h}`)[0]).find(Boolean);
  if (!match)
    r.failures.push(
      `subject digest: the statement is about ${
        st.subjects
          .map(
            (s) =>
              `${s.name ?? '(unnamed)'} ${Object.entries(s.digest)
                .map(([a, h]) => `${a}:${h}`)
                .join(' ')}`,
          )
          .slice(0, 3)
          .join('; ') || 'nothing'
      }, not ${ctx.subject.digest}`,
    );
  if (isSlsaProvenance(st) && r.failures.length === 0) {
    const p = checkProvenance(st, ctx.trust.provenance ?? {}, { identity: r.identity });
    r.failures.push(...p.failures);
    r.notes.push(...p.notes);
  }
}

/** Verifies a Sigstore bundle attached as a referrer. */
async function verifyReferrerBundle(
  client: RegistryClient,
  ctx: Ctx,
  desc: Descriptor,
): Promise<AttachedResult | string> {
  const where = `${ctx.label}@${desc.digest} (referrer)`;
  let m: ParsedManifest;
  try {
    const fetched = await client.getManifest(ctx.subject.registry, ctx.subject.repository, desc.digest);
    m = parseManifest(fetched.bytes, fetched.contentType);
  } catch (e) {
    return `${where}: cannot read the referrer manifest (${(e as Error).message})`;
  }
  if (m.kind !== 'manifest' || m.layers.length === 0) return `${where}: not a manifest with a bundle layer (ignored)`;
  const layer = m.layers.find(
    (l) => BUNDLE_ARTIFACT_TYPES.has(l.mediaType) || l.mediaType.startsWith('application/vnd.dev.sigstore.bundle'),
  );
  if (!layer) return `${where}: no Sigstore bundle layer (ignored)`;
  const predicate = m.annotations['dev.sigstore.bundle.predicateType'];
  const r: AttachedResult = {
    file: `${repositoryName(ctx.subject)}@${ctx.subject.digest}`,
    signatureFile: where,
    format: 'sigstore-bundle',
    verified: false,
    failures: [],
    notes: [],
    source: 'referrer',
    kind: predicate && predicate !== COSIGN_SIGN_PREDICATE ? 'attestation' : 'signature',
    predicateType: predicate,
  };
  if (m.subject && m.subject.digest !== ctx.subject.digest)
    r.failures.push(
      `subject digest: the referrer manifest's subject is ${m.subject.digest}, not ${ctx.subject.digest}`,
    );
  let json: unknown;
  try {
    json = JSON.parse(
      (await client.getSmallBlob(ctx.subject.registry, ctx.subject.repository, layer)).toString('utf8'),
    );
  } catch (e) {
    r.failures.push(`bundle: ${(e as Error).message}`);
    return finish(r);
  }
  const isDsse = typeof (json as { dsseEnvelope?: unknown })?.dsseEnvelope === 'object';
  if (!isDsse && !ctx.subject.manifestBytes) {
    r.failures.push('bundle: a message signature over the manifest, and the manifest bytes are not at hand');
    return finish(r);
  }
  let root: LoadedTrustedRoot | undefined;
  try {
    root = ctx.root();
  } catch (e) {
    const vm = (json as { verificationMaterial?: Record<string, unknown> })?.verificationMaterial;
    if (!vm?.publicKey) {
      r.failures.push(`trusted root: ${(e as Error).message}`);
      return finish(r);
    }
  }
  let bv: BundleVerification | undefined;
  const keys = ctx.trust.keys.length ? ctx.trust.keys : [undefined];
  for (const k of keys) {
    bv = await verifySigstoreBundle({
      json,
      artifactBytes: isDsse ? undefined : ctx.subject.manifestBytes,
      root,
      publicKey: k?.key,
    });
    if (bv.ok) {
      if (k) r.key = `${k.label} (${describeKey(k.key)})`;
      break;
    }
  }
  applyBundle(r, bv!, ctx);
  if (isDsse && bv?.payload) {
    checkStatementSubject(r, ctx, bv.payload, bv.payloadType ?? '');
    if (r.predicateType === COSIGN_SIGN_PREDICATE) r.kind = 'signature';
    else r.kind = 'attestation';
  } else r.signedDigest = ctx.subject.digest;
  return finish(r);
}

async function manifestByTag(
  client: RegistryClient,
  registry: string,
  repository: string,
  tag: string,
): Promise<ParsedManifest | undefined> {
  try {
    const m = await client.getManifest(registry, repository, tag);
    return parseManifest(m.bytes, m.contentType, {
      maxLayers: MAX_ATTACHMENT_LAYERS,
      maxIndexEntries: MAX_ATTACHMENT_LAYERS,
    });
  } catch (e) {
    if (e instanceof RegistryError && e.kind === 'not-found') return undefined;
    throw e;
  }
}

/** Finds and verifies every signature and attestation attached to `subject`. */
export async function verifyAttachments(
  client: RegistryClient,
  subject: Subject,
  trust: RegistryTrust,
  opts: AttachmentOptions = {},
): Promise<AttachmentsReport> {
  let loaded: LoadedTrustedRoot | undefined;
  const ctx: Ctx = {
    trust,
    policy: trust.signers
      ? compileSigners(trust.signers.identities, trust.signers.issuers)
      : compilePolicy(trust.identity),
    root: () => (loaded ??= loadTrustedRoot(trust.trustedRoot)),
    subject,
    label: repositoryName(subject),
  };
  const report: AttachmentsReport = {
    subject: `${repositoryName(subject)}@${subject.digest}`,
    signatures: [],
    attestations: [],
    referrers: 'none',
    others: [],
    incomplete: [],
    findings: [],
  };
  const readTagged = async (suffix: 'sig' | 'att') => {
    const tag = attachmentTag(subject.digest, suffix);
    let m: ParsedManifest | undefined;
    try {
      m = await manifestByTag(client, subject.registry, subject.repository, tag);
    } catch (e) {
      report.incomplete.push(`${ctx.label}:${tag}: ${(e as Error).message}`);
      return;
    }
    if (!m) return;
    if (m.kind !== 'manifest') {
      report.others.push(
        `${ctx.label}:${tag} is an index, not a cosign ${suffix === 'sig' ? 'signature' : 'attestation'} manifest`,
      );
      return;
    }
    for (const [i, layer] of (m as ImageManifest).layers.entries()) {
      opts.signal?.throwIfAborted();
      const r =
        suffix === 'sig'
          ? await verifySignatureLayer(client, ctx, layer, i, tag)
          : await verifyAttestationLayer(client, ctx, layer, i, tag);
      if (typeof r === 'string') report.others.push(r);
      else (suffix === 'sig' ? report.signatures : report.attestations).push(r);
    }
  };
  await readTagged('sig');
  if (opts.attestations !== false) await readTagged('att');
  if (opts.referrers !== false) {
    let listing: Buffer | undefined;
    try {
      listing = await client.referrers(subject.registry, subject.repository, subject.digest);
      if (listing) report.referrers = 'api';
      else {
        const tag = attachmentTag(subject.digest);
        try {
          const m = await client.getManifest(subject.registry, subject.repository, tag);
          listing = m.bytes;
          report.referrers = 'tag-schema';
        } catch (e) {
          if (!(e instanceof RegistryError && e.kind === 'not-found')) throw e;
        }
      }
    } catch (e) {
      report.incomplete.push(`${ctx.label}: referrers of ${subject.digest}: ${(e as Error).message}`);
    }
    if (listing) {
      let index: ParsedManifest | undefined;
      try {
        index = parseManifest(listing, MT.ociIndex, { maxLayers: 0, maxIndexEntries: MAX_ATTACHMENT_LAYERS });
      } catch (e) {
        report.incomplete.push(
          `${ctx.label}: the referrers list of ${subject.digest} is not an OCI index (${(e as Error).message})`,
        );
      }
      for (const d of index?.kind === 'index' ? index.manifests : []) {
        opts.signal?.throwIfAborted();
        if (!(
          d.artifactType &&
          (BUNDLE_ARTIFACT_TYPES.has(d.artifactType) ||
            d.artifactType.startsWith('application/vnd.dev.sigstore.bundle'))
        )) {
          report.others.push(
            `${ctx.label}@${d.digest}: a referrer of type ${d.artifactType ?? d.mediaType} (not a Sigstore bundle; not verified)`,
          );
          continue;
        }
        const r = await verifyReferrerBundle(client, ctx, d);
        if (typeof r === 'string') report.others.push(r);
        else (r.kind === 'signature' ? report.signatures : report.attestations).push(r);
      }
    }
  }
  for (const r of [...report.signatures, ...report.attestations]) {
    const fs = resultFindings(r);
    // A verified signature that names another repository is still a signature of this digest
    // (cosign accepts it: copies keep their signatures), but the name it was signed for is shown.
    const otherName = r.notes.find((n) => n.startsWith('the signature names docker-reference'));
    if (r.verified && otherName)
      for (const f of fs)
        if (f.ruleId === 'signing/verified') {
          f.message += `; ${otherName}`;
          f.data = { ...f.data, dockerReference: r.dockerReference ?? null };
        }
    report.findings.push(...fs);
  }
  return report;
}

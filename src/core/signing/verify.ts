import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Finding } from '../findings.ts';
import { convertLegacyBundle, isLegacyBundle, parseRawSignature, verifyRawSignature } from './cosign.ts';
import {
  discoverSignatures,
  readSignatureFile,
  SIGNATURE_SUFFIXES,
  sniffSignature,
  type DiscoveredSignature,
} from './discover.ts';
import { parseStatement, verifyDsseSignature, verifyLegacyModelSigningDsse, type Statement } from './dsse.ts';
import { describeKey, parsePublicKey } from './keys.ts';
import {
  checkRootDigest,
  compareManifest,
  isOmsPayload,
  MODEL_SIG,
  OMS_PREDICATE_V01,
  parseOmsStatement,
  type OmsPayload,
} from './modelSigning.ts';
import { checkIdentity, compileSigners, identityPatterns, type CompiledPolicy } from './policy.ts';
import { certificateIdentity, describeCertificate, readCertificates, verifyChain } from './pki.ts';
import { checkProvenance, checkSubjectDigest, isSlsaProvenance } from './provenance.ts';
import { verifySigstoreBundle, type BundleVerification } from './sigstoreBundle.ts';
import { loadTrustedRoot, type LoadedTrustedRoot } from './trustedRoot.ts';
import type { SignatureFormat, SignatureResult, VerificationReport, VerifyOptions } from './types.ts';
import { resultFindings } from './findings.ts';
import { jsonErrorMessage } from '../jsonError.ts';

/**
 * Verification of a file or a model folder: find its signatures (or take the one named), verify
 * each by its format, and explain every failed check in words. Offline: the only trust inputs are
 * the trusted root on disk, the user's key or CA file, and the expected identity.
 */

const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';

interface Context {
  options: VerifyOptions;
  policy: CompiledPolicy;
  /** The key this pass verifies with (one of `publicKeys`). */
  publicKey?: crypto.KeyObject;
  publicKeys: crypto.KeyObject[];
  keyError?: string;
  caRoots?: crypto.X509Certificate[];
  root: () => LoadedTrustedRoot;
}

/** Reads the key and CA files named in the options (I/O and format errors throw: usage problems). */
async function makeContext(options: VerifyOptions): Promise<Context> {
  const single = identityPatterns(options);
  const policy = compileSigners(
    [...single.identities, ...(options.identities ?? [])],
    [...single.issuers, ...(options.issuers ?? [])],
  );
  const keyFiles = [...new Set([...(options.key ? [options.key] : []), ...(options.keys ?? [])])];
  const publicKeys: crypto.KeyObject[] = [];
  let keyError: string | undefined;
  for (const file of keyFiles) {
    // A key that cannot be read fails each signature with a reason, like a wrong key would.
    try {
      publicKeys.push(parsePublicKey(await fs.readFile(file, 'utf8')));
    } catch (e) {
      keyError ??= `public key: cannot read ${file} (${(e as Error).message})`;
    }
  }
  const publicKey = publicKeys[0];
  const caRoots = options.certificateChain
    ? readCertificates(await fs.readFile(options.certificateChain, 'utf8'))
    : undefined;
  if (options.certificateChain && caRoots!.length === 0)
    throw new Error(`${options.certificateChain}: no PEM CERTIFICATE found`);
  let loaded: LoadedTrustedRoot | undefined;
  return {
    options,
    policy,
    publicKey,
    publicKeys,
    keyError,
    caRoots,
    // Loaded on first need: key-only signatures never need it.
    root: () => (loaded ??= loadTrustedRoot(options.trustedRoot)),
  };
}

/** Verifies every signature of `target` (a file or a model folder). */
export async function verifyPath(target: string, options: VerifyOptions = {}): Promise<VerificationReport> {
  let abs = path.resolve(target);
  // Given the signature itself (model.sig, X.sig, X.sigstore.json…): verify what it signs.
  if (!options.signature) {
    const signed = await signedBy(abs);
    if (signed) {
      options = { ...options, signature: abs };
      abs = signed;
    }
  }
  const st = await fs.stat(abs);
  const ctx = await makeContext(options);
  let found: DiscoveredSignature[];
  if (options.signature) {
    const sigFile = path.resolve(options.signature);
    found = [{ signatureFile: sigFile, artifact: abs, format: await sniffSignature(sigFile, st.isDirectory()) }];
  } else found = await discoverSignatures(abs);
  const signatures: SignatureResult[] = [];
  for (const d of found) {
    if (options.signal?.aborted) break;
    signatures.push(await verifyDiscovered(d, abs, ctx));
  }
  const verified = signatures.length > 0 && signatures.every((s) => s.verified);
  const findings: Finding[] = [];
  if (signatures.length === 0) {
    findings.push({
      ruleId: 'signing/no-signature',
      severity: 'warning',
      message: st.isDirectory()
        ? `no signature found for the folder: looked for ${path.join(path.basename(abs), 'model.sig')}`
        : `no signature found for ${path.basename(abs)}: looked for ${['.sig', '.sigstore.json', '.sigstore', '.bundle', '.intoto.jsonl'].map((e) => path.basename(abs) + e).join(', ')} and a model.sig in its folders`,
      file: abs,
    });
  }
  for (const s of signatures) findings.push(...resultFindings(s));
  return { path: abs, verified, signatures, findings };
}

/** The file or folder a signature file signs, when `file` is one and it is there. */
async function signedBy(file: string): Promise<string | undefined> {
  const base = path.basename(file);
  const exists = async (p: string) => {
    try {
      await fs.stat(p);
      return true;
    } catch {
      return false;
    }
  };
  if (base === MODEL_SIG) return (await fs.stat(file)).isFile() ? path.dirname(file) : undefined;
  const suffix = SIGNATURE_SUFFIXES.find((x) => base.endsWith(x) && base.length > x.length);
  if (!suffix) return undefined;
  const artifact = file.slice(0, -suffix.length);
  return (await exists(artifact)) ? artifact : undefined;
}

function emptyResult(d: DiscoveredSignature, format: SignatureFormat): SignatureResult {
  return { file: d.artifact, signatureFile: d.signatureFile, format, verified: false, failures: [], notes: [] };
}

/**
 * Verifies one signature file against its artifact, whatever its format. With several expected
 * keys, the first that verifies the signature wins; a signature whose check never used the key
 * (keyless, certificate chain) is checked once.
 */
export async function verifyDiscovered(d: DiscoveredSignature, target: string, ctx: Context): Promise<SignatureResult> {
  if (ctx.publicKeys.length <= 1) return verifyWithKey(d, target, ctx);
  let first: SignatureResult | undefined;
  for (const key of ctx.publicKeys) {
    const r = await verifyWithKey(d, target, { ...ctx, publicKey: key });
    if (r.verified) return r;
    first ??= r;
    // The key played no part (keyless, certificate chain), or the signature held and the manifest
    // failed: another key changes nothing.
    if (r.key !== describeKey(key) || r.manifest) return r;
  }
  first!.notes.push(`tried each of the ${ctx.publicKeys.length} expected keys; none verifies it`);
  return first!;
}

async function verifyWithKey(d: DiscoveredSignature, target: string, ctx: Context): Promise<SignatureResult> {
  const r = emptyResult(d, d.format === 'unknown' ? 'sigstore-bundle' : d.format);
  if (ctx.keyError) {
    r.failures.push(ctx.keyError);
    return finish(r);
  }
  try {
    const content = await readSignatureFile(d.signatureFile);
    if (d.format === 'cosign-signature') await verifyRaw(r, content, ctx);
    else {
      let json: unknown;
      try {
        // An .intoto.jsonl holds one bundle or envelope per line: the first is the attestation.
        const text = content.toString('utf8').trim();
        json = JSON.parse(d.signatureFile.endsWith('.jsonl') ? text.split(/\r?\n/)[0] : text);
      } catch (e) {
        r.failures.push(`signature file: not valid JSON (${jsonErrorMessage(e)})`);
        return finish(r);
      }
      if (isLegacyBundle(json)) await verifyLegacy(r, json, ctx);
      else if (isBareEnvelope(json)) await verifyBareEnvelope(r, json, target, ctx);
      else await verifyBundle(r, json, target, ctx);
    }
  } catch (e) {
    r.failures.push(`${path.basename(d.signatureFile)}: ${(e as Error).message}`);
  }
  return finish(r);
}

function refusedNote(ctx: Context): string {
  return ctx.options.refused?.length ? ` (${ctx.options.refused.join('; ')})` : '';
}

function finish(r: SignatureResult): SignatureResult {
  r.verified = r.failures.length === 0;
  return r;
}

async function verifyRaw(r: SignatureResult, content: Buffer, ctx: Context): Promise<void> {
  r.format = 'cosign-signature';
  if (!ctx.publicKey) {
    r.failures.push(
      `public key: a raw signature can only be verified with the signer's public key, and none was given (--key, the modelInspect.signing.publicKey setting, or gate.signatures.keys)${refusedNote(ctx)}`,
    );
    return;
  }
  r.key = describeKey(ctx.publicKey);
  const sig = parseRawSignature(content);
  if (typeof sig === 'string') {
    r.failures.push(`signature file: ${sig}`);
    return;
  }
  if (!(await verifyRawSignature(r.file, sig, ctx.publicKey, ctx.options.signal))) {
    r.failures.push(
      'signature: it does not verify over the file with the given public key (the file was changed, or it was signed with another key or for another file)',
    );
  }
  r.notes.push(
    'raw signature: no certificate, transparency-log entry or timestamp; it proves only that the key holder signed these bytes',
  );
}

async function verifyLegacy(r: SignatureResult, json: import('./cosign.ts').LegacyBundle, ctx: Context): Promise<void> {
  r.format = 'cosign-legacy-bundle';
  let conv;
  try {
    conv = convertLegacyBundle(json);
  } catch (e) {
    r.failures.push(`legacy bundle: cannot read it (${(e as Error).message})`);
    return;
  }
  if (conv.problem) {
    r.failures.push(`legacy bundle: ${conv.problem}`);
    return;
  }
  if (conv.embeddedKey && ctx.publicKey && !conv.embeddedKey.equals(ctx.publicKey)) {
    r.notes.push(
      'the legacy bundle embeds a different public key than the one given; the given key is the one trusted',
    );
  }
  if (!conv.bundle) {
    // Key signature with no Rekor entry: exactly a raw signature plus the embedded (untrusted) key.
    await verifyRaw(r, Buffer.from(conv.signature.toString('base64')), ctx);
    r.format = 'cosign-legacy-bundle';
    return;
  }
  const bv = await runBundle(conv.bundle, r.file, ctx, r);
  if (bv) applyBundle(r, bv, ctx, false);
}

interface BareEnvelope {
  payloadType: string;
  payload: string;
  signatures: { sig: string; keyid?: string }[];
}

function isBareEnvelope(j: unknown): j is BareEnvelope {
  const o = j as BareEnvelope;
  return (
    typeof j === 'object' &&
    j !== null &&
    typeof o.payloadType === 'string' &&
    typeof o.payload === 'string' &&
    Array.isArray(o.signatures)
  );
}

/** A DSSE envelope without a bundle around it: only a key can verify it offline. */
async function verifyBareEnvelope(r: SignatureResult, env: BareEnvelope, target: string, ctx: Context): Promise<void> {
  r.format = 'in-toto';
  const payload = Buffer.from(env.payload, 'base64');
  if (!ctx.publicKey) {
    r.failures.push(
      `public key: a bare DSSE envelope carries no certificate or log entry; it can only be verified offline with the signer's public key, and none was given (--key)${refusedNote(ctx)}`,
    );
    return;
  }
  r.key = describeKey(ctx.publicKey);
  const ok = env.signatures.some((s) =>
    verifyDsseSignature(env.payloadType, payload, Buffer.from(s.sig, 'base64'), ctx.publicKey!),
  );
  if (!ok) r.failures.push('signature: no DSSE signature in the envelope verifies with the given public key');
  const st = parseStatement(payload);
  if (typeof st === 'string') {
    r.failures.push(`in-toto statement: ${st}`);
    return;
  }
  await checkStatement(r, st, target, ctx, {});
}

async function runBundle(
  json: unknown,
  file: string,
  ctx: Context,
  r: SignatureResult,
  artifactIsFile = true,
  legacyModelSigning = false,
): Promise<BundleVerification | undefined> {
  const needsRoot = needsTrustedRoot(json);
  let root: LoadedTrustedRoot | undefined;
  if (needsRoot) {
    try {
      root = ctx.root();
    } catch (e) {
      r.failures.push(`trusted root: ${(e as Error).message}`);
      return undefined;
    }
  }
  return verifySigstoreBundle({
    json,
    artifact: artifactIsFile ? file : undefined,
    root,
    publicKey: ctx.publicKey,
    legacyModelSigning,
    signal: ctx.options.signal,
  });
}

/** Keyless bundles and bundles with log entries or timestamps need the trusted root. */
function needsTrustedRoot(json: unknown): boolean {
  const vm = (json as { verificationMaterial?: Record<string, unknown> })?.verificationMaterial;
  if (!vm) return true;
  if (!vm.publicKey) return true;
  const tl = vm.tlogEntries;
  const ts = (vm.timestampVerificationData as { rfc3161Timestamps?: unknown[] } | undefined)?.rfc3161Timestamps;
  return (Array.isArray(tl) && tl.length > 0) || (Array.isArray(ts) && ts.length > 0);
}

function applyBundle(r: SignatureResult, bv: BundleVerification, ctx: Context, identitySatisfied: boolean): void {
  r.identity = bv.identity;
  r.issuer = bv.issuer;
  r.time = bv.time;
  r.tlog = bv.tlog.length ? bv.tlog : undefined;
  r.key = bv.key ?? r.key;
  r.failures.push(...bv.failures);
  r.notes.push(...bv.notes);
  if (bv.ok && bv.keyless && !identitySatisfied)
    r.failures.push(...checkIdentity(ctx.policy, bv.identity, bv.issuer, ctx.options.requireIdentity !== false));
}

async function verifyBundle(r: SignatureResult, json: unknown, target: string, ctx: Context): Promise<void> {
  r.format = 'sigstore-bundle';
  const env = (json as { dsseEnvelope?: { payload?: string } })?.dsseEnvelope;
  const payload = typeof env?.payload === 'string' ? Buffer.from(env.payload, 'base64') : undefined;
  const targetIsDir = (await fs.stat(target)).isDirectory();
  if (isOmsPayload(payload) || path.basename(r.signatureFile) === 'model.sig') {
    await verifyModelSignature(r, json, target, ctx);
    return;
  }
  if (targetIsDir) {
    r.failures.push('artifact: this bundle signs a single file, but a folder was given');
    return;
  }
  const bv = await runBundle(json, r.file, ctx, r, true);
  if (!bv) return;
  if (bv.kind === 'dsse') r.format = 'in-toto';
  r.predicateType = bv.statement?.predicateType;
  const slsaBuilder = bv.statement && isSlsaProvenance(bv.statement) ? ctx.options.provenance?.builderId : undefined;
  // For SLSA provenance an expected builder stands in for the expected identity (slsa-verifier's rule).
  const builderStandsIn = Boolean(slsaBuilder) && !ctx.policy.identities.length;
  applyBundle(r, bv, ctx, builderStandsIn);
  if (builderStandsIn && bv.ok && bv.keyless) {
    // The issuer still matters: a GitHub workflow identity is only meaningful from GitHub's issuer.
    const want = ctx.policy.issuers.length
      ? ctx.policy.issuers
      : slsaBuilder!.startsWith('https://github.com/')
        ? [
            {
              describe: JSON.stringify(GITHUB_ACTIONS_ISSUER),
              test: (v: string | undefined) => v === GITHUB_ACTIONS_ISSUER,
            },
          ]
        : [];
    if (want.length && !want.some((m) => m.test(bv.issuer)))
      r.failures.push(
        `OIDC issuer: expected ${want.map((m) => m.describe).join(' or ')}, found ${JSON.stringify(bv.issuer ?? '(none)')}`,
      );
  }
  if (bv.kind === 'dsse' && bv.statement)
    await checkStatement(r, bv.statement, target, ctx, { identity: bv.identity, certificate: bv.certificate });
  // Only a statement's subject digests bind an envelope to a file: any other payload the key once
  // signed (a note, a policy) would otherwise "verify" for whatever file it is placed beside.
  else if (bv.kind === 'dsse' && bv.ok)
    r.failures.push(
      `subject: the DSSE payload (type ${JSON.stringify(bv.payloadType ?? '')}) is not an in-toto statement, so nothing binds it to ${path.basename(target)}`,
    );
}

async function checkStatement(
  r: SignatureResult,
  st: Statement,
  target: string,
  ctx: Context,
  signer: Parameters<typeof checkProvenance>[2],
): Promise<void> {
  r.predicateType = st.predicateType;
  r.failures.push(...(await checkSubjectDigest(st, target, ctx.options.signal)));
  if (isSlsaProvenance(st)) {
    const p = checkProvenance(st, ctx.options.provenance ?? {}, signer);
    r.failures.push(...p.failures);
    r.notes.push(...p.notes);
  }
}

/** Finds the model root a signature covers and, for a member file, its name in the manifest. */
function modelScope(
  signatureFile: string,
  target: string,
  targetIsDir: boolean,
): { modelPath: string; onlyFile?: string } {
  const sigDir = path.dirname(signatureFile);
  if (targetIsDir) return { modelPath: target };
  const rel = path.relative(sigDir, target).split(path.sep).join('/');
  if (rel.startsWith('..') || path.isAbsolute(rel)) return { modelPath: target };
  return { modelPath: sigDir, onlyFile: rel };
}

async function verifyModelSignature(r: SignatureResult, json: unknown, target: string, ctx: Context): Promise<void> {
  r.format = 'model-signing';
  const targetIsDir = (await fs.stat(target)).isDirectory();
  const mediaType = (json as { mediaType?: string })?.mediaType;
  if (mediaType !== 'application/vnd.dev.sigstore.bundle.v0.3+json')
    r.notes.push(
      `bundle mediaType ${JSON.stringify(mediaType)}: model_signing writes and expects application/vnd.dev.sigstore.bundle.v0.3+json`,
    );
  const vm = (json as { verificationMaterial?: Record<string, unknown> })?.verificationMaterial ?? {};
  const envJson = (
    json as { dsseEnvelope?: { payload?: string; payloadType?: string; signatures?: { sig?: string }[] } }
  ).dsseEnvelope;
  if (!envJson?.payload) {
    r.failures.push('model signature: the bundle has no DSSE envelope');
    return;
  }
  const payload = Buffer.from(envJson.payload, 'base64');
  const early = parseStatement(payload);
  const legacy = typeof early !== 'string' && early.predicateType === OMS_PREDICATE_V01;
  if (legacy)
    r.notes.push(
      'legacy model_signing 0.2 signature: checked over its non-standard signing encoding (DSSEV1 + Python bytes repr, SHA-256); re-sign with model_signing 1.x or this tool',
    );

  // 1. The signature, by mode.
  const chain = (vm.x509CertificateChain as { certificates?: { rawBytes?: string }[] } | undefined)?.certificates;
  if (chain && ctx.caRoots) {
    // Certificate mode (self-managed PKI): the chain to the user's CA, then the DSSE signature with the leaf key.
    let certs: crypto.X509Certificate[];
    try {
      certs = chain.map((c) => new crypto.X509Certificate(Buffer.from(c.rawBytes ?? '', 'base64')));
    } catch (e) {
      r.failures.push(`certificate chain: cannot parse (${(e as Error).message})`);
      return;
    }
    r.key = describeCertificate(certs[0]);
    r.identity = certs[0].subject.replace(/\n/g, ', ');
    r.failures.push(...verifyChain(certs, ctx.caRoots));
    // The CA alone is an expectation (model_signing's certificate mode); identities and issuers
    // the user also expects narrow it, as they do for keyless signatures (cosign does the same).
    if (ctx.policy.identities.length || ctx.policy.issuers.length) {
      const named = certificateIdentity(certs[0]);
      r.failures.push(...checkIdentity(ctx.policy, named.identity, named.issuer, false));
    }
    const sig = Buffer.from(envJson.signatures?.[0]?.sig ?? '', 'base64');
    const type = envJson.payloadType ?? '';
    if (
      !verifyDsseSignature(type, payload, sig, certs[0].publicKey) &&
      !(legacy && verifyLegacyModelSigningDsse(type, payload, sig, certs[0].publicKey))
    )
      r.failures.push("signature: the DSSE signature does not verify with the signing certificate's key");
    r.notes.push('certificate-chain signature: no transparency log; the chain was checked at the current time');
  } else if (chain && chain.length > 1 && !ctx.caRoots) {
    // A v0.3 bundle with a whole chain is model_signing's "certificate" mode (own PKI), not Sigstore.
    r.failures.push(
      'certificate chain: the model was signed with a certificate chain (model_signing "certificate" mode), and no CA certificate was given to verify it with (--certificate-chain, or the modelInspect.signing.certificateChain setting)',
    );
    return;
  } else {
    const bv = await runBundle(json, r.file, ctx, r, false, legacy);
    if (!bv) return;
    applyBundle(r, bv, ctx, false);
  }
  if (r.failures.length) return; // the manifest is only meaningful once its signature holds

  // 2. The statement and its manifest.
  const st = parseStatement(payload);
  if (typeof st === 'string') {
    r.failures.push(`in-toto statement: ${st}`);
    return;
  }
  r.predicateType = st.predicateType;
  const oms: OmsPayload | string = parseOmsStatement(st);
  if (typeof oms === 'string') {
    r.failures.push(`model signature: ${oms}`);
    return;
  }
  r.failures.push(...checkRootDigest(oms));
  const singleFileModel =
    oms.resources.length > 0 && oms.resources.every((x) => x.name === '.' || x.name.startsWith('.:'));
  if (singleFileModel && targetIsDir) {
    r.failures.push(
      'model signature: it signs a one-file model (resource "."), but a folder was given; verify the signed file itself',
    );
    return;
  }
  const scope = singleFileModel ? { modelPath: target } : modelScope(r.signatureFile, target, targetIsDir);
  r.file = scope.onlyFile ? target : scope.modelPath;
  const sigRel = path.relative(scope.modelPath, r.signatureFile).split(path.sep).join('/');
  const userIgnore = [...(ctx.options.ignorePaths ?? [])];
  const { diff, failures } = await compareManifest(
    scope.modelPath,
    oms,
    [...(sigRel.startsWith('..') ? [] : [sigRel]), ...userIgnore],
    { onlyFile: scope.onlyFile, signal: ctx.options.signal },
  );
  // The signature file is the signature, not content it leaves out.
  diff.ignored = diff.ignored.filter((p) => p !== sigRel);
  r.manifest = diff;
  r.failures.push(...failures);
  const unrecorded = oms.serialization.ignore_paths_recorded === false && !oms.legacy;
  if (userIgnore.length) r.notes.push(`not checked, as asked (--ignore-paths): ${userIgnore.join(', ')}`);
  if (unrecorded)
    r.notes.push(
      'this signature does not record the paths its signer ignored (model_signing before 1.1): git metadata is ignored as model_signing does; give the rest with --ignore-paths',
    );
  const notCovered = diff.ignored;
  if (notCovered.length)
    r.notes.push(`in the folder but ignored by the signature, so not covered by it: ${notCovered.join(', ')}`);
  if (scope.onlyFile)
    r.notes.push(
      `only ${scope.onlyFile} was checked against the folder's signed manifest; verify the folder to check the whole model`,
    );
  else
    r.notes.push(
      `${diff.matched} signed ${oms.serialization.method === 'shards' ? 'shards' : 'files'} match (${oms.serialization.method}, ${oms.serialization.hash_type})`,
    );
}

export type { Context as VerifyContext };
export { makeContext };

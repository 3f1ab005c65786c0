import fs from 'node:fs';
import path from 'node:path';
import { checkModelCardFile } from '../modelcard/inspector.ts';
import type { WalkResult } from '../fsutil/walk.ts';
import { planFolder } from '../scan/folder.ts';
import { scanFile } from '../scan/scanner.ts';
import { verifyPath, type SignatureResult as SigningResult } from '../signing/index.ts';
import { SIGNATURE_SUFFIXES } from '../signing/discover.ts';
import { verifyOptionsFor, type Expectations } from '../signing/expectations.ts';
import { ruleForFailure } from '../signing/findings.ts';
import { MODEL_SIG } from '../signing/modelSigning.ts';
import { privateKeyFindings } from '../signing/privateKeyFiles.ts';
import type { EngineContext, GateEngines } from './collect.ts';
import type { ScanEvidence, ScannedFile, SignatureEvidence, SignatureResult } from './evidence.ts';
import { normaliseRepository } from './evaluate.ts';
import type { ModelTarget } from '../model/target.ts';

/**
 * The real engines behind the gate's interfaces. This is the only file that knows their APIs;
 * the gate, the CLI and the panel take `GateEngines`.
 */
export const DEFAULT_ENGINES: GateEngines = {
  async checkCard(file, target, ctx) {
    return (await checkModelCardFile(file, { now: ctx.now, root: target.root })).findings;
  },
  verify: verifyModelSignatures,
  scan: scanModel,
};

/**
 * Every file of the model whose content is a model format (a pickle named `.txt` too), plus every
 * weight file by name even when its content looks like nothing: the scanner reports those as
 * unknown and incomplete, and the gate fails closed on them.
 */
export async function scanModel(target: ModelTarget, ctx: EngineContext): Promise<ScanEvidence> {
  const weights = new Set(target.weightFiles.map((w) => w.path));
  const files: ScannedFile[] = [];
  const todo: string[] = [];
  // The model's own files, classified by content (scan/folder.ts); the plan also walks folders the
  // target walk skipped and lists links, special files and unknown content as not analysed.
  const plan = await planFolder(target.root, { signal: ctx.signal, walked: modelWalk(target) });
  for (const f of plan.files) todo.push(f.path);
  for (const w of weights) if (!todo.includes(w) && !plan.unscannable.some((u) => u.path === w)) todo.push(w);
  for (const u of plan.unscannable) files.push(unreadable(u.path, new Error(`${u.rel} ${u.reason}`)));
  const notAnalysed = plan.notAnalysed.map((n) => ({
    path: n.path,
    rel: n.rel,
    size: n.size,
    kind: n.kind,
    detail: n.detail,
  }));
  for (let i = 0; i < todo.length; i++) {
    ctx.signal?.throwIfAborted();
    ctx.onProgress?.(`scanning ${path.relative(target.root, todo[i])} (${i + 1}/${todo.length})`);
    try {
      const r = await scanFile(todo[i], { signal: ctx.signal });
      files.push({ path: r.path, format: r.format, complete: r.complete, findings: r.findings });
    } catch (e) {
      if (ctx.signal?.aborted) throw e;
      files.push(unreadable(todo[i], e));
    }
  }
  return { available: true, files: files.sort((a, b) => a.path.localeCompare(b.path)), notAnalysed };
}

/** The target's walk as scan/folder.ts takes it: its files, plus what the walk reported besides them. */
function modelWalk(target: ModelTarget): WalkResult {
  return {
    files: [...target.files],
    errors: [...target.errors],
    special: [...target.special],
    links: [...target.links],
    skipped: [...target.skipped],
    ...(target.truncated ? { truncated: target.truncated } : {}),
  };
}

/** A file that could not be read was not scanned: an incomplete entry, never a clean one. */
function unreadable(file: string, e: unknown): ScannedFile {
  return {
    path: file,
    format: 'unknown',
    complete: false,
    findings: [
      { ruleId: 'gate/incomplete', severity: 'warning', message: `not scanned: ${(e as Error).message}`, file },
    ],
  };
}

const SLSA_PREDICATE = /^https:\/\/slsa\.dev\/provenance\//;

/** Files that are signatures of something else in the model (never content to be covered). */
export function signatureFilesOf(target: ModelTarget): { signature: string; subject: string; folder: boolean }[] {
  const present = new Set(target.files.map((f) => f.path));
  const out: { signature: string; subject: string; folder: boolean }[] = [];
  for (const f of target.files) {
    const base = path.basename(f.path);
    if (base === MODEL_SIG) {
      out.push({ signature: f.path, subject: path.dirname(f.path), folder: true });
      continue;
    }
    const suffix = SIGNATURE_SUFFIXES.find((x) => base.endsWith(x) && base.length > x.length);
    if (suffix && present.has(f.path.slice(0, -suffix.length)))
      out.push({ signature: f.path, subject: f.path.slice(0, -suffix.length), folder: false });
  }
  return out;
}

/**
 * Every signature in the model: each model.sig against its whole folder (never against a single
 * member file: a folder whose manifest fails is not rescued by one matching file), and each file's
 * own signatures (X.sig, X.sigstore.json…) against that file. Expectations (keys, identities,
 * issuers, CA, trusted root) are resolved once by the caller; a signature verifies only against them.
 */
export async function verifyModelSignatures(
  target: ModelTarget,
  expectations: Expectations,
  ctx: EngineContext,
): Promise<SignatureEvidence> {
  for (const k of expectations.signers.keys) {
    // A key the policy or the settings name but that is not there is a broken expectation, not an unsigned model.
    if (!fs.existsSync(k))
      throw new Error(`${expectations.signers.source ?? 'the expectations'} names ${k}, which does not exist`);
  }
  const options = verifyOptionsFor(expectations, { signal: ctx.signal });
  const results: SignatureResult[] = [];
  const findings: SignatureEvidence['findings'] = [
    ...(await privateKeyFindings(target.root, target.files, ctx.signal)),
  ];
  for (const s of signatureFilesOf(target)) {
    ctx.signal?.throwIfAborted();
    ctx.onProgress?.(`verifying ${path.relative(target.root, s.signature)}`);
    const report = await verifyPath(s.subject, { ...options, signature: s.signature });
    for (const r of report.signatures) results.push(toEvidence(r, target, expectations));
    findings.push(...report.findings.filter((f) => f.ruleId !== 'signing/no-signature'));
  }
  return {
    available: true,
    results,
    findings,
    expectations: { notes: expectations.notes, refused: expectations.refused },
  };
}

const insideOf = (dir: string, p: string) => p === dir || p.startsWith(dir + path.sep);

function toEvidence(r: SigningResult, target: ModelTarget, e: Expectations): SignatureResult {
  let covers: string[] = [];
  let coversFolders: string[] | undefined;
  let ignored: string[] | undefined;
  let manifest: SignatureResult['manifest'];
  if (r.manifest) {
    const root = r.manifest.root;
    // A one-file model's manifest root is the file itself.
    const rootIsFile = fs.existsSync(root) && fs.statSync(root).isFile();
    const abs = (n: string) => (rootIsFile ? root : path.join(root, ...n.split('/')));
    ignored = r.manifest.ignored.map(abs);
    if (r.verified) {
      covers = r.manifest.covered.map(abs);
      // Folders the walk skipped were read by the manifest check (it skips nothing but ignored
      // paths): covered unless an ignored path lies in, on or above them.
      const ign = ignored;
      coversFolders = target.skipped
        .filter((s) => insideOf(root, s.path) && !ign.some((i) => insideOf(i, s.path) || insideOf(s.path, i)))
        .map((s) => s.path);
    }
    manifest = {
      changed: r.manifest.changed.map(abs),
      added: r.manifest.extra.map(abs),
      removed: r.manifest.missing.map(abs),
    };
  } else if (r.verified && fs.existsSync(r.file) && !fs.statSync(r.file).isDirectory()) covers = [r.file];
  let sourceRepository: string | undefined;
  // A GitHub Actions keyless identity is the workflow URI: its repository is the source.
  if (r.identity && /^https:\/\/github\.com\/[^/]+\/[^/]+\//.test(r.identity))
    sourceRepository = normaliseRepository(r.identity);
  // A verified SLSA attestation has been checked against the expected repository by the signing
  // engine (VerifyOptions.provenance): verified means it names that repository.
  if (r.verified && r.predicateType && SLSA_PREDICATE.test(r.predicateType) && e.provenance.sourceRepository)
    sourceRepository = e.provenance.sourceRepository;
  const tlog = r.tlog?.[0];
  return {
    file: r.file,
    signatureFile: r.signatureFile,
    format: r.format,
    verified: r.verified,
    identity: r.identity,
    issuer: r.issuer,
    time: r.time,
    tlogEntry: tlog
      ? `log index ${tlog.logIndex}${tlog.kind ? ` (${tlog.kind})` : ''}${tlog.integratedTime ? `, integrated ${tlog.integratedTime}` : ''}`
      : undefined,
    key: r.key,
    covers,
    coversFolders,
    ignored,
    signerRejected:
      !r.verified &&
      r.failures.length > 0 &&
      r.failures.every((f) => ruleForFailure(f) === 'signing/identity-mismatch'),
    manifest,
    sourceRepository,
    failures: r.failures,
  };
}

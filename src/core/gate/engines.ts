import fs from 'node:fs';
import path from 'node:path';
import { checkModelCardFile } from '../modelcard/inspector.ts';
import type { WalkResult } from '../fsutil/walk.ts';
import { planFolder } from '../scan/folder.ts';
import { scanFile } from '../scan/scanner.ts';
import { verifyPath, type SignatureResult as SigningResult, type VerifyOptions } from '../signing/index.ts';
import type { EngineContext, GateEngines } from './collect.ts';
import type { ScanEvidence, ScannedFile, SignatureEvidence, SignatureResult } from './evidence.ts';
import { normaliseRepository } from './evaluate.ts';
import type { GatePolicy } from './policy.ts';
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
  const notAnalysed = plan.notAnalysed.map((n) => ({ path: n.path, rel: n.rel, size: n.size, kind: n.kind, detail: n.detail }));
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
  const t = target as ModelTarget & Partial<Pick<WalkResult, 'links' | 'special' | 'skipped'>>;
  return { files: [...target.files], errors: [], special: t.special ?? [], links: t.links ?? [], skipped: t.skipped ?? [], ...(target.truncated ? { truncated: target.truncated } : {}) };
}

/** A file that could not be read was not scanned: an incomplete entry, never a clean one. */
function unreadable(file: string, e: unknown): ScannedFile {
  return { path: file, format: 'unknown', complete: false, findings: [{ ruleId: 'gate/incomplete', severity: 'warning', message: `not scanned: ${(e as Error).message}`, file }] };
}

const SLSA_PREDICATE = /^https:\/\/slsa\.dev\/provenance\//;

/**
 * Every signature of the model: the folder's model.sig, then each weight file's own signatures.
 * Identities and issuers are judged by the gate (lists and /regex/); the signing engine is asked
 * only to verify, once per policy key (a signature that verifies with a listed key is trusted).
 */
export async function verifyModelSignatures(target: ModelTarget, policy: GatePolicy, ctx: EngineContext): Promise<SignatureEvidence> {
  const keys = policy.signatures.keys.map((k) => path.resolve(ctx.policyDir ?? target.root, k));
  for (const k of keys) {
    // A key the policy names but that is not there is a broken policy, not an unsigned model.
    if (!fs.existsSync(k)) throw new Error(`gate.signatures.keys names ${k}, which does not exist`);
  }
  const base: VerifyOptions = {
    requireIdentity: false,
    signal: ctx.signal,
    provenance: policy.provenance.sourceRepository ? { sourceRepository: policy.provenance.sourceRepository } : undefined,
  };
  const attempts: (string | undefined)[] = keys.length ? keys : [undefined];
  const byKey = new Map<string, SignatureResult>();
  const findings: SignatureEvidence['findings'] = [];
  const record = (r: SigningResult, key: string | undefined) => {
    // model.sig is found from the folder and again from each file in it: one manifest, one result.
    const id = r.format === 'model-signing' ? r.signatureFile : `${r.signatureFile}\u0000${r.file}`;
    const prev = byKey.get(id);
    if (prev?.verified) return; // the first key that verifies it wins
    byKey.set(id, toEvidence(r, target, policy, key !== undefined && r.verified));
  };
  for (const subject of [target.root, ...target.weightFiles.map((w) => w.path)]) {
    for (const key of attempts) {
      ctx.signal?.throwIfAborted();
      const report = await verifyPath(subject, { ...base, key });
      for (const s of report.signatures) record(s, key);
      if (key === attempts[attempts.length - 1]) findings.push(...report.findings.filter((f) => f.ruleId !== 'signing/no-signature'));
    }
  }
  return { available: true, results: [...byKey.values()], findings };
}

function toEvidence(r: SigningResult, target: ModelTarget, policy: GatePolicy, trustedKey: boolean): SignatureResult {
  // A verified model manifest vouches for every file of the folder it matched.
  const isFolder = path.resolve(r.file) === target.root;
  const covers = r.verified && isFolder ? target.files.map((f) => f.path) : [];
  let sourceRepository: string | undefined;
  // A GitHub Actions keyless identity is the workflow URI: its repository is the source.
  if (r.identity && /^https:\/\/github\.com\/[^/]+\/[^/]+\//.test(r.identity)) sourceRepository = normaliseRepository(r.identity);
  // A verified SLSA attestation has been checked against the policy's repository by the signing
  // engine (VerifyOptions.provenance): verified means it names that repository.
  if (r.verified && r.predicateType && SLSA_PREDICATE.test(r.predicateType) && policy.provenance.sourceRepository) sourceRepository = policy.provenance.sourceRepository;
  const tlog = r.tlog?.[0];
  return {
    file: r.file,
    signatureFile: r.signatureFile,
    format: r.format,
    verified: r.verified,
    identity: r.identity,
    issuer: r.issuer,
    time: r.time,
    tlogEntry: tlog ? `log index ${tlog.logIndex}${tlog.kind ? ` (${tlog.kind})` : ''}${tlog.integratedTime ? `, integrated ${tlog.integratedTime}` : ''}` : undefined,
    key: r.key,
    trustedKey,
    covers,
    sourceRepository,
    failures: r.failures,
  };
}

import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { INTOTO_PAYLOAD_TYPE, parseStatement, signDsse, type Statement } from './dsse.ts';
import { walk } from '../fsutil/walk.ts';
import { digestFile, digestRange } from './hashing.ts';
import { modelSigningKeyHint } from './keys.ts';
import type { ManifestDiff } from './types.ts';
import { findPrivateKeyFiles } from './privateKeyFiles.ts';

/**
 * OpenSSF model signing (sigstore/model-transparency, `model_signing` 1.x): the manifest of a
 * model folder, its in-toto statement, and the `model.sig` bundle. The rules are model_signing's
 * (hashing.py, _serialization/file.py, manifest.py): regular files only, POSIX names relative to
 * the model root ("." for a one-file model), sorted like PurePosixPath, ignored paths cover their
 * children, and the subject digest is sha256 over the raw resource digests in listed order.
 */

export const MODEL_SIG = 'model.sig';
export const OMS_PREDICATE_V1 = 'https://model_signing/signature/v1.0';
export const OMS_PREDICATE_V01 = 'https://model_signing/Digests/v0.1';
export const BUNDLE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';
/** model_signing ignores git metadata by default (ignore_git_paths=True). */
export const GIT_PATHS = ['.git', '.gitattributes', '.github', '.gitignore'];
export const DEFAULT_SHARD_SIZE = 1_000_000_000;

export interface Resource {
  name: string;
  algorithm: string;
  digest: string;
}

export interface Serialization {
  method: 'files' | 'shards';
  hash_type: string;
  allow_symlinks: boolean;
  ignore_paths?: string[];
  shard_size?: number;
  /** False when the signature does not record its ignore paths (model_signing before 1.1). */
  ignore_paths_recorded?: boolean;
}

export interface OmsPayload {
  /** model_signing 0.2 (Digests/v0.1): one subject per file, no root digest, no recorded ignore paths. */
  legacy?: boolean;
  subjectName: string;
  subjectDigest: string;
  resources: Resource[];
  serialization: Serialization;
}

/** Node's digest for model_signing's hash_type; undefined when Node has none (blake3). */
export function nodeHash(hashType: string): string | undefined {
  if (hashType === 'sha256') return 'sha256';
  // model_signing 1.0–1.1 write "blake2b" (BLAKE2b-512); older notes and the library's option say "blake2".
  if (hashType === 'blake2' || hashType === 'blake2b') return 'blake2b512';
  return undefined;
}

/** PurePosixPath order: component by component, each by code point (= UTF-8 byte order). */
export function comparePosixPaths(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const c = Buffer.compare(Buffer.from(pa[i], 'utf8'), Buffer.from(pb[i], 'utf8'));
    if (c) return c;
  }
  return pa.length - pb.length;
}

/** Subject digest: sha256 over the concatenated raw resource digests, in the listed order. */
export function rootDigest(resources: readonly Resource[]): string {
  const h = crypto.createHash('sha256');
  for (const r of resources) h.update(Buffer.from(r.digest, 'hex'));
  return h.digest('hex');
}

/** model_signing 0.2 statements list each file as a subject (annotation actual_hash_algorithm file-sha256). */
function parseLegacyStatement(st: Statement): OmsPayload | string {
  const resources: Resource[] = [];
  for (const s of st.subjects) {
    if (!s.name || !s.digest.sha256)
      return 'legacy model_signing v0.2 statement: a subject lacks a name or sha256 digest';
    resources.push({ name: s.name, algorithm: 'sha256', digest: s.digest.sha256 });
  }
  resources.sort((a, b) => comparePosixPaths(a.name, b.name));
  return {
    legacy: true,
    subjectName: '',
    subjectDigest: '',
    resources,
    serialization: { method: 'files', hash_type: 'sha256', allow_symlinks: false, ignore_paths: [...GIT_PATHS] },
  };
}

/** Reads an OMS v1.0 statement; a string says why it is not one. */
export function parseOmsStatement(st: Statement): OmsPayload | string {
  if (st.predicateType === OMS_PREDICATE_V01) return parseLegacyStatement(st);
  if (st.predicateType !== OMS_PREDICATE_V1)
    return `predicate type is ${JSON.stringify(st.predicateType)}, expected ${OMS_PREDICATE_V1}`;
  if (st.subjects.length !== 1) return `the statement has ${st.subjects.length} subjects, expected 1`;
  const p = st.predicate as { resources?: unknown; serialization?: unknown } | undefined;
  if (!Array.isArray(p?.resources)) return 'the predicate has no resources list';
  const resources: Resource[] = [];
  for (const r of p.resources as unknown[]) {
    const o = r as Record<string, unknown>;
    if (typeof o?.name !== 'string' || typeof o.digest !== 'string' || !/^[0-9a-fA-F]+$/.test(o.digest))
      return 'a resource lacks a name or a hex digest';
    resources.push({
      name: o.name,
      algorithm: typeof o.algorithm === 'string' ? o.algorithm : '',
      digest: o.digest.toLowerCase(),
    });
  }
  const s = p.serialization as Record<string, unknown> | undefined;
  const method = s?.method;
  if (method !== 'files' && method !== 'shards')
    return `serialization method ${JSON.stringify(method)} is not files or shards`;
  const shardSize = Number(s?.shard_size ?? DEFAULT_SHARD_SIZE);
  if (method === 'shards' && !(Number.isSafeInteger(shardSize) && shardSize > 0))
    return `shard_size ${JSON.stringify(s?.shard_size)} is not a positive integer`;
  return {
    subjectName: st.subjects[0].name ?? '',
    subjectDigest: st.subjects[0].digest.sha256 ?? '',
    resources,
    serialization: {
      method,
      hash_type: typeof s?.hash_type === 'string' ? s.hash_type : 'sha256',
      allow_symlinks: s?.allow_symlinks === true,
      ignore_paths: Array.isArray(s?.ignore_paths)
        ? (s.ignore_paths as unknown[]).filter((x): x is string => typeof x === 'string')
        : [],
      shard_size: method === 'shards' ? shardSize : undefined,
      ignore_paths_recorded: Array.isArray(s?.ignore_paths),
    },
  };
}

export class ModelWalkError extends Error {
  override name = 'ModelWalkError';
}

function normIgnore(p: string): string {
  return p
    .replace(/\\/g, '/')
    .replace(/^\.\/+/, '')
    .replace(/\/+$/, '');
}

/** True when `rel` is an ignored path or lies under one (Path.is_relative_to). */
export function isIgnored(rel: string, ignore: readonly string[]): boolean {
  return ignore.some((i) => i !== '' && (rel === i || rel.startsWith(`${i}/`)));
}

export interface ModelFile {
  rel: string;
  abs: string;
  size: number;
}

/**
 * The model's files by model_signing's rules: regular files, POSIX names, ignored paths (and what
 * they hold) skipped. Anything model_signing refuses is refused here too, so a folder never
 * verifies with something in it that no signature covers: special files (FIFOs, sockets, devices),
 * links unless the signature allows them, unreadable entries. Stricter than model_signing: a link,
 * even when allowed, must lead to a regular file inside the folder (model_signing would hash a file
 * anywhere on the machine, and does not look inside linked folders at all).
 */
export async function listModelFiles(
  root: string,
  ignorePaths: readonly string[],
  allowSymlinks: boolean,
  limit = 200_000,
): Promise<ModelFile[]> {
  const ignore = ignorePaths.map(normIgnore);
  const w = await walk(root, {
    skipDirs: new Set(),
    maxFiles: limit,
    maxDepth: 64,
    followLinksInside: allowSymlinks,
    ignore: (rel) => isIgnored(rel, ignore),
  });
  const first = w.errors[0];
  if (first)
    throw new ModelWalkError(`${first.rel || '.'} could not be read (${first.message}); what it holds is not known`);
  if (w.truncated) throw new ModelWalkError(w.truncated);
  const special = w.special[0];
  if (special)
    throw new ModelWalkError(
      `${special.rel} is a ${special.kind.replace('-', ' ')}, not a regular file; model signing refuses special files`,
    );
  const link = w.links[0] ?? (allowSymlinks ? undefined : w.files.find((f) => f.linkTarget !== undefined));
  if (link) {
    const why = !allowSymlinks
      ? 'model signing refuses links unless allow_symlinks is set'
      : 'reason' in link
        ? (
            {
              'outside-root': 'it leads outside the model folder',
              dangling: 'it leads nowhere',
              loop: 'it loops',
              directory: 'it leads to a folder, whose files no signature lists',
              special: 'it leads to a special file',
            } as const
          )[link.reason]
        : 'it is not a plain file';
    throw new ModelWalkError(`${link.rel} is a symbolic link; ${why}`);
  }
  return w.files
    .map((f) => ({ rel: f.rel, abs: f.path, size: f.size }))
    .sort((a, b) => comparePosixPaths(a.rel, b.rel));
}

/**
 * Why a manifest cannot be checked as written: names that are not canonical relative POSIX paths
 * (`./a`, `a/../a`, `/a`, `a//b`) can never match a file, and a name listed twice has two digests
 * of which only one can be true; an empty manifest vouches for nothing.
 */
export function manifestProblems(payload: OmsPayload): string[] {
  const out: string[] = [];
  if (payload.resources.length === 0)
    out.push('manifest: the signature lists no files; an empty model is not a signed model');
  const seen = new Set<string>();
  // model_signing compares (algorithm, digest) pairs, so a resource labelled with another algorithm
  // than the serialization hashes with never matches there; here the label is not trusted either.
  const label = (a: string) => a.replace(/^blake2(?=$|-)/, 'blake2b');
  const expected = label(resourceAlgorithm(payload.serialization));
  for (const r of payload.resources) {
    if (!payload.legacy && label(r.algorithm) !== expected)
      out.push(
        `manifest: ${JSON.stringify(r.name)} names the hash algorithm ${JSON.stringify(r.algorithm)}, but the signature's serialization hashes with ${JSON.stringify(expected)}; model_signing refuses such a manifest`,
      );
    const name = payload.serialization.method === 'shards' ? r.name.replace(/:\d+:\d+$/, '') : r.name;
    if (
      name !== '.' &&
      (name === '' ||
        name.startsWith('/') ||
        name.split('/').some((c) => c === '' || c === '.' || c === '..') ||
        name.includes('\0'))
    ) {
      out.push(
        `manifest: the resource name ${JSON.stringify(r.name)} is not a plain relative path; it cannot name a file of the model`,
      );
    }
    if (seen.has(r.name)) out.push(`manifest: ${JSON.stringify(r.name)} is listed twice`);
    seen.add(r.name);
  }
  return out.slice(0, 20);
}

/** The shards of a file: [start, end) every shard_size bytes (an empty file has none). */
export function shardRanges(size: number, shardSize: number): [number, number][] {
  const out: [number, number][] = [];
  for (let s = 0; s < size; s += shardSize) out.push([s, Math.min(size, s + shardSize)]);
  return out;
}

export interface ManifestItem {
  name: string;
  file: ModelFile;
  start?: number;
  end?: number;
}

/** The manifest's resource names for the local files (not yet hashed). */
export function manifestItems(files: readonly ModelFile[], ser: Serialization, singleFile: boolean): ManifestItem[] {
  const items: ManifestItem[] = [];
  for (const f of files) {
    const name = singleFile ? '.' : f.rel;
    if (ser.method === 'files') items.push({ name, file: f });
    else
      for (const [s, e] of shardRanges(f.size, ser.shard_size ?? DEFAULT_SHARD_SIZE))
        items.push({ name: `${name}:${s}:${e}`, file: f, start: s, end: e });
  }
  return items;
}

export function resourceAlgorithm(ser: Serialization): string {
  return ser.method === 'shards' ? `${ser.hash_type}-sharded-${ser.shard_size ?? DEFAULT_SHARD_SIZE}` : ser.hash_type;
}

async function hashItem(item: ManifestItem, nodeAlg: string, signal?: AbortSignal): Promise<string> {
  const d =
    item.start === undefined
      ? await digestFile(item.file.abs, nodeAlg, signal)
      : await digestRange(item.file.abs, item.start, item.end!, nodeAlg, signal);
  return d.toString('hex');
}

/** Hashes items with a little parallelism (files are independent; two at a time keeps disks busy). */
async function hashAll(items: readonly ManifestItem[], nodeAlg: string, signal?: AbortSignal): Promise<string[]> {
  const out = new Array<string>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await hashItem(items[i], nodeAlg, signal);
    }
  };
  await Promise.all([worker(), worker()]);
  return out;
}

/**
 * Compares the signed manifest with the model on disk. `modelPath` is the folder, or the file for a
 * one-file model. `onlyFile` limits the check to one member file (verifying a weight file against
 * its folder's model.sig).
 */
export async function compareManifest(
  modelPath: string,
  payload: OmsPayload,
  extraIgnore: readonly string[],
  opts: { onlyFile?: string; signal?: AbortSignal } = {},
): Promise<{ diff: ManifestDiff; failures: string[] }> {
  const ser = payload.serialization;
  const nodeAlg = nodeHash(ser.hash_type);
  const empty = (): ManifestDiff => ({
    root: modelPath,
    missing: [],
    extra: [],
    changed: [],
    matched: 0,
    covered: [],
    ignored: [],
  });
  if (!nodeAlg)
    return {
      diff: empty(),
      failures: [
        `hash type ${JSON.stringify(ser.hash_type)} is not available here (sha256 and blake2b are); the files could not be checked`,
      ],
    };
  const problems = manifestProblems(payload);
  if (problems.length) return { diff: empty(), failures: problems };
  const st = await fs.stat(modelPath);
  const singleFile = st.isFile();
  let files: ModelFile[];
  // Without recorded ignore paths (model_signing before 1.1), model_signing's verifier still ignores
  // git metadata by default (ignore_git_paths=True): so does this one.
  const recorded = ser.ignore_paths_recorded === false ? [...GIT_PATHS] : (ser.ignore_paths ?? []);
  const ignore = [...recorded, ...extraIgnore].map(normIgnore).filter((p) => p !== '' && p !== '.');
  if (singleFile) files = [{ rel: path.basename(modelPath), abs: modelPath, size: st.size }];
  else {
    try {
      files = await listModelFiles(modelPath, ignore, ser.allow_symlinks);
    } catch (e) {
      return { diff: empty(), failures: [`model folder: ${(e as Error).message}`] };
    }
  }
  if (opts.onlyFile) files = files.filter((f) => f.rel === opts.onlyFile);
  const items = manifestItems(files, ser, singleFile);
  const signed = new Map(payload.resources.map((r) => [r.name, r]));
  const present = items.filter((i) => signed.has(i.name));
  const digests = await hashAll(present, nodeAlg, opts.signal);
  const diff = empty();
  const local = new Set(items.map((i) => i.name));
  const changedFiles = new Set<string>();
  present.forEach((item, i) => {
    if (signed.get(item.name)!.digest === digests[i]) diff.matched++;
    else changedFiles.add(item.name.replace(/:\d+:\d+$/, ''));
  });
  diff.changed = [...changedFiles];
  const fileOf = (n: string) => (ser.method === 'shards' ? n.replace(/:\d+:\d+$/, '') : n);
  const scope = opts.onlyFile ? (n: string) => fileOf(n) === opts.onlyFile : () => true;
  diff.missing = [
    ...new Set(payload.resources.filter((r) => !local.has(r.name) && scope(r.name)).map((r) => fileOf(r.name))),
  ];
  // A file whose size changed has other shard names than the signed ones: it is changed, not
  // missing and extra. That holds also when only one side has a shard the other lacks (grown or cut
  // at a shard boundary, where every shard still listed matches): bytes appended to a zip
  // checkpoint replace its central directory, so a file with one unsigned shard is not signed.
  const localFiles = new Set(items.map((i) => fileOf(i.name)));
  const signedFiles = new Set(payload.resources.map((r) => fileOf(r.name)));
  const extraNames = [...new Set(items.filter((i) => !signed.has(i.name)).map((i) => fileOf(i.name)))];
  const grownOrCut = new Set([
    ...extraNames.filter((n) => signedFiles.has(n)),
    ...diff.missing.filter((n) => localFiles.has(n)),
  ]);
  diff.missing = diff.missing.filter((n) => !grownOrCut.has(n));
  for (const n of grownOrCut) if (!diff.changed.includes(n)) diff.changed.push(n);
  diff.extra = extraNames.filter((n) => !grownOrCut.has(n));
  // A file is covered when it is listed and every one of its resources matched.
  const bad = new Set([...diff.changed, ...diff.missing]);
  diff.covered = [...new Set(items.filter((i) => signed.has(i.name)).map((i) => fileOf(i.name)))]
    .filter((n) => !bad.has(n))
    .map((n) => (n === '.' ? path.basename(modelPath) : n));
  if (!singleFile) diff.ignored = await presentPaths(modelPath, ignore);
  // A one-file model's resource is ".": name the file in what is shown.
  if (singleFile)
    for (const list of [diff.changed, diff.missing, diff.extra])
      list.forEach((n, i) => {
        if (n === '.') list[i] = path.basename(modelPath);
      });
  const failures: string[] = [];
  if (opts.onlyFile && diff.missing.length === 0 && diff.changed.length === 0 && diff.matched === 0)
    failures.push(`file ${opts.onlyFile} is not listed in the signed manifest`);
  if (diff.changed.length)
    failures.push(`changed files (digest differs from the signed one): ${diff.changed.join(', ')}`);
  if (diff.missing.length) failures.push(`missing files (signed, not in the folder): ${diff.missing.join(', ')}`);
  if (diff.extra.length && !opts.onlyFile)
    failures.push(`extra files (in the folder, not signed and not ignored): ${diff.extra.join(', ')}`);
  return { diff, failures };
}

/** Which of `paths` (relative to `root`) exist: the ignored entries a verified signature does not cover. */
async function presentPaths(root: string, paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of new Set(paths)) {
    try {
      await fs.lstat(path.join(root, ...p.split('/')));
      out.push(p);
    } catch {
      /* not there */
    }
  }
  return out.sort(comparePosixPaths);
}

export function checkRootDigest(payload: OmsPayload): string[] {
  if (payload.legacy) return [];
  const computed = rootDigest(payload.resources);
  return computed === payload.subjectDigest
    ? []
    : [
        `manifest: the subject digest is ${payload.subjectDigest || '(none)'}, but the listed resources hash to ${computed} (the statement is inconsistent)`,
      ];
}

// ---------------- signing ----------------

/** Python json.dumps(indent=2) with ensure_ascii: non-ASCII written as \uXXXX, as model_signing does. */
function pythonJson(v: unknown): string {
  return JSON.stringify(v, null, 2).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export interface OmsSignOptions {
  /** Extra paths to ignore, relative to the model root. */
  ignorePaths?: string[];
  /** Signature file name inside the folder (default model.sig); always ignored. */
  signatureName?: string;
  signal?: AbortSignal;
}

/** The in-toto statement for a model folder or a one-file model (files serialization, sha256). */
export async function buildOmsStatement(
  modelPath: string,
  opts: OmsSignOptions = {},
): Promise<{ payload: Buffer; resources: Resource[]; excludedPrivateKeys: string[] }> {
  const st = await fs.stat(modelPath);
  const ignore = [opts.signatureName ?? MODEL_SIG, ...(opts.ignorePaths ?? []).map(normIgnore), ...GIT_PATHS];
  const uniqueIgnore = [...new Set(ignore)];
  let files = st.isFile()
    ? [{ rel: path.basename(modelPath), abs: modelPath, size: st.size }]
    : await listModelFiles(modelPath, uniqueIgnore, false);
  // A private key is never signed: it is left out and recorded among the ignored paths, so the
  // verifier (ours or model_signing) does not count it as an added file either.
  const excludedPrivateKeys = st.isFile() ? [] : await findPrivateKeyFiles(files, opts.signal);
  if (excludedPrivateKeys.length) {
    const keys = new Set(excludedPrivateKeys);
    files = files.filter((f) => !keys.has(f.rel));
    uniqueIgnore.push(...excludedPrivateKeys);
  }
  const ser: Serialization = {
    method: 'files',
    hash_type: 'sha256',
    allow_symlinks: false,
    ignore_paths: uniqueIgnore,
  };
  const items = manifestItems(files, ser, st.isFile());
  const digests = await hashAll(items, 'sha256', opts.signal);
  const resources = items.map((it, i) => ({ name: it.name, algorithm: 'sha256', digest: digests[i] }));
  const statement = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: path.basename(path.resolve(modelPath)), digest: { sha256: rootDigest(resources) } }],
    predicateType: OMS_PREDICATE_V1,
    predicate: { serialization: ser, resources },
  };
  return { payload: Buffer.from(pythonJson(statement), 'utf8'), resources, excludedPrivateKeys };
}

/** A `model.sig` signed with a local EC key, shaped exactly like `model_signing sign key` output. */
export function omsKeyBundle(payload: Buffer, privateKey: crypto.KeyObject): string {
  const publicKey = crypto.createPublicKey(privateKey);
  const sig = signDsse(INTOTO_PAYLOAD_TYPE, payload, privateKey);
  const bundle = {
    mediaType: BUNDLE_V03,
    verificationMaterial: { publicKey: { hint: modelSigningKeyHint(publicKey) }, tlogEntries: [] },
    dsseEnvelope: {
      payload: payload.toString('base64'),
      payloadType: INTOTO_PAYLOAD_TYPE,
      signatures: [{ sig: sig.toString('base64'), keyid: '' }],
    },
  };
  return JSON.stringify(bundle, null, 2) + '\n';
}

/** True when a DSSE payload is an OMS statement (so the bundle is a model signature). */
export function isOmsPayload(payload: Buffer | undefined): boolean {
  if (!payload) return false;
  const st = parseStatement(payload);
  return typeof st !== 'string' && (st.predicateType === OMS_PREDICATE_V1 || st.predicateType === OMS_PREDICATE_V01);
}

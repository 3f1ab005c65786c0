import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { openRegularFile } from '../fsutil/read.ts';
import type { Finding } from '../findings.ts';
import type { YamlDocument } from '../yaml/document.ts';
import { CardContext } from './context.ts';
import { classifyDigest } from './digest.ts';
import type { DigestClaim, PathRef } from './semantic.ts';

/** What is known about one local file a card refers to. */
export type FileState =
  | { kind: 'file'; size: number; mtimeMs: number; sha256?: string; skipped?: string }
  | { kind: 'missing' }
  | { kind: 'other'; reason: string };

export interface FileDigestOptions {
  /** Files larger than this are not hashed (reported as not verified). */
  maxHashBytes?: number;
  signal?: AbortSignal;
}

export const DEFAULT_MAX_HASH_BYTES = 4 * 1024 ** 3;

/**
 * SHA-256 of local files, streamed (weights reach hundreds of GB; never one Buffer) and cached by
 * path, size and mtime, so re-validating on every keystroke costs a `stat`, not a hash.
 * `peek` answers synchronously from the cache; `refresh` brings the cache up to date.
 */
export class FileDigestCache {
  private readonly states = new Map<string, FileState>();
  private readonly inflight = new Map<string, Promise<FileState>>();

  peek(absPath: string): FileState | undefined {
    return this.states.get(absPath);
  }

  /** Stat (and hash when `hash` and changed) each path; resolves true when any state changed. */
  async refresh(paths: Iterable<{ abs: string; hash: boolean }>, options: FileDigestOptions = {}): Promise<boolean> {
    const jobs = [...paths].map(async ({ abs, hash }) => {
      const before = this.states.get(abs);
      const after = await this.load(abs, hash, options);
      this.states.set(abs, after);
      return !sameState(before, after);
    });
    return (await Promise.all(jobs)).some(Boolean);
  }

  private load(abs: string, hash: boolean, options: FileDigestOptions): Promise<FileState> {
    const key = `${abs}\0${hash}`;
    let p = this.inflight.get(key);
    if (!p) {
      p = this.compute(abs, hash, options).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  private async compute(abs: string, hash: boolean, options: FileDigestOptions): Promise<FileState> {
    let st;
    try {
      st = await fs.stat(abs);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return code === 'ENOENT' || code === 'ENOTDIR'
        ? { kind: 'missing' }
        : { kind: 'other', reason: (e as Error).message };
    }
    // Never open FIFOs or devices: /dev/zero would hash forever, a FIFO would block.
    if (!st.isFile())
      return st.isDirectory()
        ? { kind: 'other', reason: 'it is a folder, not a file' }
        : { kind: 'other', reason: 'it is not a regular file' };
    const prev = this.states.get(abs);
    if (
      prev?.kind === 'file' &&
      prev.size === st.size &&
      prev.mtimeMs === st.mtimeMs &&
      (prev.sha256 || prev.skipped || !hash)
    )
      return prev;
    const base = { kind: 'file' as const, size: st.size, mtimeMs: st.mtimeMs };
    if (!hash) return base;
    const max = options.maxHashBytes ?? DEFAULT_MAX_HASH_BYTES;
    if (st.size > max)
      return { ...base, skipped: `it is ${formatBytes(st.size)}, over the ${formatBytes(max)} hashing limit` };
    try {
      return { ...base, sha256: await sha256File(abs, options.signal) };
    } catch (e) {
      if (options.signal?.aborted) throw e;
      return { ...base, skipped: `it could not be read: ${(e as Error).message}` };
    }
  }
}

function sameState(a: FileState | undefined, b: FileState): boolean {
  if (!a || a.kind !== b.kind) return false;
  if (a.kind === 'file' && b.kind === 'file')
    return a.size === b.size && a.mtimeMs === b.mtimeMs && a.sha256 === b.sha256 && a.skipped === b.skipped;
  return true;
}

export async function sha256File(abs: string, signal?: AbortSignal): Promise<string> {
  const h = createHash('sha256');
  // Opened only as a regular file (a path swapped for a FIFO after the stat above is refused).
  const { fh } = await openRegularFile(abs);
  const stream = fh.createReadStream({ highWaterMark: 1 << 20, signal });
  for await (const chunk of stream) h.update(chunk as Buffer);
  return h.digest('hex');
}

function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${n} bytes`;
}

function inside(root: string, p: string): boolean {
  const r = path.relative(root, p);
  return r === '' || (!r.startsWith('..') && !path.isAbsolute(r));
}

function realOrSelf(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/**
 * Resolve a card-relative path inside the model folder only: `root`, or the card's own folder when
 * none is given. A card is written by whoever published the model, so `../../.ssh/id_rsa`, an
 * absolute path, or a link in the folder that leads out of it are refused (undefined): their
 * digests would otherwise be computed and shown.
 */
export function resolveCardPath(cardFile: string, rel: string, root?: string): string | undefined {
  const ref = rel.replace(/^file:\/\//i, '');
  if (path.isAbsolute(ref) || /^[a-z]:[\\/]/i.test(ref) || ref.includes('\0')) return undefined;
  const base = root ?? path.dirname(cardFile);
  const abs = path.resolve(path.dirname(cardFile), ref);
  if (!inside(base, abs)) return undefined;
  // Links are followed only when they stay inside (the real folder, so a linked model folder works).
  if (!inside(realOrSelf(base), realOrSelf(abs))) return undefined;
  return abs;
}

export interface LocalRefs {
  claims: DigestClaim[];
  paths: PathRef[];
}

/** The paths to stat and hash for a card's local references. */
export function filesToCheck(cardFile: string, refs: LocalRefs, root?: string): { abs: string; hash: boolean }[] {
  const out = new Map<string, boolean>();
  for (const p of refs.paths) {
    const abs = resolveCardPath(cardFile, p.relPath, root);
    if (abs) out.set(abs, out.get(abs) ?? false);
  }
  for (const c of refs.claims) {
    const abs = resolveCardPath(cardFile, c.relPath, root);
    if (abs) out.set(abs, true);
  }
  return [...out].map(([abs, hash]) => ({ abs, hash }));
}

/**
 * Findings for a card's local references, from whatever the cache knows (references it does not
 * know yet give nothing; the caller refreshes the cache and asks again).
 */
export function localFileFindings(
  doc: YamlDocument,
  cardFile: string,
  refs: LocalRefs,
  peek: (abs: string) => FileState | undefined,
  root?: string,
): Finding[] {
  const ctx = new CardContext(doc, cardFile);
  for (const c of refs.claims) {
    // Never read, so nothing about the file (not even whether it exists) is said.
    if (!resolveCardPath(cardFile, c.relPath, root))
      ctx.report(
        'card/file-not-hashed',
        c.node,
        `the digest of \`${c.relPath}\` was not verified: only files inside the model folder are read`,
      );
  }
  const reportedMissing = new Set<string>();
  for (const p of refs.paths) {
    const abs = resolveCardPath(cardFile, p.relPath, root);
    const st = abs ? peek(abs) : undefined;
    if (st?.kind === 'missing' && !reportedMissing.has(abs!)) {
      reportedMissing.add(abs!);
      ctx.report('card/missing-file', p.node, `\`${p.label}\`: \`${p.relPath}\` does not exist next to the card`);
    }
  }
  for (const c of refs.claims) {
    const abs = resolveCardPath(cardFile, c.relPath, root);
    const st = abs ? peek(abs) : undefined;
    if (!st || st.kind === 'missing') continue;
    if (st.kind === 'other') {
      ctx.report('card/file-not-hashed', c.node, `the digest of \`${c.relPath}\` was not verified: ${st.reason}`);
      continue;
    }
    if (st.skipped) {
      ctx.report('card/file-not-hashed', c.node, `the digest of \`${c.relPath}\` was not verified: ${st.skipped}`);
      continue;
    }
    if (!st.sha256) continue;
    const v = classifyDigest(c.text);
    if (v.kind === 'ok' && v.algorithm === 'sha256' && v.hex === st.sha256) continue;
    if (v.kind === 'ok' && v.algorithm !== 'sha256') continue; // another strong algorithm: not ours to recompute
    const real = `sha256:${st.sha256}`;
    const claim = v.kind === 'ok' ? `the card says \`${c.text.slice(0, 19)}…\`` : 'the card gives no usable digest';
    ctx.report(
      'card/digest-mismatch',
      c.node,
      `\`${c.relPath}\` has SHA-256 \`${st.sha256.slice(0, 12)}…\`; ${claim}`,
      {
        fixes: [
          ctx.replace(
            `Replace with the SHA-256 of ${path.basename(c.relPath)}`,
            c.node,
            ctx.styled(c.node, real),
            v.kind !== 'ok',
          ),
        ],
        data: { file: c.relPath, actual: real, expected: c.text },
      },
    );
  }
  return ctx.findings;
}

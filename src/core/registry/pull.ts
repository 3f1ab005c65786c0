/**
 * Reads one layer blob from the registry and scans what is in it, in a single streamed pass:
 *
 *   network → size cap + hash (BlobStream) → [gzip | zstd] → [tar members] → scanner
 *
 * The scanner reads through ForwardAccess, so headers at the start (safetensors, GGUF, npy) are
 * read and the tensor data only hashed; pickles stream. Content that is only readable with random
 * access (a zip, i.e. a PyTorch checkpoint) is held in memory up to the scanner's buffer limit or
 * spooled to a private temporary file, because reading it twice from the registry could give
 * different bytes the second time. Whatever the scanner reads, the blob is read to its end, and its
 * size and digest are compared with the descriptor: a layer whose bytes are not the manifest's has
 * its scan results thrown away and says so.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FileAccess, BufferAccess, type RandomAccess } from '../scan/io/source.ts';
import { scanSource, WEIGHT_EXTENSIONS } from '../scan/scanner.ts';
import { sniff } from '../scan/sniff.ts';
import type { FileScanResult, ScanOptions } from '../scan/types.ts';
import { RegistryError } from './errors.ts';
import type { BlobStream, RegistryClient } from './client.ts';
import type { LayerPlan } from './packaging.ts';
import { shortDigest } from './manifest.ts';
import {
  BackwardReadError, ChunkReader, DecompressionLimitError, ForwardAccess, inflate, looksLikeTar, readTar, sniffCompression,
  type Compression, type SequentialSource,
} from './stream.ts';

export type FoundFormat = 'raw' | 'tar' | 'tar+gzip' | 'tar+zstd' | 'gzip' | 'zstd';

export interface PulledFile {
  /** Name inside the artifact: the layer title, `title/member`, or `layer@sha256:…!/member`. */
  name: string;
  size: number;
  scan?: FileScanResult;
  /** Why it was not scanned (image members that are no model file are not listed at all). */
  skipped?: string;
  /** The tar entry type, for members that are not regular files (links are reported, never followed). */
  link?: string;
}

export interface LayerResult {
  plan: LayerPlan;
  /** What the content turned out to be. */
  found?: FoundFormat;
  /** Bytes read from the registry for this layer. */
  bytes: number;
  /** True when the blob's size and digest were its descriptor's. */
  verified: boolean;
  /** The blob failed its descriptor (or could not be read): the scan results were dropped. */
  failure?: string;
  failureKind?: RegistryError['kind'];
  files: PulledFile[];
  /** Parts not scanned, limits reached, malformed archives: each makes the inspection incomplete. */
  incomplete: string[];
  /** Facts worth showing (media type and content disagree, links). */
  notes: string[];
}

export interface PullOptions {
  scan?: ScanOptions;
  /** Most tar members per layer. */
  maxMembers?: number;
  /** Largest decompressed/compressed ratio (beyond 64 MiB) before a layer is treated as a bomb. */
  maxRatio?: number;
  /** Largest decompressed size of one layer. */
  maxDecompressedBytes?: number;
  /** Largest random-access member held in memory; bigger ones are spooled to a private temp file. */
  maxBufferedBytes?: number;
  /** Largest random-access member spooled to disk; bigger ones are not scanned (incomplete). */
  maxSpoolBytes?: number;
  /** Folder for spool files (default: the system's temp folder). */
  tmpDir?: string;
  /** Label of the artifact, for file names in findings (`registry/repo@sha256:…`). */
  artifact: string;
  signal?: AbortSignal;
}

const SNIFF_HEAD = 64 * 1024;

function nameOf(plan: LayerPlan, artifact: string, member?: string): string {
  const base = plan.title ?? `layer ${plan.index} ${shortDigest(plan.descriptor.digest)}`;
  return `${artifact}/${member === undefined ? base : `${base}!/${member}`}`;
}

/** A partial decompression of a blob's first bytes, to see whether a tar is inside. */
async function decompressedHead(kind: Compression, compressedHead: Buffer): Promise<Buffer> {
  const src = ChunkReader.of((async function* () { yield compressedHead; })());
  const parts: Buffer[] = [];
  let n = 0;
  try {
    for await (const c of inflate(kind, src, { ratioFreeBytes: 1 << 20, maxRatio: 1e9, maxBytes: 1 << 20 })) {
      parts.push(c);
      n += c.length;
      if (n >= 512) break;
    }
  } catch {
    // A truncated stream ends in an error; whatever came out before it is the head.
  }
  return Buffer.concat(parts, n);
}

async function isZipLike(head: Buffer, size: number): Promise<boolean> {
  if (head.length < 4 || head.readUInt32LE(0) !== 0x04034b50) return false;
  const f = await sniff(head, size).catch(() => 'zip' as const);
  return f === 'zip' || f === 'pytorch-zip' || f === 'torchscript' || f === 'npz' || f === 'keras';
}

/** Scans one file's content from a sequential source of known size. */
async function scanContent(name: string, src: SequentialSource, size: number, opts: PullOptions, incomplete: string[]): Promise<FileScanResult | undefined> {
  const reader = src instanceof ChunkReader ? src : new ChunkReader((async function* () { for (;;) { const b = await src.next(1 << 20); if (!b) return; yield b; } })());
  const head = await reader.peek(Math.min(SNIFF_HEAD, size));
  let access: RandomAccess;
  let spool: { dir: string; access: FileAccess } | undefined;
  if (await isZipLike(head, size)) {
    // A zip's directory is at its end and its members are read by offset: keep the bytes we saw.
    const maxBuf = opts.maxBufferedBytes ?? opts.scan?.limits?.maxBufferedBytes ?? 128 * 1024 * 1024;
    if (size <= maxBuf) {
      access = new BufferAccess(await reader.read(size));
    } else if (size <= (opts.maxSpoolBytes ?? 64 * 1024 ** 3)) {
      const dir = await fs.mkdtemp(path.join(opts.tmpDir ?? os.tmpdir(), 'model-inspect-spool-'));
      const file = path.join(dir, 'blob');
      const fh = await fs.open(file, 'wx', 0o600);
      try {
        for (;;) {
          const b = await reader.next(4 << 20);
          if (!b) break;
          await fh.write(b);
        }
      } finally {
        await fh.close();
      }
      spool = { dir, access: await FileAccess.open(file) };
      access = spool.access;
    } else {
      incomplete.push(`${name}: a ${size}-byte zip archive (read by offset, so it must be held whole) is larger than the spool limit; not scanned`);
      return undefined;
    }
  } else {
    access = new ForwardAccess(reader, size);
  }
  try {
    const result = await scanSource(name, access, opts.scan ?? {});
    // Only the scanner knows when a BackwardReadError cut it short; it reports that as incomplete.
    return result;
  } finally {
    if (spool) {
      await spool.access.close();
      await fs.rm(spool.dir, { recursive: true, force: true });
    }
  }
}

function isModelMember(name: string): boolean {
  return WEIGHT_EXTENSIONS.includes(path.extname(name).toLowerCase());
}

/** Reads a tar stream and scans its members. */
async function scanTar(reader: ChunkReader, plan: LayerPlan, opts: PullOptions, out: LayerResult): Promise<void> {
  const maxMembers = opts.maxMembers ?? 100_000;
  const res = await readTar(reader, async (m, content) => {
    opts.signal?.throwIfAborted();
    const name = m.name.replace(/^\.\//, '');
    if (m.type === '5' || name === '' || name.endsWith('/')) return;
    // Whiteouts only delete files from lower layers.
    if (path.posix.basename(name).startsWith('.wh.')) return;
    if (m.type === '1' || m.type === '2') {
      if (!plan.onlyModelFiles) out.files.push({ name: nameOf(plan, opts.artifact, name), size: 0, link: `${m.type === '2' ? 'symlink' : 'hard link'} to ${m.linkName}` });
      if (!plan.onlyModelFiles) out.notes.push(`${name} is a ${m.type === '2' ? 'symbolic' : 'hard'} link to ${m.linkName} (not followed)`);
      return;
    }
    if (!(m.type === '0' || m.type === '\0' || m.type === '7')) return;
    if (plan.onlyModelFiles) {
      // A container image holds an operating system: scan only what a model loader would open.
      if (m.size === 0) return;
      let wanted = isModelMember(name);
      if (!wanted) {
        const r = new ChunkReader((async function* () { for (;;) { const b = await content.next(1 << 20); if (!b) return; yield b; } })());
        const head = await r.peek(Math.min(SNIFF_HEAD, m.size));
        const f = await sniff(head, m.size).catch(() => 'unknown' as const);
        wanted = !['text', 'json', 'unknown', 'empty', 'zip', 'gzip', 'bzip2', 'xz', 'zlib', 'tar'].includes(f);
        if (!wanted) return;
        out.files.push({ name: nameOf(plan, opts.artifact, name), size: m.size, scan: await scanContent(nameOf(plan, opts.artifact, name), r, m.size, opts, out.incomplete) });
        return;
      }
    }
    out.files.push({ name: nameOf(plan, opts.artifact, name), size: m.size, scan: await scanContent(nameOf(plan, opts.artifact, name), content, m.size, opts, out.incomplete) });
  }, maxMembers);
  for (const p of res.problems) out.incomplete.push(`${nameOf(plan, opts.artifact)}: ${p.message} (at offset ${p.offset})`);
  if (res.truncated) out.incomplete.push(`${nameOf(plan, opts.artifact)}: more than ${maxMembers} archive members; the rest were not scanned`);
}

/** Pulls one layer through the scanner. Never throws for what the registry sends; only for cancellation. */
export async function pullLayer(client: RegistryClient, registry: string, repository: string, plan: LayerPlan, opts: PullOptions): Promise<LayerResult> {
  const out: LayerResult = { plan, bytes: 0, verified: false, files: [], incomplete: [], notes: [] };
  const desc = plan.descriptor;
  let blob: BlobStream;
  try {
    blob = await client.openBlob(registry, repository, desc);
  } catch (e) {
    if (opts.signal?.aborted) throw e;
    out.failure = (e as Error).message;
    out.failureKind = e instanceof RegistryError ? e.kind : 'network';
    return out;
  }
  const reader = ChunkReader.of(blob);
  try {
    const head = await reader.peek(Math.min(SNIFF_HEAD, desc.size));
    const compression = sniffCompression(head);
    let tarReader: ChunkReader | undefined;
    if (compression) {
      const dhead = await decompressedHead(compression, head);
      if (looksLikeTar(dhead)) {
        out.found = compression === 'gzip' ? 'tar+gzip' : 'tar+zstd';
        tarReader = ChunkReader.of(inflate(compression, reader, {
          ratioFreeBytes: 64 << 20,
          maxRatio: opts.maxRatio ?? opts.scan?.limits?.maxRatio ?? 200,
          maxBytes: opts.maxDecompressedBytes ?? 256 * 1024 ** 3,
        }));
      } else out.found = compression;
    } else if (looksLikeTar(head)) {
      out.found = 'tar';
      tarReader = reader;
    } else out.found = 'raw';
    if (plan.declared !== 'unknown' && plan.declared !== out.found && !(plan.declared === 'raw' && (out.found === 'gzip' || out.found === 'zstd'))) {
      out.notes.push(`${nameOf(plan, opts.artifact)}: its media type ${desc.mediaType} says ${plan.declared}, its content is ${out.found}; read as ${out.found}`);
    }
    if (tarReader) {
      try {
        await scanTar(tarReader, plan, opts, out);
      } catch (e) {
        if (!(e instanceof DecompressionLimitError)) throw e;
        out.incomplete.push(`${nameOf(plan, opts.artifact)}: ${e.message}; the rest of the layer was not scanned`);
      } finally {
        // Stop decompressing; the compressed rest is still read (and hashed) below.
        if (tarReader !== reader) await tarReader.close();
      }
    } else if (plan.onlyModelFiles) {
      out.notes.push(`${nameOf(plan, opts.artifact)}: a file-system layer that is not a tar archive`);
    } else {
      const name = nameOf(plan, opts.artifact);
      out.files.push({ name, size: desc.size, scan: await scanContent(name, reader, desc.size, opts, out.incomplete) });
    }
    await reader.drain();
  } catch (e) {
    if (opts.signal?.aborted) throw e;
    blob.destroy();
    out.bytes = blob.bytes;
    out.failure = `${nameOf(plan, opts.artifact)}: ${(e as Error).message}`;
    out.failureKind = e instanceof RegistryError ? e.kind : e instanceof BackwardReadError ? 'limit' : 'network';
    out.files = [];
    return out;
  }
  out.bytes = blob.bytes;
  const bad = await blob.verify();
  if (bad) {
    out.failure = bad;
    out.failureKind = 'digest';
    // Nothing read from bytes that are not the manifest's is trusted, clean or not.
    out.files = [];
    out.incomplete = [];
    return out;
  }
  out.verified = true;
  return out;
}

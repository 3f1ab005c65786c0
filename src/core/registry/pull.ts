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
import type { Finding } from '../findings.ts';
import { FileAccess, BufferAccess, type RandomAccess } from '../scan/io/source.ts';
import { scanSource, WEIGHT_EXTENSIONS } from '../scan/scanner.ts';
import { sniff } from '../scan/sniff.ts';
import type { FileScanResult, ScanOptions } from '../scan/types.ts';
import { RegistryError } from './errors.ts';
import type { BlobStream, RegistryClient } from './client.ts';
import type { LayerPlan } from './packaging.ts';
import { shortDigest } from './manifest.ts';
import {
  BackwardReadError,
  ChunkReader,
  DecompressionLimitError,
  ForwardAccess,
  inflate,
  looksLikeTar,
  readTar,
  sniffCompression,
  type Compression,
  type SequentialSource,
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
  /** Findings about the layer's archive itself (unsafe member paths, links): dropped with the scan when the blob fails its digest. */
  findings: Finding[];
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
  const src = ChunkReader.of(
    (async function* () {
      yield compressedHead;
    })(),
  );
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
async function scanContent(
  name: string,
  src: SequentialSource,
  size: number,
  opts: PullOptions,
  incomplete: string[],
): Promise<FileScanResult | undefined> {
  const reader =
    src instanceof ChunkReader
      ? src
      : new ChunkReader(
          (async function* () {
            for (;;) {
              const b = await src.next(1 << 20);
              if (!b) return;
              yield b;
            }
          })(),
        );
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
      incomplete.push(
        `${name}: a ${size}-byte zip archive (read by offset, so it must be held whole) is larger than the spool limit; not scanned`,
      );
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

function isEscapingPath(name: string): boolean {
  return name.startsWith('/') || /^[A-Za-z]:[\\/]/.test(name) || name.split(/[\\/]/).includes('..');
}

/** A link whose target, resolved as extraction does, leaves the archive's root. */
function isEscapingLink(name: string, target: string, type: string): boolean {
  const t = target.replace(/\\/g, '/');
  if (t.startsWith('/') || /^[A-Za-z]:\//.test(t)) return true;
  // A hard link's target is a path from the archive's root; a symlink's is relative to its folder.
  const resolved = path.posix.normalize(path.posix.join(type === '1' ? '.' : path.posix.dirname(name), t));
  return resolved === '..' || resolved.startsWith('../');
}

function isModelMember(name: string): boolean {
  return WEIGHT_EXTENSIONS.includes(path.extname(name).toLowerCase());
}

/** Reads a tar stream and scans its members. */
async function scanTar(reader: ChunkReader, plan: LayerPlan, opts: PullOptions, out: LayerResult): Promise<void> {
  const maxMembers = opts.maxMembers ?? 100_000;
  const res = await readTar(
    reader,
    async (m, content) => {
      opts.signal?.throwIfAborted();
      const name = m.name.replace(/^\.\//, '');
      const file = nameOf(plan, opts.artifact, name);
      // Extraction writes where the name says: outside the target folder for these, in any layer.
      if (isEscapingPath(m.name)) {
        out.findings.push({
          ruleId: 'scan/archive-unsafe',
          severity: 'warning',
          message: `member ${JSON.stringify(m.name)} has an absolute or parent-relative path: extracting the layer writes outside the target folder`,
          file,
          data: { member: m.name, offset: m.offset },
        });
      }
      if (m.type === '5' || name === '' || name.endsWith('/')) return;
      // Whiteouts only delete files from lower layers.
      if (path.posix.basename(name).startsWith('.wh.')) return;
      if (m.type === '1' || m.type === '2' || m.type === '3' || m.type === '4' || m.type === '6') {
        // An operating system's layers are full of links and devices; a model's files are not.
        if (plan.onlyModelFiles) return;
        const kind =
          m.type === '2' ? 'symbolic link' : m.type === '1' ? 'hard link' : m.type === '6' ? 'FIFO' : 'device node';
        const to = m.type === '1' || m.type === '2' ? ` to ${m.linkName}` : '';
        out.files.push({ name: file, size: 0, link: `${kind}${to}` });
        out.notes.push(`${name} is a ${kind}${to} (not followed)`);
        const outside =
          (m.type === '1' || m.type === '2') && isEscapingLink(name, m.linkName, m.type) ? ' outside the artifact' : '';
        // A link inside the artifact (a Hugging Face cache layout) is shown; one that leaves it, or a device, is unsafe.
        out.findings.push({
          ruleId: 'scan/archive-unsafe',
          severity: outside || !to ? 'warning' : 'info',
          message: `member ${JSON.stringify(name)} is a ${kind}${to}: a model loader opening it reads ${m.type === '1' || m.type === '2' ? `another file${outside}` : 'a device'}, not a file of the artifact (not followed)`,
          file,
          data: { member: name, offset: m.offset },
        });
        return;
      }
      if (m.sparse) {
        // Its stored data are the non-hole regions only: what is scanned is not the extracted file.
        out.incomplete.push(
          `${file}: a GNU sparse file (${m.size} bytes stored); its holes are not reconstructed, so its content as extracted was not scanned${plan.onlyModelFiles && !isModelMember(name) ? '' : '; its stored data were scanned as they are'}`,
        );
        if (plan.onlyModelFiles && !isModelMember(name)) return;
        if (m.size > 0)
          out.files.push({
            name: file,
            size: m.size,
            scan: await scanContent(file, content, m.size, opts, out.incomplete),
          });
        return;
      }
      // GNU tar extracts members of a type it does not know as regular files; so are they scanned.
      if (!(m.type === '0' || m.type === '\0' || m.type === '7') && m.size === 0) return;
      if (plan.onlyModelFiles) {
        // A container image holds an operating system: scan only what a model loader would open.
        if (m.size === 0) return;
        let wanted = isModelMember(name);
        if (!wanted) {
          const r = new ChunkReader(
            (async function* () {
              for (;;) {
                const b = await content.next(1 << 20);
                if (!b) return;
                yield b;
              }
            })(),
          );
          const head = await r.peek(Math.min(SNIFF_HEAD, m.size));
          const f = await sniff(head, m.size).catch(() => 'unknown' as const);
          wanted = !['text', 'json', 'unknown', 'empty', 'zip', 'gzip', 'bzip2', 'xz', 'zlib', 'tar'].includes(f);
          if (!wanted) return;
          out.files.push({
            name: nameOf(plan, opts.artifact, name),
            size: m.size,
            scan: await scanContent(nameOf(plan, opts.artifact, name), r, m.size, opts, out.incomplete),
          });
          return;
        }
      }
      out.files.push({
        name: nameOf(plan, opts.artifact, name),
        size: m.size,
        scan: await scanContent(nameOf(plan, opts.artifact, name), content, m.size, opts, out.incomplete),
      });
    },
    maxMembers,
  );
  for (const p of res.problems)
    out.incomplete.push(`${nameOf(plan, opts.artifact)}: ${p.message} (at offset ${p.offset})`);
  if (res.truncated)
    out.incomplete.push(
      `${nameOf(plan, opts.artifact)}: more than ${maxMembers} archive members; the rest were not scanned`,
    );
}

/** Pulls one layer through the scanner. Never throws for what the registry sends; only for cancellation. */
export async function pullLayer(
  client: RegistryClient,
  registry: string,
  repository: string,
  plan: LayerPlan,
  opts: PullOptions,
): Promise<LayerResult> {
  const out: LayerResult = { plan, bytes: 0, verified: false, files: [], incomplete: [], notes: [], findings: [] };
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
        tarReader = ChunkReader.of(
          inflate(compression, reader, {
            ratioFreeBytes: 64 << 20,
            maxRatio: opts.maxRatio ?? opts.scan?.limits?.maxRatio ?? 200,
            maxBytes: opts.maxDecompressedBytes ?? 256 * 1024 ** 3,
          }),
        );
      } else out.found = compression;
    } else if (looksLikeTar(head)) {
      out.found = 'tar';
      tarReader = reader;
    } else out.found = 'raw';
    if (
      plan.declared !== 'unknown' &&
      plan.declared !== out.found &&
      !(plan.declared === 'raw' && (out.found === 'gzip' || out.found === 'zstd'))
    ) {
      out.notes.push(
        `${nameOf(plan, opts.artifact)}: its media type ${desc.mediaType} says ${plan.declared}, its content is ${out.found}; read as ${out.found}`,
      );
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
    out.findings = [];
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
    out.findings = [];
    return out;
  }
  out.verified = true;
  return out;
}

import path from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { regularFileStat } from '../fsutil/walk.ts';
import { classifyFile, hasWeightExtension, planFolder, WEIGHT_EXTENSIONS, type NotAnalysedEntry } from './folder.ts';
import { ScanContext, where } from './context.ts';
import { checkKerasConfig, findH5ModelConfig, kerasTorchModules } from './formats/keras.ts';
import { checkTorchScriptBytecode, checkTorchScriptCode } from './formats/torchscript.ts';
import { validateGguf } from './formats/gguf.ts';
import { validateSafetensors, type FormatProblem } from './formats/safetensors.ts';
import { listTar } from './formats/tar.ts';
import { listZip, type ZipEntry } from './formats/zip.ts';
import {
  BufferAccess,
  FileAccess,
  OutputLimitError,
  SliceAccess,
  readAllBounded,
  streamOf,
  streamOfReadable,
  cappedChunkStream,
  type ByteStream,
  type RandomAccess,
} from './io/source.ts';
import { createBunzip2 } from './io/bzip2.ts';
import { lzmaAloneChunks, xzChunks } from './io/lzma.ts';
import { gzipChunks, zlibChunks, type MemberInfo } from './io/members.ts';
import { readPickle } from './pickle/index.ts';
import { reportPickle } from './pickle/report.ts';
import { probePickle, SNIFF_BYTES, sniffContent } from './sniff.ts';
import type { FileScanResult, ScanFormat, ScanOptions, ScanProgress } from './types.ts';
import { plural } from '../messageText.ts';

export { WEIGHT_EXTENSIONS } from './folder.ts';

const EXECUTABLE_MEMBER = /\.(py|pyc|sh|bash|exe|dll|so|dylib|bat|cmd|ps1|jar)$/i;
const TORCH_LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

interface Unit {
  member: string | undefined;
  depth: number;
  /** Raw tensor storage (torch `data/<key>`): only strong magic counts. */
  storage?: boolean;
  /** Format already known to the parent (e.g. a .npy inside an .npz). */
  parent?: ScanFormat;
}

function childName(parent: string | undefined, child: string): string {
  return parent ? `${parent}!/${child}` : child;
}

/** Scan content that allows random access (a file, a stored zip member, a bounded buffer). */
async function scanAccess(ctx: ScanContext, src: RandomAccess, u: Unit): Promise<ScanFormat> {
  ctx.signal?.throwIfAborted();
  // Raw tensor storages (hundreds per checkpoint) get a small head; more only if it may be a pickle.
  let head = await src.read(0, u.storage ? 512 : SNIFF_BYTES);
  if (u.storage && head[0] === 0x80) head = await src.read(0, SNIFF_BYTES);
  const sniffed = await sniffContent(head, src.size, { strict: u.storage, src });
  const format = sniffed.format;
  if (u.member !== undefined || u.depth > 0) ctx.member(u.member ?? '', format, src.size);
  if (u.storage && format === 'unknown') return format;
  if (sniffed.alsoPickle) {
    ctx.add(
      'scan/polyglot',
      'warning',
      `${format} content${where(u.member)} is also a pickle from its first byte: pickle.load on it runs that pickle; it was scanned as both`,
      { member: u.member, offset: 0 },
    );
    await scanPickle(ctx, streamOf(src), { ...u, member: u.member }, 'pickle', undefined);
  }
  switch (format) {
    case 'pickle':
      await scanPickle(ctx, streamOf(src, 0, undefined, true), u, 'pickle', src.size, undefined, 0, src);
      break;
    case 'pytorch-legacy':
      await scanTorchLegacy(ctx, src, u);
      break;
    case 'zip':
      return scanZip(ctx, src, u);
    case 'tar':
      return scanTar(ctx, src, u);
    case 'gzip':
    case 'bzip2':
    case 'xz':
    case 'zlib':
    case 'lzma':
      await scanCompressed(ctx, format, streamOf(src), u, src.size);
      break;
    case '7z':
    case 'lz4':
      ctx.incomplete(
        `${format} compressed data${where(u.member)} is not supported by this scanner; its content was not scanned`,
        u.member,
        0,
      );
      break;
    case 'numpy':
      await scanNpy(ctx, src, u);
      break;
    case 'safetensors':
      await checkSafetensors(ctx, src, u);
      break;
    case 'gguf':
      await checkGguf(ctx, src, u);
      break;
    case 'hdf5':
      await scanHdf5(ctx, src, u);
      break;
    default:
      break;
  }
  return format;
}

/** Scan content that only streams (decompressed data): pickles stream, other formats are buffered within limits. */
async function scanStreamed(ctx: ScanContext, stream: ByteStream, u: Unit, declaredSize?: number): Promise<ScanFormat> {
  const parts: Buffer[] = [];
  let have = 0;
  while (have < SNIFF_BYTES) {
    const b = await stream.next(SNIFF_BYTES - have);
    if (!b) break;
    parts.push(b);
    have += b.length;
  }
  const head = Buffer.concat(parts, have);
  const full = have < SNIFF_BYTES;
  const format = (await sniffContent(head, full ? have : Math.max(have + 1, declaredSize ?? 0), { strict: u.storage }))
    .format;
  if (
    format === 'pickle' ||
    format === 'pytorch-legacy' ||
    format === 'gzip' ||
    format === 'bzip2' ||
    format === 'xz' ||
    format === 'zlib' ||
    format === 'lzma'
  ) {
    ctx.member(u.member ?? '', format, declaredSize ?? have);
    const replay = prepend(head, full ? emptyStream() : stream);
    if (format === 'pickle' || format === 'pytorch-legacy')
      await scanPickle(ctx, replay, u, format, declaredSize, format === 'pytorch-legacy' ? 5 : undefined);
    else await scanCompressed(ctx, format, replay, u, declaredSize ?? have);
    return format;
  }
  // Content that is no model format needs no random access: nothing more to read.
  if (format === 'unknown' || format === 'text' || format === 'json' || format === 'empty' || format === 'onnx') {
    ctx.member(u.member ?? '', format, declaredSize ?? have);
    return format;
  }
  let buf = head;
  if (!full) {
    try {
      const rest = await readAllBounded(stream, ctx.limits.maxBufferedBytes - have);
      buf = Buffer.concat([head, rest]);
    } catch (e) {
      // Only our own buffering cap is handled here; the decompressor's cap (a bomb) propagates.
      if (!(e instanceof OutputLimitError) || e.limit !== ctx.limits.maxBufferedBytes - have) throw e;
      ctx.member(u.member ?? '', format, declaredSize ?? have);
      ctx.incomplete(
        `${format} data${where(u.member)} is larger than ${ctx.limits.maxBufferedBytes} bytes inside a compressed stream; not scanned (raise modelInspect.scan.maxBufferedMiB)`,
        u.member,
        0,
      );
      return format;
    }
  }
  return scanAccess(ctx, new BufferAccess(buf), u);
}

function emptyStream(): ByteStream {
  return { next: async () => null, skip: async () => 0 };
}

function prepend(head: Buffer, rest: ByteStream): ByteStream {
  let first: Buffer | null = head.length ? head : null;
  return {
    async next(max?: number) {
      if (first) {
        const b = max !== undefined && first.length > max ? first.subarray(0, max) : first;
        first = b.length < first.length ? first.subarray(b.length) : null;
        return b;
      }
      return rest.next(max);
    },
    async skip(n: number) {
      let done = 0;
      if (first) {
        const k = Math.min(n, first.length);
        first = k < first.length ? first.subarray(k) : null;
        done = k;
      }
      return done + (n > done ? await rest.skip(n - done) : 0);
    },
  };
}

// ---- pickles ----

/**
 * `src`, when given, is the random-access source the stream reads (stream offsets = source
 * offsets): embedded pickles too large to keep in memory are then read from it.
 */
async function scanPickle(
  ctx: ScanContext,
  stream: ByteStream,
  u: Unit,
  label: ScanFormat,
  size?: number,
  pickleCount?: number,
  baseOffset = 0,
  src?: RandomAccess,
): Promise<void> {
  const since = ctx.findings.length;
  const r = await readPickle(stream, { limits: ctx.limits.pickle, pickleCount, signal: ctx.signal, baseOffset });
  ctx.stats.opcodes += r.opcodes;
  ctx.stats.pickles += r.streams;
  // Embedded pickles first: their verdicts decide what a literal `pickle.loads(b'…')` is worth.
  const nestedComplete = await scanEmbedded(ctx, r, u, src);
  reportPickle(ctx, r, u.member, nestedComplete);
  const joblib = r.imports.some(
    (i) => i.name === 'NumpyArrayWrapper' || i.name === 'NDArrayWrapper' || i.name === 'ZNDArrayWrapper',
  );
  if (joblib) {
    ctx.sawJoblib = true;
    label = 'joblib';
    const m = ctx.members[ctx.members.length - 1];
    if (u.member !== undefined && m?.path === u.member && m.format === 'pickle') m.format = 'joblib';
  }
  if (pickleCount === 5) {
    // Legacy torch: magic, protocol, sys_info, object, storage keys; then raw storages.
    const magic = r.pickles[0]?.value;
    if (magic !== TORCH_LEGACY_MAGIC)
      ctx.add(
        'scan/pickle-suspicious-structure',
        'warning',
        `the legacy PyTorch magic-number pickle does not hold the literal magic number${where(u.member)}; it is computed at load time`,
        { member: u.member, offset: 0 },
      );
    if (r.pickles.length < 5 && r.complete)
      ctx.add(
        'scan/pickle-malformed',
        'warning',
        `legacy PyTorch stream has ${r.pickles.length} of its 5 pickles${where(u.member)}`,
        { member: u.member, offset: r.end },
      );
  } else if (
    size !== undefined &&
    r.end < size &&
    r.complete &&
    !r.anomalies.some((a) => a.kind === 'junk' || a.kind === 'truncated')
  ) {
    ctx.add(
      'scan/trailing-data',
      'warning',
      `${size - r.end} bytes after the last pickle (byte ${r.end}) are not a pickle; pickle.load ignores them, other readers may not`,
      { member: u.member, offset: r.end },
    );
  }
  if (ctx.issuesFor(u.member, since) === 0) {
    ctx.add(
      'scan/scanned',
      'info',
      `${label}${where(u.member)}: ${plural(r.streams, 'pickle')}, ${r.opcodes} opcodes, ${plural(r.imports.length, 'import')}, all allowlisted`,
      { member: u.member },
    );
  }
}

async function scanTorchLegacy(ctx: ScanContext, src: RandomAccess, u: Unit): Promise<void> {
  await scanPickle(ctx, streamOf(src), u, 'pytorch-legacy', src.size, 5, 0, src);
}

/**
 * Scans every pickle found inside a str/bytes value as its own member (`…#nested@OFFSET`). A
 * complete nested scan speaks for itself (its findings carry its verdict), so the "nested pickle"
 * note is information; one that could not be read completely keeps the warning. Returns which
 * embedded streams were scanned completely.
 */
async function scanEmbedded(
  ctx: ScanContext,
  r: Awaited<ReturnType<typeof readPickle>>,
  u: Unit,
  src?: RandomAccess,
): Promise<Map<number, boolean>> {
  const complete = new Map<number, boolean>();
  for (const [i, e] of r.embedded.entries()) {
    const nestedMember = `${u.member ?? ''}#nested@${e.offset}`;
    const what = `${e.encoding === 'raw' ? 'bytes' : `${e.encoding} text`} at byte ${e.offset} hold another pickle (${e.length} bytes)`;
    let access: RandomAccess | undefined;
    if (e.data) access = new BufferAccess(e.data);
    else if (src && e.dataOffset !== undefined) access = new SliceAccess(src, e.dataOffset, e.length);
    if (!access || u.depth + 1 > ctx.limits.maxDepth) {
      const why = access
        ? `it is nested deeper than ${ctx.limits.maxDepth} levels`
        : 'it is too large to hold in memory inside a compressed stream';
      ctx.add('scan/nested-pickle', 'warning', `${what}; ${why}, so it was not scanned`, {
        member: u.member,
        offset: e.offset,
      });
      ctx.incomplete(`nested pickle at byte ${e.offset}${where(u.member)} was not scanned: ${why}`, u.member, e.offset);
      complete.set(i, false);
      continue;
    }
    const before = ctx.complete;
    ctx.complete = true;
    await scanAccess(ctx, access, { member: nestedMember, depth: u.depth + 1 });
    const ok = ctx.complete;
    ctx.complete = before && ok;
    complete.set(i, ok);
    ctx.add(
      'scan/nested-pickle',
      ok ? 'info' : 'warning',
      `${what}; it was scanned as ${nestedMember}${ok ? ', and its own findings decide' : ', not completely'}`,
      { member: u.member, offset: e.offset },
    );
  }
  return complete;
}

// ---- archives ----

function checkMemberPath(ctx: ScanContext, name: string, u: Unit, offset: number, kind = ''): void {
  if (name.startsWith('/') || /^[A-Za-z]:[\\/]/.test(name) || name.split(/[\\/]/).includes('..')) {
    ctx.add(
      'scan/archive-unsafe',
      'warning',
      `member ${JSON.stringify(name)}${where(u.member)} has an absolute or parent-relative path: extracting it writes outside the target folder`,
      { member: u.member, offset },
    );
  }
  if (kind)
    ctx.add('scan/archive-unsafe', 'warning', `member ${JSON.stringify(name)}${where(u.member)} is a ${kind}`, {
      member: u.member,
      offset,
    });
}

async function scanZip(ctx: ScanContext, src: RandomAccess, u: Unit): Promise<ScanFormat> {
  const listing = await listZip(src, ctx.limits.maxMembers);
  for (const p of listing.problems) {
    if (p.rule === 'scan/incomplete') ctx.incomplete(`${p.message}${where(u.member)}`, u.member, p.offset);
    else
      ctx.add('scan/archive-malformed', 'warning', `${p.message}${where(u.member)}`, {
        member: u.member,
        offset: p.offset,
      });
  }
  if (listing.truncated)
    ctx.incomplete(
      `archive${where(u.member)} has more than ${ctx.limits.maxMembers} members; the rest were not scanned`,
      u.member,
    );
  const names = listing.entries.map((e) => e.name);
  const torchRoot = names.map((n) => /^(.*?)(?:^|\/)data\.pkl$/.exec(n)).find(Boolean);
  const isTorchScript = names.some((n) => /(^|\/)constants\.pkl$/.test(n)) && names.some((n) => /(^|\/)code\//.test(n));
  const isKeras = names.includes('config.json') && names.includes('metadata.json');
  const isNpz = listing.entries.length > 0 && listing.entries.every((e) => e.name.endsWith('.npy'));
  const format: ScanFormat = isTorchScript
    ? 'torchscript'
    : torchRoot || names.some((n) => /(^|\/)byteorder$/.test(n))
      ? 'pytorch-zip'
      : isKeras
        ? 'keras'
        : isNpz
          ? 'npz'
          : 'zip';
  if (u.member !== undefined) {
    const m = ctx.members[ctx.members.length - 1];
    if (m && m.path === u.member) m.format = format;
  }
  if (isTorchScript)
    ctx.add(
      'scan/torchscript',
      'warning',
      `TorchScript archive${where(u.member)}: torch.jit.load compiles and runs the serialized code under ${names.find((n) => /(^|\/)code\//.test(n))?.replace(/\/code\/.*$/, '/code/') ?? 'code/'}`,
      { member: u.member },
    );
  if (u.depth + 1 > ctx.limits.maxDepth) {
    ctx.incomplete(
      `archive${where(u.member)} is nested deeper than ${ctx.limits.maxDepth} levels; its members were not scanned`,
      u.member,
    );
    return format;
  }
  for (const e of listing.entries) {
    ctx.signal?.throwIfAborted();
    if (e.isDirectory) continue;
    const member = childName(u.member, e.name);
    checkMemberPath(ctx, e.name, u, e.headerOffset);
    if (e.localName !== undefined)
      ctx.add(
        'scan/archive-malformed',
        'warning',
        `member ${JSON.stringify(e.name)} is called ${JSON.stringify(e.localName)} in its local header (readers disagree on its name); scanned by content`,
        { member: u.member, offset: e.headerOffset },
      );
    if (e.flags & 0x1)
      ctx.add(
        'scan/archive-malformed',
        'warning',
        `member ${JSON.stringify(e.name)} has the "encrypted" flag set; PyTorch ignores it and reads the bytes as they are, and so did this scan`,
        { member: u.member, offset: e.headerOffset },
      );
    const unixType = (e.externalAttrs >>> 16) & 0o170000;
    if (unixType === 0o120000)
      ctx.add(
        'scan/archive-unsafe',
        'warning',
        `member ${JSON.stringify(e.name)}${where(u.member)} is a symbolic link`,
        { member: u.member, offset: e.headerOffset },
      );
    if (EXECUTABLE_MEMBER.test(e.name) && !(isTorchScript && /(^|\/)code\//.test(e.name)))
      ctx.add(
        'scan/archive-unsafe',
        'warning',
        `member ${JSON.stringify(e.name)}${where(u.member)} is a script or executable shipped with the weights`,
        { member: u.member, offset: e.headerOffset },
      );
    const storage =
      format === 'pytorch-zip' || format === 'torchscript'
        ? /(^|\/)data\/[^/]+$/.test(e.name) || /(^|\/)\.data\//.test(e.name)
        : false;
    if (/(^|\/)byteorder$/.test(e.name) && e.method === 0 && e.compressedSize <= 16) {
      const v = (await src.read(e.dataOffset, e.compressedSize)).toString('latin1');
      if (v !== 'little' && v !== 'big')
        ctx.add(
          'scan/archive-malformed',
          'warning',
          `byteorder record is ${JSON.stringify(v)}; PyTorch accepts only "little" or "big"`,
          { member, offset: e.dataOffset },
        );
    }
    if (e.method !== 0 && e.size > Math.max(16 << 20, e.compressedSize * ctx.limits.maxRatio)) {
      ctx.incomplete(
        `member${where(member)} declares ${e.size} bytes from ${e.compressedSize} compressed (ratio over ${ctx.limits.maxRatio}:1): a decompression bomb; read only up to the limit`,
        member,
        e.headerOffset,
      );
    }
    await scanZipMember(ctx, src, e, { member, depth: u.depth + 1, storage, parent: format });
    if (format === 'keras' && e.name === 'config.json') await keraZipConfig(ctx, src, e, member, u.depth + 1);
    if (format === 'torchscript' && (/(^|\/)code\/.+\.py$/.test(e.name) || /(^|\/)bytecode\.pkl$/.test(e.name)))
      await torchScriptMember(ctx, src, e, member);
  }
  return format;
}

async function scanZipMember(ctx: ScanContext, src: RandomAccess, e: ZipEntry, u: Unit): Promise<void> {
  try {
    if (e.method === 0) {
      await scanAccess(ctx, new SliceAccess(src, e.dataOffset, e.compressedSize), u);
      return;
    }
    if (e.method === 8 || e.method === 12) {
      const cap = outputCap(ctx, e.method === 12 ? 'bzip2' : 'deflate', e.compressedSize);
      const inflate = e.method === 12 ? createBunzip2(cap) : zlib.createInflateRaw();
      const input = Readable.from(chunks(src, e.dataOffset, e.compressedSize));
      input.on('error', (err) => inflate.destroy(err));
      input.pipe(inflate);
      const out = streamOfReadable(inflate, cap);
      try {
        await scanStreamed(ctx, out, u, e.size);
      } finally {
        out.destroy();
        input.destroy();
      }
      return;
    }
    ctx.member(u.member ?? '', 'unknown', e.size);
    ctx.incomplete(
      `member${where(u.member)} uses zip compression method ${e.method}, which this scanner does not decompress; not scanned`,
      u.member,
      e.dataOffset,
    );
  } catch (err) {
    if (err instanceof OutputLimitError)
      ctx.incomplete(
        `member${where(u.member)} decompresses to more than ${err.limit} bytes (compression ratio over ${ctx.limits.maxRatio}:1 beyond the first MiBs, or the size limit); the rest was not scanned`,
        u.member,
        e.dataOffset,
      );
    else if ((err as Error).name === 'AbortError') throw err;
    else
      ctx.incomplete(
        `member${where(u.member)} could not be decompressed (${(err as Error).message}); not fully scanned`,
        u.member,
        e.dataOffset,
      );
  }
}

async function* chunks(src: RandomAccess, start: number, length: number): AsyncGenerator<Buffer> {
  const step = 1 << 20;
  for (let p = 0; p < length; p += step) {
    const b = await src.read(start + p, Math.min(step, length - p));
    if (!b.length) return;
    yield b;
  }
}

/** A zip member's bytes, stored or deflated, at most maxBufferedBytes; undefined (and an incomplete finding) otherwise. */
async function readZipMember(
  ctx: ScanContext,
  src: RandomAccess,
  e: ZipEntry,
  member: string,
  what: string,
): Promise<Buffer | undefined> {
  try {
    if (e.method === 0) return await src.read(e.dataOffset, Math.min(e.compressedSize, ctx.limits.maxBufferedBytes));
    if (e.method === 8) {
      const inflate = zlib.createInflateRaw();
      Readable.from(chunks(src, e.dataOffset, e.compressedSize)).pipe(inflate);
      return await readAllBounded(streamOfReadable(inflate, ctx.limits.maxBufferedBytes), ctx.limits.maxBufferedBytes);
    }
  } catch {
    // reported below
  }
  ctx.incomplete(
    `${what} could not be read (compression method ${e.method}, or larger than ${ctx.limits.maxBufferedBytes} bytes); not checked`,
    member,
  );
  return undefined;
}

async function keraZipConfig(
  ctx: ScanContext,
  src: RandomAccess,
  e: ZipEntry,
  member: string,
  depth: number,
): Promise<void> {
  const json = await readZipMember(ctx, src, e, member, 'Keras config.json');
  if (!json) return;
  const text = json.toString('utf8');
  addProblems(ctx, checkKerasConfig(text, 0), member, 'scan/keras-foreign-module');
  await scanKerasTorchModules(ctx, text, 0, member, depth);
}

/** The torch.save inside each TorchModuleWrapper layer, scanned as nested content. */
async function scanKerasTorchModules(
  ctx: ScanContext,
  json: string,
  base: number,
  member: string | undefined,
  depth: number,
): Promise<void> {
  for (const m of kerasTorchModules(json, base)) {
    const nested = `${member ?? ''}#TorchModuleWrapper:${m.name}`;
    ctx.add(
      'scan/keras-foreign-module',
      'warning',
      `layer ${JSON.stringify(m.name)} is a TorchModuleWrapper holding a base64 torch.save (${m.data.length} bytes), which Keras 3.11.0-3.11.2 load with torch.load(weights_only=False); it was decoded and scanned as ${nested}`,
      { member, offset: m.offset },
    );
    if (depth + 1 > ctx.limits.maxDepth) {
      ctx.incomplete(
        `TorchModuleWrapper ${JSON.stringify(m.name)} is nested deeper than ${ctx.limits.maxDepth} levels; not scanned`,
        member,
        m.offset,
      );
      continue;
    }
    await scanAccess(ctx, new BufferAccess(m.data), { member: nested, depth: depth + 1 });
  }
}

/** TorchScript source and mobile bytecode: load hooks and file/process/native operators. */
async function torchScriptMember(ctx: ScanContext, src: RandomAccess, e: ZipEntry, member: string): Promise<void> {
  const bytes = await readZipMember(ctx, src, e, member, 'TorchScript code');
  if (!bytes) return;
  if (/\.py$/.test(e.name)) {
    const text = bytes.toString('utf8');
    for (const p of checkTorchScriptCode(text))
      ctx.add('scan/torchscript-code', 'error', `line ${p.line}: ${p.message}`, { member, offset: p.offset });
  } else {
    for (const p of checkTorchScriptBytecode(bytes))
      ctx.add('scan/torchscript-code', 'error', p.message, { member, offset: p.offset });
  }
}

async function scanTar(ctx: ScanContext, src: RandomAccess, u: Unit): Promise<ScanFormat> {
  const t = await listTar(src, ctx.limits.maxMembers);
  for (const p of t.problems)
    ctx.add('scan/archive-malformed', 'warning', `${p.message}${where(u.member)}`, {
      member: u.member,
      offset: p.offset,
    });
  if (t.truncated)
    ctx.incomplete(
      `tar archive${where(u.member)} has more than ${ctx.limits.maxMembers} members; the rest were not scanned`,
      u.member,
    );
  const names = t.entries.map((e) => e.name.replace(/^\.\//, ''));
  const format: ScanFormat = names.includes('pickle') && names.includes('storages') ? 'pytorch-tar' : 'tar';
  if (u.member !== undefined) {
    const m = ctx.members[ctx.members.length - 1];
    if (m && m.path === u.member) m.format = format;
  }
  if (u.depth + 1 > ctx.limits.maxDepth) {
    ctx.incomplete(`archive${where(u.member)} nested deeper than ${ctx.limits.maxDepth} levels; not scanned`, u.member);
    return format;
  }
  for (const e of t.entries) {
    const member = childName(u.member, e.name);
    const kind =
      e.type === '2'
        ? 'symbolic link'
        : e.type === '1'
          ? 'hard link'
          : e.type === '3' || e.type === '4'
            ? 'device node'
            : '';
    checkMemberPath(ctx, e.name, u, e.headerOffset, kind);
    if (e.type !== '0' && e.type !== '\0' && e.type !== '7') continue;
    // PyTorch tar: `storages` is raw tensor data with pickled headers; `tensors`/`pickle` are pickles.
    const storage = format === 'pytorch-tar' && e.name.replace(/^\.\//, '') === 'storages';
    if (storage) {
      await scanPickle(
        ctx,
        streamOf(new SliceAccess(src, e.dataOffset, e.size)),
        { member, depth: u.depth + 1 },
        'pickle',
        undefined,
        1,
      );
      continue;
    }
    await scanAccess(ctx, new SliceAccess(src, e.dataOffset, e.size), { member, depth: u.depth + 1 });
  }
  return format;
}

type Compression = 'gzip' | 'bzip2' | 'xz' | 'zlib' | 'lzma';

/**
 * Decompressed content, read as Python reads it: every gzip member (zero padding between them
 * skipped), every bzip2/xz/lzma stream that follows the previous one, joblib's zlib streams and
 * legacy "ZF" header. Scanned as a stream; bytes after the last member are reported.
 */
async function scanCompressed(
  ctx: ScanContext,
  format: Compression,
  input: ByteStream,
  u: Unit,
  compressedSize: number,
): Promise<void> {
  const member = childName(u.member, `(${format})`);
  if (u.depth + 1 > ctx.limits.maxDepth) {
    ctx.incomplete(
      `${format} data${where(u.member)} nested deeper than ${ctx.limits.maxDepth} levels; not scanned`,
      u.member,
      0,
    );
    return;
  }
  const cap = outputCap(ctx, format, compressedSize);
  const info: MemberInfo = { members: 0 };
  const out = chunkStream(decompressChunks(format, input, cap, info), cap);
  try {
    await scanStreamed(ctx, out, { member, depth: u.depth + 1 });
    if (info.trailing)
      ctx.add(
        'scan/trailing-data',
        'warning',
        `${info.trailing.bytes} bytes after the last ${format} stream (compressed byte ${info.trailing.offset}) are not ${format} data; Python stops reading there`,
        { member: u.member, offset: info.trailing.offset },
      );
  } catch (err) {
    if (err instanceof OutputLimitError)
      ctx.incomplete(
        `${format} data${where(u.member)} decompresses to more than ${err.limit} bytes (ratio over ${ctx.limits.maxRatio}:1 beyond the first MiBs, or the size limit); the rest was not scanned`,
        u.member,
        0,
      );
    else if ((err as Error).name === 'AbortError') throw err;
    else
      ctx.incomplete(
        `${format} data${where(u.member)} ${out.produced() ? 'is corrupt or truncated' : 'could not be decompressed'} (${(err as Error).message}); ${out.produced() ? 'scanned up to the error' : 'not scanned'}`,
        u.member,
        0,
      );
  } finally {
    await out.destroy();
  }
}

async function* decompressChunks(
  format: Compression,
  input: ByteStream,
  cap: number,
  info: MemberInfo,
): AsyncGenerator<Buffer> {
  if (format === 'gzip') {
    yield* gzipChunks(input, info);
    return;
  }
  if (format === 'zlib') {
    yield* zlibChunks(input, info);
    return;
  }
  if (format === 'xz') {
    yield* xzChunks(input);
    return;
  }
  if (format === 'lzma') {
    yield* lzmaAloneChunks(input);
    return;
  }
  const source = Readable.from(byteStreamChunks(input));
  const t = createBunzip2(cap);
  source.on('error', (e) => t.destroy(e));
  try {
    for await (const b of source.pipe(t)) yield b as Buffer;
  } finally {
    t.destroy();
    source.destroy();
  }
}

/** Decompressed chunks as a ByteStream, capped: a decompression bomb ends in an OutputLimitError. */
function chunkStream(
  gen: AsyncGenerator<Buffer>,
  maxOutput: number,
): ByteStream & { produced(): number; destroy(): Promise<void> } {
  return {
    ...cappedChunkStream(gen, maxOutput),
    destroy: async () => {
      await gen.return(undefined);
    },
  };
}

/**
 * Most decompressed bytes accepted: the ratio limit, but never below a floor (small files of
 * zeros are legitimate) and never above the member size limit. bzip2 is decoded in JavaScript,
 * so its floor is lower to keep hostile inputs fast.
 */
function outputCap(ctx: ScanContext, format: string, compressedSize: number): number {
  const floor = format === 'bzip2' ? 1 << 20 : 16 << 20;
  return Math.min(ctx.limits.maxMemberBytes, Math.max(floor, compressedSize * ctx.limits.maxRatio));
}

async function* byteStreamChunks(s: ByteStream): AsyncGenerator<Buffer> {
  for (;;) {
    const b = await s.next();
    if (!b) return;
    yield b;
  }
}

// ---- validators ----

function addProblems(
  ctx: ScanContext,
  problems: FormatProblem[],
  member: string | undefined,
  rule: string,
  base = 0,
): void {
  let n = 0;
  for (const p of problems) {
    if (++n > 50) {
      ctx.add(rule, 'warning', `${problems.length - 50} more problems not listed${where(member)}`, { member });
      break;
    }
    const r = p.rule ?? rule;
    if (r === 'scan/incomplete') {
      ctx.incomplete(p.message, member, base + p.offset);
      continue;
    }
    ctx.add(
      r,
      p.severity ?? (r === 'scan/keras-lambda' || r === 'scan/gguf-chat-template' ? 'error' : 'warning'),
      `${p.message} (byte ${base + p.offset})`,
      { member, offset: base + p.offset },
    );
  }
}

async function checkSafetensors(ctx: ScanContext, src: RandomAccess, u: Unit): Promise<void> {
  const info = await validateSafetensors(src, ctx.limits.maxHeaderBytes);
  addProblems(ctx, info.problems, u.member, 'scan/safetensors-invalid');
  if (info.problems.length === 0)
    ctx.add(
      'scan/scanned',
      'info',
      `safetensors${where(u.member)}: ${plural(info.tensors.length, 'tensor')}, header ${info.headerLength} bytes, valid; safetensors holds no code`,
      { member: u.member },
    );
}

async function checkGguf(ctx: ScanContext, src: RandomAccess, u: Unit): Promise<void> {
  const info = await validateGguf(src, ctx.limits.maxHeaderBytes);
  addProblems(ctx, info.problems, u.member, 'scan/gguf-invalid');
  if (info.problems.length === 0)
    ctx.add(
      'scan/scanned',
      'info',
      `GGUF v${info.version}${where(u.member)}: ${plural(info.tensorCount, 'tensor')}, ${info.kvCount} metadata keys, valid`,
      { member: u.member },
    );
}

async function scanNpy(ctx: ScanContext, src: RandomAccess, u: Unit): Promise<void> {
  const head = await src.read(0, 65_536 + 16);
  const { parseNpyHeader } = await import('./formats/headers.ts');
  const h = parseNpyHeader(head);
  addProblems(ctx, h.problems, u.member, 'scan/npy-invalid');
  if (!h.dataOffset) return;
  if (!h.understood) {
    // numpy may read this header another way than this reader: if the data could be a pickle,
    // np.load(allow_pickle=True) might run it, so it is scanned as one.
    const data = await src.read(h.dataOffset, SNIFF_BYTES);
    if ((await probePickle(data, src.size - h.dataOffset)) === 'not-pickle') {
      ctx.add(
        'scan/npy-invalid',
        'warning',
        `NumPy header${where(u.member)} is not understood; the data after it is not a pickle`,
        { member: u.member, offset: h.dataOffset },
      );
      return;
    }
    ctx.add(
      'scan/npy-object-array',
      'warning',
      `NumPy header${where(u.member)} is not understood and the data after it reads as a pickle, which np.load(allow_pickle=True) may run; scanned below`,
      { member: u.member, offset: h.dataOffset },
    );
    await scanPickle(ctx, streamOf(src, h.dataOffset), { ...u }, 'pickle', undefined, undefined, h.dataOffset, src);
    return;
  }
  if (h.hasObject) {
    ctx.add(
      'scan/npy-object-array',
      'warning',
      `NumPy array${where(u.member)} has dtype ${h.descr ?? 'with object fields'}: its data is a pickle that np.load(allow_pickle=True) runs; scanned below`,
      { member: u.member, offset: h.dataOffset },
    );
    await scanPickle(ctx, streamOf(src, h.dataOffset), { ...u }, 'pickle', undefined, undefined, h.dataOffset, src);
    return;
  }
  if (h.shape && h.itemsize) {
    const expected = h.shape.reduce((a, b) => a * b, 1) * h.itemsize;
    if (h.dataOffset + expected !== src.size)
      ctx.add(
        'scan/npy-invalid',
        'warning',
        `array data is ${src.size - h.dataOffset} bytes but shape (${h.shape.join(', ')}) × ${h.itemsize} needs ${expected}${src.size - h.dataOffset > expected ? ': extra bytes after the array' : ''}`,
        { member: u.member, offset: h.dataOffset },
      );
  }
  if (ctx.issuesFor(u.member, 0) === 0)
    ctx.add(
      'scan/scanned',
      'info',
      `NumPy array${where(u.member)} (${h.descr}, shape (${h.shape?.join(', ') ?? '?'})): numeric data, no pickle`,
      { member: u.member },
    );
}

async function scanHdf5(ctx: ScanContext, src: RandomAccess, u: Unit): Promise<void> {
  // Keras H5 keeps `model_config` (JSON) as a root attribute, in the first blocks of the file.
  const window = Math.min(src.size, 16 << 20);
  const bytes = await src.read(0, window);
  const configs = findH5ModelConfig(bytes);
  for (const c of configs) {
    addProblems(ctx, checkKerasConfig(c.json, c.offset), u.member, 'scan/keras-foreign-module');
    await scanKerasTorchModules(ctx, c.json, c.offset, u.member, u.depth);
  }
  if (
    configs.length === 0 &&
    /model_config|keras_version/.test(bytes.toString('latin1', 0, Math.min(bytes.length, 1 << 20)))
  ) {
    ctx.incomplete(
      `HDF5 file${where(u.member)} names a Keras model_config that could not be located as plain JSON (compressed or chunked attribute); Lambda layers were not checked`,
      u.member,
    );
  }
  if (window < src.size && configs.length === 0)
    ctx.add(
      'scan/scanned',
      'info',
      `HDF5${where(u.member)}: the first ${window} bytes were searched for a Keras model_config; none found`,
      { member: u.member },
    );
}

// ---- public API ----

/** Scan one file by content. Never throws for bad content; I/O errors on the file itself do throw. */
export async function scanFile(file: string, options: ScanOptions = {}): Promise<FileScanResult> {
  const src = await FileAccess.open(file);
  try {
    return await scanSource(file, src, options);
  } finally {
    await src.close();
  }
}

/** Scan bytes already in memory (editor buffers, tests, fuzzing); `name` labels the findings. */
export function scanBytes(data: Buffer, name: string, options: ScanOptions = {}): Promise<FileScanResult> {
  return scanSource(name, new BufferAccess(data), options);
}

/**
 * Scan content from any random-access source (a file, a buffer, a blob streamed from a registry);
 * `file` labels the findings and its extension is used as a file name's would be.
 */
export async function scanSource(file: string, src: RandomAccess, options: ScanOptions = {}): Promise<FileScanResult> {
  const started = Date.now();
  const ctx = new ScanContext(file, options.limits, options.signal);
  let format: ScanFormat = 'unknown';
  try {
    format = await scanAccess(ctx, src, { member: undefined, depth: 0 });
    const ext = path.extname(file).toLowerCase();
    if (
      (format === 'unknown' || format === 'text' || format === 'json') &&
      WEIGHT_EXTENSIONS.includes(ext) &&
      !(format === 'json' && ext === '.bin')
    ) {
      ctx.add(
        'scan/unknown-format',
        'warning',
        `content of this ${ext} file matches no known model format (${format}); it was not checked`,
        { offset: 0 },
      );
      ctx.complete = false;
    }
    if (format === 'onnx')
      ctx.add(
        'scan/scanned',
        'info',
        'ONNX model: protobuf graph, no pickle; custom operators and external data are not checked by this scan',
        {},
      );
  } catch (e) {
    if (options.signal?.aborted) throw e;
    ctx.incomplete(`scan stopped by an internal error: ${(e as Error).message}`);
  }
  if (format === 'pickle' && ctx.sawJoblib) format = 'joblib';
  ctx.stats.bytes = src.size;
  ctx.stats.ms = Date.now() - started;
  return {
    path: file,
    format,
    size: src.size,
    members: ctx.members,
    findings: ctx.findings,
    complete: ctx.complete,
    stats: ctx.stats,
  };
}

/** Is this file worth scanning in a folder walk? Content decides (see folder.ts); a weight file name always is. */
export async function looksScannable(file: string, size: number): Promise<boolean> {
  if (hasWeightExtension(file)) return true;
  if (size === 0) return false;
  const { format } = await classifyFile(file);
  return format !== 'text' && format !== 'json' && format !== 'unknown' && format !== 'empty';
}

export interface ScanPathsResult {
  results: FileScanResult[];
  /** Paths that could not be read at all (also listed in notAnalysed when inside a folder). */
  errors: { path: string; message: string }[];
  /** Text, JSON and empty files in scanned folders: no loader runs them. */
  skipped: number;
  /** Everything in scanned folders that was not analysed, with its size and why. */
  notAnalysed: NotAnalysedEntry[];
}

/** A weight-named entry that cannot be scanned: an incomplete result, never a missing one. */
function unscannableResult(file: string, reason: string): FileScanResult {
  return {
    path: file,
    format: 'unknown',
    size: 0,
    members: [],
    complete: false,
    findings: [
      {
        ruleId: 'scan/incomplete',
        severity: 'warning',
        message: `not scanned: ${path.basename(file)} ${reason}`,
        file,
      },
    ],
    stats: { bytes: 0, opcodes: 0, pickles: 0, members: 0, ms: 0 },
  };
}

/**
 * Scan files and folders. A file named here is scanned whatever its content; a folder is walked
 * and every regular file is classified by content (folder.ts): model and container content and
 * weight-named files are scanned, the rest is counted (text) or listed as not analysed (unknown
 * binary content, links out of the folder, special files, version-control folders). Special files
 * named here are refused without being opened. Returns one result per scanned file, in path order.
 */
export async function scanPaths(
  paths: readonly string[],
  options: ScanOptions = {},
  onProgress?: ScanProgress,
  signal?: AbortSignal,
): Promise<ScanPathsResult> {
  const sig = signal ?? options.signal;
  // In argument order; a folder's files in path order, unscannable weight files among them.
  const jobs: ({ file: string } | { result: FileScanResult })[] = [];
  const errors: { path: string; message: string }[] = [];
  const notAnalysed: NotAnalysedEntry[] = [];
  const results: FileScanResult[] = [];
  let skipped = 0;
  for (const p of paths) {
    const st = await regularFileStat(p);
    if (!st.ok && st.message !== 'is a folder') {
      errors.push({ path: p, message: `${p} ${st.message}` });
      continue;
    }
    if (!st.ok) {
      const plan = await planFolder(p, { signal: sig });
      if (plan.truncated) errors.push({ path: p, message: plan.truncated });
      const mine: typeof jobs = [
        ...plan.files.map((f) => ({ file: f.path })),
        ...plan.unscannable.map((u) => ({ result: unscannableResult(u.path, u.reason) })),
      ];
      const key = (j: (typeof jobs)[number]) => ('file' in j ? j.file : j.result.path);
      mine.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
      jobs.push(...mine);
      notAnalysed.push(...plan.notAnalysed);
      skipped += plan.dataFiles;
    } else jobs.push({ file: p });
  }
  const total = jobs.filter((j) => 'file' in j).length;
  let done = 0;
  for (const j of jobs) {
    sig?.throwIfAborted();
    if (!('file' in j)) {
      results.push(j.result);
      continue;
    }
    onProgress?.(done++, total, j.file);
    try {
      results.push(await scanFile(j.file, { ...options, signal: sig }));
    } catch (e) {
      if (sig?.aborted) throw e;
      errors.push({ path: j.file, message: (e as Error).message });
    }
  }
  onProgress?.(total, total, '');
  return { results, errors, skipped, notAnalysed };
}

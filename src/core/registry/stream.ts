/**
 * Streaming plumbing for blobs that are read once, from the network, in order: a pull reader over
 * chunks, gzip and zstd decompression with a bomb guard, a sequential tar reader, and
 * `ForwardAccess`, which lets the scanner's positional reads run over such a stream. Nothing here
 * holds a whole blob: memory is one read plus a small look-back and the first bytes of the content.
 */
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { Decompress as ZstdDecompress } from 'fzstd';
import type { RandomAccess } from '../scan/io/source.ts';

/** A sequential byte source: the next bytes (at most `max`), or null at the end. */
export interface SequentialSource {
  next(max: number): Promise<Buffer | null>;
}

/** Pull reader over async chunks: exact reads, peeks and skips across chunk boundaries. */
export class ChunkReader implements SequentialSource {
  private pending: Buffer | null = null;
  private ended = false;
  /** Bytes handed out (or skipped) so far. */
  position = 0;

  constructor(private readonly it: AsyncIterator<Buffer>) {}

  static of(iterable: AsyncIterable<Buffer>): ChunkReader {
    return new ChunkReader(iterable[Symbol.asyncIterator]());
  }

  private async fill(): Promise<boolean> {
    if (this.pending && this.pending.length) return true;
    if (this.ended) return false;
    for (;;) {
      const r = await this.it.next();
      if (r.done) {
        this.ended = true;
        return false;
      }
      const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as Uint8Array);
      if (b.length) {
        this.pending = b;
        return true;
      }
    }
  }

  async next(max: number): Promise<Buffer | null> {
    if (!(await this.fill())) return null;
    const p = this.pending!;
    const b = p.length > max ? p.subarray(0, max) : p;
    this.pending = b.length < p.length ? p.subarray(b.length) : null;
    this.position += b.length;
    return b;
  }

  /** Up to `n` bytes (fewer only at the end). */
  async read(n: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let have = 0;
    while (have < n) {
      const b = await this.next(n - have);
      if (!b) break;
      parts.push(b);
      have += b.length;
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts, have);
  }

  /** The next `n` bytes without consuming them. */
  async peek(n: number): Promise<Buffer> {
    const b = await this.read(n);
    if (b.length) {
      this.pending = this.pending ? Buffer.concat([b, this.pending]) : b;
      this.position -= b.length;
    }
    return b;
  }

  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0) {
      const b = await this.next(Math.min(left, 1 << 20));
      if (!b) break;
      left -= b.length;
    }
    return n - left;
  }

  /** Reads to the end, discarding (so an underlying hash sees every byte). */
  async drain(): Promise<number> {
    let n = 0;
    for (;;) {
      const b = await this.next(1 << 24);
      if (!b) return n;
      n += b.length;
    }
  }

  /** Stops reading: the underlying iterator is told to finish (a decompressor is torn down). */
  async close(): Promise<void> {
    this.ended = true;
    this.pending = null;
    try {
      await this.it.return?.(undefined);
    } catch {
      /* already failed */
    }
  }

  /** What is left, as chunks. */
  async *rest(): AsyncGenerator<Buffer> {
    for (;;) {
      const b = await this.next(1 << 24);
      if (!b) return;
      yield b;
    }
  }
}

/** The first `size` bytes of a source, as a source of its own (a tar member). */
export class BoundedSource implements SequentialSource {
  private left: number;
  constructor(
    private readonly inner: SequentialSource,
    readonly size: number,
  ) {
    this.left = size;
  }
  async next(max: number): Promise<Buffer | null> {
    if (this.left <= 0) return null;
    const b = await this.inner.next(Math.min(max, this.left));
    if (!b) {
      this.left = 0;
      return null;
    }
    this.left -= b.length;
    return b;
  }
  get remaining(): number {
    return this.left;
  }
}

export class DecompressionLimitError extends Error {
  override name = 'DecompressionLimitError';
}

export type Compression = 'gzip' | 'zstd';

/** The compression a blob starts with, by its magic bytes. */
export function sniffCompression(head: Buffer): Compression | undefined {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return undefined;
}

/** A ustar/GNU/pax tar header at the start of `head` (magic or a valid checksum). */
export function looksLikeTar(head: Buffer): boolean {
  if (head.length < 512) return false;
  const magic = head.toString('latin1', 257, 262);
  if (magic === 'ustar') return true;
  if (head.subarray(0, 512).every((b) => b === 0)) return false;
  return tarChecksumOk(head);
}

function tarChecksumOk(h: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
  const field = h.toString('latin1', 148, 156).replace(/\0.*$/s, '').trim();
  return field !== '' && /^[0-7]+$/.test(field) && parseInt(field, 8) === sum;
}

export interface InflateLimits {
  /** Decompressed bytes allowed before the ratio is looked at. */
  ratioFreeBytes: number;
  /** Largest decompressed/compressed ratio beyond that (a bomb otherwise). */
  maxRatio: number;
  /** Absolute cap on decompressed bytes. */
  maxBytes: number;
}

/**
 * Decompresses `src` (the rest of a ChunkReader), counting input and output; beyond the ratio or
 * the cap it throws DecompressionLimitError. Multi-member gzip is read to the end, as gzip does.
 */
export async function* inflate(kind: Compression, src: ChunkReader, limits: InflateLimits): AsyncGenerator<Buffer> {
  let inBytes = 0;
  let outBytes = 0;
  const counted = async function* (): AsyncGenerator<Buffer> {
    for await (const b of src.rest()) {
      inBytes += b.length;
      yield b;
    }
  };
  const check = (n: number) => {
    outBytes += n;
    if (outBytes > limits.maxBytes)
      throw new DecompressionLimitError(`decompressed content exceeds ${limits.maxBytes} bytes`);
    if (outBytes > limits.ratioFreeBytes && outBytes > limits.maxRatio * Math.max(1, inBytes)) {
      throw new DecompressionLimitError(
        `decompression ratio over ${limits.maxRatio}:1 after ${outBytes} bytes (a decompression bomb?)`,
      );
    }
  };
  if (kind === 'gzip') {
    const gunzip = zlib.createGunzip();
    const input = Readable.from(counted());
    input.on('error', (e) => gunzip.destroy(e));
    input.pipe(gunzip);
    try {
      for await (const chunk of gunzip as AsyncIterable<Buffer>) {
        check(chunk.length);
        yield chunk;
      }
    } finally {
      input.destroy();
      gunzip.destroy();
    }
    return;
  }
  const out: Buffer[] = [];
  const d = new ZstdDecompress((data) => {
    out.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  });
  for await (const b of counted()) {
    d.push(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
    while (out.length) {
      const c = out.shift()!;
      check(c.length);
      yield c;
    }
  }
  d.push(new Uint8Array(0), true);
  while (out.length) {
    const c = out.shift()!;
    check(c.length);
    yield c;
  }
}

// ------------------------------------------------------------------ tar

export interface TarMember {
  name: string;
  /** '0' regular, '5' directory, '1' hard link, '2' symlink, … */
  type: string;
  size: number;
  linkName: string;
  mode: number;
  /** Offset of its header in the (decompressed) stream. */
  offset: number;
  /** A GNU sparse file (type `S`, or pax `GNU.sparse.*`): its stored data is not its content as extracted. */
  sparse?: boolean;
}

export interface TarProblem {
  offset: number;
  message: string;
}

function field(h: Buffer, a: number, n: number): string {
  const s = h.toString('utf8', a, a + n);
  const z = s.indexOf('\0');
  return z >= 0 ? s.slice(0, z) : s;
}

function numeric(h: Buffer, a: number, n: number): number {
  if (h[a] & 0x80) {
    // GNU base-256 for sizes over 8 GiB.
    let v = 0n;
    for (let i = a + 1; i < a + n; i++) v = (v << 8n) | BigInt(h[i]);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? NaN : Number(v);
  }
  const t = field(h, a, n).trim();
  return t === '' ? 0 : /^[0-7]+$/.test(t) ? parseInt(t, 8) : NaN;
}

function paxRecords(body: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < body.length) {
    const sp = body.indexOf(' ', i);
    if (sp < 0) break;
    const len = Number(body.slice(i, sp));
    if (!Number.isSafeInteger(len) || len <= 0) break;
    const rec = body.slice(sp + 1, i + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}

/**
 * Reads a tar stream in order, calling `onMember` with each entry and a source bounded to its
 * content (the callback may read any part of it; the rest is skipped). Long names (GNU `L`, pax
 * `path`/`linkpath`/`size`) are applied. Stops at the end-of-archive blocks, a bad checksum (a
 * problem), or `maxMembers` (truncated).
 */
export async function readTar(
  reader: ChunkReader,
  onMember: (m: TarMember, content: BoundedSource) => Promise<void>,
  maxMembers: number,
): Promise<{ members: number; problems: TarProblem[]; truncated: boolean }> {
  const problems: TarProblem[] = [];
  let members = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax: Record<string, string> = {};
  for (;;) {
    const offset = reader.position;
    const h = await reader.read(512);
    if (h.length === 0) break;
    if (h.length < 512) {
      problems.push({ offset, message: 'the archive ends inside a tar header' });
      break;
    }
    if (h.every((b) => b === 0)) break;
    if (!tarChecksumOk(h)) {
      problems.push({ offset, message: 'tar header checksum mismatch; the rest of the archive was not read' });
      break;
    }
    let size = numeric(h, 124, 12);
    if (!Number.isSafeInteger(size) || size < 0) {
      problems.push({ offset, message: 'invalid tar member size; the rest of the archive was not read' });
      break;
    }
    const type = String.fromCharCode(h[156] || 0x30);
    if (type === 'L' || type === 'K' || type === 'x' || type === 'g') {
      if (size > 1 << 20) {
        problems.push({
          offset,
          message: `tar ${type} extension header of ${size} bytes is too large; the rest of the archive was not read`,
        });
        break;
      }
      const body = await reader.read(size);
      await reader.skip((512 - (size % 512)) % 512);
      const text = body.toString('utf8').replace(/\0+$/, '');
      if (type === 'L') longName = text;
      else if (type === 'K') longLink = text;
      else if (type === 'x') pax = { ...pax, ...paxRecords(text) };
      continue;
    }
    const prefix = field(h, 345, 155);
    let name = (prefix && h.toString('latin1', 257, 262) === 'ustar' ? `${prefix}/` : '') + field(h, 0, 100);
    if (pax.path !== undefined) name = pax.path;
    else if (longName !== undefined) name = longName;
    const sparse = type === 'S' || Object.keys(pax).some((k) => k.startsWith('GNU.sparse.'));
    if (pax['GNU.sparse.name'] !== undefined) name = pax['GNU.sparse.name'];
    const linkName = pax.linkpath ?? longLink ?? field(h, 157, 100);
    if (pax.size !== undefined && /^\d+$/.test(pax.size)) size = Number(pax.size);
    pax = {};
    longName = longLink = undefined;
    if (++members > maxMembers) return { members: members - 1, problems, truncated: true };
    const carriesData = type === '0' || type === '\0' || type === '7';
    const dataSize =
      carriesData || type === 'S'
        ? size
        : type === '1' || type === '2' || type === '5' || type === '3' || type === '4' || type === '6'
          ? 0
          : size;
    const content = new BoundedSource(reader, dataSize);
    await onMember(
      { name, type, size: dataSize, linkName, mode: numeric(h, 100, 8) || 0, offset, ...(sparse ? { sparse } : {}) },
      content,
    );
    const left = content.remaining;
    const skipped = await reader.skip(left + ((512 - (dataSize % 512)) % 512));
    if (skipped < left) {
      problems.push({ offset, message: `tar member ${name} is cut short: the archive ends inside it` });
      break;
    }
  }
  return { members, problems, truncated: false };
}

// ------------------------------------------------------------------ ForwardAccess

/** A read the stream cannot serve: the bytes have gone by (not in the kept head or look-back). */
export class BackwardReadError extends Error {
  override name = 'BackwardReadError';
}

/**
 * Positional reads over a sequential source, for the scanner: reads at or after the furthest
 * position so far are served by pulling forward (skipped bytes are dropped, not kept); the first
 * `keepHead` bytes and the last `lookBack` bytes before the furthest read stay available. A read
 * further back throws BackwardReadError, which the scanner turns into "incomplete".
 */
export class ForwardAccess implements RandomAccess {
  private readonly head: Buffer;
  private headLen = 0;
  private chunks: Buffer[] = [];
  private winStart = 0;
  private winEnd = 0;
  private ended = false;
  /** Bytes pulled from the source. */
  pulled = 0;

  constructor(
    private readonly src: SequentialSource,
    readonly size: number,
    keepHead = 16 << 20,
    private readonly lookBack = 1 << 20,
  ) {
    this.head = Buffer.allocUnsafe(Math.min(keepHead, size));
  }

  private async pullOne(dropBefore: number): Promise<boolean> {
    if (this.ended) return false;
    const b = await this.src.next(1 << 20);
    if (!b) {
      this.ended = true;
      return false;
    }
    const at = this.winEnd;
    if (at < this.head.length) {
      const n = Math.min(b.length, this.head.length - at);
      b.copy(this.head, at, 0, n);
      this.headLen = at + n;
    }
    this.winEnd += b.length;
    this.pulled += b.length;
    if (this.winEnd <= dropBefore && this.chunks.length === 0) {
      this.winStart = this.winEnd; // passed over without keeping it
    } else {
      this.chunks.push(b);
      while (this.chunks.length && this.winStart + this.chunks[0].length <= dropBefore) {
        this.winStart += this.chunks[0].length;
        this.chunks.shift();
      }
    }
    return true;
  }

  async read(position: number, length: number): Promise<Buffer> {
    if (!(position >= 0) || !Number.isSafeInteger(position) || position >= this.size || !(length > 0))
      return Buffer.alloc(0);
    const end = Math.min(this.size, position + length);
    const dropBefore = Math.max(0, position - this.lookBack);
    while (this.winEnd < end && (await this.pullOne(dropBefore)));
    if (end <= this.headLen) return Buffer.from(this.head.subarray(position, end));
    if (position < this.winStart) {
      if (position < this.headLen) {
        // Spans the kept head and bytes that went by: only the head part can be served.
        throw new BackwardReadError(
          `the scanner read ${end - position} bytes at offset ${position} of a streamed blob; bytes past the first ${this.headLen} were already passed`,
        );
      }
      throw new BackwardReadError(
        `the scanner read back to offset ${position} of a streamed blob (kept: the first ${this.headLen} bytes and ${this.lookBack} bytes behind the furthest read); this content needs random access`,
      );
    }
    const out = Buffer.allocUnsafe(Math.max(0, Math.min(end, this.winEnd) - position));
    let at = this.winStart;
    let w = 0;
    for (const c of this.chunks) {
      const cEnd = at + c.length;
      if (cEnd > position && at < end) {
        const from = Math.max(position, at) - at;
        const to = Math.min(end, cEnd) - at;
        c.copy(out, w, from, to);
        w += to - from;
      }
      at = cEnd;
      if (at >= end) break;
    }
    return out.subarray(0, w);
  }
}

/**
 * LZMA decoding for the scanner, in TypeScript: lzma-alone (`.lzma`, Python's FORMAT_ALONE,
 * joblib `compress='lzma'`) and xz (LZMA2 filter; several streams back to back, as Python's
 * LZMAFile reads them). Streaming over a ByteStream with bounded memory: the dictionary window is
 * capped (a larger one the data really uses ends in an error the caller reports), output is produced
 * in chunks and capped by the caller. Follows the LZMA specification (LzmaSpec.cpp, public domain)
 * and the .xz file format 1.1.0.
 */
import type { ByteStream } from './source.ts';

export class LzmaError extends Error {}

const MAX_WINDOW = 64 << 20;
const PROB_INIT = 1024;
const OUT_CHUNK = 64 << 10;

/** Input with a read position, refilled from a ByteStream between decoding steps. */
class Input {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  /** Absolute offset of buf[0]. */
  base = 0;
  eof = false;
  constructor(private readonly src: ByteStream) {}
  get offset(): number {
    return this.base + this.pos;
  }
  get available(): number {
    return this.buf.length - this.pos;
  }
  /** Ensures at least n bytes are buffered (fewer only at the end of the input). */
  async ensure(n: number): Promise<boolean> {
    while (this.available < n && !this.eof) {
      const chunk = await this.src.next();
      if (!chunk) {
        this.eof = true;
        break;
      }
      const rest = this.buf.subarray(this.pos);
      this.base += this.pos;
      this.pos = 0;
      this.buf = rest.length ? Buffer.concat([rest, chunk]) : chunk;
    }
    return this.available >= n;
  }
  byte(): number {
    if (this.pos >= this.buf.length) throw new LzmaError('compressed data is truncated');
    return this.buf[this.pos++];
  }
  async bytes(n: number): Promise<Buffer> {
    if (!(await this.ensure(n))) throw new LzmaError('compressed data is truncated');
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
}

/** The LZMA decoder proper: range decoder, probability models, window. */
class LzmaDecoder {
  private range = 0;
  private code = 0;
  private lc = 3;
  private lp = 0;
  private pb = 2;
  private literal = new Uint16Array(0x300 << 3);
  private readonly isMatch = new Uint16Array(192);
  private readonly isRep = new Uint16Array(12);
  private readonly isRepG0 = new Uint16Array(12);
  private readonly isRepG1 = new Uint16Array(12);
  private readonly isRepG2 = new Uint16Array(12);
  private readonly isRep0Long = new Uint16Array(192);
  private readonly posSlot = new Uint16Array(4 << 6);
  private readonly posDecoders = new Uint16Array(115);
  private readonly align = new Uint16Array(16);
  private readonly lenDec = new Uint16Array(2 + 16 * 8 + 16 * 8 + 256);
  private readonly repLenDec = new Uint16Array(2 + 16 * 8 + 16 * 8 + 256);
  private state = 0;
  private rep0 = 0;
  private rep1 = 0;
  private rep2 = 0;
  private rep3 = 0;
  readonly window: Uint8Array;
  /** Bytes ever written to the window (the position modulo the window size is where the next goes). */
  total = 0;
  /** Window position of the first byte not handed out yet. */
  emitted = 0;
  in!: Input;

  constructor(dictSize: number) {
    this.window = new Uint8Array(Math.max(1 << 20, Math.min(dictSize, MAX_WINDOW)));
  }

  setProps(props: number): void {
    if (props >= 225) throw new LzmaError(`invalid LZMA properties byte ${props}`);
    this.lc = props % 9;
    const rest = Math.floor(props / 9);
    this.lp = rest % 5;
    this.pb = Math.floor(rest / 5);
    const n = 0x300 << (this.lc + this.lp);
    if (this.literal.length !== n) this.literal = new Uint16Array(n);
  }

  resetState(): void {
    for (const a of [
      this.literal,
      this.isMatch,
      this.isRep,
      this.isRepG0,
      this.isRepG1,
      this.isRepG2,
      this.isRep0Long,
      this.posSlot,
      this.posDecoders,
      this.align,
      this.lenDec,
      this.repLenDec,
    ])
      a.fill(PROB_INIT);
    this.state = 0;
    this.rep0 = this.rep1 = this.rep2 = this.rep3 = 0;
  }

  resetDict(): void {
    this.total = 0;
    this.emitted = 0;
  }

  initRange(): void {
    if (this.in.byte() !== 0) throw new LzmaError('corrupt range coder header');
    this.range = 0xffffffff;
    this.code = 0;
    for (let i = 0; i < 4; i++) this.code = ((this.code << 8) | this.in.byte()) >>> 0;
    if (this.code === this.range) throw new LzmaError('corrupt range coder header');
  }

  private bit(p: Uint16Array, i: number): number {
    const prob = p[i];
    const bound = (this.range >>> 11) * prob;
    let b: number;
    if (this.code < bound) {
      this.range = bound;
      p[i] = prob + ((2048 - prob) >>> 5);
      b = 0;
    } else {
      this.range -= bound;
      this.code -= bound;
      p[i] = prob - (prob >>> 5);
      b = 1;
    }
    if (this.range < 0x1000000) {
      this.range = (this.range * 256) >>> 0;
      this.code = (this.code * 256 + this.in.byte()) >>> 0;
    }
    return b;
  }

  private direct(n: number): number {
    let res = 0;
    for (; n > 0; n--) {
      this.range >>>= 1;
      let b = 0;
      if (this.code >= this.range) {
        this.code -= this.range;
        b = 1;
      }
      if (this.range < 0x1000000) {
        this.range = (this.range * 256) >>> 0;
        this.code = (this.code * 256 + this.in.byte()) >>> 0;
      }
      res = res * 2 + b;
    }
    return res;
  }

  private tree(p: Uint16Array, base: number, bits: number): number {
    let m = 1;
    for (let i = 0; i < bits; i++) m = (m << 1) + this.bit(p, base + m);
    return m - (1 << bits);
  }

  private reverse(p: Uint16Array, base: number, bits: number): number {
    let m = 1;
    let sym = 0;
    for (let i = 0; i < bits; i++) {
      const b = this.bit(p, base + m);
      m = (m << 1) + b;
      sym |= b << i;
    }
    return sym;
  }

  private len(p: Uint16Array, posState: number): number {
    if (this.bit(p, 0) === 0) return this.tree(p, 2 + posState * 8, 3);
    if (this.bit(p, 1) === 0) return 8 + this.tree(p, 2 + 128 + posState * 8, 3);
    return 16 + this.tree(p, 2 + 256, 8);
  }

  private put(b: number): void {
    this.window[this.total % this.window.length] = b;
    this.total++;
  }

  private back(dist: number): number {
    return this.window[(this.total - dist) % this.window.length];
  }

  /** Bytes decoded but not handed out yet. */
  get pending(): number {
    return this.total - this.emitted;
  }

  /** Hands out up to `max` decoded bytes. */
  take(max = Infinity): Buffer {
    const n = Math.min(this.pending, max);
    const out = Buffer.allocUnsafe(n);
    const size = this.window.length;
    for (let done = 0; done < n;) {
      const at = (this.emitted + done) % size;
      const k = Math.min(n - done, size - at);
      out.set(this.window.subarray(at, at + k), done);
      done += k;
    }
    this.emitted += n;
    return out;
  }

  /** Appends stored (uncompressed) bytes, as LZMA2's uncompressed chunks do. */
  stored(b: Buffer): void {
    for (const x of b) this.put(x);
  }

  /**
   * Decodes symbols until `limit` bytes were produced in this call, the end marker, or `stopWhen`
   * says the input margin is too small. Returns 'marker' at an end marker.
   */
  decode(limit: number, stopWhen: () => boolean): 'marker' | 'limit' | 'input' {
    const end = this.total + limit;
    const size = this.window.length;
    while (this.total < end) {
      if (this.pending > size - 512) return 'limit';
      if (stopWhen()) return 'input';
      const posState = this.total & ((1 << this.pb) - 1);
      const s = this.state;
      if (this.bit(this.isMatch, (s << 4) + posState) === 0) {
        const prev = this.total > 0 ? this.back(1) : 0;
        const litState = ((this.total & ((1 << this.lp) - 1)) << this.lc) + (prev >>> (8 - this.lc));
        const base = 0x300 * litState;
        let sym = 1;
        if (s >= 7) {
          let match = this.total > this.rep0 ? this.back(this.rep0 + 1) : 0;
          do {
            const mb = (match >>> 7) & 1;
            match <<= 1;
            const b = this.bit(this.literal, base + ((1 + mb) << 8) + sym);
            sym = (sym << 1) | b;
            if (mb !== b) break;
          } while (sym < 0x100);
        }
        while (sym < 0x100) sym = (sym << 1) | this.bit(this.literal, base + sym);
        this.put(sym - 0x100);
        this.state = s < 4 ? 0 : s < 10 ? s - 3 : s - 6;
        continue;
      }
      let len: number;
      if (this.bit(this.isRep, s) !== 0) {
        if (this.total === 0) throw new LzmaError('corrupt data: a repeated match before any output');
        if (this.bit(this.isRepG0, s) === 0) {
          if (this.bit(this.isRep0Long, (s << 4) + posState) === 0) {
            this.state = s < 7 ? 9 : 11;
            this.put(this.back(this.rep0 + 1));
            continue;
          }
        } else {
          let dist: number;
          if (this.bit(this.isRepG1, s) === 0) dist = this.rep1;
          else {
            if (this.bit(this.isRepG2, s) === 0) dist = this.rep2;
            else {
              dist = this.rep3;
              this.rep3 = this.rep2;
            }
            this.rep2 = this.rep1;
          }
          this.rep1 = this.rep0;
          this.rep0 = dist;
        }
        len = this.len(this.repLenDec, posState);
        this.state = s < 7 ? 8 : 11;
      } else {
        this.rep3 = this.rep2;
        this.rep2 = this.rep1;
        this.rep1 = this.rep0;
        len = this.len(this.lenDec, posState);
        this.state = s < 7 ? 7 : 10;
        const lenState = Math.min(len, 3);
        const slot = this.tree(this.posSlot, lenState << 6, 6);
        let dist: number;
        if (slot < 4) dist = slot;
        else {
          const nd = (slot >>> 1) - 1;
          dist = (2 | (slot & 1)) * 2 ** nd;
          if (slot < 14) dist += this.reverse(this.posDecoders, dist - slot, nd);
          else dist += this.direct(nd - 4) * 16 + this.reverse(this.align, 0, 4);
        }
        if (dist === 0xffffffff) return 'marker';
        this.rep0 = dist;
      }
      len += 2;
      const dist = this.rep0 + 1;
      if (dist > this.total || dist > size)
        throw new LzmaError(
          dist > size
            ? `a match reaches ${dist} bytes back, beyond the ${size}-byte window this scanner allows`
            : 'corrupt data: a match before the start of the output',
        );
      for (let i = 0; i < len; i++) this.put(this.back(dist));
    }
    return 'limit';
  }
}

/** Decompressed output of lzma-alone data: one stream after another while the data continues (Python's LZMAFile). */
export async function* lzmaAloneChunks(src: ByteStream): AsyncGenerator<Buffer> {
  const input = new Input(src);
  for (let stream = 0; ; stream++) {
    if (!(await input.ensure(13))) {
      if (stream > 0 && input.available === 0) return;
      if (stream > 0) return; // trailing bytes too short for a header: Python ignores them
      throw new LzmaError('lzma header is truncated');
    }
    const h = input.buf.subarray(input.pos, input.pos + 13);
    if (stream > 0 && (h[0] >= 225 || h.readUInt32LE(1) === 0)) return; // not another stream
    input.pos += 13;
    const dec = new LzmaDecoder(h.readUInt32LE(1));
    dec.in = input;
    dec.setProps(h[0]);
    dec.resetState();
    const size = h.readBigUInt64LE(5);
    const known = size !== 0xffffffffffffffffn;
    let left = known ? Number(size) : Infinity;
    await input.ensure(5);
    dec.initRange();
    for (;;) {
      await input.ensure(1 << 16);
      const r = dec.decode(Math.min(left, OUT_CHUNK), () => !input.eof && input.available < 64);
      if (dec.pending >= OUT_CHUNK || r !== 'input') {
        const out = dec.take();
        if (known) left -= out.length;
        if (out.length) yield out;
      }
      if (r === 'marker') break;
      if (known && left <= 0) break;
      if (r === 'input' && input.eof && input.available === 0) throw new LzmaError('lzma data is truncated');
    }
    const rest = dec.take();
    if (rest.length) yield rest;
  }
}

const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
const CHECK_SIZES = [0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64];

async function varint(input: Input): Promise<number> {
  let v = 0;
  for (let i = 0; i < 9; i++) {
    const b = (await input.bytes(1))[0];
    v += (b & 0x7f) * 2 ** (7 * i);
    if (!(b & 0x80)) return v;
  }
  throw new LzmaError('xz: bad variable-length integer');
}

/**
 * Decompressed output of xz data: every stream that follows the previous one directly (stream
 * padding ends the data, as it does for Python's LZMAFile). Only the LZMA2 filter is decoded; a
 * BCJ or delta filter is reported as unsupported. Integrity checks are not verified (the content is
 * scanned, not trusted).
 */
export async function* xzChunks(src: ByteStream): AsyncGenerator<Buffer> {
  const input = new Input(src);
  for (let stream = 0; ; stream++) {
    if (!(await input.ensure(12))) {
      if (stream > 0) return;
      throw new LzmaError('xz header is truncated');
    }
    if (!input.buf.subarray(input.pos, input.pos + 6).equals(XZ_MAGIC)) {
      if (stream > 0) return;
      throw new LzmaError('not xz data');
    }
    const header = await input.bytes(12);
    const checkType = header[7] & 0x0f;
    const checkSize = CHECK_SIZES[checkType];
    for (;;) {
      const blockStart = input.offset;
      const sizeByte = (await input.bytes(1))[0];
      if (sizeByte === 0) break; // the index follows
      const headerSize = (sizeByte + 1) * 4;
      const bh = await input.bytes(headerSize - 1);
      const flags = bh[0];
      let p = 1;
      const v = (): number => {
        let r = 0;
        for (let i = 0; i < 9; i++) {
          const b = bh[p++];
          r += (b & 0x7f) * 2 ** (7 * i);
          if (!(b & 0x80)) return r;
        }
        throw new LzmaError('xz: bad block header');
      };
      if (flags & 0x40) v();
      if (flags & 0x80) v();
      const filters = (flags & 3) + 1;
      let dict = 1 << 23;
      for (let f = 0; f < filters; f++) {
        const id = v();
        const propSize = v();
        if (id !== 0x21 || f !== filters - 1)
          throw new LzmaError(`xz filter 0x${id.toString(16)} is not supported by this scanner (only LZMA2)`);
        const d = bh[p];
        if (propSize !== 1 || d > 40) throw new LzmaError('xz: bad LZMA2 properties');
        dict = d === 40 ? 0xffffffff : (2 | (d & 1)) * 2 ** (Math.floor(d / 2) + 11);
        p += propSize;
      }
      const dec = new LzmaDecoder(dict);
      dec.in = input;
      // LZMA2 chunks until the end byte.
      for (;;) {
        const control = (await input.bytes(1))[0];
        if (control === 0) break;
        if (control === 1 || control === 2) {
          if (control === 1) dec.resetDict();
          const n = (await input.bytes(2)).readUInt16BE(0) + 1;
          if (dec.pending) yield dec.take();
          dec.stored(Buffer.from(await input.bytes(n)));
        } else if (control >= 0x80) {
          const hdr = await input.bytes(4);
          const unpacked = (control & 0x1f) * 65536 + hdr.readUInt16BE(0) + 1;
          const packed = hdr.readUInt16BE(2) + 1;
          const mode = (control >>> 5) & 3;
          if (mode === 3) dec.resetDict();
          if (mode >= 2) dec.setProps((await input.bytes(1))[0]);
          if (mode >= 1) dec.resetState();
          // A packed chunk is at most 64 KiB: buffer it whole, so decoding never waits for input.
          if (!(await input.ensure(packed))) throw new LzmaError('xz data is truncated');
          const end = input.offset + packed;
          dec.initRange();
          let left = unpacked;
          while (left > 0) {
            const before = dec.total;
            const r = dec.decode(Math.min(left, OUT_CHUNK), () => false);
            left -= dec.total - before;
            if (r === 'marker') throw new LzmaError('xz: end marker inside an LZMA2 chunk');
            if (dec.pending >= OUT_CHUNK) yield dec.take();
          }
          input.pos += end - input.offset; // the range coder may stop short of the chunk's last bytes
        } else throw new LzmaError(`xz: invalid LZMA2 control byte 0x${control.toString(16)}`);
        if (dec.pending >= OUT_CHUNK) yield dec.take();
      }
      const rest = dec.take();
      if (rest.length) yield rest;
      const pad = (4 - ((input.offset - blockStart) % 4)) % 4;
      await input.bytes(pad + checkSize);
    }
    // Index: records, padding, CRC32; then the stream footer.
    const indexStart = input.offset - 1;
    const records = await varint(input);
    for (let i = 0; i < records; i++) {
      await varint(input);
      await varint(input);
    }
    const pad = (4 - ((input.offset - indexStart) % 4)) % 4;
    await input.bytes(pad + 4);
    const footer = await input.bytes(12);
    if (footer[10] !== 0x59 || footer[11] !== 0x5a) throw new LzmaError('xz: bad stream footer');
  }
}

import type { RandomAccess } from '../io/source.ts';
import type { FormatProblem } from './safetensors.ts';

/** ggml type id → [block size, bytes per block]; removed ids are absent (ggml `type_traits`). */
const GGML_TYPES: Record<number, [number, number]> = {
  0: [1, 4],
  1: [1, 2],
  2: [32, 18],
  3: [32, 20],
  6: [32, 22],
  7: [32, 24],
  8: [32, 34],
  9: [32, 36],
  10: [256, 84],
  11: [256, 110],
  12: [256, 144],
  13: [256, 176],
  14: [256, 210],
  15: [256, 292],
  16: [256, 66],
  17: [256, 74],
  18: [256, 98],
  19: [256, 50],
  20: [32, 18],
  21: [256, 110],
  22: [256, 82],
  23: [256, 136],
  24: [1, 1],
  25: [1, 2],
  26: [1, 4],
  27: [1, 8],
  28: [1, 8],
  29: [256, 56],
  30: [1, 2],
  34: [256, 54],
  35: [256, 66],
  39: [32, 17],
};
const TYPE_COUNT = 40;
const MAX_STRING = 1 << 30;
const MAX_ARRAY = 1 << 30;

export interface GgufInfo {
  version: number;
  tensorCount: number;
  kvCount: number;
  metadata: Map<string, unknown>;
  problems: FormatProblem[];
}

class Reader {
  pos = 0;
  private buf: Buffer<ArrayBufferLike> = Buffer.alloc(0);
  private bufStart = 0;
  constructor(private readonly src: RandomAccess) {}
  private async need(n: number): Promise<void> {
    if (this.pos + n > this.src.size) throw new RangeError(`needs ${n} bytes at ${this.pos}, past the end of the file`);
    if (this.pos >= this.bufStart && this.pos + n <= this.bufStart + this.buf.length) return;
    this.bufStart = this.pos;
    this.buf = await this.src.read(this.pos, Math.max(n, 1 << 20));
  }
  async bytes(n: number): Promise<Buffer> {
    await this.need(n);
    const b = this.buf.subarray(this.pos - this.bufStart, this.pos - this.bufStart + n);
    this.pos += n;
    return b;
  }
  async u8(): Promise<number> {
    return (await this.bytes(1))[0];
  }
  async u32(): Promise<number> {
    return (await this.bytes(4)).readUInt32LE(0);
  }
  async u64(): Promise<bigint> {
    return (await this.bytes(8)).readBigUInt64LE(0);
  }
  async skip(n: number): Promise<void> {
    await this.need(0);
    if (this.pos + n > this.src.size) throw new RangeError('past the end of the file');
    this.pos += n;
  }
}

/** Validate a GGUF header, metadata and tensor infos (ggml `gguf.cpp` rules) with byte offsets. */
export async function validateGguf(src: RandomAccess, maxHeaderBytes = 256 << 20): Promise<GgufInfo> {
  const info: GgufInfo = { version: 0, tensorCount: 0, kvCount: 0, metadata: new Map(), problems: [] };
  const r = new Reader(src);
  const bad = (offset: number, message: string, rule?: string, severity?: 'error' | 'warning'): void => {
    info.problems.push({ offset, message, ...(rule ? { rule } : {}), ...(severity ? { severity } : {}) });
  };
  try {
    await r.bytes(4);
    info.version = await r.u32();
    if (info.version === 0 || (info.version & 0xffff) === 0) {
      bad(4, `version ${info.version} is invalid (0, or byte-swapped: wrong endianness)`);
      return info;
    }
    if (info.version === 1) {
      bad(4, 'GGUF version 1 (32-bit counts) is no longer supported by llama.cpp');
      return info;
    }
    if (info.version > 3) {
      bad(4, `unknown GGUF version ${info.version}`);
      return info;
    }
    const tc = await r.u64();
    const kc = await r.u64();
    if (tc > BigInt(src.size) || kc > BigInt(src.size)) {
      bad(8, `tensor count ${tc} / metadata count ${kc} cannot fit in a ${src.size}-byte file`);
      return info;
    }
    info.tensorCount = Number(tc);
    info.kvCount = Number(kc);
    const str = async (what: string): Promise<string> => {
      const at = r.pos;
      const n = await r.u64();
      if (n > BigInt(MAX_STRING)) throw new RangeError(`${what} at byte ${at}: string length ${n} exceeds 2^30`);
      const b = await r.bytes(Number(n));
      return b.toString('utf8');
    };
    const value = async (type: number, key: string, depth: number): Promise<unknown> => {
      switch (type) {
        case 0:
          return r.u8();
        case 1:
          return (await r.bytes(1)).readInt8(0);
        case 2:
          return (await r.bytes(2)).readUInt16LE(0);
        case 3:
          return (await r.bytes(2)).readInt16LE(0);
        case 4:
          return r.u32();
        case 5:
          return (await r.bytes(4)).readInt32LE(0);
        case 6:
          return (await r.bytes(4)).readFloatLE(0);
        case 7: {
          const at = r.pos;
          const b = await r.u8();
          if (b > 1) bad(at, `${key}: BOOL value ${b} is not 0 or 1`);
          return b === 1;
        }
        case 8:
          return str(key);
        case 9: {
          if (depth > 4) throw new RangeError(`${key}: arrays nested deeper than 4`);
          const at = r.pos;
          const t = await r.u32();
          const n = await r.u64();
          if (n > BigInt(MAX_ARRAY)) throw new RangeError(`${key} at byte ${at}: array of ${n} elements exceeds 2^30`);
          if (t > 12) throw new RangeError(`${key} at byte ${at}: unknown array element type ${t}`);
          const fixed = [1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8][t];
          if (fixed && t !== 7) {
            await r.skip(Number(n) * fixed);
            return `[${n} × type ${t}]`;
          }
          const out: unknown[] = [];
          for (let i = 0n; i < n; i++) {
            const v = await value(t, key, depth + 1);
            if (out.length < 16) out.push(v);
          }
          return out;
        }
        case 10:
          return r.u64();
        case 11:
          return (await r.bytes(8)).readBigInt64LE(0);
        case 12:
          return (await r.bytes(8)).readDoubleLE(0);
        default:
          throw new RangeError(`${key}: unknown value type ${type}`);
      }
    };
    for (let i = 0; i < info.kvCount; i++) {
      if (r.pos > maxHeaderBytes) {
        bad(r.pos, `metadata exceeds ${maxHeaderBytes} bytes; the rest was not validated`, 'scan/incomplete');
        return info;
      }
      const at = r.pos;
      const key = await str('metadata key');
      if (info.metadata.has(key)) bad(at, `duplicate metadata key ${JSON.stringify(key)}`);
      if (!/^[\x20-\x7e]+$/.test(key))
        bad(at, `metadata key ${JSON.stringify(key.slice(0, 60))} is not printable ASCII`);
      const type = await r.u32();
      const v = await value(type, key, 0);
      info.metadata.set(key, v);
      if (key === 'general.alignment' && (type !== 4 || typeof v !== 'number' || v === 0 || (v & (v - 1)) !== 0))
        bad(at, `general.alignment must be a UINT32 power of two (got type ${type}, value ${String(v)})`);
      const why =
        /chat_template/.test(key) && typeof v === 'string'
          ? (await import('./headers.ts')).chatTemplateEscape(v)
          : undefined;
      if (why)
        bad(
          at,
          `${key} ${why}: a Jinja template that reaches for Python internals or the OS runs code when rendered without a sandbox (CVE-2024-34359)`,
          'scan/gguf-chat-template',
          'error',
        );
    }
    if (!info.metadata.has('general.architecture')) bad(8, 'required key general.architecture is missing');
    const alignment =
      typeof info.metadata.get('general.alignment') === 'number'
        ? (info.metadata.get('general.alignment') as number)
        : 32;
    const names = new Set<string>();
    const infos: { name: string; offset: bigint; bytes: bigint; at: number }[] = [];
    for (let i = 0; i < info.tensorCount; i++) {
      const at = r.pos;
      const name = await str('tensor name');
      if (Buffer.byteLength(name) >= 64)
        bad(
          at,
          `tensor name ${JSON.stringify(name.slice(0, 40))}… is ${Buffer.byteLength(name)} bytes (ggml limit 63)`,
        );
      if (names.has(name)) bad(at, `duplicate tensor name ${JSON.stringify(name)}`);
      names.add(name);
      const nd = await r.u32();
      if (nd > 4) {
        bad(at, `tensor ${JSON.stringify(name)}: ${nd} dimensions (max 4)`);
        return info;
      }
      const dims: bigint[] = [];
      for (let d = 0; d < nd; d++) dims.push(await r.u64());
      const type = await r.u32();
      const offset = await r.u64();
      let elements = 1n;
      for (const d of dims) elements *= d;
      if (elements > 1n << 62n) bad(at, `tensor ${JSON.stringify(name)}: element count overflows`);
      const traits = GGML_TYPES[type];
      if (type >= TYPE_COUNT || !traits) {
        bad(at, `tensor ${JSON.stringify(name)}: invalid ggml type ${type}`);
        continue;
      }
      if (dims.length && dims[0] % BigInt(traits[0]) !== 0n)
        bad(
          at,
          `tensor ${JSON.stringify(name)}: first dimension ${dims[0]} is not a multiple of the type's block size ${traits[0]}`,
        );
      if (offset % BigInt(alignment) !== 0n)
        bad(at, `tensor ${JSON.stringify(name)}: offset ${offset} is not a multiple of the alignment ${alignment}`);
      infos.push({ name, offset, bytes: (elements / BigInt(traits[0])) * BigInt(traits[1]), at });
    }
    const dataStart = BigInt(Math.ceil(r.pos / alignment) * alignment);
    let expected = 0n;
    for (const t of infos) {
      if (t.offset !== expected)
        bad(
          t.at,
          `tensor ${JSON.stringify(t.name)}: offset ${t.offset}, expected ${expected} (tensors must be packed in order)`,
        );
      expected = t.offset + ((t.bytes + BigInt(alignment) - 1n) / BigInt(alignment)) * BigInt(alignment);
      if (dataStart + t.offset + t.bytes > BigInt(src.size))
        bad(t.at, `tensor ${JSON.stringify(t.name)}: data runs past the end of the file`);
    }
  } catch (e) {
    bad(r.pos, `${(e as Error).message}; the rest of the header was not validated`);
  }
  return info;
}

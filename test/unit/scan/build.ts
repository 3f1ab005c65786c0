import zlib from 'node:zlib';

/** Hand-assembles pickles opcode by opcode (for hostile cases no Pickler would write). */
export class P {
  private parts: Buffer[] = [];
  raw(b: Buffer | string | number[]): this {
    this.parts.push(typeof b === 'string' ? Buffer.from(b, 'latin1') : Buffer.from(b));
    return this;
  }
  op(c: string): this {
    return this.raw(c);
  }
  proto(n: number): this {
    return this.raw([0x80, n]);
  }
  global(m: string, n: string): this {
    return this.raw(`c${m}\n${n}\n`);
  }
  inst(m: string, n: string): this {
    return this.raw(`i${m}\n${n}\n`);
  }
  mark(): this {
    return this.op('(');
  }
  stop(): this {
    return this.op('.');
  }
  reduce(): this {
    return this.op('R');
  }
  tuple(): this {
    return this.op('t');
  }
  tuple1(): this {
    return this.raw([0x85]);
  }
  emptyTuple(): this {
    return this.op(')');
  }
  stackGlobal(): this {
    return this.raw([0x93]);
  }
  memoize(): this {
    return this.raw([0x94]);
  }
  put(n: number): this {
    return this.raw(`p${n}\n`);
  }
  binput(n: number): this {
    return this.raw([0x71, n]);
  }
  get(n: number): this {
    return this.raw(`g${n}\n`);
  }
  binget(n: number): this {
    return this.raw([0x68, n]);
  }
  pop(): this {
    return this.op('0');
  }
  build(): this {
    return this.op('b');
  }
  none(): this {
    return this.op('N');
  }
  int(n: number): this {
    return this.raw([0x4b, n]);
  }
  unicode(s: string): this {
    return this.raw(`V${s}\n`);
  }
  string(s: string): this {
    return this.raw(`S'${s}'\n`);
  }
  shortBinString(s: string): this {
    const b = Buffer.from(s, 'latin1');
    return this.raw([0x55, b.length]).raw(b);
  }
  binString(s: string): this {
    const b = Buffer.from(s, 'latin1');
    const h = Buffer.alloc(5);
    h[0] = 0x54;
    h.writeInt32LE(b.length, 1);
    return this.raw(h).raw(b);
  }
  sbu(s: string): this {
    const b = Buffer.from(s, 'utf8');
    return this.raw([0x8c, b.length]).raw(b);
  }
  binunicode(s: string): this {
    const b = Buffer.from(s, 'utf8');
    const h = Buffer.alloc(5);
    h[0] = 0x58;
    h.writeUInt32LE(b.length, 1);
    return this.raw(h).raw(b);
  }
  binunicode8(s: string): this {
    const b = Buffer.from(s, 'utf8');
    const h = Buffer.alloc(9);
    h[0] = 0x8d;
    h.writeBigUInt64LE(BigInt(b.length), 1);
    return this.raw(h).raw(b);
  }
  binbytes(b: Buffer): this {
    const h = Buffer.alloc(5);
    h[0] = 0x42;
    h.writeUInt32LE(b.length, 1);
    return this.raw(h).raw(b);
  }
  shortBinBytes(b: Buffer): this {
    return this.raw([0x43, b.length]).raw(b);
  }
  frame(n: number): this {
    const h = Buffer.alloc(9);
    h[0] = 0x95;
    h.writeBigUInt64LE(BigInt(n), 1);
    return this.raw(h);
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** `module.name(arg)` the protocol-0 way. */
export function p0Call(m: string, n: string, arg = 'id'): Buffer {
  return new P().global(m, n).mark().unicode(arg).tuple().reduce().stop().bytes();
}

/** `module.name(arg)` the protocol-4 way (STACK_GLOBAL through MEMOIZE). */
export function p4Call(m: string, n: string, arg = 'id'): Buffer {
  return new P()
    .proto(4)
    .sbu(m)
    .memoize()
    .sbu(n)
    .memoize()
    .stackGlobal()
    .memoize()
    .sbu(arg)
    .memoize()
    .tuple1()
    .memoize()
    .reduce()
    .memoize()
    .stop()
    .bytes();
}

export interface ZipMember {
  name: string;
  data: Buffer;
  deflate?: boolean;
  /** General-purpose flags written in both headers. */
  flags?: number;
  localName?: string;
  badCrc?: boolean;
  /** Claimed uncompressed size (defaults to the real one). */
  size?: number;
}

const crc32 = (buf: Buffer): number => zlib.crc32(buf);

/** A zip assembled byte by byte, so tests can set the flags/CRC/name tricks torch ignores. */
export function makeZip(members: ZipMember[], prefix: Buffer = Buffer.alloc(0)): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = prefix.length;
  for (const m of members) {
    const data = m.deflate ? zlib.deflateRawSync(m.data) : m.data;
    const crc = m.badCrc ? (crc32(m.data) ^ 0xdeadbeef) >>> 0 : crc32(m.data);
    const lname = Buffer.from(m.localName ?? m.name);
    const cname = Buffer.from(m.name);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(m.flags ?? 0, 6);
    lh.writeUInt16LE(m.deflate ? 8 : 0, 8);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(data.length, 18);
    lh.writeUInt32LE(m.size ?? m.data.length, 22);
    lh.writeUInt16LE(lname.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(20, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(m.flags ?? 0, 8);
    ch.writeUInt16LE(m.deflate ? 8 : 0, 10);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(data.length, 20);
    ch.writeUInt32LE(m.size ?? m.data.length, 24);
    ch.writeUInt16LE(cname.length, 28);
    ch.writeUInt32LE(offset, 42);
    locals.push(lh, lname, data);
    centrals.push(ch, cname);
    offset += 30 + lname.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(members.length, 8);
  eocd.writeUInt16LE(members.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([prefix, ...locals, cd, eocd]);
}

/** A minimal valid safetensors file. */
export function makeSafetensors(header: Record<string, unknown>, dataLen: number, pad = true): Buffer {
  let json = JSON.stringify(header);
  if (pad) while ((8 + json.length) % 8) json += ' ';
  const h = Buffer.alloc(8);
  h.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  return Buffer.concat([h, Buffer.from(json), Buffer.alloc(dataLen)]);
}

/** A minimal GGUF v3 file: metadata KV pairs (strings/uint32) and F32 tensors. */
export function makeGguf(
  kv: [string, string | number][],
  tensors: { name: string; dims: number[] }[] = [],
  opts: { version?: number } = {},
): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  };
  const u64 = (n: number | bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(n));
    return b;
  };
  const str = (s: string) => {
    const b = Buffer.from(s);
    return Buffer.concat([u64(b.length), b]);
  };
  parts.push(Buffer.from('GGUF'), u32(opts.version ?? 3), u64(tensors.length), u64(kv.length));
  for (const [k, v] of kv)
    parts.push(str(k), typeof v === 'string' ? Buffer.concat([u32(8), str(v)]) : Buffer.concat([u32(4), u32(v)]));
  let off = 0;
  const sizes: number[] = [];
  for (const t of tensors) {
    parts.push(str(t.name), u32(t.dims.length), ...t.dims.map((d) => u64(d)), u32(0), u64(off));
    const bytes = t.dims.reduce((a, b) => a * b, 1) * 4;
    sizes.push(bytes);
    off += Math.ceil(bytes / 32) * 32;
  }
  let head = Buffer.concat(parts);
  const padded = Math.ceil(head.length / 32) * 32;
  head = Buffer.concat([head, Buffer.alloc(padded - head.length)]);
  return Buffer.concat([head, Buffer.alloc(off)]);
}

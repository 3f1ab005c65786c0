import { BufferAccess, streamOf, type RandomAccess } from './io/source.ts';
import { readPickle } from './pickle/index.ts';
import { UNPICKLER_ERRORS } from './pickle/machine.ts';
import type { ScanFormat } from './types.ts';

/** PyTorch legacy MAGIC_NUMBER 0x1950a86a20f9469cfc6c pickled as LONG1 (protocol 2). */
const TORCH_LEGACY_HEAD = Buffer.from('80028a0a6cfc9c46f9206aa85019', 'hex');

export const SNIFF_BYTES = 64 * 1024;

/** Opcodes a content probe runs before it calls the content a pickle on structure alone. */
const PROBE_OPCODES = 256;

const startsWith = (b: Buffer, s: string | Buffer, at = 0): boolean => {
  const m = typeof s === 'string' ? Buffer.from(s, 'latin1') : s;
  return b.length >= at + m.length && b.subarray(at, at + m.length).equals(m);
};

export interface SniffOptions {
  /**
   * Raw tensor storage (torch `data/<key>`): float data can start with pickle opcodes, so a pickle
   * there must reach STOP inside the head before it counts.
   */
  strict?: boolean;
  /** The whole content, when it can be read at will: the pickle probe then reads as far as it needs. */
  src?: RandomAccess;
}

/** What a magic number or a pickle probe says about content, before any format handler runs. */
export interface Sniffed {
  format: ScanFormat;
  /**
   * The content is also a pickle from its first byte (a polyglot: a tar whose first member name
   * is a pickle, a GGUF whose header parses as opcodes). `pickle.load` on it would run that pickle.
   */
  alsoPickle: boolean;
}

/**
 * Decide the format from content alone (never the file name). `head` is the first bytes (up to
 * SNIFF_BYTES), `size` the full size. Container and format magics first; then a real pickle
 * probe (see probePickle), which also runs on magic formats whose first byte is an opcode.
 */
export async function sniffContent(head: Buffer, size: number, options: SniffOptions = {}): Promise<Sniffed> {
  const magic = magicFormat(head, size, options.strict ?? false);
  if (magic === 'empty') return { format: 'empty', alsoPickle: false };
  const probe = await probePickle(head, size, options);
  if (magic) {
    // A zip starts with PERSID, which a plain unpickler refuses at once; other magics may be opcodes.
    const alsoPickle = magic !== 'zip' && magic !== 'pytorch-legacy' && probe === 'pickle';
    return { format: magic, alsoPickle };
  }
  if (probe === 'pickle' || (probe === 'undecided' && !options.strict)) return { format: 'pickle', alsoPickle: false };
  return { format: textOrUnknown(head), alsoPickle: false };
}

/** Backwards-compatible shape: the format only. */
export async function sniff(head: Buffer, size: number, strict = false): Promise<ScanFormat> {
  return (await sniffContent(head, size, { strict })).format;
}

function magicFormat(head: Buffer, size: number, strict: boolean): ScanFormat | undefined {
  if (size === 0 || head.length === 0) return 'empty';
  if (startsWith(head, 'PK\x03\x04') || startsWith(head, 'PK\x05\x06') || startsWith(head, 'PK\x07\x08')) return 'zip';
  if (startsWith(head, '\x1f\x8b')) return 'gzip';
  if (
    /^BZh[1-9]1AY&SY/.test(head.toString('latin1', 0, 10)) ||
    /^BZh[1-9]\x17rE8P\x90/.test(head.toString('latin1', 0, 10))
  )
    return 'bzip2';
  if (startsWith(head, '\xfd7zXZ\x00')) return 'xz';
  if (startsWith(head, '7z\xbc\xaf\x27\x1c')) return '7z';
  if (startsWith(head, '\x04\x22\x4d\x18')) return 'lz4';
  if (startsWith(head, '\x93NUMPY')) return 'numpy';
  if (startsWith(head, 'GGUF')) return 'gguf';
  if (startsWith(head, '\x89HDF\r\n\x1a\n')) return 'hdf5';
  if (head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar') return 'tar';
  if (startsWith(head, TORCH_LEGACY_HEAD)) return 'pytorch-legacy';
  if (head.length >= 9 && head[8] === 0x7b) {
    const n = head.readBigUInt64LE(0);
    if (n > 1n && (n <= BigInt(size) || n > 100_000_000n || strict === false)) {
      const t = head.toString('latin1', 9, Math.min(head.length, 9 + 64)).trimStart();
      if (t.startsWith('"') || t.startsWith('}')) return 'safetensors';
    }
  }
  // joblib's legacy zfile: "ZF", then 19 characters joblib reads with int(x, 16) (whitespace, a
  // sign, 0x, underscores: any form it accepts), then zlib data.
  if (
    head.length > 21 &&
    /^ZF[ \t\n\r\v\f]*[+-]?(?:0[xX]_?)?[0-9a-fA-F](?:_?[0-9a-fA-F])*[ \t\n\r\v\f]*$/.test(
      head.toString('latin1', 0, 21),
    )
  )
    return 'zlib';
  if (
    head.length >= 2 &&
    head[0] === 0x78 &&
    ((head[0] << 8) | head[1]) % 31 === 0 &&
    [0x01, 0x5e, 0x9c, 0xda].includes(head[1])
  )
    return 'zlib';
  // lzma-alone ("FORMAT_ALONE", joblib compress='lzma'): properties byte (lc+lp*9+pb*45 < 225), dictionary size, size.
  if (head.length >= 13 && head[0] < 225 && isLzmaAloneHeader(head)) return 'lzma';
  if (head[0] === 0x08 && /onnx|pytorch|tf2onnx|skl2onnx|keras2onnx/.test(head.toString('latin1', 0, 256)))
    return 'onnx';
  return undefined;
}

function isLzmaAloneHeader(head: Buffer): boolean {
  // xz-utils writes 0x5d (lc=3, lp=0, pb=2); liblzma accepts any valid properties byte and a
  // dictionary size of 2^n or 2^n + 2^(n-1), and Python's lzma.open/LZMAFile (FORMAT_AUTO, not
  // picky) any size at all. Only the common 0x5d form is claimed here, since a looser test would
  // take arbitrary binary data for lzma; joblib takes every file starting with "]\0" for lzma.
  if (head[0] !== 0x5d) return false;
  if (head[1] === 0x00) return true;
  const dict = head.readUInt32LE(1);
  if (dict === 0xffffffff) return true;
  for (let n = 12; n <= 31; n++) if (dict === 2 ** n || dict === 2 ** n + 2 ** (n - 1)) return true;
  return dict === 0x10000 || dict === 0x1000;
}

function textOrUnknown(head: Buffer): ScanFormat {
  const text = head.toString('latin1', 0, Math.min(head.length, 512));
  if (/^\s*[[{]/.test(text)) return 'json';
  if (!/[\x00-\x08\x0e-\x1f]/.test(text)) return 'text';
  return 'unknown';
}

/**
 * Is this a pickle, by running it? The pickle machine walks from the first byte, stopping at the
 * first error CPython's unpickler would raise. Content is a pickle when the walk reaches STOP,
 * imports or calls something before any error (the unpickler runs that before failing), starts with
 * a valid PROTO header, or runs PROBE_OPCODES opcodes without an error. Long strings and lines are
 * read past, so a 1 MiB first string does not hide what follows. With only a head (`src` absent,
 * content longer than the head), an error-free walk that reaches the end of the head is "undecided".
 */
export async function probePickle(
  head: Buffer,
  size: number,
  options: SniffOptions = {},
): Promise<'pickle' | 'not-pickle' | 'undecided'> {
  if (head.length === 0) return 'not-pickle';
  const full = options.src !== undefined || head.length >= size;
  if (options.strict) {
    // Raw storage: only a complete pickle inside the head counts.
    if (head[0] !== 0x80 || head.length < 2 || head[1] > 5) return 'not-pickle';
  }
  const input = options.src && !options.strict ? streamOf(options.src, 0, 64 * 1024) : streamOf(new BufferAccess(head));
  const r = await readPickle(input, {
    multi: false,
    stopAtError: true,
    limits: { maxOpcodes: PROBE_OPCODES, maxRecords: 100 },
  });
  const errors = r.anomalies.some((a) => UNPICKLER_ERRORS.has(a.kind));
  const first = r.pickles[0];
  if (options.strict) return first?.complete && !errors ? 'pickle' : 'not-pickle';
  const evidence =
    r.imports.length > 0 ||
    r.calls.length > 0 ||
    r.anomalies.some((a) => a.kind === 'unresolved-import' || a.kind === 'ext' || a.kind === 'global-mutation');
  if (evidence) return 'pickle';
  if (head[0] === 0x80 && head.length >= 2 && head[1] <= 5) return 'pickle';
  if (first?.complete && !errors) return 'pickle';
  if (r.limitReached && !errors) return 'pickle';
  if (!errors) return full ? 'not-pickle' : 'undecided';
  // Cut off at the end of a partial head: not an error of the content.
  const cut = r.anomalies.find((a) => UNPICKLER_ERRORS.has(a.kind));
  if (!full && cut?.kind === 'truncated') return 'undecided';
  return 'not-pickle';
}

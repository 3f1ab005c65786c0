import { readPickle } from './pickle/index.ts';
import type { ScanFormat } from './types.ts';

/** PyTorch legacy MAGIC_NUMBER 0x1950a86a20f9469cfc6c pickled as LONG1 (protocol 2). */
const TORCH_LEGACY_HEAD = Buffer.from('80028a0a6cfc9c46f9206aa85019', 'hex');

export const SNIFF_BYTES = 64 * 1024;

const startsWith = (b: Buffer, s: string | Buffer, at = 0): boolean => {
  const m = typeof s === 'string' ? Buffer.from(s, 'latin1') : s;
  return b.length >= at + m.length && b.subarray(at, at + m.length).equals(m);
};

/**
 * Decide the format from content alone (never the file name). `head` is the first bytes (up to
 * SNIFF_BYTES), `size` the full size. `strict` is for raw tensor storage: there a pickle must
 * parse up to STOP inside the head before it counts, since float data can begin with 0x80.
 */
export async function sniff(head: Buffer, size: number, strict = false): Promise<ScanFormat> {
  if (size === 0 || head.length === 0) return 'empty';
  if (startsWith(head, 'PK\x03\x04') || startsWith(head, 'PK\x05\x06') || startsWith(head, 'PK\x07\x08')) return 'zip';
  if (startsWith(head, '\x1f\x8b')) return 'gzip';
  if (/^BZh[1-9]1AY&SY/.test(head.toString('latin1', 0, 10))) return 'bzip2';
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
  if (head[0] === 0x80 && head.length >= 2 && head[1] <= 5) {
    if (!strict) return 'pickle';
    return (await pickleParsesToStop(head)) ? 'pickle' : 'unknown';
  }
  if (startsWith(head, 'ZF') && head.indexOf(0x78, 2) > 0 && head.indexOf(0x78, 2) < 32) return 'zlib';
  if (head.length >= 2 && head[0] === 0x78 && ((head[0] << 8) | head[1]) % 31 === 0 && [0x01, 0x5e, 0x9c, 0xda].includes(head[1])) return 'zlib';
  if (head.length >= 5 && head[0] === 0x5d && head[1] === 0 && head[2] === 0) return 'lzma';
  if (!strict && /^[(\]}]*[ci][A-Za-z_][\w.]*\n[A-Za-z_][\w.]*\n/.test(head.toString('latin1', 0, 300))) return 'pickle';
  if (isProtocol0Start(head) && (await pickleParsesToStop(head, !strict))) return 'pickle';
  if (head[0] === 0x08 && /onnx|pytorch|tf2onnx|skl2onnx|keras2onnx/.test(head.toString('latin1', 0, 256))) return 'onnx';
  const text = head.toString('latin1', 0, Math.min(head.length, 512));
  if (/^\s*[[{]/.test(text)) return 'json';
  // eslint-disable-next-line no-control-regex
  if (!/[\x00-\x08\x0e-\x1f]/.test(text)) return 'text';
  return 'unknown';
}

function isProtocol0Start(head: Buffer): boolean {
  return '(}]).cNIJKLFSVXUTGi'.includes(String.fromCharCode(head[0]));
}

/** A trial walk of the head: a pickle if it reaches STOP (or, when lenient, runs to the end of the head) without an invalid opcode. */
async function pickleParsesToStop(head: Buffer, lenient = false): Promise<boolean> {
  const r = await readPickle(head, { multi: false, limits: { maxOpcodes: 100_000, maxRecords: 100 } });
  const first = r.pickles[0];
  if (!first) return false;
  if (r.anomalies.some((a) => a.kind === 'not-pickle' || a.kind === 'invalid-opcode' || a.kind === 'malformed')) return false;
  if (first.complete) return first.opcodes >= 2;
  return lenient && head.length >= SNIFF_BYTES && first.opcodes >= 16;
}

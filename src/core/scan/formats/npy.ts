import { npyDescr } from './numpyDtype.ts';
import { dictGet, isDict, isPyInt, isTuple, parsePyLiteral } from './pyLiteral.ts';
import type { FormatProblem } from './safetensors.ts';

export interface NpyHeader {
  version: string;
  /** Offset of the array data (or of the pickle, for object arrays). */
  dataOffset: number;
  descr?: string;
  hasObject: boolean;
  /**
   * False when the header or its descr is in a form this reader does not model: the data may be a
   * pickle np.load runs, so the caller probes it rather than taking it for numbers.
   */
  understood: boolean;
  shape?: number[];
  itemsize?: number;
  problems: FormatProblem[];
}

const MAX_HEADER = 10_000 * 4 + 64;

/** Parse and check a `.npy` header (numpy `_format_impl.py`: magic, version, length, dict literal). */
export function parseNpyHeader(head: Buffer): NpyHeader {
  const h: NpyHeader = { version: '?', dataOffset: 0, hasObject: false, understood: true, problems: [] };
  const bad = (offset: number, message: string): NpyHeader => {
    h.problems.push({ offset, message });
    return h;
  };
  if (head.length < 10) return bad(0, 'file too short for a .npy header');
  const major = head[6];
  const minor = head[7];
  h.version = `${major}.${minor}`;
  let len: number;
  let start: number;
  if (major === 1) {
    len = head.readUInt16LE(8);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (head.length < 12) return bad(0, 'file too short for a .npy v2/v3 header');
    len = head.readUInt32LE(8);
    start = 12;
  } else return bad(6, `unknown .npy version ${h.version}`);
  if (len > MAX_HEADER) return bad(8, `header length ${len} is over numpy's limit (10 000 characters)`);
  if (start + len > head.length) return bad(8, `header length ${len} runs past the end of the data read`);
  h.dataOffset = start + len;
  if ((start + len) % 16 !== 0)
    h.problems.push({
      offset: 8,
      message: `data does not start on a 16-byte boundary (${start + len}); numpy writes 64-byte aligned headers`,
    });
  const text = head.toString(major === 3 ? 'utf8' : 'latin1', start, start + len);
  // np.load reads the header with ast.literal_eval (retrying without Python 2 'L' suffixes up to
  // version 2.0), then requires exactly these three keys: read it the same way, not by pattern.
  const d = parsePyLiteral(text) ?? (major <= 2 ? parsePyLiteral(text, { py2Long: true }) : undefined);
  if (!d || !isDict(d)) {
    h.understood = false;
    return bad(start, d ? 'header is not a Python dict literal' : 'header is not a Python literal numpy would read');
  }
  const keys = d.entries.map(([k]) => k);
  const fortran = dictGet(d, 'fortran_order');
  const shape = dictGet(d, 'shape');
  const descr = dictGet(d, 'descr');
  if (keys.length !== 3 || !['descr', 'fortran_order', 'shape'].every((k) => keys.includes(k))) {
    h.problems.push({
      offset: start,
      message: `header keys are ${keys.map((k) => JSON.stringify(k)).join(', ')}, numpy requires exactly descr, fortran_order and shape (np.load refuses it)`,
    });
  }
  if (fortran === undefined) h.problems.push({ offset: start, message: 'header lacks fortran_order' });
  else if (typeof fortran !== 'boolean')
    h.problems.push({ offset: start, message: 'fortran_order is not True or False (np.load refuses it)' });
  if (shape === undefined) h.problems.push({ offset: start, message: 'header lacks a shape tuple' });
  else if (!isTuple(shape) || !shape.items.every(isPyInt))
    h.problems.push({ offset: start, message: 'shape is not a tuple of integers (np.load refuses it)' });
  else {
    const dims = shape.items.map((x) => (typeof x === 'boolean' ? (x ? 1n : 0n) : x));
    if (dims.some((x) => x < 0n))
      h.problems.push({ offset: start, message: `shape (${dims.join(', ')}) has a negative dimension` });
    else if (dims.every((x) => x <= BigInt(Number.MAX_SAFE_INTEGER))) h.shape = dims.map(Number);
  }
  if (descr === undefined) {
    h.problems.push({ offset: start, message: 'header lacks descr' });
    return h;
  }
  if (typeof descr === 'string') h.descr = descr;
  const info = npyDescr(descr);
  if (info === 'invalid')
    h.problems.push({ offset: start, message: 'descr is not a dtype numpy reads (np.load refuses it)' });
  else if (info === 'unknown') h.understood = false;
  else {
    h.hasObject = info.hasObject;
    if (!info.hasObject && info.itemsize) h.itemsize = info.itemsize;
  }
  return h;
}

import type { FormatProblem } from './safetensors.ts';

export interface NpyHeader {
  version: string;
  /** Offset of the array data (or of the pickle, for object arrays). */
  dataOffset: number;
  descr?: string;
  hasObject: boolean;
  shape?: number[];
  itemsize?: number;
  problems: FormatProblem[];
}

const MAX_HEADER = 10_000 * 4 + 64;

/** Parse and check a `.npy` header (numpy `_format_impl.py`: magic, version, length, dict literal). */
export function parseNpyHeader(head: Buffer): NpyHeader {
  const h: NpyHeader = { version: '?', dataOffset: 0, hasObject: false, problems: [] };
  const bad = (offset: number, message: string): NpyHeader => { h.problems.push({ offset, message }); return h; };
  if (head.length < 10) return bad(0, 'file too short for a .npy header');
  const major = head[6];
  const minor = head[7];
  h.version = `${major}.${minor}`;
  let len: number;
  let start: number;
  if (major === 1) { len = head.readUInt16LE(8); start = 10; } else if (major === 2 || major === 3) {
    if (head.length < 12) return bad(0, 'file too short for a .npy v2/v3 header');
    len = head.readUInt32LE(8); start = 12;
  } else return bad(6, `unknown .npy version ${h.version}`);
  if (len > MAX_HEADER) return bad(8, `header length ${len} is over numpy's limit (10 000 characters)`);
  if (start + len > head.length) return bad(8, `header length ${len} runs past the end of the data read`);
  h.dataOffset = start + len;
  if ((start + len) % 16 !== 0) h.problems.push({ offset: 8, message: `data does not start on a 16-byte boundary (${start + len}); numpy writes 64-byte aligned headers` });
  const text = head.toString(major === 3 ? 'utf8' : 'latin1', start, start + len);
  const descr = /['"]descr['"]\s*:\s*(['"])(.*?)\1/.exec(text);
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text);
  const shape = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text);
  if (!/^\s*\{/.test(text) || !/\}\s*$/.test(text)) h.problems.push({ offset: start, message: 'header is not a Python dict literal' });
  if (!fortran) h.problems.push({ offset: start, message: 'header lacks fortran_order' });
  if (!shape) h.problems.push({ offset: start, message: 'header lacks a shape tuple' });
  else {
    const dims = shape[1].split(',').map((s) => s.trim()).filter(Boolean);
    if (!dims.every((d) => /^\d+L?$/.test(d))) h.problems.push({ offset: start, message: `shape (${shape[1]}) is not a tuple of non-negative integers` });
    else h.shape = dims.map((d) => Number(d.replace(/L$/, '')));
  }
  const keys = [...text.matchAll(/['"](\w+)['"]\s*:/g)].map((m) => m[1]);
  const extra = keys.filter((k) => !['descr', 'fortran_order', 'shape'].includes(k));
  if (extra.length && !/['"]descr['"]\s*:\s*\[/.test(text)) h.problems.push({ offset: start, message: `header has unexpected keys ${extra.join(', ')}` });
  if (descr) {
    h.descr = descr[2];
    h.hasObject = /^[|<>=]?O/.test(descr[2]);
    const m = /^[|<>=]?([a-zA-Z?])(\d*)$/.exec(descr[2]);
    if (m && !h.hasObject) h.itemsize = m[1] === 'U' ? 4 * Number(m[2] || 1) : m[1] === '?' ? 1 : Number(m[2] || 1);
  } else if (/['"]descr['"]\s*:\s*\[/.test(text)) {
    // Structured dtype: object fields make the payload a pickle.
    h.hasObject = /['"]\|?O\d*['"]/.test(text);
  } else h.problems.push({ offset: start, message: 'header lacks descr' });
  return h;
}

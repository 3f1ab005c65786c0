import { isDict, isTuple, type PyValue } from './pyLiteral.ts';

/** Fixed item sizes of NumPy's scalar type codes and names (LP64, as on Linux and macOS). */
const DTYPE_SIZES: ReadonlyMap<string, number> = (() => {
  const m = new Map<string, number>();
  const put = (n: number, names: string[]) => {
    for (const x of names) m.set(x, n);
  };
  put(1, ['?', 'b1', 'bool', 'bool_', 'bool8', 'b', 'i1', 'int8', 'byte', 'B', 'u1', 'uint8', 'ubyte']);
  put(2, ['h', 'i2', 'int16', 'short', 'H', 'u2', 'uint16', 'ushort', 'e', 'f2', 'float16', 'half']);
  put(4, ['i', 'i4', 'int32', 'intc', 'I', 'u4', 'uint32', 'uintc', 'f', 'f4', 'float32', 'single']);
  put(8, [
    'l',
    'q',
    'p',
    'i8',
    'int64',
    'int',
    'int_',
    'intp',
    'long',
    'longlong',
    'L',
    'Q',
    'P',
    'u8',
    'uint64',
    'uint',
    'uintp',
    'ulong',
    'ulonglong',
    'd',
    'f8',
    'float64',
    'float',
    'float_',
    'double',
    'F',
    'c8',
    'complex64',
    'csingle',
    'singlecomplex',
    'M',
    'M8',
    'datetime64',
    'm',
    'm8',
    'timedelta64',
  ]);
  put(16, [
    'g',
    'f16',
    'float128',
    'longdouble',
    'longfloat',
    'D',
    'c16',
    'complex128',
    'complex',
    'complex_',
    'cdouble',
    'cfloat',
  ]);
  put(32, ['G', 'c32', 'complex256', 'clongdouble', 'clongfloat', 'longcomplex']);
  return m;
})();

/**
 * What NumPy makes of a dtype string (`np.dtype(s)`): item size and whether it holds Python
 * objects. `size` is undefined for unsized flexible types (`U`, `S`, `V`, `str`), whose size the
 * pickled state supplies. Undefined when NumPy would refuse the string.
 */
export function numpyDtypeString(descr: string): { size?: number; hasObject: boolean; flexible: boolean } | undefined {
  const t = descr.replace(/^[<>|=]/, '');
  if (/^(?:O\d*|object_?|object0)$/.test(t)) return { size: 8, hasObject: true, flexible: false };
  const flex = /^([USaV])(\d*)$/.exec(t);
  if (flex) {
    const n = flex[2] === '' ? undefined : Number(flex[2]);
    return { size: n === undefined ? undefined : flex[1] === 'U' ? 4 * n : n, hasObject: false, flexible: true };
  }
  if (t === 'str' || t === 'unicode' || t === 'str_' || t === 'unicode_')
    return { size: undefined, hasObject: false, flexible: true };
  if (t === 'bytes' || t === 'bytes_' || t === 'string_' || t === 'void')
    return { size: undefined, hasObject: false, flexible: true };
  const unit = /^([Mm]8?|datetime64|timedelta64)\[[0-9]*[A-Za-z]+\]$/.exec(t);
  const size = DTYPE_SIZES.get(unit ? unit[1] : t);
  return size === undefined ? undefined : { size, hasObject: false, flexible: false };
}

export interface DescrInfo {
  hasObject: boolean;
  /** Bytes per element, when known (for the data-size check). */
  itemsize?: number;
}

const MAX_DESCR_DEPTH = 64;

/**
 * What `numpy.lib.format.descr_to_dtype` makes of a .npy header's `descr`: whether the array holds
 * Python objects (its data is then a pickle np.load runs). 'invalid': numpy refuses it (the file
 * does not load); 'unknown': a form this reader does not model, which the caller must not take
 * for numbers. Any field of a structured dtype, at any depth, that holds objects counts.
 */
export function npyDescr(descr: PyValue, depth = 0): DescrInfo | 'invalid' | 'unknown' {
  if (depth > MAX_DESCR_DEPTH) return 'unknown';
  if (typeof descr === 'string') return dtypeFromString(descr, depth);
  if (isTuple(descr)) {
    // (base, shape): a sub-array of base.
    if (descr.items.length < 2) return 'invalid';
    const base = npyDescr(descr.items[0], depth + 1);
    return typeof base === 'string' ? base : { hasObject: base.hasObject };
  }
  // Anything else is iterated as a list of fields: a list, the keys of a dict, even a string field.
  const fields: PyValue[] | undefined = Array.isArray(descr)
    ? descr
    : isDict(descr)
      ? descr.entries.map(([k]) => k)
      : undefined;
  if (!fields) return 'invalid';
  let hasObject = false;
  let itemsize: number | undefined = 0;
  let unknown = false;
  for (const f of fields) {
    const parts: PyValue[] | undefined = Array.isArray(f)
      ? f
      : isTuple(f)
        ? f.items
        : typeof f === 'string'
          ? [...f]
          : undefined;
    if (!parts || (parts.length !== 2 && parts.length !== 3)) return 'invalid';
    const d = npyDescr(parts[1], depth + 1);
    if (d === 'invalid') return 'invalid';
    if (d === 'unknown') {
      unknown = true;
      continue;
    }
    hasObject ||= d.hasObject;
    itemsize =
      parts.length === 2 && itemsize !== undefined && d.itemsize !== undefined ? itemsize + d.itemsize : undefined;
  }
  if (hasObject) return { hasObject };
  return unknown ? 'unknown' : { hasObject: false, itemsize };
}

/** numpy.dtype(str): a type code or name, a sub-array prefix `(2,3)f8` / `3f8`, or comma-separated fields. */
function dtypeFromString(s: string, depth: number): DescrInfo | 'invalid' | 'unknown' {
  if (s.includes(',')) {
    const parts = s.split(',').map((x) => x.trim());
    // A shape prefix may hold commas itself: '(2,3)f8' — only split outside parentheses.
    if (!/[()]/.test(s)) {
      let hasObject = false;
      for (const p of parts.filter((x) => x !== '')) {
        const d = dtypeFromString(p, depth + 1);
        if (typeof d === 'string') return d === 'invalid' ? 'invalid' : objectish(s);
        hasObject ||= d.hasObject;
      }
      return { hasObject };
    }
    return objectish(s);
  }
  const sub = /^\s*(?:\((\s*\d+\s*(?:,\s*\d+\s*)*,?)\)|(\d+))\s*(\S.*)$/.exec(s);
  if (sub) {
    const d = dtypeFromString(sub[3], depth + 1);
    return typeof d === 'string' ? d : { hasObject: d.hasObject };
  }
  const d = numpyDtypeString(s.trim());
  if (d) return { hasObject: d.hasObject, itemsize: d.size };
  return objectish(s);
}

/** A string this reader does not model: if it could name objects, scan the data as a pickle. */
function objectish(s: string): DescrInfo | 'unknown' {
  return /O|object/i.test(s) ? { hasObject: true } : 'unknown';
}

import type { RandomAccess } from '../io/source.ts';

export interface FormatProblem {
  offset: number;
  message: string;
  /** Rule id override (default: the validator's own "invalid" rule). */
  rule?: string;
  severity?: 'error' | 'warning';
}

export interface SafetensorsInfo {
  headerLength: number;
  tensors: { name: string; dtype: string; shape: number[]; begin: number; end: number }[];
  metadata: Record<string, string>;
  problems: FormatProblem[];
}

/** dtype → bits (huggingface/safetensors `Dtype::bitsize`). */
export const SAFETENSORS_DTYPE_BITS: Readonly<Record<string, number>> = {
  BOOL: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  F8_E4M3FNUZ: 8,
  F8_E5M2FNUZ: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  C64: 64,
  F64: 64,
  I64: 64,
  U64: 64,
};

const MAX_HEADER = 100_000_000;
const SUSPICIOUS_METADATA =
  /(__import__|\beval\s*\(|\bexec\s*\(|os\.system|subprocess|\bpopen\b|base64\s*-d|curl\s+[^|]*\|\s*(ba)?sh|wget\s+http|powershell|\/bin\/(ba)?sh|rm\s+-rf|<script|\{\{.*__class__|import\s+os)/i;

/** Validate a safetensors file exactly as `safetensors` (Rust) does, with byte offsets. */
export async function validateSafetensors(src: RandomAccess, maxHeader = MAX_HEADER): Promise<SafetensorsInfo> {
  const info: SafetensorsInfo = { headerLength: 0, tensors: [], metadata: {}, problems: [] };
  const bad = (offset: number, message: string): SafetensorsInfo => {
    info.problems.push({ offset, message });
    return info;
  };
  if (src.size < 8) return bad(0, `file is ${src.size} bytes, shorter than the 8-byte header length (HeaderTooSmall)`);
  const n = (await src.read(0, 8)).readBigUInt64LE(0);
  if (n > BigInt(Math.min(maxHeader, MAX_HEADER)))
    return bad(0, `header length ${n} exceeds the ${MAX_HEADER}-byte limit (HeaderTooLarge)`);
  const N = Number(n);
  info.headerLength = N;
  if (8 + N > src.size)
    return bad(0, `header length ${N} runs past the end of the ${src.size}-byte file (InvalidHeaderLength)`);
  const raw = await src.read(8, N);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return bad(8, 'header is not valid UTF-8 (InvalidHeader)');
  }
  if (!text.startsWith('{')) return bad(8, 'header does not start with "{" (InvalidHeaderStart)');
  let header: unknown;
  try {
    header = JSON.parse(text.replace(/ +$/, ''));
  } catch (e) {
    return bad(8, `header is not valid JSON: ${(e as Error).message} (InvalidHeaderDeserialization)`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    return bad(8, 'header is not a JSON object');
  const dup = duplicateKey(text);
  if (dup)
    info.problems.push({
      offset: 8 + dup.index,
      message: `duplicate key ${JSON.stringify(dup.key)} in the header (readers disagree on which one wins)`,
    });
  const dataStart = 8 + N;
  const dataLen = src.size - dataStart;
  for (const [name, v] of Object.entries(header as Record<string, unknown>)) {
    const at = 8 + Math.max(0, text.indexOf(JSON.stringify(name)));
    if (name === '__metadata__') {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) {
        info.problems.push({ offset: at, message: '__metadata__ must be an object of strings' });
        continue;
      }
      for (const [k, s] of Object.entries(v as Record<string, unknown>)) {
        if (typeof s !== 'string') {
          info.problems.push({
            offset: at,
            message: `__metadata__.${k} is a ${Array.isArray(s) ? 'array' : typeof s}, not a string (safetensors refuses it)`,
          });
          continue;
        }
        info.metadata[k] = s;
        if (SUSPICIOUS_METADATA.test(s) || /^gA[JNSVU]|^\x80[\x02-\x05]/.test(s)) {
          info.problems.push({
            offset: at,
            rule: 'scan/safetensors-metadata',
            message: `__metadata__.${k} looks like code, a shell command or an encoded pickle: ${JSON.stringify(s.slice(0, 80))}`,
          });
        }
      }
      continue;
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      info.problems.push({ offset: at, message: `tensor ${JSON.stringify(name)} is not an object` });
      continue;
    }
    const t = v as Record<string, unknown>;
    const extra = Object.keys(t).filter((k) => k !== 'dtype' && k !== 'shape' && k !== 'data_offsets');
    if (extra.length)
      info.problems.push({
        offset: at,
        message: `tensor ${JSON.stringify(name)} has unknown field(s) ${extra.join(', ')}`,
      });
    const dtype = t.dtype;
    if (typeof dtype !== 'string' || !(dtype in SAFETENSORS_DTYPE_BITS)) {
      info.problems.push({
        offset: at,
        message: `tensor ${JSON.stringify(name)}: unknown dtype ${JSON.stringify(dtype)}`,
      });
      continue;
    }
    const shape = t.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      info.problems.push({
        offset: at,
        message: `tensor ${JSON.stringify(name)}: shape must be a list of non-negative integers`,
      });
      continue;
    }
    const off = t.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      info.problems.push({
        offset: at,
        message: `tensor ${JSON.stringify(name)}: data_offsets must be [BEGIN, END] non-negative integers`,
      });
      continue;
    }
    const [begin, end] = off as [number, number];
    if (end < begin) {
      info.problems.push({
        offset: at,
        message: `tensor ${JSON.stringify(name)}: END ${end} < BEGIN ${begin} (InvalidOffset)`,
      });
      continue;
    }
    let elements = 1n;
    for (const d of shape as number[]) elements *= BigInt(d);
    const bits = elements * BigInt(SAFETENSORS_DTYPE_BITS[dtype]);
    if (bits % 8n !== 0n)
      info.problems.push({
        offset: at,
        message: `tensor ${JSON.stringify(name)}: ${elements} × ${dtype} is not a whole number of bytes (MisalignedSlice)`,
      });
    else if (bits / 8n !== BigInt(end - begin))
      info.problems.push({
        offset: at,
        message: `tensor ${JSON.stringify(name)}: shape [${(shape as number[]).join(', ')}] × ${dtype} = ${bits / 8n} bytes, but data_offsets span ${end - begin} (TensorInvalidInfo)`,
      });
    info.tensors.push({ name, dtype, shape: shape as number[], begin, end });
  }
  const sorted = [...info.tensors].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const t of sorted) {
    if (t.begin !== expected) {
      info.problems.push({
        offset: dataStart + Math.min(t.begin, expected),
        message:
          t.begin < expected
            ? `tensor ${JSON.stringify(t.name)} overlaps the previous tensor (BEGIN ${t.begin} < ${expected})`
            : `gap of ${t.begin - expected} bytes before tensor ${JSON.stringify(t.name)} (InvalidOffset)`,
      });
    }
    expected = Math.max(expected, t.end);
  }
  if (expected !== dataLen) {
    info.problems.push({
      offset: dataStart + Math.min(expected, dataLen),
      message:
        expected < dataLen
          ? `${dataLen - expected} bytes after the last tensor (MetadataIncompleteBuffer): data the format does not allow, e.g. a polyglot payload`
          : `tensors need ${expected} data bytes but the file has ${dataLen} (truncated)`,
    });
  }
  return info;
}

/** First duplicated key at the top level or one level down (JSON.parse keeps the last silently). */
function duplicateKey(text: string): { key: string; index: number } | undefined {
  const re = /"((?:[^"\\]|\\.)*)"\s*:/g;
  let depth = 0;
  const seen: Set<string>[] = [new Set()];
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    for (let i = last; i < m.index; i++) {
      const c = text[i];
      if (c === '{') {
        depth++;
        seen[depth] = new Set();
      } else if (c === '}') depth--;
    }
    last = m.index;
    const set = seen[depth] ?? (seen[depth] = new Set());
    if (set.has(m[1])) return { key: m[1], index: m.index };
    set.add(m[1]);
  }
  return undefined;
}

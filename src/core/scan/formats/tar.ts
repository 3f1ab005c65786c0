import type { RandomAccess } from '../io/source.ts';

export interface TarEntry {
  name: string;
  type: string;
  size: number;
  dataOffset: number;
  headerOffset: number;
  linkName: string;
}

/** ustar/GNU/pax tar headers, read by offset (no extraction). Bounded by `maxEntries`. */
export async function listTar(
  src: RandomAccess,
  maxEntries: number,
): Promise<{ entries: TarEntry[]; problems: { offset: number; message: string }[]; truncated: boolean }> {
  const entries: TarEntry[] = [];
  const problems: { offset: number; message: string }[] = [];
  let pos = 0;
  let longName: string | undefined;
  let paxPath: string | undefined;
  while (pos + 512 <= src.size) {
    if (entries.length >= maxEntries) return { entries, problems, truncated: true };
    const h = await src.read(pos, 512);
    if (h.every((b) => b === 0)) break;
    const str = (a: number, n: number): string => {
      const s = h.toString('utf8', a, a + n);
      const z = s.indexOf('\0');
      return z >= 0 ? s.slice(0, z) : s;
    };
    const sizeField = h.subarray(124, 136);
    let size: number;
    if (sizeField[0] & 0x80) {
      let v = 0n;
      for (let i = 1; i < 12; i++) v = (v << 8n) | BigInt(sizeField[i]);
      size = Number(v);
    } else size = parseInt(str(124, 12).trim() || '0', 8);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
    if (parseInt(str(148, 8).trim() || '-1', 8) !== sum) {
      problems.push({ offset: pos, message: 'tar header checksum mismatch; the rest of the archive was not read' });
      break;
    }
    if (!Number.isFinite(size) || size < 0) {
      problems.push({ offset: pos, message: 'invalid tar member size' });
      break;
    }
    const type = String.fromCharCode(h[156] || 0x30);
    const prefix = str(345, 155);
    let name = (prefix ? `${prefix}/` : '') + str(0, 100);
    const dataOffset = pos + 512;
    if (type === 'L' || type === 'x' || type === 'g') {
      const body = (await src.read(dataOffset, Math.min(size, 1 << 20))).toString('utf8');
      if (type === 'L') longName = body.replace(/\0.*$/s, '');
      if (type === 'x') {
        const m = /\d+ path=([^\n]*)\n/.exec(body);
        if (m) paxPath = m[1];
      }
    } else {
      if (paxPath) name = paxPath;
      else if (longName) name = longName;
      paxPath = longName = undefined;
      entries.push({ name, type, size, dataOffset, headerOffset: pos, linkName: str(157, 100) });
    }
    pos = dataOffset + Math.ceil(size / 512) * 512;
  }
  if (pos > src.size) problems.push({ offset: src.size, message: 'the last tar member runs past the end of the file' });
  return { entries, problems, truncated: false };
}

import type { RandomAccess } from '../io/source.ts';

/**
 * A zip reader as tolerant as `torch.load` (PyTorch's miniz-based reader): members come from the
 * central directory; flag bits (encryption, patched data), CRCs and local/central name
 * differences are ignored but reported; ZIP64 sizes and offsets are honoured; a prefix before the
 * archive (self-extracting, `PK\x07\x08` spanned marker) is compensated as stdlib zipfile does.
 * Without a central directory, local headers are walked from the start.
 */
export interface ZipEntry {
  name: string;
  /** Name in the local header, when it differs from the central one. */
  localName?: string;
  method: number;
  flags: number;
  compressedSize: number;
  size: number;
  crc: number;
  /** Absolute offset of the member data. */
  dataOffset: number;
  /** Offset of the central record (or local header when there is no central directory). */
  headerOffset: number;
  externalAttrs: number;
  isDirectory: boolean;
}

export interface ZipListing {
  entries: ZipEntry[];
  /** `rule: 'scan/incomplete'` marks content that was not read: the scan cannot be called complete. */
  problems: { offset: number; message: string; rule?: 'scan/incomplete' }[];
  truncated: boolean;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

export async function listZip(src: RandomAccess, maxEntries: number): Promise<ZipListing> {
  const problems: ZipListing['problems'] = [];
  const tailLen = Math.min(src.size, 65_557 + 20);
  const tail = await src.read(src.size - tailLen, tailLen);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) {
    problems.push({ offset: 0, message: 'no end-of-central-directory record: members were read from local headers' });
    return walkLocalHeaders(src, maxEntries, problems);
  }
  const eocdAbs = src.size - tailLen + eocd;
  let count = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  let cdEnd = eocdAbs;
  if (eocd >= 20 && tail.readUInt32LE(eocd - 20) === ZIP64_LOCATOR) {
    const z64 = Number(tail.readBigUInt64LE(eocd - 20 + 8));
    const rec = await src.read(z64, 56);
    if (rec.length >= 56 && rec.readUInt32LE(0) === ZIP64_EOCD) {
      count = Number(rec.readBigUInt64LE(32));
      cdSize = Number(rec.readBigUInt64LE(40));
      cdOffset = Number(rec.readBigUInt64LE(48));
      cdEnd = z64;
    } else problems.push({ offset: z64, message: 'ZIP64 locator points to no ZIP64 end record' });
  }
  // Prefix compensation: where the central directory really is vs where the record says.
  const actualCd = cdEnd - cdSize;
  const delta = actualCd >= 0 && actualCd !== cdOffset ? actualCd - cdOffset : 0;
  if (delta)
    problems.push({
      offset: actualCd,
      message: `central directory is ${delta} bytes away from its recorded offset (data before the archive)`,
    });
  const cdStart = cdOffset + delta;
  if (cdStart < 0 || cdStart + cdSize > src.size) {
    problems.push({
      offset: eocdAbs,
      message: 'central directory lies outside the file: members were read from local headers',
    });
    return walkLocalHeaders(src, maxEntries, problems);
  }
  const entries: ZipEntry[] = [];
  let truncated = false;
  if (count > maxEntries) truncated = true;
  const cd = await src.read(cdStart, Math.min(cdSize, 512 * 1024 * 1024));
  let p = 0;
  while (p + 46 <= cd.length) {
    if (entries.length >= maxEntries) {
      truncated = true;
      break;
    }
    if (cd.readUInt32LE(p) !== CENTRAL) {
      problems.push({
        offset: cdStart + p,
        message: 'bad central-directory signature; the rest of the directory was not read',
        rule: 'scan/incomplete',
      });
      break;
    }
    const flags = cd.readUInt16LE(p + 8);
    const method = cd.readUInt16LE(p + 10);
    const crc = cd.readUInt32LE(p + 16);
    let compressedSize = cd.readUInt32LE(p + 20);
    let size = cd.readUInt32LE(p + 24);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    const externalAttrs = cd.readUInt32LE(p + 38);
    let local = cd.readUInt32LE(p + 42);
    const name = cd.toString(flags & 0x800 ? 'utf8' : 'latin1', p + 46, p + 46 + nameLen);
    const extra = cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen);
    // ZIP64 extended information: only the fields whose 32-bit value is 0xFFFFFFFF are present.
    for (let e = 0; e + 4 <= extra.length;) {
      const id = extra.readUInt16LE(e);
      const len = extra.readUInt16LE(e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        const rd = (): number => {
          const v = q + 8 <= extra.length ? Number(extra.readBigUInt64LE(q)) : 0;
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = rd();
        if (compressedSize === 0xffffffff) compressedSize = rd();
        if (local === 0xffffffff) local = rd();
      }
      e += 4 + len;
    }
    const headerOffset = cdStart + p;
    p += 46 + nameLen + extraLen + commentLen;
    const localAbs = local + delta;
    // One read covers the local header and (almost always) its name.
    const lh = await src.read(localAbs, 30 + 256);
    let dataOffset = -1;
    let localName: string | undefined;
    if (lh.length >= 30 && lh.readUInt32LE(0) === LOCAL) {
      const ln = lh.readUInt16LE(26);
      const le = lh.readUInt16LE(28);
      const nameBytes = 30 + ln <= lh.length ? lh.subarray(30, 30 + ln) : await src.read(localAbs + 30, ln);
      const nm = nameBytes.toString(flags & 0x800 ? 'utf8' : 'latin1');
      if (nm !== name) localName = nm;
      dataOffset = localAbs + 30 + ln + le;
    } else {
      problems.push({
        offset: Math.max(0, localAbs),
        message: `member ${JSON.stringify(name)}: no local header at its recorded offset; not read`,
        rule: 'scan/incomplete',
      });
    }
    if (dataOffset >= 0 && dataOffset + compressedSize > src.size) {
      problems.push({
        offset: dataOffset,
        message: `member ${JSON.stringify(name)}: data runs past the end of the file (truncated archive)`,
      });
      compressedSize = Math.max(0, src.size - dataOffset);
    }
    if (dataOffset >= 0) {
      entries.push({
        name,
        ...(localName !== undefined ? { localName } : {}),
        method,
        flags,
        compressedSize,
        size,
        crc,
        dataOffset,
        headerOffset,
        externalAttrs,
        isDirectory: name.endsWith('/'),
      });
    }
  }
  return { entries, problems, truncated };
}

async function walkLocalHeaders(
  src: RandomAccess,
  maxEntries: number,
  problems: ZipListing['problems'],
): Promise<ZipListing> {
  const entries: ZipEntry[] = [];
  let pos = 0;
  // Spanned-archive marker / leading junk: find the first local header in the first 64 KiB.
  const head = await src.read(0, 65_536);
  const first = head.indexOf(Buffer.from('PK\x03\x04', 'latin1'));
  if (first < 0) return { entries, problems, truncated: false };
  pos = first;
  let truncated = false;
  while (pos + 30 <= src.size) {
    if (entries.length >= maxEntries) {
      truncated = true;
      break;
    }
    const lh = await src.read(pos, 30);
    if (lh.length < 30 || lh.readUInt32LE(0) !== LOCAL) break;
    const flags = lh.readUInt16LE(6);
    const method = lh.readUInt16LE(8);
    const crc = lh.readUInt32LE(14);
    const compressedSize = lh.readUInt32LE(18);
    const size = lh.readUInt32LE(22);
    const ln = lh.readUInt16LE(26);
    const le = lh.readUInt16LE(28);
    const name = (await src.read(pos + 30, ln)).toString(flags & 0x800 ? 'utf8' : 'latin1');
    const dataOffset = pos + 30 + ln + le;
    if (flags & 0x08 && compressedSize === 0) {
      problems.push({
        offset: pos,
        message: `member ${JSON.stringify(name)}: size only in a data descriptor and no central directory; later members not read`,
      });
      entries.push({
        name,
        method,
        flags,
        compressedSize: src.size - dataOffset,
        size: 0,
        crc,
        dataOffset,
        headerOffset: pos,
        externalAttrs: 0,
        isDirectory: name.endsWith('/'),
      });
      truncated = true;
      break;
    }
    entries.push({
      name,
      method,
      flags,
      compressedSize: Math.min(compressedSize, Math.max(0, src.size - dataOffset)),
      size,
      crc,
      dataOffset,
      headerOffset: pos,
      externalAttrs: 0,
      isDirectory: name.endsWith('/'),
    });
    pos = dataOffset + compressedSize;
  }
  return { entries, problems, truncated };
}

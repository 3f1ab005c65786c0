/** Text decoding for metadata files: UTF-8 with a clear verdict on anything else. */

export interface DecodedText {
  text: string;
  /** null when the bytes are valid UTF-8 (a BOM is accepted and dropped). */
  problem: null | { message: string; offset: number };
}

export function decodeUtf8(bytes: Uint8Array): DecodedText {
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    const le = bytes[0] === 0xff;
    const text = new TextDecoder(le ? 'utf-16le' : 'utf-16be').decode(bytes.subarray(2));
    return { text, problem: { message: `the file is UTF-16 (${le ? 'little' : 'big'}-endian), not UTF-8`, offset: 0 } };
  }
  let start = 0;
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  const body = bytes.subarray(start);
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(body), problem: null };
  } catch {
    return {
      text: new TextDecoder('utf-8').decode(body),
      problem: {
        message: `invalid UTF-8 at byte ${firstInvalidUtf8(body) + start}`,
        offset: firstInvalidUtf8(body) + start,
      },
    };
  }
}

function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    let n = 0;
    if (c < 0x80) {
      i++;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) n = 2;
    else if (c >= 0xf0 && c <= 0xf4) n = 3;
    else return i;
    for (let k = 1; k <= n; k++) if (i + k >= b.length || (b[i + k] & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return b.length;
}

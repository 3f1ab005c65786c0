/** Content digests as model cards write them (`sha256:<hex>`), and what is wrong with them. */

export const STRONG_ALGORITHMS: Readonly<Record<string, number>> = {
  sha256: 64,
  sha384: 96,
  sha512: 128,
  'sha3-256': 64,
  'sha3-512': 128,
  blake2b: 128,
  blake3: 64,
};
export const WEAK_ALGORITHMS: ReadonlySet<string> = new Set(['md5', 'sha1', 'sha-1', 'md4', 'crc32', 'adler32']);

/** Does this text look like an attempt at a digest (an algorithm prefix, or a long run of hex)? */
export function looksLikeDigest(text: string): boolean {
  return (
    /^\s*(sha-?\d+|sha3-\d+|md[45]|blake\w*|crc32|adler32)\s*[:=-]/i.test(text) ||
    /^[0-9a-f]{32,128}$/i.test(text.trim())
  );
}

export type DigestVerdict =
  | { kind: 'ok'; algorithm: string; hex: string }
  | { kind: 'empty' }
  | { kind: 'weak'; algorithm: string }
  | { kind: 'placeholder'; reason: string }
  | { kind: 'uppercase'; algorithm: string; hex: string }
  | { kind: 'no-algorithm'; hex: string }
  | { kind: 'unknown-algorithm'; algorithm: string }
  | { kind: 'malformed'; algorithm: string; reason: string };

const PLACEHOLDER_WORDS = /todo|tbd|fixme|changeme|placeholder|example|replace|dummy|unknown|xxx|n\/?a\b|<|>|\{|\}|\$/i;

/** Classify a digest string. Only `ok` is a digest a verifier can check. */
export function classifyDigest(raw: string): DigestVerdict {
  const text = raw.trim();
  if (!text) return { kind: 'empty' };
  const m = /^([A-Za-z][A-Za-z0-9-]*)\s*[:=]\s*(.*)$/.exec(text);
  if (!m) {
    if (/^[0-9a-f]{64}$/i.test(text)) return { kind: 'no-algorithm', hex: text.toLowerCase() };
    if (/^[0-9a-f]{40}$/i.test(text)) return { kind: 'weak', algorithm: 'sha1' };
    if (/^[0-9a-f]{32}$/i.test(text)) return { kind: 'weak', algorithm: 'md5' };
    if (PLACEHOLDER_WORDS.test(text) || /\.\.\.|…/.test(text))
      return { kind: 'placeholder', reason: 'it is not a digest at all' };
    if (/^[0-9a-f]{1,31}$/i.test(text))
      return { kind: 'placeholder', reason: `it is ${text.length} hex digits with no algorithm` };
    return { kind: 'malformed', algorithm: '', reason: 'it has no `sha256:` prefix and is not 64 hex characters' };
  }
  const algorithm = m[1].toLowerCase();
  const hex = m[2];
  if (WEAK_ALGORITHMS.has(algorithm)) return { kind: 'weak', algorithm };
  const want = STRONG_ALGORITHMS[algorithm];
  if (/\.\.\.|…/.test(hex)) return { kind: 'placeholder', reason: 'it is cut short with an ellipsis' };
  if (!hex) return { kind: 'placeholder', reason: 'it has an algorithm but no hex digits' };
  if (PLACEHOLDER_WORDS.test(hex))
    return { kind: 'placeholder', reason: 'it holds placeholder text instead of hex digits' };
  if (/^(.)\1+$/.test(hex)) return { kind: 'placeholder', reason: 'every character is the same' };
  if (!want) return { kind: 'unknown-algorithm', algorithm };
  if (/^[0-9a-fA-F]+$/.test(hex) && hex.length < Math.min(32, want)) {
    // a short run of hex (`abc123`, `def456`) is a stand-in, not a truncated real digest anyone could verify
    return { kind: 'placeholder', reason: `it has ${hex.length} hex digits where ${algorithm} has ${want}` };
  }
  if (!/^[0-9a-fA-F]+$/.test(hex))
    return { kind: 'malformed', algorithm, reason: 'it contains characters that are not hex digits' };
  if (hex.length !== want)
    return { kind: 'malformed', algorithm, reason: `it has ${hex.length} hex digits where ${algorithm} has ${want}` };
  if (/^(?:0123456789abcdef)+$/i.test(hex) || /^(?:deadbeef)+$/i.test(hex))
    return { kind: 'placeholder', reason: 'it is a well-known filler pattern' };
  if (hex !== hex.toLowerCase()) return { kind: 'uppercase', algorithm, hex: hex.toLowerCase() };
  return { kind: 'ok', algorithm, hex };
}

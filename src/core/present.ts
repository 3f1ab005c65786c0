import path from 'node:path';
import { compareCodePoints, dedupeFindings, sortFindings, type Finding } from './findings.ts';
import { FileTooLargeError, readRegularFile } from './fsutil/read.ts';
import {
  applyRuleSettings,
  isInlineSuppressible,
  isSuppressed,
  SUPPRESSION_MARKER,
  suppressionsIn,
  type RuleSettings,
  type SuppressionMap,
} from './ruleSettings.ts';
import { decodeUtf8 } from './yaml/decode.ts';

/**
 * The one step between the engines and every face: what an engine found becomes what a person is
 * shown. The CLI (every command, every format), the editor's diagnostics, the report panel, the
 * tree and the gate's own evaluation all go through it, so the same input gives the same answer
 * everywhere. No engine applies suppressions or rule settings itself.
 *
 *   1. rule settings (trusted: VS Code settings, then the policy's `rules:`), layer by layer;
 *   2. inline suppressions (`# model-inspect-disable-line RULE`), for rules a comment may silence;
 *   3. de-duplication (same rule, place and message: the highest severity is kept);
 *   4. a deterministic order (code points, never the locale).
 */

export interface PresentOptions {
  /** Rule settings, first layer first (the first layer that names a rule decides). */
  rules?: readonly RuleSettings[];
  /** Honour inline suppression comments (default true; a policy can say `rules: { inline_suppressions: false }`). */
  inline?: boolean;
  /**
   * The text a finding's range refers to (the file's, or an archive member's / notebook cell's when
   * `member` is set); undefined when unknown, and then nothing is suppressed in it.
   */
  text?: (file: string | undefined, member: string | undefined) => string | undefined;
}

export interface Presented {
  /** What to show, sorted. */
  findings: Finding[];
  /** Findings an inline comment silenced: not shown, but counted (text), listed (JSON) and marked (SARIF). */
  suppressed: Finding[];
}

export { dedupeFindings };

const key = (file: string | undefined, member: string | undefined) => `${file ?? ''}\u0000${member ?? ''}`;

export function presentFindings(raw: readonly Finding[], options: PresentOptions = {}): Presented {
  const ruled = applyRuleSettings(raw, options.rules ?? []);
  const maps = new Map<string, SuppressionMap>();
  const mapFor = (f: Finding): SuppressionMap | undefined => {
    const k = key(f.file, f.member);
    let m = maps.get(k);
    if (!m) {
      const text = options.text?.(f.file, f.member);
      m = text === undefined ? new Map() : suppressionsIn(text);
      maps.set(k, m);
    }
    return m;
  };
  const shown: Finding[] = [];
  const suppressed: Finding[] = [];
  for (const f of ruled) {
    const silenced =
      options.inline !== false && f.range && isInlineSuppressible(f.ruleId) && isSuppressed(f, mapFor(f)!);
    (silenced ? suppressed : shown).push(f);
  }
  return { findings: sortFindings(dedupeFindings(shown)), suppressed: sortFindings(dedupeFindings(suppressed)) };
}

/** Reads the text a finding in `file` (and `member`) refers to, or undefined. */
export type SourceReader = (file: string, member: string | undefined) => Promise<string | undefined>;

/** Text files larger than this are not read for suppression comments (their engines refuse them too). */
const MAX_SOURCE_BYTES = 32 * 1024 * 1024;

/** The text of a file on disk as the engines decode it (UTF-8, BOM and UTF-16 handled), bounded; members are not read here. */
export async function readSourceFile(file: string, member: string | undefined): Promise<string | undefined> {
  if (member !== undefined) return undefined;
  try {
    return decodeUtf8(await readRegularFile(file, MAX_SOURCE_BYTES)).text;
  } catch (e) {
    if (e instanceof FileTooLargeError) return undefined;
    return undefined;
  }
}

/**
 * The texts the suppressible findings refer to, read once each (only files that mention
 * `model-inspect-disable` are kept), as the synchronous lookup `presentFindings` takes.
 */
export async function readSourceTexts(
  findings: readonly Finding[],
  read: SourceReader,
  base = process.cwd(),
): Promise<PresentOptions['text']> {
  const texts = new Map<string, string>();
  const wanted = new Map<string, { file: string; member: string | undefined }>();
  for (const f of findings) {
    if (!f.file || !f.range || !isInlineSuppressible(f.ruleId)) continue;
    wanted.set(key(f.file, f.member), { file: f.file, member: f.member });
  }
  for (const [k, w] of [...wanted].sort((a, b) => compareCodePoints(a[0], b[0]))) {
    const text = await read(path.resolve(base, w.file), w.member);
    if (text !== undefined && text.includes(SUPPRESSION_MARKER)) texts.set(k, text);
  }
  return (file, member) => texts.get(key(file, member));
}

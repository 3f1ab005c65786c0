import type { Finding } from '../findings.ts';
import { parseYaml, type YamlDocument, type YamlParseStats } from '../yaml/document.ts';
import { yamlProblemFindings } from '../yaml/findings.ts';
import { LineIndex } from '../yaml/lines.ts';
import { CardContext } from './context.ts';
import { frontMatter, looksLikeHfMetadata, modelCardKind } from './files.ts';
import { schemaFor, type CardDialect } from './schema.ts';
import { checkSemantics, type DigestClaim, type PathRef } from './semantic.ts';
import { SchemaValidator } from './validate.ts';

export interface CardCheckOptions {
  /** "Now" for future/stale date rules (tests pass a fixed one). */
  now?: Date;
  /** A security review older than this many days is stale (default 90). */
  reviewMaxAgeDays?: number;
  /** Counters of the work done, added to (tests bound the work instead of timing it). */
  stats?: CardCheckStats;
}

export interface CardCheckStats extends YamlParseStats {
  /** Nodes looked at while expanding anchors and aliases (bounded by the alias budget). */
  aliasVisits: number;
  /** Schema checks of a node (at most one per node and schema, however many aliases reach it). */
  schemaChecks: number;
}

export function newCardCheckStats(): CardCheckStats {
  return { parses: 0, nodes: 0, aliasVisits: 0, schemaChecks: 0 };
}

export const DEFAULT_REVIEW_MAX_AGE_DAYS = 90;
/** Model cards are a few KB; beyond this the text is not parsed at all (a clear finding instead). */
export const MAX_CARD_CHARS = 2 * 1024 * 1024;
/** Node budget when expanding aliases: more than this is an alias bomb. */
const ALIAS_EXPANSION_BUDGET = 100_000;

export interface CardAnalysis {
  dialect: CardDialect;
  findings: Finding[];
  /** The parsed YAML (front matter for a README), or undefined when nothing was parsed. */
  doc?: YamlDocument;
  /** Digests of local files and local paths, for the asynchronous file check (fileDigests.ts). */
  claims: DigestClaim[];
  paths: PathRef[];
}

/**
 * The synchronous part of checking a model card: YAML problems, schema, semantic rules. Runs on
 * every keystroke (well under a millisecond for a normal card); file hashing is separate.
 * `file` decides the dialect (our model-card.yaml, or a Hugging Face README.md's front matter).
 */
export function analyzeModelCard(text: string, file: string, options: CardCheckOptions = {}): CardAnalysis {
  const dialect: CardDialect = modelCardKind(file) === 'hf-readme' ? 'hf-readme' : 'card-yaml';
  const empty: CardAnalysis = { dialect, findings: [], claims: [], paths: [] };
  if (text.length > MAX_CARD_CHARS) {
    empty.findings.push({
      ruleId: 'yaml/too-large',
      severity: 'error',
      message: `the card is ${text.length} characters, over the ${MAX_CARD_CHARS}-character limit for a model card; not validated`,
      file,
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    });
    return empty;
  }
  let doc: YamlDocument;
  if (dialect === 'hf-readme') {
    const fm = frontMatter(text);
    if (!fm || !looksLikeHfMetadata(fm.text)) return empty;
    doc = parseYaml(fm.text, { baseOffset: fm.offset, stats: options.stats }, new LineIndex(text));
  } else {
    doc = parseYaml(text, { stats: options.stats });
  }
  const findings = yamlProblemFindings(doc, file);
  const result: CardAnalysis = { dialect, findings, doc, claims: [], paths: [] };
  // A syntax error leaves no tree worth checking (js-yaml stops at the first one).
  if (doc.problems.some((p) => p.code === 'syntax' || p.code === 'too-deep')) return result;
  if (doc.root && doc.root.kind !== 'mapping' && !(doc.root.kind === 'scalar' && doc.root.value === null)) {
    findings.push({
      ruleId: 'card/wrong-type',
      severity: 'error',
      message:
        'a model card is a YAML mapping of sections (`model_details:`, `provenance:`, …), not a list or a single value',
      file,
      range: doc.range(doc.root),
    });
    return result;
  }
  if (doc.anchors.size > 0) {
    const expanded = doc.toValue(doc.root, ALIAS_EXPANSION_BUDGET);
    if (options.stats) options.stats.aliasVisits += expanded.visits;
    if (!expanded.complete) {
      const firstAlias = findFirstAlias(doc);
      findings.push({
        ruleId: 'yaml/alias-limit',
        severity: 'error',
        message: `anchors and aliases expand to more than ${ALIAS_EXPANSION_BUDGET} nodes (an alias bomb); aliased values were checked once at their anchors`,
        file,
        range: doc.range(firstAlias ?? { start: 0, end: 0 }),
      });
    }
  }
  const ctx = new CardContext(doc, file);
  const schema = schemaFor(dialect);
  new SchemaValidator(ctx, schema, options.stats).validateDocument();
  const refs = checkSemantics(ctx, {
    now: options.now ?? new Date(),
    reviewMaxAgeDays: options.reviewMaxAgeDays ?? DEFAULT_REVIEW_MAX_AGE_DAYS,
  });
  findings.push(...dedupe(ctx.findings));
  result.claims = refs.claims;
  result.paths = refs.paths;
  return result;
}

/** Check a model card's text (synchronous rules only). */
export function checkModelCardText(text: string, file: string, options: CardCheckOptions = {}): Finding[] {
  return analyzeModelCard(text, file, options).findings;
}

function findFirstAlias(doc: YamlDocument): { start: number; end: number } | undefined {
  const stack = doc.root ? [doc.root] : [];
  let best: { start: number; end: number } | undefined;
  while (stack.length) {
    const n = stack.pop()!;
    if (n.kind === 'alias' && (!best || n.start < best.start)) best = n;
    if (n.items) stack.push(...n.items);
    if (n.pairs) for (const p of n.pairs) if (p.value) stack.push(p.value);
  }
  return best;
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    // one finding per rule and range: a value reached through several aliases is reported once, at its anchor
    const r = f.range;
    const k = `${f.ruleId}|${r?.start.line}:${r?.start.character}-${r?.end.line}:${r?.end.character}|${f.data?.field ?? ''}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

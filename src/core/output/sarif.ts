import type { Finding, RuleInfo, Severity } from '../findings.ts';
import { sortFindings } from '../findings.ts';
import { allRules, ruleInfo } from '../rules.ts';
import { displayPath } from './paths.ts';

/**
 * SARIF 2.1.0 as GitHub code scanning accepts it: one run, the driver's rules with help text,
 * results with `ruleIndex`, physical locations relative to %SRCROOT% with regions. Binary files get
 * a byte-offset region; GitHub still needs a startLine, so line 1 is given as well.
 */
const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note' };

export interface SarifOptions {
  toolVersion: string;
  informationUri?: string;
  /** Findings an inline comment silenced: results with an `inSource` suppression (code scanning shows them as dismissed). */
  suppressed?: readonly Finding[];
}

export function toSarif(findings: readonly Finding[], base: string, options: SarifOptions): Record<string, unknown> {
  const silenced = new Set<Finding>(options.suppressed ?? []);
  const sorted = sortFindings([...findings, ...silenced]);
  const used = new Map<string, number>();
  const rules: Record<string, unknown>[] = [];
  const ruleFor = (id: string): number => {
    let idx = used.get(id);
    if (idx === undefined) {
      idx = rules.length;
      used.set(id, idx);
      rules.push(sarifRule(ruleInfo(id) ?? { id, title: id, category: 'gate', defaultSeverity: 'warning', help: id }));
    }
    return idx;
  };
  const results = sorted.map((f) => {
    const result: Record<string, unknown> = {
      ruleId: f.ruleId,
      ruleIndex: ruleFor(f.ruleId),
      level: LEVEL[f.severity],
      message: { text: f.member ? `${f.message} (in ${f.member})` : f.message },
    };
    if (f.file !== undefined) {
      const region: Record<string, number> = {};
      if (f.range) {
        region.startLine = f.range.start.line + 1;
        region.startColumn = f.range.start.character + 1;
        region.endLine = f.range.end.line + 1;
        region.endColumn = Math.max(
          f.range.end.character + 1,
          f.range.end.line === f.range.start.line ? f.range.start.character + 2 : 1,
        );
      } else {
        region.startLine = 1;
        if (f.offset !== undefined) {
          region.byteOffset = f.offset;
          region.byteLength = 1;
        }
      }
      result.locations = [
        {
          physicalLocation: {
            artifactLocation: { uri: encodeURI(displayPath(f.file, base)), uriBaseId: '%SRCROOT%' },
            region,
          },
        },
      ];
    }
    if (f.data && Object.keys(f.data).length) result.properties = { ...f.data };
    result.partialFingerprints = { 'modelInspect/v1': fingerprint(f, base) };
    if (silenced.has(f))
      result.suppressions = [{ kind: 'inSource', justification: 'model-inspect-disable comment on the line' }];
    return result;
  });
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'model-inspect',
            fullName: 'Model Supply Chain Inspector',
            version: options.toolVersion,
            semanticVersion: options.toolVersion,
            ...(options.informationUri ? { informationUri: options.informationUri } : {}),
            rules,
          },
        },
        originalUriBaseIds: { '%SRCROOT%': { uri: toFileUri(base) } },
        results,
      },
    ],
  };
}

export function sarifRule(rule: RuleInfo): Record<string, unknown> {
  return {
    id: rule.id,
    name: rule.id.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : '')),
    shortDescription: { text: rule.title },
    fullDescription: { text: firstSentence(rule.help) },
    help: { text: stripMarkdown(rule.help), markdown: rule.help },
    defaultConfiguration: { level: LEVEL[rule.defaultSeverity] },
    properties: { tags: ['security', 'supply-chain', rule.category] },
  };
}

/** Every rule, for a SARIF file that documents the whole catalogue. */
export function sarifCatalogue(): Record<string, unknown>[] {
  return allRules().map(sarifRule);
}

function firstSentence(md: string): string {
  const plain = stripMarkdown(md);
  const m = /^(.+?[.!?])(\s|$)/.exec(plain);
  return m ? m[1] : plain;
}

function stripMarkdown(md: string): string {
  return md
    .replace(/`([^`]*)`/g, '$1')
    .replace(/\*\*([^*]*)\*\*/g, '$1')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
}

function toFileUri(dir: string): string {
  const p = dir.split('\\').join('/');
  return 'file://' + encodeURI(p.endsWith('/') ? p : p + '/');
}

/** Stable across runs and line moves within a file: rule, file, member and message. */
function fingerprint(f: Finding, base: string): string {
  const s = [f.ruleId, f.file ? displayPath(f.file, base) : '', f.member ?? '', f.message].join('\u0000');
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < s.length; i++) {
    h1 = Math.imul(h1 ^ s.charCodeAt(i), 16777619) >>> 0;
    h2 = Math.imul(h2 ^ s.charCodeAt(i), 2246822519) >>> 0;
  }
  return h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0');
}

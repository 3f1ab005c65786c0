import type { Finding, Fix, RelatedLocation } from '../findings.ts';
import type { YamlDocument, YamlNode } from '../yaml/document.ts';
import { K8S_RULE_SEVERITY } from './rules.ts';
import type { ImageScope } from './scope.ts';

export interface K8sCheckOptions {
  /**
   * Image patterns of the admission policies that guard the cluster (found beside the manifest,
   * or in the workspace). When given, images outside every pattern are reported.
   */
  admissionScopes?: readonly ImageScope[];
}

/** Collects findings for one file, placed on nodes of (possibly several) documents of it. */
export class FindingSink {
  readonly findings: Finding[] = [];
  private readonly seen = new Set<string>();

  constructor(readonly file: string | undefined) {}

  add(
    ruleId: string,
    doc: YamlDocument,
    at: { start: number; end: number },
    message: string,
    extra: {
      fixes?: (Fix | undefined)[];
      related?: RelatedLocation[];
      severity?: Finding['severity'];
      data?: Finding['data'];
    } = {},
  ): Finding | undefined {
    const range = doc.range(at);
    const key = `${ruleId}|${range.start.line}:${range.start.character}|${message}`;
    if (this.seen.has(key)) return undefined;
    this.seen.add(key);
    const f: Finding = {
      ruleId,
      severity: extra.severity ?? K8S_RULE_SEVERITY.get(ruleId) ?? 'warning',
      message,
      file: this.file,
      range,
    };
    const fixes = (extra.fixes ?? []).filter((x): x is Fix => x !== undefined);
    if (fixes.length) f.fixes = fixes;
    if (extra.related?.length) f.related = extra.related.map((r) => ({ ...r, file: r.file ?? this.file }));
    if (extra.data) f.data = extra.data;
    this.findings.push(f);
    return f;
  }

  related(doc: YamlDocument, message: string, node: YamlNode): RelatedLocation {
    return { message, file: this.file, range: doc.range(node) };
  }
}

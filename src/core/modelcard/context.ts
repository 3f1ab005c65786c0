import type { Finding, Fix, RelatedLocation } from '../findings.ts';
import type { YamlDocument, YamlNode } from '../yaml/document.ts';
import { CARD_RULES } from './rules.ts';
import type { FieldRole, SchemaNode } from './schema.ts';

const SEVERITY = new Map(CARD_RULES.map((r) => [r.id, r.defaultSeverity] as const));

/** A field the schema gave a role to, recorded during the schema walk for the semantic rules. */
export interface RoleHit {
  role: FieldRole;
  node: YamlNode;
  /** The value as text (the source text when YAML typed it as something else). */
  text: string;
  path: (string | number)[];
  /** The mapping holding the field (siblings such as `hash` next to `path`). */
  parent: YamlNode | null;
  schema: SchemaNode;
}

/** Shared state of one model-card check: the document, where findings go, and what later passes need. */
export class CardContext {
  readonly findings: Finding[] = [];
  readonly roles: RoleHit[] = [];

  constructor(
    readonly doc: YamlDocument,
    readonly file: string | undefined,
  ) {}

  report(
    ruleId: string,
    at: { start: number; end: number },
    message: string,
    extra: { fixes?: Fix[]; related?: RelatedLocation[]; severity?: Finding['severity']; data?: Finding['data'] } = {},
  ): void {
    const f: Finding = {
      ruleId,
      severity: extra.severity ?? SEVERITY.get(ruleId) ?? 'warning',
      message,
      file: this.file,
      range: this.doc.range(at),
    };
    if (extra.fixes?.length) f.fixes = extra.fixes;
    if (extra.related?.length) f.related = extra.related;
    if (extra.data) f.data = extra.data;
    this.findings.push(f);
  }

  /** An edit replacing a node's text (offsets relative to the YAML text). */
  replace(title: string, at: { start: number; end: number }, newText: string, isPreferred = true): Fix {
    return { kind: 'edit', title, isPreferred, edits: [{ file: this.file, range: this.doc.range(at), newText }] };
  }

  /** A replacement value written in the node's own quoting style, so a fix changes nothing else. */
  styled(node: YamlNode, value: string): string {
    if (node.style === 'single') return `'${value.replace(/'/g, "''")}'`;
    if (node.style === 'double' || !isSafePlain(value)) return JSON.stringify(value);
    return value;
  }

  related(message: string, node: YamlNode): RelatedLocation {
    return { message, file: this.file, range: this.doc.range(node) };
  }
}

/** Text that stays the same string when written unquoted in YAML. */
export function isSafePlain(v: string): boolean {
  if (!/^[A-Za-z_./][A-Za-z0-9_./@+-]*(?:[:][A-Za-z0-9_./@+-]+)*$/.test(v)) return false;
  return !/^(true|false|yes|no|on|off|y|n|null|~)$/i.test(v);
}

/** Dotted path for messages: `provenance.training_data.hash`, `artifacts[0].path`. */
export function pathLabel(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out || '(top level)';
}

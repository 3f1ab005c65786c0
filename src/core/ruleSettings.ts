import { isSeverity, type Finding, type Severity } from './findings.ts';

/** Per-rule configuration shared by the CLI (the policy's `rules:` section) and the extension (settings). */
export interface RuleSettings {
  /** ruleId -> severity, or 'off' to drop it. A trailing `/*` matches a whole area (e.g. `card/*`). */
  severity?: Record<string, Severity | 'off'>;
  /** Rule ids (or `area/*`) never to report. */
  disabled?: readonly string[];
  /** Where these settings come from (shown when they are wrong), e.g. "modelInspect.rules settings". */
  source?: string;
}

const areaOf = (ruleId: string) => ruleId.split('/')[0];

function lookup<T>(table: Record<string, T> | undefined, ruleId: string): T | undefined {
  if (!table) return undefined;
  if (Object.prototype.hasOwnProperty.call(table, ruleId)) return table[ruleId];
  const area = areaOf(ruleId) + '/*';
  return Object.prototype.hasOwnProperty.call(table, area) ? table[area] : undefined;
}

/**
 * What one layer says about a rule: its severity, 'off', or nothing. A layer's `disabled` list
 * wins over its own severity table; an exact id wins over its area's `area/*`.
 */
function layerSays(settings: RuleSettings, ruleId: string): Severity | 'off' | undefined {
  const disabled = settings.disabled ?? [];
  if (disabled.includes(ruleId)) return 'off';
  const exact =
    settings.severity && Object.prototype.hasOwnProperty.call(settings.severity, ruleId)
      ? settings.severity[ruleId]
      : undefined;
  if (exact !== undefined) return exact === 'off' || isSeverity(exact) ? exact : undefined;
  if (disabled.includes(areaOf(ruleId) + '/*')) return 'off';
  const area = lookup(settings.severity, ruleId);
  return area === 'off' || isSeverity(area) ? area : undefined;
}

/**
 * The severity a rule is shown with under layered settings (first layer that names the rule
 * decides: the VS Code settings before the policy's `rules:`), 'off' to drop it, or undefined to
 * keep the engine's own.
 */
export function ruleSetting(layers: readonly RuleSettings[], ruleId: string): Severity | 'off' | undefined {
  for (const layer of layers) {
    const said = layerSays(layer, ruleId);
    if (said !== undefined) return said;
  }
  return undefined;
}

/**
 * The promotion gate's own findings are the reasons of its verdict: neither settings nor inline
 * comments change them (the `gate:` section of the policy decides the verdict).
 */
export function isVerdictRule(ruleId: string): boolean {
  return areaOf(ruleId) === 'gate';
}

/**
 * Areas whose findings an inline comment in the inspected file cannot silence: what decides trust
 * (the gate's verdict, signatures, code in weight files, SBOMs, registries). A comment is the
 * author's word, and the author of a downloaded model is who the check is about.
 */
export const INLINE_PROTECTED_AREAS: readonly string[] = ['gate', 'signing', 'scan', 'sbom', 'registry'];

export function isInlineSuppressible(ruleId: string): boolean {
  return !INLINE_PROTECTED_AREAS.includes(areaOf(ruleId));
}

/** Rule settings applied (one layer). The gate's own findings are never changed. */
export function applyRuleSettings(
  findings: readonly Finding[],
  settings: RuleSettings | readonly RuleSettings[] | undefined,
): Finding[] {
  if (!settings) return [...findings];
  const layers: readonly RuleSettings[] = Array.isArray(settings) ? settings : [settings as RuleSettings];
  const out: Finding[] = [];
  for (const f of findings) {
    if (isVerdictRule(f.ruleId)) {
      out.push(f);
      continue;
    }
    const s = ruleSetting(layers, f.ruleId);
    if (s === 'off') continue;
    out.push(s && s !== f.severity ? { ...f, severity: s } : f);
  }
  return out;
}

const SUPPRESS = /(?:#|\/\/)\s*model-inspect-disable(-next)?-line\b([^\n]*)/g;
export const SUPPRESSION_MARKER = 'model-inspect-disable';

/** Line (0-based) → the rule ids silenced on it, or 'all'. */
export type SuppressionMap = ReadonlyMap<number, ReadonlySet<string> | 'all'>;

/**
 * Inline suppressions in a text: `# model-inspect-disable-line RULE[, RULE…]` on the flagged
 * line, or `# model-inspect-disable-next-line RULE…` on the line before. With no rule named, every
 * rule is suppressed on that line. (Hash comments for YAML and Python, slashes for others.)
 */
export function suppressionsIn(text: string): SuppressionMap {
  const byLine = new Map<number, Set<string> | 'all'>();
  if (!text.includes(SUPPRESSION_MARKER)) return byLine;
  const lines = text.split(/\r\n|\r|\n/);
  lines.forEach((line, i) => {
    if (!line.includes(SUPPRESSION_MARKER)) return;
    SUPPRESS.lastIndex = 0;
    const m = SUPPRESS.exec(line);
    if (!m) return;
    const target = m[1] ? i + 1 : i;
    const ids = m[2].split(/[\s,]+/).filter((s) => /^[a-z][a-z0-9]*\/[\w*-]+$/.test(s));
    const prev = byLine.get(target);
    if (ids.length === 0 || prev === 'all') byLine.set(target, 'all');
    else byLine.set(target, new Set([...(prev ?? []), ...ids]));
  });
  return byLine;
}

/** Whether a suppression map silences a finding (on its start line; only rules a comment may silence). */
export function isSuppressed(f: Finding, map: SuppressionMap): boolean {
  if (!f.range || !isInlineSuppressible(f.ruleId)) return false;
  const rule = map.get(f.range.start.line);
  if (!rule) return false;
  if (rule === 'all') return true;
  return rule.has(f.ruleId) || rule.has(areaOf(f.ruleId) + '/*');
}

/** The findings an inline comment in `text` does not silence. (Faces use `presentFindings`, src/core/present.ts.) */
export function applySuppressions(findings: readonly Finding[], text: string): Finding[] {
  const map = suppressionsIn(text);
  return map.size ? findings.filter((f) => !isSuppressed(f, map)) : [...findings];
}

import { isSeverity, type Finding, type Severity } from './findings.ts';

/** Per-rule configuration shared by the CLI (policy file) and the extension (settings). */
export interface RuleSettings {
  /** ruleId -> severity, or 'off' to drop it. A trailing `/*` matches a whole area (e.g. `card/*`). */
  severity?: Record<string, Severity | 'off'>;
  /** Rule ids (or `area/*`) never to report. */
  disabled?: readonly string[];
}

function lookup<T>(table: Record<string, T> | undefined, ruleId: string): T | undefined {
  if (!table) return undefined;
  if (Object.prototype.hasOwnProperty.call(table, ruleId)) return table[ruleId];
  const area = ruleId.split('/')[0] + '/*';
  return Object.prototype.hasOwnProperty.call(table, area) ? table[area] : undefined;
}

export function applyRuleSettings(findings: readonly Finding[], settings: RuleSettings | undefined): Finding[] {
  if (!settings) return [...findings];
  const disabled = new Set(settings.disabled ?? []);
  const out: Finding[] = [];
  for (const f of findings) {
    if (disabled.has(f.ruleId) || disabled.has(f.ruleId.split('/')[0] + '/*')) continue;
    const s = lookup(settings.severity, f.ruleId);
    if (s === 'off') continue;
    out.push(isSeverity(s) ? { ...f, severity: s } : f);
  }
  return out;
}

const SUPPRESS = /(?:#|\/\/)\s*model-inspect-disable(-next)?-line\b([^\n]*)/g;

/**
 * Inline suppressions in text files: `# model-inspect-disable-line RULE[, RULE…]` on the flagged
 * line, or `# model-inspect-disable-next-line RULE…` on the line before. With no rule named, every
 * rule is suppressed on that line. (Hash comments for YAML and Python, slashes for others.)
 */
export function applySuppressions(findings: readonly Finding[], text: string): Finding[] {
  if (!text.includes('model-inspect-disable')) return [...findings];
  const byLine = new Map<number, Set<string> | 'all'>();
  const lines = text.split(/\r\n|\r|\n/);
  lines.forEach((line, i) => {
    SUPPRESS.lastIndex = 0;
    const m = SUPPRESS.exec(line);
    if (!m) return;
    const target = m[1] ? i + 1 : i;
    const ids = m[2].split(/[\s,]+/).filter((s) => /^[a-z][a-z0-9]*\/[\w*-]+$/.test(s));
    const prev = byLine.get(target);
    if (ids.length === 0 || prev === 'all') byLine.set(target, 'all');
    else byLine.set(target, new Set([...(prev ?? []), ...ids]));
  });
  return findings.filter((f) => {
    if (!f.range) return true;
    const rule = byLine.get(f.range.start.line);
    if (!rule) return true;
    if (rule === 'all') return false;
    return !(rule.has(f.ruleId) || rule.has(f.ruleId.split('/')[0] + '/*'));
  });
}

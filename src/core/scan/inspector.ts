import type { InspectResult, Inspector } from '../inspect/types.ts';
import type { Finding } from '../findings.ts';
import { planFolder, type NotAnalysedEntry } from './folder.ts';
import { scanFile } from './scanner.ts';
import type { FileScanResult } from './types.ts';
import { plural } from '../messageText.ts';

/** One line for `inspect`'s summary table. */
export function scanSummary(r: FileScanResult): string {
  const errors = r.findings.filter((f) => f.severity === 'error').length;
  const warnings = r.findings.filter((f) => f.severity === 'warning').length;
  const verdict = errors
    ? `${errors} dangerous finding(s)`
    : !r.complete
      ? 'incomplete scan'
      : warnings
        ? `${plural(warnings, 'warning')}`
        : 'no code found';
  const members = r.members.length ? `, ${plural(r.members.length, 'member')}` : '';
  return `${verdict}${members}, ${r.stats.opcodes} opcodes`;
}

/**
 * `model-inspect inspect DIR`: the folder's scan plan (folder.ts): every file whose content is a
 * model format or whose name says weights is scanned, including inside `node_modules`/`venv`-like
 * folders; links out of the folder, special files and unknown binary content are reported.
 */
export const scanInspector: Inspector = {
  id: 'scan',
  title: 'Model file scan',
  async inspect(ctx): Promise<InspectResult> {
    const result: InspectResult = { findings: [], files: [] };
    const plan = await planFolder(ctx.root, { signal: ctx.signal });
    if (plan.truncated)
      result.findings.push({
        ruleId: 'scan/incomplete',
        severity: 'warning',
        message: `folder scan incomplete: ${plan.truncated}`,
        file: ctx.root,
      });
    for (const u of plan.unscannable) {
      result.findings.push({
        ruleId: 'scan/incomplete',
        severity: 'warning',
        message: `not scanned: ${u.rel} ${u.reason}`,
        file: u.path,
      });
      result.files.push({ path: u.path, kind: 'unknown', summary: 'incomplete scan: not readable' });
    }
    for (const n of plan.notAnalysed) result.findings.push(notAnalysedFinding(n));
    for (const f of plan.files) {
      ctx.signal?.throwIfAborted();
      const r = await scanFile(f.path, { signal: ctx.signal });
      result.findings.push(...r.findings);
      result.files.push({ path: f.path, kind: r.format, summary: scanSummary(r) });
    }
    return result;
  },
};

/** A "not analysed" entry as a finding (info: the gate's `scan.not_analysed` policy decides whether it blocks). */
export function notAnalysedFinding(n: NotAnalysedEntry): Finding {
  return {
    ruleId: 'scan/not-analysed',
    severity: 'info',
    message: `${n.rel} (${n.size} bytes) ${n.detail}`,
    file: n.path,
    data: { kind: n.kind, size: n.size },
  };
}

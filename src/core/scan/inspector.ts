import type { InspectResult, Inspector } from '../inspect/types.ts';
import { looksScannable, scanFile } from './scanner.ts';
import type { FileScanResult } from './types.ts';

/** One line for `inspect`'s summary table. */
export function scanSummary(r: FileScanResult): string {
  const errors = r.findings.filter((f) => f.severity === 'error').length;
  const warnings = r.findings.filter((f) => f.severity === 'warning').length;
  const verdict = errors ? `${errors} dangerous finding(s)` : !r.complete ? 'incomplete scan' : warnings ? `${warnings} warning(s)` : 'no code found';
  const members = r.members.length ? `, ${r.members.length} member(s)` : '';
  return `${verdict}${members}, ${r.stats.opcodes} opcodes`;
}

/** `model-inspect inspect DIR`: every file whose content is a model format gets scanned. */
export const scanInspector: Inspector = {
  id: 'scan',
  title: 'Model file scan',
  async inspect(ctx): Promise<InspectResult> {
    const result: InspectResult = { findings: [], files: [] };
    for (const f of ctx.files) {
      ctx.signal?.throwIfAborted();
      if (!(await looksScannable(f.path, f.size))) continue;
      const r = await scanFile(f.path, { signal: ctx.signal });
      result.findings.push(...r.findings);
      result.files.push({ path: f.path, kind: r.format, summary: scanSummary(r) });
    }
    return result;
  },
};

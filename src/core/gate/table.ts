import { sanitizeLine as sanitize } from '../output/text.ts';
import type { GateVerdict } from './verdict.ts';

const STATUS = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' } as const;

/** The gate as a text table (one row per check, one line per reason) and a last line with the verdict. */
export function formatGateTable(verdict: GateVerdict, model: string, policy: string): string {
  const w = Math.max(5, ...verdict.checks.map((c) => c.title.length));
  const lines = [
    `Promotion gate for ${sanitize(model)} (${sanitize(policy)})`,
    '',
    `  ${'CHECK'.padEnd(w)}  RESULT  WHY`,
  ];
  for (const c of verdict.checks) {
    const reasons = c.reasons.length ? c.reasons : [''];
    reasons.forEach((r, i) => {
      lines.push(
        `  ${(i === 0 ? c.title : '').padEnd(w)}  ${(i === 0 ? STATUS[c.status] : '').padEnd(6)}  ${sanitize(r)}`,
      );
    });
  }
  const failed = verdict.checks.filter((c) => c.status === 'fail').length;
  lines.push('');
  lines.push(
    verdict.passed
      ? 'Promotion APPROVED: every check passed.'
      : `Promotion BLOCKED: ${failed} of ${verdict.checks.length} checks failed.`,
  );
  return lines.join('\n');
}

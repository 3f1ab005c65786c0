import type { ScanContext } from '../context.ts';
import { classifyGlobal, FUNCTION_CALL_OPCODES } from '../policy/classify.ts';
import type { PickleAnomaly, PickleReadResult } from './machine.ts';
import { describe } from './values.ts';

const MAX_CALL_FINDINGS = 20;

const ANOMALY_RULE: Record<PickleAnomaly['kind'], { rule: string; severity: 'error' | 'warning' }> = {
  'unresolved-import': { rule: 'scan/pickle-computed-import', severity: 'error' },
  ext: { rule: 'scan/pickle-ext-opcode', severity: 'error' },
  'global-mutation': { rule: 'scan/pickle-global-mutation', severity: 'error' },
  frame: { rule: 'scan/pickle-frame-violation', severity: 'error' },
  proto: { rule: 'scan/pickle-suspicious-structure', severity: 'warning' },
  malformed: { rule: 'scan/pickle-malformed', severity: 'warning' },
  'invalid-opcode': { rule: 'scan/pickle-malformed', severity: 'warning' },
  truncated: { rule: 'scan/pickle-malformed', severity: 'warning' },
  'not-pickle': { rule: 'scan/pickle-malformed', severity: 'warning' },
  junk: { rule: 'scan/trailing-data', severity: 'warning' },
  limit: { rule: 'scan/incomplete', severity: 'warning' },
  joblib: { rule: 'scan/incomplete', severity: 'warning' },
};

/**
 * Turn one pickle walk into findings: policy verdicts on imports, call sites on computed
 * callables, and anomalies. Returns the number of error/warning findings added.
 */
/**
 * Python naming convention: classes are CapWords, functions lower_case. REDUCE on a class of a
 * library that is not deny-listed (sklearn's `Tree`, extension types) is an instantiation, graded
 * as an unknown import; REDUCE on a function is an arbitrary call, graded dangerous.
 */
function looksLikeClass(name: string): boolean {
  const last = name.split('.').pop() ?? '';
  return /^_*[A-Z][A-Za-z0-9]*$/.test(last) && /[a-z]/.test(last);
}

export function reportPickle(
  ctx: ScanContext,
  r: PickleReadResult,
  member: string | undefined,
  nestedComplete: ReadonlyMap<number, boolean> = new Map(),
): number {
  let issues = 0;
  for (const imp of r.imports) {
    const full = `${imp.module}.${imp.name}`;
    const v = classifyGlobal(imp.module, imp.name);
    if (v.kind === 'allowed') continue;
    const raw = imp.raw ? ` (written as ${imp.raw})` : '';
    const at = `${imp.opcode} at byte ${imp.offset}${imp.count > 1 ? `, ${imp.count} times` : ''}`;
    const called = imp.calledBy.length
      ? `, called by ${imp.calledBy.join('/')} at byte ${imp.firstCallOffset}`
      : ', imported but not called';
    const data = { module: imp.module, name: imp.name, opcode: imp.opcode, calledBy: imp.calledBy.join(',') || null };
    if (
      v.kind === 'denied' &&
      v.reason === 'nested' &&
      imp.callCount > 0 &&
      imp.literalPayloads.length === imp.callCount &&
      imp.literalPayloads.every((i) => nestedComplete.get(i) === true)
    ) {
      // pickle.loads(b'…') on a literal that was scanned completely: that stream's verdict decides.
      const where = imp.literalPayloads.map((i) => `${member ?? ''}#nested@${r.embedded[i].offset}`).join(', ');
      ctx.add(
        'scan/nested-pickle',
        'info',
        `calls ${full}${raw} (${at}) only on embedded data that was scanned completely (${where}); those findings decide`,
        { member, offset: imp.offset, data },
      );
      continue;
    }
    if (v.kind === 'denied') {
      ctx.add('scan/pickle-dangerous-import', 'error', `imports ${full}${raw} (${at}${called}): ${v.why}`, {
        member,
        offset: imp.offset,
        data,
      });
    } else if (imp.calledBy.some((o) => FUNCTION_CALL_OPCODES.has(o)) && !looksLikeClass(imp.name)) {
      ctx.add(
        'scan/pickle-unsafe-call',
        'error',
        `calls ${full}${raw} (${at}${called}); it is not on the allowlist, and any function called while loading can run code`,
        { member, offset: imp.firstCallOffset ?? imp.offset, data },
      );
    } else {
      const what = imp.calledBy.length
        ? `instantiates ${full}${raw} (${at}, ${imp.calledBy.join('/')})`
        : `imports ${full}${raw} (${at})`;
      ctx.add(
        'scan/pickle-unknown-import',
        'warning',
        `${what}: not on the allowlist; loading runs its constructor/__setstate__, which this scan cannot vouch for`,
        { member, offset: imp.offset, data },
      );
    }
    issues++;
  }
  let callFindings = 0;
  for (const c of r.calls) {
    if (c.kind === 'attribute') continue; // reported through its global-mutation anomaly
    if (callFindings++ >= MAX_CALL_FINDINGS) break;
    const what =
      c.kind === 'call-result'
        ? `the result of another call (${describe(c.callable)})`
        : c.kind === 'ext'
          ? 'an object from the copyreg extension registry'
          : c.kind === 'persistent'
            ? 'an object returned by persistent_load'
            : `a value computed while loading (${describe(c.callable)})`;
    ctx.add(
      'scan/pickle-unsafe-call',
      'error',
      `${c.opcode} at byte ${c.offset} calls ${what}; chained calls like getattr(…)(…) reach any function`,
      { member, offset: c.offset, data: { opcode: c.opcode, callable: describe(c.callable) } },
    );
    issues++;
  }
  if (callFindings > MAX_CALL_FINDINGS)
    ctx.add(
      'scan/pickle-unsafe-call',
      'error',
      `${r.calls.length - MAX_CALL_FINDINGS} more computed calls not listed`,
      { member },
    );
  const perKind = new Map<string, number>();
  for (const a of r.anomalies) {
    const m = ANOMALY_RULE[a.kind];
    const seen = (perKind.get(a.kind) ?? 0) + 1;
    perKind.set(a.kind, seen);
    if (seen > 10) continue;
    const op = a.opcode ? `${a.opcode} at byte ${a.offset}: ` : `at byte ${a.offset}: `;
    ctx.add(m.rule, m.severity, op + a.message, {
      member,
      offset: a.offset,
      data: { anomaly: a.kind, ...(a.opcode ? { opcode: a.opcode } : {}) },
    });
    if (m.rule === 'scan/incomplete') ctx.complete = false;
    issues++;
  }
  for (const [kind, n] of perKind) {
    if (n > 10)
      ctx.add(
        ANOMALY_RULE[kind as PickleAnomaly['kind']].rule,
        ANOMALY_RULE[kind as PickleAnomaly['kind']].severity,
        `${n - 10} more ${kind} problems of the same kind not listed`,
        { member },
      );
  }
  if (!r.complete) ctx.complete = false;
  return issues;
}

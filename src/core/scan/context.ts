import type { Finding, Severity } from '../findings.ts';
import { DEFAULT_SCAN_LIMITS, type MemberResult, type ScanFormat, type ScanLimits, type ScanStats } from './types.ts';

/** Per-file scan state shared by every format handler: findings, members, stats, limits. */
export class ScanContext {
  readonly findings: Finding[] = [];
  readonly members: MemberResult[] = [];
  readonly stats: ScanStats = { bytes: 0, opcodes: 0, pickles: 0, members: 0, ms: 0 };
  readonly limits: ScanLimits;
  complete = true;
  /** A joblib NumpyArrayWrapper was seen (the pickle is a joblib dump). */
  sawJoblib = false;

  constructor(
    readonly file: string,
    limits: Partial<ScanLimits> = {},
    readonly signal?: AbortSignal,
  ) {
    this.limits = { ...DEFAULT_SCAN_LIMITS, ...limits, pickle: { ...DEFAULT_SCAN_LIMITS.pickle, ...limits.pickle } };
  }

  add(
    ruleId: string,
    severity: Severity,
    message: string,
    where: { member?: string; offset?: number; data?: Finding['data'] } = {},
  ): void {
    const f: Finding = { ruleId, severity, message, file: this.file };
    if (where.member) f.member = where.member;
    if (where.offset !== undefined) f.offset = where.offset;
    if (where.data) f.data = where.data;
    this.findings.push(f);
  }

  /** Something was not scanned: never silently clean. */
  incomplete(message: string, member?: string, offset?: number): void {
    this.complete = false;
    this.add('scan/incomplete', 'warning', message, { member, offset });
  }

  member(path: string, format: ScanFormat, size: number): void {
    this.stats.members++;
    if (this.members.length < this.limits.maxMembers) this.members.push({ path, format, size });
  }

  /** Findings at warning or error for a member (or the file itself when member is undefined). */
  issuesFor(member: string | undefined, since: number): number {
    let n = 0;
    for (let i = since; i < this.findings.length; i++) {
      const f = this.findings[i];
      if ((f.member ?? undefined) === member && f.severity !== 'info') n++;
    }
    return n;
  }
}

export function where(member: string | undefined): string {
  return member ? ` in ${member}` : '';
}

import path from 'node:path';
import type { Finding } from '../findings.ts';
import { walk } from '../fsutil/walk.ts';
import { INSPECTORS } from './inspectors.ts';
import type { InspectedFile, Inspector } from './types.ts';

export interface FolderReport {
  root: string;
  findings: Finding[];
  files: InspectedFile[];
  /** Engines that ran, with their finding counts. */
  engines: { id: string; title: string; findings: number; error?: string }[];
}

export interface InspectFolderOptions {
  now?: Date;
  signal?: AbortSignal;
  options?: Record<string, unknown>;
  inspectors?: readonly Inspector[];
}

/** Run every engine over a folder. An engine that throws becomes a finding; the others still run. */
export async function inspectFolder(dir: string, opts: InspectFolderOptions = {}): Promise<FolderReport> {
  const root = path.resolve(dir);
  const walked = await walk(root);
  const findings: Finding[] = [];
  if (walked.truncated) {
    findings.push({
      ruleId: 'gate/incomplete',
      severity: 'warning',
      message: `inspection incomplete: ${walked.truncated}`,
      file: root,
    });
  }
  for (const e of walked.errors) {
    findings.push({
      ruleId: 'gate/incomplete',
      severity: 'warning',
      message: `could not read ${e.path}: ${e.message}`,
      file: e.path,
    });
  }
  for (const s of walked.special) {
    findings.push({
      ruleId: 'gate/file-refused',
      severity: 'warning',
      message: `${s.rel} is a ${s.kind.replace('-', ' ')}, not a regular file: not opened`,
      file: s.path,
    });
  }
  const files: InspectedFile[] = [];
  const engines: FolderReport['engines'] = [];
  const ctx = {
    root,
    files: walked.files,
    now: opts.now ?? new Date(),
    signal: opts.signal,
    options: opts.options ?? {},
  };
  for (const inspector of opts.inspectors ?? INSPECTORS) {
    opts.signal?.throwIfAborted();
    try {
      const r = await inspector.inspect(ctx);
      findings.push(...r.findings);
      files.push(...r.files);
      engines.push({ id: inspector.id, title: inspector.title, findings: r.findings.length });
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      const message = (e as Error)?.message ?? String(e);
      findings.push({
        ruleId: 'gate/incomplete',
        severity: 'error',
        message: `${inspector.title} failed: ${message}`,
        file: root,
      });
      engines.push({ id: inspector.id, title: inspector.title, findings: 0, error: message });
    }
  }
  return { root, findings, files, engines };
}

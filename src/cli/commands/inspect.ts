import fs from 'node:fs';
import path from 'node:path';
import { inspectFolder } from '../../core/inspect/inspectFolder.ts';
import { displayPath } from '../../core/output/paths.ts';
import type { Command } from '../command.ts';

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'find everything inspectable in a folder, run every engine on it, print one summary',
  usage: 'inspect DIR [--format text|json|sarif] [--fail-on error|warning|info]',
  flags: {},
  positionals: { min: 1, max: 1, metavar: 'DIR' },
  async run(args, io) {
    const dir = path.resolve(io.cwd, args.positionals[0]);
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`not a folder: ${args.positionals[0]}`);
    const report = await inspectFolder(dir, { signal: io.signal });
    const counts = new Map<string, { error: number; warning: number; info: number }>();
    for (const f of report.findings) {
      const key = f.file ?? '';
      const c = counts.get(key) ?? { error: 0, warning: 0, info: 0 };
      c[f.severity]++;
      counts.set(key, c);
    }
    const rows = report.files.map((f) => {
      const c = counts.get(f.path) ?? { error: 0, warning: 0, info: 0 };
      return { file: displayPath(f.path, io.cwd), kind: f.kind, summary: f.summary ?? '', ...c };
    });
    const text = [
      `Inspected ${displayPath(dir, io.cwd)}: ${report.files.length} file(s) by ${report.engines.length} engine(s)`,
      '',
      table(['file', 'kind', 'errors', 'warnings', 'info', 'summary'], rows.map((r) => [r.file, r.kind, String(r.error), String(r.warning), String(r.info), r.summary])),
    ].join('\n');
    return {
      findings: report.findings,
      text,
      json: { root: displayPath(dir, io.cwd), files: rows, engines: report.engines },
    };
  },
};

export function table(header: string[], rows: string[][]): string {
  if (rows.length === 0) return '(nothing inspectable found)';
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (c ?? '').padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

import type { Finding } from '../../src/core/findings.ts';
import type { ModelReport } from '../../src/core/report/model.ts';
import { h } from '../ui/dom.ts';
import { dataTable } from '../ui/table.ts';
import { tag } from '../ui/toolkit.ts';
import { location, note, rel, section, type RenderContext } from './context.ts';
import { messageNode, messageText } from '../ui/message.ts';

/** The imported name a pickle finding is about, whatever the scanner called the field. */
function importOf(f: Finding): string {
  const d = f.data ?? {};
  if (typeof d.module === 'string' && typeof d.name === 'string') return `${d.module}.${d.name}`;
  for (const k of ['global', 'import', 'callable']) if (typeof d[k] === 'string') return d[k] as string;
  return '';
}

export function scanSection(ctx: RenderContext, report: ModelReport): HTMLElement {
  const s = report.evidence.scan;
  if (!s.available)
    return section('scan', 'Scan', note(`Weight files were not scanned: ${s.note ?? 'no scanner'}.`, 'warn'));
  if (!s.files.length) return section('scan', 'Scan', note('No weight files to scan.'));
  return section(
    'scan',
    'Scan',
    ...s.files.map((file) =>
      h(
        'div',
        { className: 'scan-file', attrs: { 'data-file': rel(ctx, file.path) } },
        h(
          'h3',
          null,
          location(ctx, { file: file.path }),
          ' ',
          tag(file.format, 'neutral'),
          file.complete ? null : tag('INCOMPLETE', 'fail'),
          file.findings.length ? null : tag('NO FINDINGS', 'pass'),
        ),
        file.findings.length
          ? dataTable<Finding>({
              id: `scan-${rel(ctx, file.path).replace(/[^A-Za-z0-9_-]/g, '_')}`,
              caption: `findings in ${rel(ctx, file.path)}`,
              rows: file.findings,
              empty: 'No findings.',
              columns: [
                {
                  key: 'severity',
                  title: 'Severity',
                  text: (f) => f.severity,
                  cell: (f) =>
                    tag(
                      f.severity.toUpperCase(),
                      f.severity === 'error' ? 'fail' : f.severity === 'warning' ? 'medium' : 'info',
                    ),
                },
                { key: 'rule', title: 'Rule', text: (f) => f.ruleId, className: 'mono' },
                {
                  key: 'message',
                  title: 'Finding',
                  text: (f) => messageText(f.message),
                  cell: (f) => messageNode(f.message),
                },
                { key: 'member', title: 'Member', text: (f) => f.member ?? '', className: 'mono' },
                {
                  key: 'offset',
                  title: 'Offset',
                  text: (f) => (f.offset === undefined ? '' : String(f.offset)),
                  sortValue: (f) => f.offset ?? -1,
                  cell: (f) =>
                    f.offset === undefined ? '' : location(ctx, { file: f.file ?? file.path, offset: f.offset }),
                },
                { key: 'import', title: 'Import', text: importOf, className: 'mono' },
              ],
            })
          : null,
      ),
    ),
  );
}

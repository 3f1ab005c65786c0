import type { ModelReport } from '../../src/core/report/model.ts';
import { vulnRank, type Vulnerability } from '../../src/core/tools/vulnerabilities.ts';
import { h } from '../ui/dom.ts';
import { dataTable } from '../ui/table.ts';
import { tag } from '../ui/toolkit.ts';
import { location, note, section, type RenderContext } from './context.ts';

const TONE = {
  critical: 'critical',
  high: 'high',
  medium: 'medium',
  low: 'low',
  negligible: 'info',
  unknown: 'neutral',
} as const;

export function vulnerabilitiesSection(ctx: RenderContext, report: ModelReport): HTMLElement {
  const v = report.evidence.vulnerabilities;
  const missing = v.tools.filter((t) => !t.path && t.id !== 'syft');
  const installed = v.tools.filter((t) => t.path);
  return section(
    'vulnerabilities',
    'Vulnerabilities',
    v.reports.length
      ? h(
          'ul',
          { className: 'sources' },
          ...v.reports.map((r) => h('li', null, r.startsWith(ctx.root) ? location(ctx, { file: r }) : r)),
        )
      : note(
          'No vulnerability report (grype or trivy JSON, or a CycloneDX SBOM with vulnerabilities) in the model folder.',
          'warn',
        ),
    installed.length
      ? h('p', { className: 'muted' }, `Installed: ${installed.map((t) => `${t.id} (${t.path})`).join(', ')}.`)
      : null,
    missing.length
      ? h(
          'div',
          { className: 'note note-info', attrs: { id: 'tools-missing' } },
          h(
            'p',
            null,
            `Not installed: ${missing.map((t) => t.id).join(', ')}. Install one to scan from the panel ("Run Vulnerability Scan"), or put its JSON report in the model folder:`,
          ),
          h(
            'ul',
            null,
            ...missing.map((t) =>
              h('li', null, h('strong', null, t.id), ` — ${t.purpose}: `, h('code', null, t.install)),
            ),
          ),
        )
      : null,
    ...v.runs.map((r) => note(`${r.tool}: ${r.message}`, r.ok ? 'info' : 'warn')),
    dataTable<Vulnerability>({
      id: 'vulnerabilities-table',
      caption: 'vulnerabilities',
      rows: v.vulnerabilities,
      empty: v.reports.length ? 'The reports list no vulnerabilities.' : 'No vulnerability data.',
      filter: {
        value: ctx.ui.vulnFilter,
        placeholder: 'Filter (id, package, severity…)',
        onChange: (x) => {
          ctx.ui.vulnFilter = x;
          ctx.saveUi();
        },
      },
      sort: { column: 'severity', descending: true, onChange: () => {} },
      columns: [
        { key: 'id', title: 'ID', text: (x) => x.id, className: 'mono' },
        {
          key: 'severity',
          title: 'Severity',
          text: (x) => x.severity,
          sortValue: (x) => vulnRank(x.severity),
          cell: (x) => tag(x.severity.toUpperCase(), TONE[x.severity]),
        },
        { key: 'package', title: 'Package', text: (x) => x.package },
        { key: 'version', title: 'Version', text: (x) => x.version ?? '' },
        { key: 'fixed', title: 'Fixed in', text: (x) => x.fixedIn.join(', ') || 'no fix' },
        { key: 'scanner', title: 'Source', text: (x) => x.scanner },
      ],
    }),
  );
}

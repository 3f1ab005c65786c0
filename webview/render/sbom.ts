import type { ModelReport } from '../../src/core/report/model.ts';
import type { SbomComponent } from '../../src/core/sbom/types.ts';
import { h } from '../ui/dom.ts';
import { dataTable } from '../ui/table.ts';
import { location, note, section, type RenderContext } from './context.ts';
import { messageNode } from '../ui/message.ts';

interface Row extends SbomComponent {
  source: string;
}

export function sbomSection(ctx: RenderContext, report: ModelReport): HTMLElement {
  const sb = report.evidence.sbom;
  const rows: Row[] = sb.sboms.flatMap((s) => s.components.map((c) => ({ ...c, source: s.file })));
  return section(
    'sbom',
    'SBOM',
    sb.sboms.length
      ? h(
          'ul',
          { className: 'sources' },
          ...sb.sboms.map((s) =>
            h(
              'li',
              null,
              location(ctx, { file: s.file }),
              ` — ${s.format === 'cyclonedx' ? 'CycloneDX' : 'SPDX'} ${s.specVersion.replace(/^SPDX-/, '')}`,
              s.subject ? `, ${s.subject}` : '',
              `, ${s.components.length} components`,
            ),
          ),
        )
      : note('No CycloneDX or SPDX JSON SBOM in the model folder. Generate one with "Generate ML-BOM".', 'warn'),
    ...sb.findings.map((f) =>
      h(
        'p',
        { className: `note note-${f.severity === 'info' ? 'info' : 'warn'}` },
        messageNode(f.message),
        ' ',
        location(ctx, f),
      ),
    ),
    dataTable<Row>({
      id: 'sbom-table',
      caption: 'SBOM components',
      rows,
      empty: 'No components.',
      filter: {
        value: ctx.ui.sbomFilter,
        placeholder: 'Filter components (name, purl, license…)',
        onChange: (v) => {
          ctx.ui.sbomFilter = v;
          ctx.saveUi();
        },
      },
      sort: {
        column: ctx.ui.sbomSort.column,
        descending: ctx.ui.sbomSort.descending,
        onChange: (column, descending) => {
          ctx.ui.sbomSort = { column, descending };
          ctx.saveUi();
        },
      },
      columns: [
        { key: 'name', title: 'Name', text: (c) => c.name },
        { key: 'version', title: 'Version', text: (c) => c.version ?? '' },
        { key: 'type', title: 'Type', text: (c) => c.type },
        { key: 'purl', title: 'purl', text: (c) => c.purl ?? '', className: 'mono' },
        { key: 'licenses', title: 'Licenses', text: (c) => c.licenses.join(', ') },
        {
          key: 'hashes',
          title: 'Hashes',
          className: 'mono',
          text: (c) => c.hashes.map((x) => `${x.alg}:${x.value}`).join(' '),
          cell: (c) =>
            h(
              'span',
              null,
              ...c.hashes.map((x) =>
                h(
                  'span',
                  { className: 'hash', attrs: { title: `${x.alg} ${x.value}` } },
                  `${x.alg}:${x.value.slice(0, 12)}…`,
                ),
              ),
            ),
        },
      ],
    }),
  );
}

import { h, replaceChildren, type Child } from './dom.ts';
import { textField } from './toolkit.ts';

/**
 * A filterable, sortable table. Headers are buttons (keyboard: Tab, Enter/Space) with aria-sort;
 * the filter matches any column's text. Cells render through `h`, so their text is never markup.
 */
export const MAX_RENDERED_ROWS = 1000;

export interface Column<T> {
  key: string;
  title: string;
  /** Text used for sorting and filtering. */
  text: (row: T) => string;
  /** Cell content; defaults to `text`. */
  cell?: (row: T) => Child;
  /** Sort key when text order is wrong (severities, numbers). */
  sortValue?: (row: T) => number | string;
  className?: string;
}

export interface TableOptions<T> {
  id: string;
  caption: string;
  columns: Column<T>[];
  rows: readonly T[];
  filter?: { value: string; placeholder: string; onChange: (value: string) => void };
  sort?: { column: string; descending: boolean; onChange: (column: string, descending: boolean) => void };
  empty: string;
  rowAttrs?: (row: T) => Record<string, string | undefined>;
}

export function dataTable<T>(o: TableOptions<T>): HTMLElement {
  const wrap = h('div', { className: 'table-wrap', attrs: { id: o.id } });
  let filter = o.filter?.value ?? '';
  let sortCol = o.sort?.column ?? '';
  let desc = o.sort?.descending ?? false;
  const count = h('span', { className: 'count', attrs: { 'aria-live': 'polite' } });
  const tbody = h('tbody');
  const headRow = h('tr');
  const table = h(
    'table',
    { className: 'data' },
    h('caption', { className: 'visually-hidden' }, o.caption),
    h('thead', null, headRow),
    tbody,
  );

  const renderHead = () => {
    replaceChildren(
      headRow,
      ...o.columns.map((c) => {
        const sorted = c.key === sortCol;
        return h(
          'th',
          {
            attrs: { scope: 'col', 'aria-sort': sorted ? (desc ? 'descending' : 'ascending') : 'none' },
            className: c.className,
          },
          o.sort
            ? h(
                'button',
                {
                  className: 'sort',
                  attrs: { type: 'button', 'data-column': c.key, title: `Sort by ${c.title}` },
                  on: {
                    click: () => {
                      desc = sortCol === c.key ? !desc : false;
                      sortCol = c.key;
                      o.sort!.onChange(sortCol, desc);
                      renderHead();
                      renderBody();
                    },
                  },
                },
                c.title,
                h(
                  'span',
                  { className: 'sort-mark', attrs: { 'aria-hidden': 'true' } },
                  sorted ? (desc ? ' ▼' : ' ▲') : '',
                ),
              )
            : c.title,
        );
      }),
    );
  };

  const renderBody = () => {
    const needle = filter.trim().toLowerCase();
    let rows = needle
      ? o.rows.filter((r) => o.columns.some((c) => c.text(r).toLowerCase().includes(needle)))
      : [...o.rows];
    const col = o.columns.find((c) => c.key === sortCol);
    if (col) {
      const key = col.sortValue ?? col.text;
      rows = rows.sort((a, b) => {
        const x = key(a);
        const y = key(b);
        const d =
          typeof x === 'number' && typeof y === 'number'
            ? x - y
            : String(x).localeCompare(String(y), undefined, { numeric: true });
        return desc ? -d : d;
      });
    }
    // An SBOM can list tens of thousands of components: render a bounded number, say how many.
    const shown = rows.slice(0, MAX_RENDERED_ROWS);
    replaceChildren(
      tbody,
      ...shown.map((r) =>
        h(
          'tr',
          { attrs: o.rowAttrs?.(r) },
          ...o.columns.map((c) => h('td', { className: c.className }, c.cell ? c.cell(r) : c.text(r))),
        ),
      ),
    );
    if (rows.length > shown.length)
      tbody.appendChild(
        h(
          'tr',
          null,
          h(
            'td',
            { className: 'empty', attrs: { colspan: String(o.columns.length) } },
            `Showing the first ${shown.length} of ${rows.length} rows${o.filter ? '; filter to narrow them down' : ''}.`,
          ),
        ),
      );
    if (!rows.length)
      tbody.appendChild(
        h(
          'tr',
          null,
          h(
            'td',
            { className: 'empty', attrs: { colspan: String(o.columns.length) } },
            o.rows.length ? 'Nothing matches the filter.' : o.empty,
          ),
        ),
      );
    replaceChildren(count, needle ? `${rows.length} of ${o.rows.length}` : `${o.rows.length}`);
  };

  if (o.filter) {
    wrap.appendChild(
      h(
        'div',
        { className: 'table-tools' },
        textField({
          placeholder: o.filter.placeholder,
          label: `Filter ${o.caption}`,
          value: filter,
          id: `${o.id}-filter`,
          onInput: (v) => {
            filter = v;
            o.filter!.onChange(v);
            renderBody();
          },
        }),
        count,
      ),
    );
  }
  renderHead();
  renderBody();
  wrap.appendChild(h('div', { className: 'scroll' }, table));
  return wrap;
}

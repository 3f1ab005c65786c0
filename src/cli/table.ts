/** A plain text table: a header, a rule of dashes, then one line per row, columns padded to fit. */
export function table(header: string[], rows: string[][]): string {
  if (rows.length === 0) return '(nothing inspectable found)';
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (c ?? '').padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

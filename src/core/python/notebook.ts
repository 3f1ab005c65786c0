/**
 * Jupyter cells are Python plus IPython syntax (`%magic`, `!shell`, `%%cell-magic`), which a
 * Python grammar reports as errors. Masking those lines as comments, keeping every offset, lets
 * the same checks run on cells with positions that still match the cell's text.
 */

/** Cell magics whose body is still Python. Any other `%%magic` cell is not Python at all. */
const PYTHON_CELL_MAGICS = new Set(['time', 'timeit', 'capture', 'prun', 'debug', 'memit', 'mprun']);

/** The cell's text with IPython-only lines turned into comments of equal length, or undefined when the cell is not Python. */
export function maskIpython(cell: string): string | undefined {
  const first = /^\s*%%(\w+)/.exec(cell);
  if (first && !PYTHON_CELL_MAGICS.has(first[1])) return undefined;
  return cell.replace(/^([ \t]*)([%!])/gm, (_m, indent: string) => `${indent}#`);
}

export interface NotebookCell {
  /** 0-based index among all cells of the notebook. */
  index: number;
  source: string;
}

/**
 * The Python code cells of an .ipynb file (nbformat 4), or a reason it cannot be read.
 * A notebook whose kernel language is not Python yields no cells.
 */
export function notebookCodeCells(json: string): { cells: NotebookCell[] } | { error: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (e) {
    return { error: `not valid JSON: ${(e as Error).message}` };
  }
  if (!isRecord(doc) || !Array.isArray(doc.cells)) return { error: 'not a Jupyter notebook (no "cells" list)' };
  const meta = isRecord(doc.metadata) ? doc.metadata : {};
  const language = (
    isRecord(meta.kernelspec) && typeof meta.kernelspec.language === 'string'
      ? meta.kernelspec.language
      : isRecord(meta.language_info) && typeof meta.language_info.name === 'string'
        ? meta.language_info.name
        : 'python'
  ).toLowerCase();
  if (language !== 'python') return { cells: [] };
  const cells: NotebookCell[] = [];
  doc.cells.forEach((c: unknown, index: number) => {
    if (!isRecord(c) || c.cell_type !== 'code') return;
    const source = Array.isArray(c.source)
      ? c.source.filter((s): s is string => typeof s === 'string').join('')
      : typeof c.source === 'string'
        ? c.source
        : '';
    cells.push({ index, source });
  });
  return { cells };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

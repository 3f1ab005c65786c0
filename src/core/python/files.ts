import { FileTooLargeError, readRegularFile } from '../fsutil/read.ts';
import path from 'node:path';
import type { Finding } from '../findings.ts';
import type { InspectResult, Inspector } from '../inspect/types.ts';
import { decodeUtf8 } from '../yaml/decode.ts';
import { checkPythonWith, MAX_PYTHON_BYTES } from './checks.ts';
import { maskIpython, notebookCodeCells } from './notebook.ts';
import { ImportTable } from './imports.ts';
import { loadPythonParser, type PythonParser } from './treeSitter.ts';

/** Notebooks carry outputs (images, tables), so they may be larger than the code in them. */
export const MAX_NOTEBOOK_BYTES = 32 * 1024 * 1024;

export type PythonFileKind = 'python' | 'notebook';

export function pythonFileKind(file: string): PythonFileKind | undefined {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.py' || ext === '.pyw') return 'python';
  if (ext === '.ipynb') return 'notebook';
  return undefined;
}

/**
 * Checks a .py file, or every Python cell of an .ipynb (findings carry `member: "cell N"`, 1-based
 * as Jupyter shows it, and ranges within that cell; imports of earlier cells count in later ones).
 * Inline suppression comments are the faces' step (src/core/present.ts reads the cell's text).
 */
export async function checkPythonFile(file: string): Promise<Finding[]> {
  const kind = pythonFileKind(file);
  if (!kind) return [];
  const limit = kind === 'notebook' ? MAX_NOTEBOOK_BYTES : MAX_PYTHON_BYTES;
  let bytes: Buffer;
  try {
    bytes = await readRegularFile(file, limit);
  } catch (e) {
    if (!(e instanceof FileTooLargeError)) throw e;
    return [
      {
        ruleId: 'python/not-checked',
        severity: 'info',
        file,
        message: `${e.size} bytes is over the ${limit}-byte limit for a ${kind === 'notebook' ? 'notebook' : 'Python file'}; not checked`,
      },
    ];
  }
  const decoded = decodeUtf8(bytes);
  const parser = await loadPythonParser();
  if (kind === 'python') return checkPythonWith(parser, decoded.text, { file });
  return checkNotebookText(parser, decoded.text, file);
}

/**
 * Every Python cell of a notebook's JSON, imports of earlier cells counting in later ones. The
 * earlier cells' imports are gathered once into one growing table, so the work is linear in the
 * number of cells (it was quadratic: each cell re-parsed all earlier ones).
 */
export function checkNotebookText(parser: PythonParser, text: string, file: string): Finding[] {
  const nb = notebookCodeCells(text);
  if ('error' in nb)
    return [{ ruleId: 'python/not-checked', severity: 'info', file, message: `notebook not checked: ${nb.error}` }];
  const findings: Finding[] = [];
  const earlier = new ImportTable();
  for (const cell of nb.cells) {
    const source = maskIpython(cell.source);
    if (source === undefined) continue;
    for (const f of checkPythonWith(parser, source, { file, contextImports: earlier }))
      findings.push({ ...f, member: `cell ${cell.index + 1}` });
    const tree = parser.parse(source);
    try {
      earlier.include(tree);
    } finally {
      tree.delete();
    }
  }
  return findings;
}

export const pythonInspector: Inspector = {
  id: 'python',
  title: 'Python code that loads or saves models',
  async inspect(ctx): Promise<InspectResult> {
    const result: InspectResult = { findings: [], files: [] };
    for (const f of ctx.files) {
      if (ctx.signal?.aborted) break;
      const kind = pythonFileKind(f.path);
      if (!kind) continue;
      const findings = await checkPythonFile(f.path);
      result.findings.push(...findings);
      result.files.push({
        path: f.path,
        kind: kind === 'notebook' ? 'Jupyter notebook' : 'Python source',
        summary: `${findings.length} finding${findings.length === 1 ? '' : 's'}`,
      });
    }
    return result;
  },
};

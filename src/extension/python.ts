import * as vscode from 'vscode';
import { maskIpython } from '../core/python/notebook.ts';
import type { Services } from './services.ts';
import { setting } from './settings.ts';

const SCHEMES = new Set(['file', 'untitled', 'vscode-remote', 'vscode-notebook-cell']);

/** The checks and their parser runtime load with the first Python document (a chunk of their own in the build). */
const pythonChecks = () => import('../core/python/checks.ts');

/**
 * Python files and notebook cells: diagnostics with quick fixes for pickle-based loading and
 * saving (torch.load without weights_only, torch.save, pickle/joblib/dill, np.load allow_pickle,
 * save_pretrained safe_serialization=False). The parser (WASM) loads on the first Python document.
 */
export function registerPython(s: Services): void {
  // A cell's imports are in scope in the cells below it: when a cell changes, re-check those too.
  let timer: ReturnType<typeof setTimeout> | undefined;
  s.context.subscriptions.push(
    vscode.workspace.onDidChangeNotebookDocument((e) => {
      const first = Math.min(
        ...e.cellChanges.filter((c) => c.document).map((c) => c.cell.index),
        ...e.contentChanges.map((c) => c.range.start),
      );
      if (!Number.isFinite(first)) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(
        () => {
          for (const cell of e.notebook.getCells().slice(first + 1)) {
            if (cell.kind === vscode.NotebookCellKind.Code && cell.document.languageId === 'python')
              void s.live.validateNow(cell.document);
          }
        },
        setting<number>('validation.debounceMs', 150, e.notebook.uri) + 50,
      );
    }),
    {
      dispose: () => {
        if (timer) clearTimeout(timer);
      },
    },
  );
  s.context.subscriptions.push(
    s.live.add({
      id: 'python',
      matches: (doc) =>
        doc.languageId === 'python' && SCHEMES.has(doc.uri.scheme) && setting<boolean>('python.enable', true, doc.uri),
      validate: async (doc) => {
        const { checkPythonSource, MAX_PYTHON_BYTES } = await pythonChecks();
        const text = doc.getText();
        if (text.length > MAX_PYTHON_BYTES) return [];
        if (doc.uri.scheme !== 'vscode-notebook-cell') return checkPythonSource(text, { file: doc.uri.fsPath });
        const source = maskIpython(text);
        if (source === undefined) return [];
        return checkPythonSource(source, { file: doc.uri.fsPath, context: earlierCells(doc) });
      },
    }),
  );
}

/** The Python cells above this one in its notebook: their imports are in scope when it runs. */
function earlierCells(doc: vscode.TextDocument): string[] {
  for (const nb of vscode.workspace.notebookDocuments) {
    const cells = nb.getCells();
    const at = cells.findIndex((c) => c.document.uri.toString() === doc.uri.toString());
    if (at < 0) continue;
    return cells
      .slice(0, at)
      .filter((c) => c.kind === vscode.NotebookCellKind.Code && c.document.languageId === 'python')
      .map((c) => maskIpython(c.document.getText()))
      .filter((t): t is string => t !== undefined);
  }
  return [];
}

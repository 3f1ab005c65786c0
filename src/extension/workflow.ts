import * as vscode from 'vscode';
import { checkWorkflowText } from '../core/workflow/check.ts';
import { isWorkflowPath } from '../core/workflow/files.ts';
import type { Services } from './services.ts';
import { setting } from './settings.ts';

/**
 * GitHub Actions workflows (`.github/workflows/*.{yml,yaml}`): live supply-chain diagnostics.
 * Hovers, quick fixes, per-rule severity and `# model-inspect-disable-line` come from the shared
 * diagnostics layer. The files are matched by path, whether VS Code calls the language `yaml` or
 * `github-actions-workflow` (the GitHub Actions extension's id).
 */
export function registerWorkflow(s: Services): void {
  s.context.subscriptions.push(s.live.add({
    id: 'workflow',
    matches: isWorkflowDocument,
    validate: (doc) => checkWorkflowText(doc.getText(), doc.uri.fsPath),
  }));
}

const LANGUAGES = new Set(['yaml', 'github-actions-workflow']);
const SCHEMES = new Set(['file', 'untitled', 'vscode-remote']);

export function isWorkflowDocument(doc: vscode.TextDocument): boolean {
  return SCHEMES.has(doc.uri.scheme) && LANGUAGES.has(doc.languageId) && isWorkflowPath(doc.uri.path)
    && setting<boolean>('workflow.enable', true, doc.uri);
}

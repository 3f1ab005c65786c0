import * as vscode from 'vscode';
import { checkModelCardText } from '../core/modelcard/check.ts';
import { frontMatter, modelCardKind } from '../core/modelcard/files.ts';
import type { Services } from './services.ts';

/** Model cards (model-card.yaml and Hugging Face README.md front matter): live validation. */
export function registerModelCard(s: Services): void {
  s.context.subscriptions.push(s.live.add({
    id: 'model card',
    matches: (doc) => isModelCardDocument(doc),
    validate: (doc) => checkModelCardText(doc.getText(), doc.uri.fsPath, { now: new Date() }),
  }));
}

export function isModelCardDocument(doc: vscode.TextDocument): boolean {
  if (doc.uri.scheme !== 'file' && doc.uri.scheme !== 'untitled' && doc.uri.scheme !== 'vscode-remote') return false;
  const kind = modelCardKind(doc.uri.path);
  if (kind === 'card-yaml') return true;
  return kind === 'hf-readme' && frontMatter(doc.getText(new vscode.Range(0, 0, 200, 0))) !== undefined;
}

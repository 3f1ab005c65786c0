import * as vscode from 'vscode';
import { completionsAt, hoverAt, type CardCompletion } from '../core/modelcard/editor.ts';
import { toVsRange } from './diagnostics.ts';
import { isModelCardDocument } from './modelCard.ts';
import type { Services } from './services.ts';

/** Hovers with the field's documentation and completion of keys and values, from the model-card schemas. */
export function registerModelCardEditing(s: Services): void {
  const selector: vscode.DocumentSelector = [
    { language: 'yaml', scheme: 'file' },
    { language: 'yaml', scheme: 'untitled' },
    { language: 'markdown', scheme: 'file' },
    { language: 'markdown', scheme: 'untitled' },
  ];
  s.context.subscriptions.push(
    vscode.languages.registerHoverProvider(selector, new ModelCardFieldHover()),
    vscode.languages.registerCompletionItemProvider(selector, new ModelCardCompletion()),
  );
}

class ModelCardFieldHover implements vscode.HoverProvider {
  provideHover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    if (!isModelCardDocument(doc)) return undefined;
    const h = hoverAt(doc.getText(), doc.uri.path, { line: pos.line, character: pos.character });
    if (!h) return undefined;
    const md = new vscode.MarkdownString(h.markdown);
    md.isTrusted = false;
    return new vscode.Hover(md, toVsRange(h.range));
  }
}

class ModelCardCompletion implements vscode.CompletionItemProvider {
  provideCompletionItems(doc: vscode.TextDocument, pos: vscode.Position): vscode.CompletionItem[] | undefined {
    if (!isModelCardDocument(doc)) return undefined;
    return completionsAt(doc.getText(), doc.uri.path, { line: pos.line, character: pos.character }).map(toItem);
  }
}

function toItem(c: CardCompletion): vscode.CompletionItem {
  const item = new vscode.CompletionItem(
    c.label,
    c.kind === 'key' ? vscode.CompletionItemKind.Property : vscode.CompletionItemKind.EnumMember,
  );
  item.insertText = c.insertText;
  item.range = toVsRange(c.range);
  item.detail = c.detail;
  if (c.documentation) item.documentation = new vscode.MarkdownString(c.documentation);
  return item;
}

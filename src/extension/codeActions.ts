import * as vscode from 'vscode';
import type { Fix, TextRange } from '../core/findings.ts';
import { fixesOf, toVsRange } from './diagnostics.ts';

/**
 * Turns the engine's fixes into quick fixes (one action per fix, bound to its diagnostic), and
 * offers to silence a rule on one line with the inline comment the engine honours.
 */
export class FindingCodeActions implements vscode.CodeActionProvider {
  static readonly metadata: vscode.CodeActionProviderMetadata = {
    providedCodeActionKinds: [vscode.CodeActionKind.QuickFix],
  };

  provideCodeActions(
    doc: vscode.TextDocument,
    _range: vscode.Range,
    context: vscode.CodeActionContext,
  ): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    for (const d of context.diagnostics) {
      if (d.source !== 'model-inspect') continue;
      const attached = fixesOf(d);
      for (const fix of attached?.fixes ?? []) actions.push(toAction(fix, d, doc.uri));
      const comment = commentPrefix(doc.languageId);
      const ruleId = typeof d.code === 'object' ? String(d.code.value) : undefined;
      if (comment && ruleId) {
        const line = doc.lineAt(d.range.start.line);
        const indent = line.text.slice(0, line.firstNonWhitespaceCharacterIndex);
        const a = new vscode.CodeAction(`Suppress ${ruleId} on this line`, vscode.CodeActionKind.QuickFix);
        a.diagnostics = [d];
        a.edit = new vscode.WorkspaceEdit();
        a.edit.insert(
          doc.uri,
          new vscode.Position(line.lineNumber, 0),
          `${indent}${comment} model-inspect-disable-next-line ${ruleId}\n`,
        );
        actions.push(a);
      }
    }
    return actions;
  }
}

function toAction(fix: Fix, d: vscode.Diagnostic, uri: vscode.Uri): vscode.CodeAction {
  const a = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
  a.diagnostics = [d];
  if (fix.kind === 'edit') {
    a.edit = new vscode.WorkspaceEdit();
    // one set() per file: snippet edits leave the cursor on what the user still has to type
    const byFile = new Map<string, { target: vscode.Uri; edits: (vscode.TextEdit | vscode.SnippetTextEdit)[] }>();
    for (const e of fix.edits) {
      const target = e.file ? vscode.Uri.file(e.file) : uri;
      let entry = byFile.get(target.toString());
      if (!entry) byFile.set(target.toString(), (entry = { target, edits: [] }));
      entry.edits.push(
        e.snippet !== undefined
          ? snippetEdit(e.range, e.snippet)
          : vscode.TextEdit.replace(toVsRange(e.range), e.newText),
      );
    }
    for (const { target, edits } of byFile.values()) a.edit.set(target, edits);
    a.isPreferred = fix.isPreferred;
  } else {
    a.command = { title: fix.title, command: fix.command, arguments: fix.args };
  }
  return a;
}

/** The engine writes a snippet's lines with their real indentation: the editor must not re-indent them to the cursor's line. */
function snippetEdit(range: TextRange, snippet: string): vscode.SnippetTextEdit {
  const edit = vscode.SnippetTextEdit.replace(toVsRange(range), new vscode.SnippetString(snippet));
  edit.keepWhitespace = true;
  return edit;
}

function commentPrefix(languageId: string): string | undefined {
  if (['yaml', 'github-actions-workflow', 'python', 'dockercompose', 'shellscript'].includes(languageId)) return '#';
  return undefined;
}

import * as vscode from 'vscode';
import type { Finding, Fix, Severity, TextRange } from '../core/findings.ts';
import { editorMessage, plainMessage } from '../core/messageText.ts';
import { ruleHelpUri } from './ruleHelp.ts';

const SEVERITY: Record<Severity, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

/** The engine's fixes travel with their diagnostic so the code-action provider can offer them. */
const FIXES = new WeakMap<vscode.Diagnostic, { finding: Finding; fixes: Fix[] }>();
/** The finding behind each diagnostic: the hover renders its message as Markdown. */
const FINDINGS = new WeakMap<vscode.Diagnostic, Finding>();

export function toVsRange(r: TextRange): vscode.Range {
  return new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
}

export function toDiagnostic(f: Finding, document?: vscode.TextDocument): vscode.Diagnostic {
  let range: vscode.Range;
  if (f.range) range = toVsRange(f.range);
  else if (f.offset !== undefined && document) {
    const p = document.positionAt(f.offset);
    range = new vscode.Range(p, p.translate(0, 1));
  } else range = new vscode.Range(0, 0, 0, 0);
  // VS Code shows a diagnostic's message as it is: plain text, in the editor's words.
  const text = plainMessage(editorMessage(f.message));
  const message = f.member ? `${text} (in ${f.member})` : text;
  const d = new vscode.Diagnostic(range, message, SEVERITY[f.severity]);
  FINDINGS.set(d, f);
  d.source = 'model-inspect';
  d.code = { value: f.ruleId, target: ruleHelpUri(f.ruleId) };
  if (f.related?.length) {
    d.relatedInformation = f.related
      .filter((r) => r.file)
      .map(
        (r) =>
          new vscode.DiagnosticRelatedInformation(
            new vscode.Location(vscode.Uri.file(r.file!), r.range ? toVsRange(r.range) : new vscode.Range(0, 0, 0, 0)),
            r.message,
          ),
      );
  }
  if (f.fixes?.length) FIXES.set(d, { finding: f, fixes: f.fixes });
  return d;
}

export function findingOf(d: vscode.Diagnostic): Finding | undefined {
  return FINDINGS.get(d);
}

export function fixesOf(d: vscode.Diagnostic): { finding: Finding; fixes: Fix[] } | undefined {
  return FIXES.get(d);
}

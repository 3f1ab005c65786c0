import * as vscode from 'vscode';
import { editorMessage, markdownMessage } from '../core/messageText.ts';
import { ruleInfo } from '../core/rules.ts';
import { findingOf } from './diagnostics.ts';
import { ruleHelpUri } from './ruleHelp.ts';

/**
 * On a flagged range, each finding's message rendered as Markdown (its code spans as code; VS Code
 * shows the diagnostic itself as plain text) and the rule's help (what it finds, why it matters,
 * how to fix) as a hover.
 */
export class RuleHelpHover implements vscode.HoverProvider {
  provideHover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    const ours = vscode.languages
      .getDiagnostics(doc.uri)
      .filter((d) => d.source === 'model-inspect' && d.range.contains(pos));
    if (!ours.length) return undefined;
    const seen = new Set<string>();
    const md = new vscode.MarkdownString(undefined, true);
    md.isTrusted = false;
    md.supportHtml = false;
    for (const d of ours) {
      const id = typeof d.code === 'object' ? String(d.code.value) : String(d.code ?? '');
      if (!id) continue;
      const f = findingOf(d);
      if (f)
        md.appendMarkdown(
          `${markdownMessage(editorMessage(f.message))}${f.member ? ` (in \`${f.member.replace(/`/g, "'")}\`)` : ''}\n\n`,
        );
      if (seen.has(id)) continue;
      seen.add(id);
      const rule = ruleInfo(id);
      if (!rule) continue;
      md.appendMarkdown(`**${escapeMd(rule.title)}** ([\`${id}\`](${ruleHelpUri(id).toString()}))\n\n`);
      md.appendMarkdown(`${rule.help}\n\n`);
    }
    return seen.size ? new vscode.Hover(md, ours[0].range) : undefined;
  }
}

function escapeMd(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!<>|]/g, '\\$&');
}

import * as vscode from 'vscode';
import { allRules, ruleInfo } from '../core/rules.ts';

export const RULE_HELP_SCHEME = 'model-inspect-rule';

/** The link target of every diagnostic's code: a read-only document with the rule's help, offline. */
export function ruleHelpUri(ruleId: string): vscode.Uri {
  return vscode.Uri.from({ scheme: RULE_HELP_SCHEME, path: `/${ruleId}.md` });
}

export function ruleHelpMarkdown(ruleId: string): string {
  const rule = ruleInfo(ruleId);
  if (!rule) return `# ${ruleId}\n\nNo help is recorded for this rule.\n`;
  return [
    `# ${rule.title}`,
    '',
    `Rule \`${rule.id}\` · default severity **${rule.defaultSeverity}** · ${rule.category}`,
    '',
    rule.help,
    '',
    '---',
    `Change its severity with the \`modelInspect.rules.severity\` setting (\`"${rule.id}": "off"\` turns it off),`,
    `or silence one line with \`# model-inspect-disable-line ${rule.id}\`.`,
    '',
  ].join('\n');
}

export function registerRuleHelp(context: vscode.ExtensionContext): void {
  const provider: vscode.TextDocumentContentProvider = {
    provideTextDocumentContent: (uri) => ruleHelpMarkdown(uri.path.replace(/^\//, '').replace(/\.md$/, '')),
  };
  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(RULE_HELP_SCHEME, provider),
    vscode.commands.registerCommand('modelInspect.showRuleHelp', async (ruleId?: string) => {
      let id = ruleId;
      if (!id) {
        const pick = await vscode.window.showQuickPick(
          allRules().map((r) => ({ label: r.id, description: r.title, detail: `default: ${r.defaultSeverity}` })),
          { placeHolder: 'Show help for which rule?', matchOnDescription: true },
        );
        id = pick?.label;
      }
      if (!id) return;
      const doc = await vscode.workspace.openTextDocument(ruleHelpUri(id));
      await vscode.languages.setTextDocumentLanguage(doc, 'markdown');
      await vscode.commands
        .executeCommand('markdown.showPreview', doc.uri)
        .then(undefined, () => vscode.window.showTextDocument(doc));
    }),
  );
}

import path from 'node:path';
import * as vscode from 'vscode';
import type { GateCheck } from '../core/gate/verdict.ts';
import { Disposable } from './lifecycle.ts';
import type { ModelEntry, ModelStore } from './modelStore.ts';

export const MODELS_VIEW_ID = 'modelInspect.models';
export const OPEN_REPORT_COMMAND = 'modelInspect.report.open';

type Node = { kind: 'model'; entry: ModelEntry } | { kind: 'check'; entry: ModelEntry; check: GateCheck };

const CHECK_ICON = {
  pass: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  fail: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  skip: new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('disabledForeground')),
};

/** The "Model Supply Chain" view: every model of the workspace with its gate verdict and checks. */
export class ModelTreeProvider extends Disposable implements vscode.TreeDataProvider<Node> {
  private readonly emitter = this.register(new vscode.EventEmitter<Node | undefined>());
  readonly onDidChangeTreeData = this.emitter.event;

  constructor(private readonly store: ModelStore) {
    super();
    this.register(store.onDidChange(() => this.emitter.fire(undefined)));
  }

  async getChildren(node?: Node): Promise<Node[]> {
    if (!node) {
      const models = await this.store.models();
      for (const m of models) this.store.ensure(m.root);
      return models.map((entry) => ({ kind: 'model', entry }));
    }
    if (node.kind === 'model')
      return (node.entry.report?.verdict.checks ?? []).map((check) => ({ kind: 'check', entry: node.entry, check }));
    return [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'check') {
      const item = new vscode.TreeItem(node.check.title, vscode.TreeItemCollapsibleState.None);
      item.description = node.check.status.toUpperCase();
      item.tooltip = node.check.reasons.join('\n');
      item.iconPath = CHECK_ICON[node.check.status];
      item.contextValue = 'modelInspect.check';
      item.command = {
        command: OPEN_REPORT_COMMAND,
        title: 'Open Model Report',
        arguments: [vscode.Uri.file(node.entry.root)],
      };
      return item;
    }
    const e = node.entry;
    const item = new vscode.TreeItem(
      e.name,
      e.report ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    item.id = e.root;
    item.resourceUri = vscode.Uri.file(e.root);
    item.contextValue = 'modelInspect.model';
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(e.root));
    const where = folder ? path.relative(folder.uri.fsPath, e.root) || '.' : e.root;
    const { text, icon } = verdictBadge(e);
    item.description = `${text} · ${where}`;
    item.iconPath = icon;
    item.tooltip = new vscode.MarkdownString(`**${e.name}** — ${text}\n\n${e.root}`);
    item.command = { command: OPEN_REPORT_COMMAND, title: 'Open Model Report', arguments: [vscode.Uri.file(e.root)] };
    return item;
  }
}

export function verdictBadge(e: ModelEntry | undefined): { text: string; icon: vscode.ThemeIcon; codicon: string } {
  if (!e || (e.pending && !e.report))
    return { text: 'checking…', icon: new vscode.ThemeIcon('loading~spin'), codicon: '$(loading~spin)' };
  if (e.error && !e.report)
    return {
      text: 'error',
      icon: new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground')),
      codicon: '$(warning)',
    };
  const v = e.report!.verdict;
  const failed = v.checks.filter((c) => c.status === 'fail').length;
  return v.passed
    ? { text: 'APPROVED', icon: CHECK_ICON.pass, codicon: '$(pass)' }
    : { text: `BLOCKED (${failed})`, icon: CHECK_ICON.fail, codicon: '$(error)' };
}

/** Status bar: the verdict of the model the active editor's file belongs to. */
export class ModelStatusBar extends Disposable {
  private readonly item = this.register(
    vscode.window.createStatusBarItem('modelInspect.modelVerdict', vscode.StatusBarAlignment.Left, 50),
  );

  constructor(private readonly store: ModelStore) {
    super();
    this.item.name = 'Model verdict';
    this.register(vscode.window.onDidChangeActiveTextEditor(() => void this.update()));
    this.register(store.onDidChange(() => void this.update()));
    void this.update();
  }

  private async update(): Promise<void> {
    const uri = vscode.window.activeTextEditor?.document.uri;
    if (!uri || uri.scheme !== 'file') {
      this.item.hide();
      return;
    }
    await this.store.models();
    const entry = this.store.modelFor(uri.fsPath);
    if (!entry) {
      this.item.hide();
      return;
    }
    this.store.ensure(entry.root);
    const badge = verdictBadge(entry);
    this.item.text = `${badge.codicon} ${entry.name}: ${badge.text}`;
    this.item.tooltip = `Promotion gate for ${entry.root}: ${badge.text}. Click to open the model report.`;
    this.item.command = {
      command: OPEN_REPORT_COMMAND,
      title: 'Open Model Report',
      arguments: [vscode.Uri.file(entry.root)],
    };
    this.item.backgroundColor =
      entry.report && !entry.report.verdict.passed
        ? new vscode.ThemeColor('statusBarItem.warningBackground')
        : undefined;
    this.item.show();
  }
}

export function registerModelTree(store: ModelStore): vscode.Disposable[] {
  const provider = new ModelTreeProvider(store);
  const view = vscode.window.createTreeView(MODELS_VIEW_ID, { treeDataProvider: provider, showCollapseAll: true });
  const updateBadge = async () => {
    const blocked = (await store.models()).filter((m) => m.report && !m.report.verdict.passed).length;
    view.badge = blocked
      ? { value: blocked, tooltip: `${blocked} model${blocked === 1 ? '' : 's'} blocked by the promotion gate` }
      : undefined;
  };
  const sub = store.onDidChange(() => void updateBadge());
  return [provider, view, sub, new ModelStatusBar(store)];
}

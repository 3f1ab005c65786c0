import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { TextRange } from '../core/findings.ts';
import { makeNonce, panelHtml } from '../core/report/html.ts';
import type { ModelReport } from '../core/report/model.ts';
import {
  isPanelMessage,
  isPersistedPanelState,
  REPORT_VIEW_TYPE,
  type ActionId,
  type HostMessage,
  type PanelAction,
  type PanelMessage,
  type PanelState,
} from '../core/report/protocol.ts';
import { Disposable } from './lifecycle.ts';
import type { ModelEntry, ModelStore } from './modelStore.ts';
import { publishScanResults, scanStarted } from './scan.ts';
import type { Services } from './services.ts';
import { plural } from '../core/messageText.ts';

/** Panel actions and the commands behind them; an action is offered only when its command exists. */
const ACTIONS: readonly { id: ActionId; title: string; command?: string }[] = [
  { id: 'refresh', title: 'Run Gate Again' },
  { id: 'verify', title: 'Verify Signatures', command: 'modelInspect.signing.verify' },
  { id: 'sign', title: 'Sign…', command: 'modelInspect.signing.sign' },
  { id: 'scan', title: 'Scan Weights', command: 'modelInspect.scan' },
  { id: 'generateSbom', title: 'Generate ML-BOM', command: 'modelInspect.report.generateSbom' },
  { id: 'runVulnerabilityScan', title: 'Run Vulnerability Scan', command: 'modelInspect.report.runVulnerabilityScan' },
  { id: 'exportReport', title: 'Export Report…', command: 'modelInspect.report.exportReport' },
];

/** Commands this extension contributes (package.json), read once: the panel's actions are those. */
function contributedCommands(context: vscode.ExtensionContext): Set<string> {
  const pkg = context.extension.packageJSON as { contributes?: { commands?: { command: string }[] } };
  return new Set((pkg.contributes?.commands ?? []).map((c) => c.command));
}

export function panelActions(context: vscode.ExtensionContext): PanelAction[] {
  const have = contributedCommands(context);
  return ACTIONS.filter((a) => !a.command || have.has(a.command)).map(({ id, title }) => ({ id, title }));
}

/** A model in a registry: its reference, and how to build its report (online, only when asked). */
export interface RemoteReportSource {
  reference: string;
  build(signal: AbortSignal, onProgress: (message: string) => void): Promise<ModelReport>;
}

/**
 * One report panel for one model folder. Sends the whole state after the panel's `ready`, and
 * again on every change. A local model's verdict comes from the model store (which runs the gate
 * when the files change, once); a model in a registry is read again only on Run Gate Again.
 * Opens locations the panel asks for, inside the model only.
 */
export class ReportPanel extends Disposable {
  private seq = 0;
  private ready = false;
  private state: PanelState;
  /** A remote model's running build. */
  private run: AbortController | undefined;

  constructor(
    readonly panel: vscode.WebviewPanel,
    readonly root: string,
    private readonly svc: Services,
    private readonly store: ModelStore,
    onDispose: () => void,
    private readonly remote?: RemoteReportSource,
  ) {
    super();
    this.state = {
      status: 'loading',
      target: { root, name: remote ? remote.reference : path.basename(root) },
      actions: this.actions(),
    };
    const media = vscode.Uri.joinPath(svc.context.extensionUri, 'media');
    const dist = vscode.Uri.joinPath(svc.context.extensionUri, 'dist');
    panel.webview.options = { enableScripts: true, localResourceRoots: [media, dist] };
    panel.iconPath = vscode.Uri.joinPath(media, 'icon.png');
    panel.title = `Model Report: ${remote ? remote.reference : path.basename(root)}`;
    panel.webview.html = panelHtml({
      cspSource: panel.webview.cspSource,
      nonce: makeNonce((n) => crypto.randomBytes(n)),
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(media, 'report.css')).toString(),
      title: panel.title,
    });
    this.register(panel.webview.onDidReceiveMessage((m: unknown) => this.receive(m)));
    this.register(
      panel.onDidDispose(() => {
        this.dispose();
        onDispose();
      }),
    );
    this.register({ dispose: () => this.run?.abort() });
    if (remote) {
      void this.refresh();
      return;
    }
    this.register(store.view(root));
    this.register(
      store.onDidChange((r) => {
        if (r === root) this.show(store.get(root));
      }),
    );
    // The verdict the tree already has is shown at once; a run is started only when it is out of date.
    this.show(store.get(root));
    void store.current(root, { chain: true });
  }

  reveal(): void {
    this.panel.reveal();
  }

  /** A remote model's panel runs the gate again and nothing else: the other actions work on folders. */
  private actions() {
    const all = panelActions(this.svc.context);
    return this.remote ? all.filter((a) => a.id === 'refresh') : all;
  }

  /** The store's entry for this model, as panel state. */
  private show(e: ModelEntry | undefined): void {
    if (!e) return;
    if (e.report) this.panel.title = `Model Report: ${e.report.evidence.name}`;
    this.setState({
      status: e.report ? 'ready' : e.error && !e.pending ? 'error' : 'loading',
      target: { root: this.root, name: e.report?.evidence.name ?? this.state.target.name },
      report: e.report,
      actions: this.actions(),
      progress: e.pending && e.progress ? { message: e.progress, cancellable: true } : undefined,
      error: e.pending ? undefined : e.error,
    });
  }

  /** Run the gate again (a local model through the store); resolves with the new report, or undefined when cancelled. */
  async refresh(): Promise<ModelReport | undefined> {
    if (!this.remote) return this.store.refresh(this.root);
    this.run?.abort();
    const ac = new AbortController();
    this.run = ac;
    this.setState({
      ...this.state,
      status: this.state.report ? 'ready' : 'loading',
      error: undefined,
      progress: { message: 'Running the promotion gate…', cancellable: true },
    });
    try {
      const onProgress = (message: string) => {
        if (this.run === ac) this.setState({ ...this.state, progress: { message, cancellable: true } });
      };
      const report = await this.remote.build(ac.signal, onProgress);
      if (this.run !== ac) return undefined;
      // A remote model's title carries the digest it was judged at.
      const name = report.evidence.root.replace(/@(sha256:[0-9a-f]{12})[0-9a-f]+$/, '@$1…');
      this.panel.title = `Model Report: ${name}`;
      this.setState({ status: 'ready', target: { root: this.root, name }, report, actions: this.actions() });
      return report;
    } catch (e) {
      if (this.run !== ac) return undefined;
      const cancelled = ac.signal.aborted;
      this.setState({
        ...this.state,
        status: this.state.report ? 'ready' : 'error',
        progress: undefined,
        error: cancelled ? 'cancelled' : (e as Error).message,
      });
      if (!cancelled) this.svc.log.error(`report for ${this.root}: ${(e as Error).stack ?? e}`);
      return undefined;
    } finally {
      if (this.run === ac) this.run = undefined;
    }
  }

  private setState(state: PanelState): void {
    this.state = state;
    this.post({ type: 'state', seq: ++this.seq, state });
  }

  private post(message: HostMessage): void {
    // Nothing is sent before the panel's `ready`: it would be lost. The ready handler sends the state.
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  private async receive(raw: unknown): Promise<void> {
    if (!isPanelMessage(raw)) {
      this.svc.log.warn('report panel: ignored a malformed message');
      return;
    }
    const m: PanelMessage = raw;
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.post({ type: 'state', seq: ++this.seq, state: this.state });
        return;
      case 'cancel':
        if (this.remote) this.run?.abort();
        else this.store.cancel(this.root);
        return;
      case 'open':
        await this.open(m.file, m.range, m.offset);
        return;
      case 'action': {
        let ok = true;
        let message = '';
        try {
          message = await this.runAction(m.action);
        } catch (e) {
          ok = false;
          message = (e as Error).message;
        }
        this.post({ type: 'actionResult', seq: ++this.seq, requestId: m.requestId, ok, message });
      }
    }
  }

  /**
   * A button: Run Gate Again, Verify Signatures and Scan Weights are one gate run (which verifies
   * and scans once) published to every view; the others run their command (a dialog, a file
   * written), and the gate runs again only when the command changed the model's files.
   */
  async runAction(id: ActionId): Promise<string> {
    const action = ACTIONS.find((a) => a.id === id);
    if (!action || !this.state.actions.some((a) => a.id === id)) throw new Error(`the action '${id}' is not available`);
    if (id === 'refresh' || id === 'verify' || id === 'scan') {
      const started = scanStarted();
      const r = await this.refresh();
      if (!r) return 'Gate run cancelled.';
      if (id === 'refresh') return `Gate run again: ${r.verdict.passed ? 'APPROVED' : 'BLOCKED'}.`;
      if (id === 'scan') {
        publishScanResults(r.evidence.scan.files, started);
        const check = r.verdict.checks.find((c) => c.id === 'scan');
        return `Scanned ${plural(r.evidence.scan.files.length, 'file')}: ${check ? `${check.status.toUpperCase()}${check.reasons.length ? ` (${check.reasons[0]})` : ''}` : 'no scan check'}.`;
      }
      const check = r.verdict.checks.find((c) => c.id === 'signatures');
      return `Signatures: ${check ? `${check.status.toUpperCase()}${check.reasons.length ? ` (${check.reasons[0]})` : ''}` : 'no signature check'}.`;
    }
    await vscode.commands.executeCommand(action.command!, vscode.Uri.file(this.root));
    if (id !== 'exportReport') await this.store.refreshIfChanged(this.root);
    return `${action.title.replace(/…$/, '')}: done.`;
  }

  /** Opens a location from the report; only files inside the model folder (or its policy file). */
  private async open(file: string, range?: TextRange, offset?: number): Promise<void> {
    if (this.remote) {
      this.svc.log.info(`report panel: ${file} is in the registry, not on disk; nothing to open`);
      return;
    }
    const abs = path.resolve(file);
    const chainRoot = this.state.report?.chain?.root;
    const allowed =
      abs === this.root ||
      abs.startsWith(this.root + path.sep) ||
      abs === this.state.report?.policyFile ||
      (!!chainRoot && (abs === chainRoot || abs.startsWith(chainRoot + path.sep)));
    if (!allowed || !fs.existsSync(abs)) {
      this.svc.log.warn(`report panel: refused to open ${file}`);
      return;
    }
    const uri = vscode.Uri.file(abs);
    if (fs.statSync(abs).isDirectory()) {
      await vscode.commands.executeCommand('revealInExplorer', uri);
      return;
    }
    if (offset !== undefined) {
      // A byte offset in a binary file: the Hex Editor shows it when installed; otherwise say where.
      if (vscode.extensions.getExtension('ms-vscode.hexeditor'))
        await vscode.commands.executeCommand('vscode.openWith', uri, 'hexEditor.hexedit');
      else await vscode.commands.executeCommand('revealInExplorer', uri);
      void vscode.window.showInformationMessage(
        `${path.basename(abs)}: the finding is at byte offset ${offset} (0x${offset.toString(16)}).`,
      );
      return;
    }
    const selection = range
      ? new vscode.Range(range.start.line, range.start.character, range.end.line, range.end.character)
      : undefined;
    await vscode.window.showTextDocument(uri, { selection, viewColumn: vscode.ViewColumn.One, preview: true });
  }
}

/** Every open report panel, by model folder; restores panels after a reload. */
export class ReportPanels extends Disposable implements vscode.WebviewPanelSerializer {
  private readonly panels = new Map<string, ReportPanel>();

  constructor(
    private readonly svc: Services,
    private readonly store: ModelStore,
  ) {
    super();
    this.register(vscode.window.registerWebviewPanelSerializer(REPORT_VIEW_TYPE, this));
    this.register({
      dispose: () => {
        for (const p of [...this.panels.values()]) p.panel.dispose();
      },
    });
  }

  get(root: string): ReportPanel | undefined {
    return this.panels.get(root);
  }

  show(root: string): ReportPanel {
    const existing = this.panels.get(root);
    if (existing) {
      existing.reveal();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(
      REPORT_VIEW_TYPE,
      `Model Report: ${path.basename(root)}`,
      vscode.ViewColumn.Active,
      { enableScripts: true, retainContextWhenHidden: false },
    );
    return this.adopt(panel, root);
  }

  /** A panel for a model in a registry (never restored after a reload: that would go online unasked). */
  showRemote(source: RemoteReportSource): ReportPanel {
    const key = `oci://${source.reference}`;
    const existing = this.panels.get(key);
    if (existing) {
      existing.reveal();
      void existing.refresh();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(
      REPORT_VIEW_TYPE,
      `Model Report: ${source.reference}`,
      vscode.ViewColumn.Active,
      { enableScripts: true, retainContextWhenHidden: false },
    );
    const p = new ReportPanel(panel, key, this.svc, this.store, () => this.panels.delete(key), source);
    this.panels.set(key, p);
    return p;
  }

  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const root = isPersistedPanelState(state) ? state.state.target.root : undefined;
    if (!root || !fs.existsSync(root) || this.panels.has(root)) {
      panel.dispose();
      return;
    }
    this.adopt(panel, root);
  }

  private adopt(panel: vscode.WebviewPanel, root: string): ReportPanel {
    const p = new ReportPanel(panel, root, this.svc, this.store, () => this.panels.delete(root));
    this.panels.set(root, p);
    return p;
  }
}

export { toolLocations } from './settings.ts';

import path from 'node:path';
import * as vscode from 'vscode';
import { globsOf } from '../core/area.ts';
import { WEIGHTS } from '../core/areas.ts';
import type { Finding } from '../core/findings.ts';
import { presentFindings } from '../core/present.ts';
import { WEIGHT_EXTENSIONS, scanFile, scanPaths } from '../core/scan/scanner.ts';
import type { ScanLimits, ScanOptions } from '../core/scan/types.ts';
import { toDiagnostic } from './diagnostics.ts';
import type { Services } from './services.ts';
import { ruleSettings, setting, trustedSetting } from './settings.ts';
import { convertFix } from '../core/convert/fix.ts';
import { countWork } from './work.ts';
import { plural } from '../core/messageText.ts';

export const SCAN_COMMAND = 'modelInspect.scan';
export const SCAN_WORKSPACE_COMMAND = 'modelInspect.scanWorkspace';

/** Extensions the explorer menu and the file watcher use (the scan itself routes by content). */
const WATCH_GLOB = globsOf(WEIGHTS, { weak: true })[0]!;
const MiB = 1024 * 1024;

/** What the Problems panel and the status bar need of a file's scan (the gate's scan evidence has as much). */
export interface ScanShown {
  path: string;
  format: string;
  complete: boolean;
  findings: Finding[];
}

const results = new Map<string, ScanShown>();
const didScan = new vscode.EventEmitter<readonly ScanShown[]>();

/** Latest scan result per file path (for the report panel and other features). */
export function lastScanResults(): ReadonlyMap<string, ScanShown> {
  return results;
}

/** Fires after every scan with the files just scanned. */
export const onDidScan: vscode.Event<readonly ScanShown[]> = didScan.event;

let activeUi: ScanUi | undefined;

/** A number that orders scans by when they started: take it before scanning, publish with it. */
export function scanStarted(): number {
  return activeUi?.begin() ?? 0;
}

/** Results scanned elsewhere (the gate's scan of a model, for the panel's Scan Weights) go to the Problems panel too. */
export function publishScanResults(files: readonly ScanShown[], started: number): void {
  activeUi?.publish(files, started);
}

function scanOptions(scope?: vscode.Uri): ScanOptions {
  const limits: Partial<ScanLimits> = {
    maxMemberBytes: trustedSetting('scan.maxMemberMiB', 8192, scope) * MiB,
    maxBufferedBytes: trustedSetting('scan.maxBufferedMiB', 128, scope) * MiB,
    maxDepth: trustedSetting('scan.maxDepth', 6, scope),
    maxRatio: trustedSetting('scan.maxRatio', 200, scope),
  };
  return { limits };
}

/** A binary file has no text positions: the byte offset goes into the message; range stays 0,0. */
export function scanDiagnostic(f: Finding): vscode.Diagnostic {
  const withOffset =
    f.offset !== undefined && !f.message.includes(`byte ${f.offset}`)
      ? { ...f, message: `${f.message} [byte ${f.offset}]` }
      : f;
  return toDiagnostic(withOffset);
}

class ScanUi implements vscode.Disposable {
  readonly diagnostics = vscode.languages.createDiagnosticCollection('model-inspect-scan');
  readonly status = vscode.window.createStatusBarItem('modelInspect.scanStatus', vscode.StatusBarAlignment.Left, 50);
  private readonly pending = new Map<string, NodeJS.Timeout>();
  /** Scans are numbered as they start; per file, the number of the scan whose result is shown. */
  private started = 0;
  private readonly shownFrom = new Map<string, number>();
  /** A re-scan under way per file: a newer change cancels it. */
  private readonly rescanning = new Map<string, AbortController>();

  constructor(private readonly s: Services) {
    this.status.name = 'Model Inspect: scan';
    this.status.command = 'workbench.actions.view.problems';
  }

  begin(): number {
    return ++this.started;
  }

  /**
   * Shows the results of a scan that started as number `started`. A file's result from a scan that
   * started before the one already shown is dropped: a slow scan of an old version of the file
   * must not replace the result for the newer one.
   */
  publish(batch: readonly ScanShown[], started: number): void {
    const fresh = batch.filter((r) => (this.shownFrom.get(r.path) ?? 0) < started);
    for (const r of fresh) {
      this.shownFrom.set(r.path, started);
      results.set(r.path, r);
      const uri = vscode.Uri.file(r.path);
      const findings = presentFindings(r.findings, { rules: [ruleSettings(uri)] }).findings.filter(
        (f) => f.severity !== 'info' || batch.length === 1,
      );
      this.diagnostics.set(uri, findings.map(scanDiagnostic));
    }
    if (fresh.length < batch.length)
      this.s.log.info(
        `scan: ${plural(batch.length - fresh.length, 'result')} of an older scan not shown (a newer scan of the same file came first)`,
      );
    if (!fresh.length) return;
    this.updateStatus();
    didScan.fire(fresh);
  }

  forget(file: string): void {
    results.delete(file);
    this.diagnostics.delete(vscode.Uri.file(file));
    this.updateStatus();
  }

  private updateStatus(): void {
    let dangerous = 0;
    let review = 0;
    let clean = 0;
    for (const r of results.values()) {
      if (r.findings.some((f) => f.severity === 'error')) dangerous++;
      else if (!r.complete || r.findings.some((f) => f.severity === 'warning')) review++;
      else clean++;
    }
    if (results.size === 0) {
      this.status.hide();
      return;
    }
    this.status.text = dangerous
      ? `$(error) ${plural(dangerous, 'unsafe model file')}`
      : review
        ? `$(warning) ${plural(review, 'model file')} to review`
        : `$(shield) ${plural(clean, 'model file')} clean`;
    this.status.tooltip = `Model file scan: ${dangerous} dangerous, ${review} to review or incompletely scanned, ${clean} clean. Click for the Problems panel.`;
    this.status.backgroundColor = dangerous
      ? new vscode.ThemeColor('statusBarItem.errorBackground')
      : review
        ? new vscode.ThemeColor('statusBarItem.warningBackground')
        : undefined;
    this.status.show();
  }

  /** Debounced re-scan of a changed weight file (FileSystemWatcher events come in bursts while a file is written). */
  scheduleRescan(uri: vscode.Uri): void {
    if (!setting('scan.rescanOnChange', true, uri)) return;
    const key = uri.fsPath;
    clearTimeout(this.pending.get(key));
    this.pending.set(
      key,
      setTimeout(
        () => {
          this.pending.delete(key);
          void this.rescan(uri);
        },
        setting('scan.rescanDelayMs', 1000, uri),
      ),
    );
  }

  private async rescan(uri: vscode.Uri): Promise<void> {
    const key = uri.fsPath;
    const started = this.begin();
    this.rescanning.get(key)?.abort();
    const ac = new AbortController();
    this.rescanning.set(key, ac);
    try {
      const st = await vscode.workspace.fs.stat(uri);
      // Only regular files: a FIFO named model.pt would block a read forever.
      if (st.type !== vscode.FileType.File || st.size > setting('scan.autoScanMaxMiB', 4096, uri) * MiB) return;
      countWork(key, 'scans');
      countWork(key, 'scansRunning');
      const r = await scanFile(key, { ...scanOptions(uri), signal: ac.signal }).finally(() =>
        countWork(key, 'scansRunning', -1),
      );
      this.publish([r], started);
      this.s.log.info(`re-scanned ${key}: ${r.format}, ${plural(r.findings.length, 'finding')}`);
    } catch (e) {
      if (!ac.signal.aborted) this.s.log.warn(`re-scan of ${key} failed: ${(e as Error).message}`);
    } finally {
      if (this.rescanning.get(key) === ac) this.rescanning.delete(key);
    }
  }

  dispose(): void {
    for (const t of this.pending.values()) clearTimeout(t);
    for (const ac of this.rescanning.values()) ac.abort();
    this.diagnostics.dispose();
    this.status.dispose();
  }
}

/** Runs a scan with a cancellable progress notification and publishes the results. */
async function runScan(s: Services, ui: ScanUi, targets: vscode.Uri[], title: string): Promise<void> {
  const paths = targets.map((u) => u.fsPath);
  const started = ui.begin();
  for (const p of paths) countWork(p, 'scansRunning');
  const outcome = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      const sub = token.onCancellationRequested(() => abort.abort());
      let last = 0;
      try {
        return await scanPaths(
          paths,
          scanOptions(targets[0]),
          (done, total, file) => {
            const pct = total ? (done / total) * 100 : 100;
            progress.report({
              increment: pct - last,
              message: file ? `${done + 1}/${total} ${path.basename(file)}` : `${plural(total, 'file')}`,
            });
            last = pct;
          },
          abort.signal,
        );
      } catch (e) {
        if (abort.signal.aborted) return undefined;
        throw e;
      } finally {
        sub.dispose();
        for (const p of paths) countWork(p, 'scansRunning', -1);
      }
    },
  );
  if (!outcome) {
    void vscode.window.showInformationMessage('Model scan cancelled.');
    return;
  }
  for (const r of outcome.results) countWork(r.path, 'scans');
  ui.publish(outcome.results, started);
  for (const e of outcome.errors) s.log.warn(`scan: ${e.path}: ${e.message}`);
  const dangerous = outcome.results.filter((r) => r.findings.some((f) => f.severity === 'error'));
  const incomplete = outcome.results.filter((r) => !r.complete).length;
  for (const n of outcome.notAnalysed) s.log.info(`scan: not analysed: ${n.path} (${n.size} bytes) ${n.detail}`);
  const unanalysed = outcome.notAnalysed.length
    ? ` ${plural(outcome.notAnalysed.length, 'file')} not analysed (listed in the output channel).`
    : '';
  const summary = `Scanned ${plural(outcome.results.length, 'model file')}: ${dangerous.length} with code that runs on load, ${incomplete} not fully scanned.${unanalysed}`;
  s.log.info(summary);
  // Not awaited: the command completes when the scan does, not when the user dismisses the message.
  if (dangerous.length) {
    void vscode.window
      .showWarningMessage(
        `${summary} ${dangerous
          .map((r) => path.basename(r.path))
          .slice(0, 3)
          .join(', ')}`,
        'Show Problems',
      )
      .then((pick) => (pick ? vscode.commands.executeCommand('workbench.actions.view.problems') : undefined));
  } else {
    // A clean pickle checkpoint is the moment to move it off pickle: offer the converter.
    const convertible = outcome.results.filter((r) => r.format === 'pytorch-zip' || r.format === 'pytorch-legacy');
    const fix = convertible.length === 1 ? convertFix(convertible[0].path) : undefined;
    if (fix?.kind === 'command') {
      void vscode.window
        .showInformationMessage(summary, fix.title)
        .then((pick) => (pick ? vscode.commands.executeCommand(fix.command, ...(fix.args ?? [])) : undefined));
    } else void vscode.window.showInformationMessage(summary);
  }
}

/** Explorer (single or multi-select), editor title, or palette (then: active file, else a picker). */
async function scanTargets(uri?: vscode.Uri, uris?: vscode.Uri[]): Promise<vscode.Uri[] | undefined> {
  if (uris?.length) return uris;
  if (uri instanceof vscode.Uri) return [uri];
  const active =
    vscode.window.activeTextEditor?.document.uri ??
    (vscode.window.tabGroups.activeTabGroup.activeTab?.input as { uri?: vscode.Uri } | undefined)?.uri;
  if (active?.scheme === 'file' && WEIGHT_EXTENSIONS.includes(path.extname(active.fsPath).toLowerCase()))
    return [active];
  return vscode.window.showOpenDialog({
    canSelectFiles: true,
    canSelectFolders: true,
    canSelectMany: true,
    openLabel: 'Scan for Unsafe Code',
  });
}

export function registerScan(s: Services): void {
  const ui = new ScanUi(s);
  activeUi = ui;
  const watcher = vscode.workspace.createFileSystemWatcher(WATCH_GLOB);
  s.context.subscriptions.push(
    ui,
    {
      dispose: () => {
        if (activeUi === ui) activeUi = undefined;
      },
    },
    didScan,
    watcher,
    watcher.onDidChange((u) => ui.scheduleRescan(u)),
    watcher.onDidCreate((u) => ui.scheduleRescan(u)),
    watcher.onDidDelete((u) => ui.forget(u.fsPath)),
    vscode.commands.registerCommand(SCAN_COMMAND, async (uri?: vscode.Uri, uris?: vscode.Uri[]) => {
      const targets = await scanTargets(uri, uris);
      if (!targets?.length) return;
      try {
        await runScan(
          s,
          ui,
          targets,
          targets.length === 1
            ? `Scanning ${path.basename(targets[0].fsPath)} for unsafe code`
            : `Scanning ${targets.length} items for unsafe code`,
        );
      } catch (e) {
        s.log.error(`scan failed: ${(e as Error).message}`);
        void vscode.window.showErrorMessage(`Model scan failed: ${(e as Error).message}`);
      }
    }),
    vscode.commands.registerCommand(SCAN_WORKSPACE_COMMAND, async () => {
      const folders = vscode.workspace.workspaceFolders?.map((f) => f.uri) ?? [];
      if (!folders.length) {
        void vscode.window.showInformationMessage('Open a folder to scan its model files.');
        return;
      }
      try {
        await runScan(s, ui, folders, 'Scanning the workspace for unsafe model files');
      } catch (e) {
        s.log.error(`workspace scan failed: ${(e as Error).message}`);
        void vscode.window.showErrorMessage(`Workspace scan failed: ${(e as Error).message}`);
      }
    }),
  );
}

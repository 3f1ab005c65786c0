import path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_ENGINES } from '../core/gate/engines.ts';
import { discoverModels } from '../core/model/target.ts';
import { buildModelReport } from '../core/report/build.ts';
import type { ModelReport } from '../core/report/model.ts';
import { gateOptions } from './expectations.ts';
import { Disposable } from './lifecycle.ts';
import type { Services } from './services.ts';

export interface ModelEntry {
  root: string;
  name: string;
  report?: ModelReport;
  error?: string;
  /** A gate run for this model is queued or running. */
  pending: boolean;
}

/**
 * The models of the workspace and their last verdicts, shared by the tree view, the status bar
 * and the report panels (a panel's fresh report updates the tree at once). Verdicts are computed
 * on demand (`ensure`), one model at a time in the background, never running external tools, and
 * recomputed when the files of a model that has one change.
 */
export class ModelStore extends Disposable {
  private readonly entries = new Map<string, ModelEntry>();
  private readonly changed = this.register(new vscode.EventEmitter<string | undefined>());
  /** Fires with a model root (or undefined: the list itself changed). */
  readonly onDidChange = this.changed.event;
  private discovered = false;
  private discovering: Promise<void> | undefined;
  private readonly queue: string[] = [];
  private draining = false;
  private readonly dirty = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(private readonly svc: Services) {
    super();
    const watcher = this.register(vscode.workspace.createFileSystemWatcher('**/*'));
    const touched = (uri: vscode.Uri) => this.fileChanged(uri.fsPath);
    this.register(watcher.onDidChange(touched));
    this.register(watcher.onDidCreate(touched));
    this.register(watcher.onDidDelete(touched));
    this.register(vscode.workspace.onDidChangeWorkspaceFolders(() => this.rediscover()));
    this.register({ dispose: () => { for (const t of this.dirty.values()) clearTimeout(t); } });
  }

  async models(): Promise<ModelEntry[]> {
    if (!this.discovered) await (this.discovering ??= this.discover());
    return [...this.entries.values()].sort((a, b) => a.root.localeCompare(b.root));
  }

  get(root: string): ModelEntry | undefined {
    return this.entries.get(root);
  }

  /** The model a file belongs to: the deepest model folder containing it. */
  modelFor(file: string): ModelEntry | undefined {
    let best: ModelEntry | undefined;
    for (const e of this.entries.values()) {
      if ((file === e.root || file.startsWith(e.root + path.sep)) && (!best || e.root.length > best.root.length)) best = e;
    }
    return best;
  }

  /** A report computed elsewhere (a panel) is the model's new verdict. */
  publish(root: string, report: ModelReport): void {
    const e = this.entries.get(root) ?? { root, name: report.evidence.name, pending: false };
    e.report = report;
    e.name = report.evidence.name;
    e.error = undefined;
    this.entries.set(root, e);
    this.changed.fire(root);
  }

  rediscover(): void {
    this.discovered = false;
    this.discovering = undefined;
    this.changed.fire(undefined);
  }

  private async discover(): Promise<void> {
    const roots = new Set<string>();
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      if (folder.uri.scheme !== 'file') continue;
      try {
        for (const m of await discoverModels(folder.uri.fsPath)) {
          roots.add(m.root);
          if (!this.entries.has(m.root)) this.entries.set(m.root, { root: m.root, name: m.name, pending: false });
        }
      } catch (e) {
        this.svc.log.warn(`model discovery in ${folder.uri.fsPath} failed: ${(e as Error).message}`);
      }
    }
    for (const root of [...this.entries.keys()]) if (!roots.has(root)) this.entries.delete(root);
    this.discovered = true;
    // Verdicts that were shown before are recomputed; others wait until something shows them.
    for (const root of roots) if (this.entries.get(root)?.report) this.enqueue(root);
  }

  /**
   * Compute the model's verdict if it has none yet. Called by what shows it (the visible tree,
   * the status bar): hashing and scanning large weights only happen for models someone looks at.
   */
  ensure(root: string): void {
    const e = this.entries.get(root);
    if (e && !e.report && !e.pending && !e.error) this.enqueue(root);
  }

  private enqueue(root: string): void {
    const e = this.entries.get(root);
    if (!e) return;
    e.pending = true;
    if (!this.queue.includes(root)) this.queue.push(root);
    this.changed.fire(root);
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length && !this.isDisposed) {
        const root = this.queue.shift()!;
        const e = this.entries.get(root);
        if (!e) continue;
        try {
          e.report = await buildModelReport(root, { ...gateOptions(root), engines: DEFAULT_ENGINES, tools: { pathEnv: '' } });
          e.name = e.report.evidence.name;
          e.error = undefined;
        } catch (err) {
          e.error = (err as Error).message;
          this.svc.log.warn(`gate for ${root} failed: ${e.error}`);
        }
        e.pending = false;
        this.changed.fire(root);
      }
    } finally {
      this.draining = false;
    }
  }

  private fileChanged(file: string): void {
    if (/[\\/](\.git|node_modules)[\\/]/.test(file)) return;
    const entry = this.modelFor(file);
    if (entry && !entry.report && !entry.pending) return; // never shown: nothing to refresh
    if (!entry) {
      // A new weight file or model card may be a new model.
      if (/\.(safetensors|gguf|onnx|pt|pth|ckpt|pkl|pickle|joblib|h5|keras|npy|npz|bin)$|model[-_]?card\.ya?ml$/i.test(file)) this.rediscover();
      return;
    }
    clearTimeout(this.dirty.get(entry.root));
    this.dirty.set(entry.root, setTimeout(() => { this.dirty.delete(entry.root); this.enqueue(entry.root); }, 1000));
  }
}

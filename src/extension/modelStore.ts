import fs from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';
import { hasWeightName } from '../core/areas.ts';
import { discoverModels } from '../core/model/target.ts';
import { modelCardKind } from '../core/modelcard/files.ts';
import { POLICY_FILE_NAMES } from '../core/policyFile.ts';
import { buildModelReport } from '../core/report/build.ts';
import type { ModelReport } from '../core/report/model.ts';
import { gateOptions } from './expectations.ts';
import { Disposable, toDisposable } from './lifecycle.ts';
import type { Services } from './services.ts';
import { setting } from './settings.ts';
import { COUNTED_ENGINES, countWork } from './work.ts';

export interface ModelEntry {
  root: string;
  name: string;
  report?: ModelReport;
  /** Why the last run gave no report ('cancelled' when the user cancelled it). */
  error?: string;
  /** A gate run for this model is queued, waiting for a burst of file changes to end, or running. */
  pending: boolean;
  /** What the running gate is doing. */
  progress?: string;
}

/** A file as a gate run saw it when it started. */
interface Stamp {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}
type Snapshot = Map<string, Stamp>;

interface Run {
  generation: number;
  ac: AbortController;
  /** The model's files as they were when the run started (taken before the gate reads anything). */
  seen: Promise<Snapshot>;
  done: Promise<ModelReport | undefined>;
}

const DEBOUNCE_MS = 800;
const MAX_SNAPSHOT_ENTRIES = 20_000;
const IGNORED = /[\\/](\.git|node_modules)([\\/]|$)/;

/**
 * The one owner of gate runs in the extension. The tree, the status bar, the report panels and
 * the report commands read verdicts from here and ask here for runs; nothing else runs the gate
 * for a model folder. One file watcher for the workspace: a change to a model someone looks at
 * re-runs its gate once, after the burst of events ends; a newer run cancels an older one, and
 * only the newest run's report is published. Each run remembers the files as it found them, so an
 * event for a file the run already saw (a signature written just before a run the user asked
 * for) starts nothing.
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
  private readonly runs = new Map<string, Run>();
  private readonly generations = new Map<string, number>();
  /** The snapshot of the newest run that finished, per model. */
  private readonly seen = new Map<string, Snapshot>();
  /** Models whose report no longer reflects the files, settings or policy. */
  private readonly stale = new Set<string>();
  /** Open report panels per model: their runs include the repository chain. */
  private readonly viewers = new Map<string, number>();
  /** Reports built with the chain. */
  private readonly withChain = new Set<string>();
  /** The settings a model's last report was made with. */
  private readonly optionKeys = new Map<string, string>();

  constructor(private readonly svc: Services) {
    super();
    const watcher = this.register(vscode.workspace.createFileSystemWatcher('**/*'));
    this.register(watcher.onDidChange((uri) => void this.fileChanged(uri.fsPath, false)));
    this.register(watcher.onDidCreate((uri) => void this.fileChanged(uri.fsPath, false)));
    this.register(watcher.onDidDelete((uri) => void this.fileChanged(uri.fsPath, true)));
    this.register(vscode.workspace.onDidChangeWorkspaceFolders(() => this.rediscover()));
    // Settings and trust decide expectations and rule severities: every verdict shown is judged again.
    this.register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('modelInspect')) this.invalidateAll();
      }),
    );
    this.register(vscode.workspace.onDidGrantWorkspaceTrust(() => this.invalidateAll()));
    this.register(
      toDisposable(() => {
        for (const t of this.dirty.values()) clearTimeout(t);
        for (const r of this.runs.values()) r.ac.abort();
      }),
    );
  }

  async models(): Promise<ModelEntry[]> {
    if (!this.discovered) await (this.discovering ??= this.discover());
    return [...this.entries.values()].sort((a, b) => (a.root < b.root ? -1 : a.root > b.root ? 1 : 0));
  }

  get(root: string): ModelEntry | undefined {
    return this.entries.get(root);
  }

  /** The model a file belongs to: the deepest model folder containing it. */
  modelFor(file: string): ModelEntry | undefined {
    let best: ModelEntry | undefined;
    for (const e of this.entries.values()) {
      if ((file === e.root || file.startsWith(e.root + path.sep)) && (!best || e.root.length > best.root.length))
        best = e;
    }
    return best;
  }

  /** A report panel shows the model: its runs include the repository chain until the panel closes. */
  view(root: string): vscode.Disposable {
    this.viewers.set(root, (this.viewers.get(root) ?? 0) + 1);
    return toDisposable(() => {
      const n = (this.viewers.get(root) ?? 1) - 1;
      if (n > 0) this.viewers.set(root, n);
      else this.viewers.delete(root);
    });
  }

  /** Run the gate now (cancelling a running one for the model) and publish its report. */
  refresh(root: string, options: { runTools?: boolean } = {}): Promise<ModelReport | undefined> {
    return this.start(root, options);
  }

  /**
   * The model's report as the files, settings and policy are now: the last one when nothing it
   * depends on changed since (and a panel's chain is in it when asked for), else a new run's.
   */
  async current(root: string, options: { chain?: boolean } = {}): Promise<ModelReport | undefined> {
    // A run under way (and not overtaken by a change) is the answer; a superseded one is followed by its successor.
    for (let running = this.runs.get(root); running && !this.dirty.has(root); running = this.runs.get(root)) {
      const r = await running.done;
      if (r && !this.stale.has(root) && !this.dirty.has(root)) return r;
      if (this.runs.get(root) === running) break;
    }
    const e = this.entries.get(root);
    if (
      e?.report &&
      !this.runs.has(root) &&
      (!options.chain || this.withChain.has(root)) &&
      (await this.unchanged(root))
    )
      return e.report;
    return this.start(root, {});
  }

  /** Run the gate only when the model's files differ from what the last run saw (after a command that may have written some). */
  async refreshIfChanged(root: string): Promise<ModelReport | undefined> {
    const e = this.entries.get(root);
    if (e?.report && !this.runs.has(root) && (await this.unchanged(root))) return e.report;
    return this.start(root, {});
  }

  cancel(root: string): void {
    const run = this.runs.get(root);
    if (!run) return;
    const e = this.entries.get(root);
    if (e) e.error = 'cancelled';
    run.ac.abort();
  }

  rediscover(): void {
    this.discovered = false;
    this.discovering = undefined;
    this.changed.fire(undefined);
  }

  /**
   * Compute the model's verdict if it has none yet. Called by what shows it (the visible tree,
   * the status bar): hashing and scanning large weights only happen for models someone looks at.
   */
  ensure(root: string): void {
    const e = this.entries.get(root);
    if (!e || e.report || e.pending || e.error) return;
    e.pending = true;
    if (!this.queue.includes(root)) this.queue.push(root);
    this.changed.fire(root);
    void this.drain();
  }

  private entry(root: string): ModelEntry {
    let e = this.entries.get(root);
    if (!e) {
      e = { root, name: path.basename(root), pending: false };
      this.entries.set(root, e);
    }
    return e;
  }

  /**
   * Whether the last report still holds: the same settings, and the model's files and the policy
   * files above it as the run found them. Compared on disk, not through the watcher, whose events
   * may still be on their way (a file written just before an export).
   */
  private async unchanged(root: string): Promise<boolean> {
    const last = this.seen.get(root);
    if (
      !last ||
      last.size >= MAX_SNAPSHOT_ENTRIES ||
      this.stale.has(root) ||
      this.dirty.has(root) ||
      this.optionKeys.get(root) !== optionsKey(root)
    )
      return false;
    return sameSnapshot(last, await snapshot(root));
  }

  private start(root: string, options: { runTools?: boolean }): Promise<ModelReport | undefined> {
    clearTimeout(this.dirty.get(root));
    this.dirty.delete(root);
    this.runs.get(root)?.ac.abort();
    const generation = (this.generations.get(root) ?? 0) + 1;
    this.generations.set(root, generation);
    const latest = () => this.generations.get(root) === generation && !this.isDisposed;
    const e = this.entry(root);
    e.pending = true;
    e.error = undefined;
    e.progress = 'Running the promotion gate…';
    this.changed.fire(root);
    const ac = new AbortController();
    const chain = (this.viewers.get(root) ?? 0) > 0;
    const seen = snapshot(root);
    const key = optionsKey(root);
    const done = (async (): Promise<ModelReport | undefined> => {
      try {
        const files = await seen;
        ac.signal.throwIfAborted();
        countWork(root, 'gateRuns');
        const report = await buildModelReport(root, {
          ...gateOptions(root),
          chain,
          engines: COUNTED_ENGINES,
          signal: ac.signal,
          runTools: options.runTools,
          onProgress: (message) => {
            if (latest()) {
              e.progress = message;
              this.changed.fire(root);
            }
          },
        });
        if (!latest()) return undefined;
        e.report = report;
        e.name = report.evidence.name;
        this.seen.set(root, files);
        this.optionKeys.set(root, key);
        this.stale.delete(root);
        if (chain) this.withChain.add(root);
        else this.withChain.delete(root);
        return report;
      } catch (err) {
        if (!latest()) return undefined;
        if (!ac.signal.aborted) {
          e.error = (err as Error).message;
          this.svc.log.warn(`gate for ${root} failed: ${e.error}`);
        }
        return undefined;
      } finally {
        if (latest()) {
          e.pending = this.dirty.has(root);
          e.progress = undefined;
          this.runs.delete(root);
          this.changed.fire(root);
        }
      }
    })();
    this.runs.set(root, { generation, ac, seen, done });
    return done;
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
    // A model a panel shows stays, discovered or not.
    for (const root of [...this.entries.keys()])
      if (!roots.has(root) && !this.viewers.has(root)) this.entries.delete(root);
    this.discovered = true;
    // Verdicts that were shown before are judged again (the files may have changed meanwhile).
    for (const root of roots) if (this.entries.get(root)?.report) this.schedule(root);
  }

  /** Background verdicts (the tree, the status bar): one model at a time. */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length && !this.isDisposed) {
        const root = this.queue.shift()!;
        const e = this.entries.get(root);
        // A run someone asked for meanwhile has made it.
        if (!e || e.report || this.runs.has(root)) continue;
        await this.start(root, {});
      }
    } finally {
      this.draining = false;
    }
  }

  private invalidateAll(): void {
    for (const e of this.entries.values()) {
      this.stale.add(e.root);
      if (e.report || e.pending) this.schedule(e.root);
    }
  }

  /** Run the gate after a burst of changes ends (when automatic runs are on); until then the report is stale. */
  private schedule(root: string): void {
    this.stale.add(root);
    if (!setting('report.autoRefresh', true, vscode.Uri.file(root))) return;
    clearTimeout(this.dirty.get(root));
    this.dirty.set(
      root,
      setTimeout(() => {
        this.dirty.delete(root);
        void this.start(root, {});
      }, DEBOUNCE_MS),
    );
    const e = this.entries.get(root);
    if (e && !e.pending) {
      e.pending = true;
      this.changed.fire(root);
    }
  }

  private async fileChanged(file: string, deleted: boolean): Promise<void> {
    if (IGNORED.test(file)) return;
    // A policy file anywhere may be the one above a model: every verdict shown is judged again.
    if (POLICY_FILE_NAMES.includes(path.basename(file))) {
      this.invalidateAll();
      return;
    }
    const entry = this.modelFor(file);
    if (!entry) {
      // A new weight file or model card may be a new model.
      if (hasWeightName(file) || modelCardKind(file) === 'card-yaml') this.rediscover();
      return;
    }
    if (!entry.report && !entry.pending) return; // never shown: nothing to judge again
    for (;;) {
      const generation = this.generations.get(entry.root);
      const seen = await this.alreadySeen(entry.root, file, deleted);
      // A run that started meanwhile may have seen the file: judge against its snapshot instead.
      if (this.generations.get(entry.root) !== generation) continue;
      if (!seen) this.schedule(entry.root);
      return;
    }
  }

  /** Whether the newest run (running or done) found `file` as it is now. */
  private async alreadySeen(root: string, file: string, deleted: boolean): Promise<boolean> {
    const running = this.runs.get(root);
    const seen = running ? await running.seen.catch(() => undefined) : this.seen.get(root);
    if (!seen) return false;
    const now = await stamp(file);
    if (deleted || !now) {
      if (now) return false;
      // Gone: seen before means changed (a folder: anything seen below it).
      for (const p of seen.keys()) if (p === file || p.startsWith(file + path.sep)) return false;
      return true;
    }
    if (now === 'folder') return true; // the files inside report their own changes
    const was = seen.get(file);
    return !!was && was.size === now.size && was.mtimeMs === now.mtimeMs && was.ctimeMs === now.ctimeMs;
  }
}

async function stamp(file: string): Promise<Stamp | 'folder' | undefined> {
  try {
    const st = await fs.lstat(file);
    return st.isDirectory() ? 'folder' : { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs };
  } catch {
    return undefined;
  }
}

/** What of the settings decides a model's verdict (expectations, rules, policy source, tools). */
function optionsKey(root: string): string {
  return JSON.stringify({ options: gateOptions(root), trusted: vscode.workspace.isTrusted });
}

/** A policy file that is not there (so that one appearing is a change). */
const ABSENT: Stamp = { size: -1, mtimeMs: 0, ctimeMs: 0 };

/**
 * The model's files with their sizes and times (bounded; what is beyond the bound is never
 * "seen"), and the policy files the gate may take from the folders above it, present or not.
 */
async function snapshot(root: string): Promise<Snapshot> {
  const out: Snapshot = new Map();
  for (let dir = path.dirname(root); ; dir = path.dirname(dir)) {
    for (const name of POLICY_FILE_NAMES) {
      const p = path.join(dir, name);
      const s = await stamp(p);
      out.set(p, s && s !== 'folder' ? s : ABSENT);
    }
    if (path.dirname(dir) === dir) break;
  }
  const todo = [root];
  while (todo.length && out.size < MAX_SNAPSHOT_ENTRIES) {
    const dir = todo.pop()!;
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const p = path.join(dir, name);
      if (IGNORED.test(p)) continue;
      const s = await stamp(p);
      if (s === 'folder') todo.push(p);
      else if (s) out.set(p, s);
      if (out.size >= MAX_SNAPSHOT_ENTRIES) break;
    }
  }
  return out;
}

function sameSnapshot(a: Snapshot, b: Snapshot): boolean {
  if (a.size !== b.size) return false;
  for (const [p, s] of a) {
    const t = b.get(p);
    if (!t || t.size !== s.size || t.mtimeMs !== s.mtimeMs || t.ctimeMs !== s.ctimeMs) return false;
  }
  return true;
}

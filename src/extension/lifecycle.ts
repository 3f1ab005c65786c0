import type * as vscode from 'vscode';

/** An owner of disposables (after vscode-pull-request-github's src/common/lifecycle.ts). */
export abstract class Disposable implements vscode.Disposable {
  private disposed = false;
  private readonly owned: vscode.Disposable[] = [];

  protected get isDisposed(): boolean {
    return this.disposed;
  }

  /** Takes ownership; disposes at once when the owner is already gone. */
  protected register<T extends vscode.Disposable>(d: T): T {
    if (this.disposed) d.dispose();
    else this.owned.push(d);
    return d;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    disposeAll(this.owned);
  }
}

export function disposeAll(ds: vscode.Disposable[]): void {
  while (ds.length) {
    try {
      ds.pop()?.dispose();
    } catch {
      /* one failing dispose must not keep the others alive */
    }
  }
}

export function toDisposable(fn: () => void): vscode.Disposable {
  return { dispose: fn };
}

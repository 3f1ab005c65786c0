import * as vscode from 'vscode';
import type { ValidatorId } from '../core/areas.ts';
import type { Finding } from '../core/findings.ts';
import { presentFindings } from '../core/present.ts';
import { forgetPolicyRules, presentationFor } from './expectations.ts';
import { toDiagnostic } from './diagnostics.ts';
import { Disposable } from './lifecycle.ts';
import { setting } from './settings.ts';

/** A checker of open text documents (model cards, workflows, Python files, …). */
export interface TextValidator {
  /** Declared by its area's descriptor (src/core/<area>/area.ts). */
  id: ValidatorId;
  /** Cheap: decides by language id, path and scheme only. */
  matches(doc: vscode.TextDocument): boolean;
  validate(doc: vscode.TextDocument, token: vscode.CancellationToken): Finding[] | Promise<Finding[]>;
}

export interface ValidationEvent {
  uri: vscode.Uri;
  findings: readonly Finding[];
  millis: number;
}

/**
 * Runs the registered validators on open documents as the user types (debounced), publishes one
 * diagnostic collection, and clears a document's diagnostics when it closes.
 */
export class LiveValidation extends Disposable {
  private readonly collection = this.register(vscode.languages.createDiagnosticCollection('model-inspect'));
  private readonly validators: TextValidator[] = [];
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly running = new Map<string, vscode.CancellationTokenSource>();
  private readonly versions = new Map<string, number>();
  private readonly emitter = this.register(new vscode.EventEmitter<ValidationEvent>());
  /** Fires after each validation with the findings published for the document. */
  readonly onDidValidate = this.emitter.event;

  constructor() {
    super();
    this.register(vscode.workspace.onDidOpenTextDocument((d) => this.schedule(d, 0)));
    this.register(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length) this.schedule(e.document);
      }),
    );
    this.register(vscode.workspace.onDidSaveTextDocument((d) => this.schedule(d, 0)));
    this.register(vscode.workspace.onDidCloseTextDocument((d) => this.forget(d.uri)));
    this.register(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('modelInspect')) {
          forgetPolicyRules();
          this.revalidateAll();
        }
      }),
    );
    this.register(
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        forgetPolicyRules();
        this.revalidateAll();
      }),
    );
    // A policy's `rules:` section changes how every file below it is shown.
    const policies = this.register(vscode.workspace.createFileSystemWatcher('**/.model-inspect.{yaml,yml}'));
    const policyChanged = () => {
      forgetPolicyRules();
      this.revalidateAll();
    };
    this.register(policies.onDidChange(policyChanged));
    this.register(policies.onDidCreate(policyChanged));
    this.register(policies.onDidDelete(policyChanged));
  }

  add(validator: TextValidator): vscode.Disposable {
    this.validators.push(validator);
    for (const d of vscode.workspace.textDocuments) if (validator.matches(d)) this.schedule(d, 0);
    return {
      dispose: () => {
        const i = this.validators.indexOf(validator);
        if (i >= 0) this.validators.splice(i, 1);
      },
    };
  }

  revalidateAll(): void {
    for (const d of vscode.workspace.textDocuments) this.schedule(d, 0);
  }

  /** Validate at once and wait for the result (commands and tests use this). */
  async validateNow(doc: vscode.TextDocument): Promise<readonly vscode.Diagnostic[]> {
    this.cancelTimer(doc.uri);
    await this.run(doc);
    return this.collection.get(doc.uri) ?? [];
  }

  private schedule(doc: vscode.TextDocument, delay?: number): void {
    if (!this.validators.some((v) => v.matches(doc))) return;
    const key = doc.uri.toString();
    this.cancelTimer(doc.uri);
    const wait = delay ?? setting<number>('validation.debounceMs', 150, doc.uri);
    this.timers.set(
      key,
      setTimeout(
        () => {
          this.timers.delete(key);
          void this.run(doc);
        },
        Math.max(0, wait),
      ),
    );
  }

  private cancelTimer(uri: vscode.Uri): void {
    const key = uri.toString();
    const t = this.timers.get(key);
    if (t) clearTimeout(t);
    this.timers.delete(key);
  }

  private async run(doc: vscode.TextDocument): Promise<void> {
    if (doc.isClosed) return;
    const key = doc.uri.toString();
    this.running.get(key)?.cancel();
    const cts = new vscode.CancellationTokenSource();
    this.running.set(key, cts);
    const version = doc.version;
    const started = performance.now();
    const findings: Finding[] = [];
    try {
      if (!setting<boolean>('validation.enable', true, doc.uri)) {
        this.collection.delete(doc.uri);
        return;
      }
      for (const v of this.validators) {
        if (!v.matches(doc)) continue;
        try {
          findings.push(...(await v.validate(doc, cts.token)));
        } catch (e) {
          // A validator bug must not take the others down, nor leave stale diagnostics behind.
          findings.push({
            ruleId: 'gate/incomplete',
            severity: 'warning',
            message: `${v.id} check failed: ${(e as Error)?.message ?? e}`,
            file: doc.uri.fsPath,
          });
        }
        if (cts.token.isCancellationRequested) return;
      }
      if (cts.token.isCancellationRequested || doc.isClosed || doc.version !== version) return;
      // The findings step every face calls: the settings and the policy's rules, inline comments, order.
      const presentation = await presentationFor(doc.uri);
      if (cts.token.isCancellationRequested || doc.isClosed || doc.version !== version) return;
      const text = doc.getText();
      const shown = presentFindings(findings, { ...presentation, text: () => text }).findings;
      this.collection.set(
        doc.uri,
        shown.map((f) => toDiagnostic(f, doc)),
      );
      this.versions.set(key, version);
      this.emitter.fire({ uri: doc.uri, findings: shown, millis: performance.now() - started });
    } finally {
      if (this.running.get(key) === cts) this.running.delete(key);
      cts.dispose();
    }
  }

  private forget(uri: vscode.Uri): void {
    this.cancelTimer(uri);
    this.running.get(uri.toString())?.cancel();
    this.collection.delete(uri);
    this.versions.delete(uri.toString());
  }
}

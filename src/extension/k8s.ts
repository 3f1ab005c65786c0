import * as vscode from 'vscode';
import type { Finding } from '../core/findings.ts';
import { checkK8sTexts, collect, isCandidateYaml } from '../core/k8s/files.ts';
import { looksLikeKubernetes } from '../core/k8s/manifest.ts';
import { PIN_IMAGE_COMMAND, type PinImageArgs } from '../core/k8s/model.ts';
import type { AdmissionPolicy } from '../core/k8s/policies.ts';
import type { PodTemplate } from '../core/k8s/workloads.ts';
import { modelCardKind } from '../core/modelcard/files.ts';
import { isWorkflowPath } from '../core/workflow/files.ts';
import type { Services } from './services.ts';
import { setting } from './settings.ts';

/**
 * Kubernetes serving manifests and admission policies: live diagnostics for any YAML document whose
 * content has `apiVersion` and `kind` (recognised cheaply, without parsing, from its first lines),
 * checked against the policies and workloads of the rest of the workspace (read once, on the first
 * such document, and re-read when YAML files change), and the online "Pin to digest" action.
 */
export function registerK8s(s: Services): void {
  const workspace = new WorkspaceK8s();
  const watcher = vscode.workspace.createFileSystemWatcher('**/*.{yaml,yml}');
  const stale = () => workspace.invalidate();
  s.context.subscriptions.push(
    watcher,
    watcher.onDidChange(stale),
    watcher.onDidCreate(stale),
    watcher.onDidDelete(stale),
    s.live.add({ id: 'k8s', matches: isK8sDocument, validate: (doc) => validate(doc, workspace) }),
    vscode.commands.registerCommand(PIN_IMAGE_COMMAND, (args: PinImageArgs) => pinImage(s, args)),
  );
}

const SCHEMES = new Set(['file', 'untitled', 'vscode-remote']);

export function isK8sDocument(doc: vscode.TextDocument): boolean {
  if (!SCHEMES.has(doc.uri.scheme) || doc.languageId !== 'yaml') return false;
  if (isWorkflowPath(doc.uri.path) || modelCardKind(doc.uri.path) || /\.model-inspect\.ya?ml$/.test(doc.uri.path))
    return false;
  if (!setting<boolean>('k8s.enable', true, doc.uri)) return false;
  const head = doc.getText(new vscode.Range(0, 0, Math.min(doc.lineCount, 400), 0));
  return looksLikeKubernetes(head);
}

/** The other YAML files of the workspace that hold admission policies or workloads. */
class WorkspaceK8s {
  private pending: Promise<{ path: string; policies: AdmissionPolicy[]; workloads: PodTemplate[] }[]> | undefined;

  invalidate(): void {
    this.pending = undefined;
  }

  async others(except: string): Promise<{ policies: AdmissionPolicy[]; workloads: PodTemplate[] }> {
    this.pending ??= this.read();
    const all = await this.pending;
    const rest = all.filter((f) => f.path !== except);
    return { policies: rest.flatMap((f) => f.policies), workloads: rest.flatMap((f) => f.workloads) };
  }

  private async read(): Promise<{ path: string; policies: AdmissionPolicy[]; workloads: PodTemplate[] }[]> {
    const uris = await vscode.workspace.findFiles('**/*.{yaml,yml}', '{**/node_modules/**,**/.git/**}', 2000);
    const out: { path: string; policies: AdmissionPolicy[]; workloads: PodTemplate[] }[] = [];
    for (const uri of uris) {
      const rel = vscode.workspace.asRelativePath(uri, false);
      if (!isCandidateYaml(rel)) continue;
      try {
        const stat = await vscode.workspace.fs.stat(uri);
        if (stat.size > 1024 * 1024) continue;
        const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
        if (
          !looksLikeKubernetes(text) ||
          !/verifyImages|ImageValidatingPolicy|ClusterImagePolicy|containers|InferenceService|SeldonDeployment/.test(
            text,
          )
        )
          continue;
        const k = collect([{ path: uri.fsPath, text }]);
        if (k.policies.length || k.workloads.length) out.push({ path: uri.fsPath, ...k });
      } catch {
        // an unreadable file is simply not context
      }
    }
    return out;
  }
}

async function validate(doc: vscode.TextDocument, workspace: WorkspaceK8s): Promise<Finding[]> {
  const file = doc.uri.fsPath;
  const context = doc.uri.scheme === 'file' ? await workspace.others(file) : {};
  const set = await checkK8sTexts([{ path: file, text: doc.getText() }], context);
  const online = vscode.workspace.isTrusted && setting<boolean>('k8s.resolveDigestsOnline', true, doc.uri);
  return set.findings
    .filter((f) => !f.file || f.file === file)
    .map((f) =>
      online || !f.fixes?.some((x) => x.kind === 'command' && x.command === PIN_IMAGE_COMMAND)
        ? f
        : { ...f, fixes: f.fixes!.filter((x) => !(x.kind === 'command' && x.command === PIN_IMAGE_COMMAND)) },
    );
}

/** The user chose "Pin to digest (online)": ask the registry, then edit if the text is unchanged. */
async function pinImage(s: Services, args: PinImageArgs): Promise<void> {
  if (!args || typeof args.image !== 'string' || !args.range || !vscode.workspace.isTrusted) return;
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === args.file);
  if (!doc) return;
  const range = new vscode.Range(
    args.range.start.line,
    args.range.start.character,
    args.range.end.line,
    args.range.end.character,
  );
  try {
    const digest = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Asking the registry for the digest of ${args.image}`,
        cancellable: true,
      },
      async (_p, token) => {
        const ac = new AbortController();
        token.onCancellationRequested(() => ac.abort());
        const timer = setTimeout(() => ac.abort(), 20_000);
        // the registry area's client (a chunk loaded on first use): anonymous or ~/.docker/config.json auths, never a credential helper program
        const { RegistryClient, dockerCredentials, resolveDigest } = await import('../core/registry/online.ts');
        const client = new RegistryClient({
          credentials: dockerCredentials({ allowHelpers: false, env: process.env }),
          signal: ac.signal,
          retries: 1,
        });
        return resolveDigest(client, args.image)
          .then((r) => r.digest)
          .finally(() => {
            clearTimeout(timer);
            client.close();
          });
      },
    );
    if (doc.getText(range) !== args.image) {
      void vscode.window.showWarningMessage(
        `The image reference changed while its digest was resolved; run the quick fix again.`,
      );
      return;
    }
    const edit = new vscode.WorkspaceEdit();
    // the user's spelling stays, the digest is added (`repo:tag@sha256:…`: runtimes pull the digest)
    edit.replace(doc.uri, range, `${args.image.replace(/@.*$/, '')}@${digest}`);
    await vscode.workspace.applyEdit(edit);
    s.log.info(`pinned ${args.image} to ${digest}`);
  } catch (e) {
    const message =
      (e as Error)?.name === 'AbortError' ? 'cancelled or timed out' : ((e as Error)?.message ?? String(e));
    s.log.warn(`resolving ${args.image}: ${message}`);
    void vscode.window.showErrorMessage(`Could not pin ${args.image}: ${message}`);
  }
}

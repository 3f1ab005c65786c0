import * as vscode from 'vscode';
import type { Finding } from '../core/findings.ts';
import { checkWorkflowText } from '../core/workflow/check.ts';
import { RESOLVE_REF_COMMAND, type ResolveRefArgs } from '../core/workflow/checks/pinning.ts';
import { isWorkflowPath } from '../core/workflow/files.ts';
import type { Services } from './services.ts';
import { setting } from './settings.ts';

/**
 * GitHub Actions workflows (`.github/workflows/*.{yml,yaml}`): live supply-chain diagnostics.
 * Hovers, quick fixes, per-rule severity and `# model-inspect-disable-line` come from the shared
 * diagnostics layer. The files are matched by path, whether VS Code calls the language `yaml` or
 * `github-actions-workflow` (the GitHub Actions extension's id).
 */
export function registerWorkflow(s: Services): void {
  s.context.subscriptions.push(
    s.live.add({
      id: 'workflow',
      matches: isWorkflowDocument,
      validate: async (doc) => withoutOnlineFixes(await checkWorkflowText(doc.getText(), doc.uri.fsPath), doc.uri),
    }),
    vscode.commands.registerCommand(RESOLVE_REF_COMMAND, (args: ResolveRefArgs) => resolveActionRef(s, args)),
  );
}

const LANGUAGES = new Set(['yaml', 'github-actions-workflow']);
const SCHEMES = new Set(['file', 'untitled', 'vscode-remote']);

export function isWorkflowDocument(doc: vscode.TextDocument): boolean {
  return (
    SCHEMES.has(doc.uri.scheme) &&
    LANGUAGES.has(doc.languageId) &&
    isWorkflowPath(doc.uri.path) &&
    setting<boolean>('workflow.enable', true, doc.uri)
  );
}

/** The "resolve online" quick fix is offered only when the user allows it (and the workspace is trusted). */
function withoutOnlineFixes(findings: Finding[], uri: vscode.Uri): Finding[] {
  if (vscode.workspace.isTrusted && setting<boolean>('workflow.resolveTagsOnline', true, uri)) return findings;
  return findings.map((f) =>
    f.fixes?.some((x) => x.kind === 'command' && x.command === RESOLVE_REF_COMMAND)
      ? { ...f, fixes: f.fixes.filter((x) => !(x.kind === 'command' && x.command === RESOLVE_REF_COMMAND)) }
      : f,
  );
}

const NAME = /^[A-Za-z0-9_.-]+$/;
const REF = /^[A-Za-z0-9_./-]+$/;

/** Asks api.github.com which commit a tag or branch points at (the user chose this online action). */
async function commitFor(owner: string, repo: string, ref: string, signal: AbortSignal): Promise<string> {
  const url = `https://api.github.com/repos/${owner}/${repo}/commits/${encodeURIComponent(ref)}`;
  const res = await fetch(url, {
    headers: { Accept: 'application/vnd.github.sha', 'User-Agent': 'model-supply-chain-inspector' },
    signal,
  });
  if (!res.ok)
    throw new Error(
      `GitHub answered ${res.status} ${res.statusText} for ${owner}/${repo}@${ref}${res.status === 403 ? ' (rate limit?)' : ''}`,
    );
  const sha = (await res.text()).trim();
  if (!/^[0-9a-f]{40}$/.test(sha)) throw new Error(`unexpected answer for ${owner}/${repo}@${ref}`);
  return sha;
}

async function resolveActionRef(s: Services, args: ResolveRefArgs): Promise<void> {
  if (!args || !NAME.test(args.owner) || !NAME.test(args.repo) || !REF.test(args.ref)) return;
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === args.file);
  if (!doc) return;
  const range = new vscode.Range(
    args.range.start.line,
    args.range.start.character,
    args.range.end.line,
    args.range.end.character,
  );
  try {
    const sha = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Resolving ${args.owner}/${args.repo}@${args.ref}`,
        cancellable: true,
      },
      (_p, token) => {
        const ac = new AbortController();
        token.onCancellationRequested(() => ac.abort());
        const timer = setTimeout(() => ac.abort(), 15_000);
        return commitFor(args.owner, args.repo, args.ref, ac.signal).finally(() => clearTimeout(timer));
      },
    );
    // the document may have changed while we waited: edit only if the ref is still there
    if (doc.getText(range) !== args.ref) {
      void vscode.window.showWarningMessage(
        `The reference ${args.ref} moved while it was being resolved; run the quick fix again.`,
      );
      return;
    }
    const edit = new vscode.WorkspaceEdit();
    edit.replace(doc.uri, range, sha);
    if (!args.hasComment)
      edit.insert(doc.uri, new vscode.Position(args.lineEnd.line, args.lineEnd.character), ` # ${args.ref}`);
    await vscode.workspace.applyEdit(edit);
    s.log.info(`pinned ${args.owner}/${args.repo}@${args.ref} to ${sha}`);
  } catch (e) {
    const message =
      (e as Error)?.name === 'AbortError' ? 'cancelled or timed out' : ((e as Error)?.message ?? String(e));
    s.log.warn(`resolving ${args.owner}/${args.repo}@${args.ref}: ${message}`);
    void vscode.window.showErrorMessage(`Could not resolve ${args.owner}/${args.repo}@${args.ref}: ${message}`);
  }
}

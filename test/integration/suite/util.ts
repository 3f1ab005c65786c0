/**
 * Helpers for integration suites (test/integration/suite/*.test.ts). The suite runs inside a real
 * VS Code extension host (code-server in `npm test`, desktop VS Code under `npm run test:electron`)
 * with a fresh temp copy of test/integration/workspace/ as its only workspace folder.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'model-inspect.model-supply-chain-inspector';
/** Diagnostics of this extension carry this source. */
export const SOURCE = 'model-inspect';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Poll until `probe` returns a value other than undefined/false. There is no time limit of its
 * own to race with a loaded machine: the wait lasts until just before the running test's timeout
 * (index.ts, MODEL_INSPECT_TEST_TIMEOUT), and then fails naming `what` instead of mocha's bare
 * timeout. `timeoutMs` can only lengthen it.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 0,
): Promise<T> {
  const start = Date.now();
  const testDeadline = (globalThis as { __modelInspectTestDeadline?: number }).__modelInspectTestDeadline;
  const end = Math.max(
    start + timeoutMs,
    testDeadline !== undefined && testDeadline > start ? testDeadline - 1_000 : start + 30_000,
  );
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end)
      throw new Error(
        `still waiting for ${what} after ${((Date.now() - start) / 1000).toFixed(1)} s, the end of this test's time`,
      );
    await sleep(50);
  }
}

/** Activates the extension under test (if the activation events have not already) and returns it. */
export async function activateExtension(): Promise<vscode.Extension<unknown>> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not loaded (extensionDevelopmentPath wrong?)`);
  await ext.activate();
  return ext;
}

export function workspaceRoot(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the test workspace is not open');
  return folder.uri;
}

/** A file of the per-run workspace copy, by path relative to test/integration/workspace/. */
export function fixtureUri(rel: string): vscode.Uri {
  return vscode.Uri.joinPath(workspaceRoot(), ...rel.split('/'));
}

/**
 * Opens a workspace file in an editor the way a user does (vscode.open), and returns its document
 * and editor. Unlike workspace.openTextDocument, this leaves no extension-host reference behind,
 * so closing the editor really closes the document (onDidCloseTextDocument fires at once).
 */
export async function openFixture(rel: string): Promise<{ doc: vscode.TextDocument; editor: vscode.TextEditor }> {
  const uri = fixtureUri(rel);
  await vscode.commands.executeCommand('vscode.open', uri);
  const editor = await waitFor(`an editor for ${rel}`, () =>
    vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString()),
  );
  return { doc: editor.document, editor };
}

/** This extension's diagnostics on a document. */
export function ourDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === SOURCE);
}

/** The rule id a diagnostic carries as its code. */
export function ruleIdOf(d: vscode.Diagnostic): string | undefined {
  if (typeof d.code === 'object' && d.code !== null) return String(d.code.value);
  return d.code === undefined ? undefined : String(d.code);
}

/** Waits until this extension's diagnostics on `uri` satisfy `accept` (default: at least one). */
export function waitForDiagnostics(
  uri: vscode.Uri,
  accept: (ds: vscode.Diagnostic[]) => boolean = (ds) => ds.length > 0,
  timeoutMs = 0,
): Promise<vscode.Diagnostic[]> {
  return waitFor(
    `diagnostics on ${uri.path}`,
    () => {
      const ds = ourDiagnostics(uri);
      return accept(ds) && ds;
    },
    timeoutMs,
  );
}

/** Waits for a diagnostic of `ruleId` on `uri` and returns it. */
export async function waitForRule(uri: vscode.Uri, ruleId: string, timeoutMs = 0): Promise<vscode.Diagnostic> {
  const ds = await waitForDiagnostics(uri, (all) => all.some((d) => ruleIdOf(d) === ruleId), timeoutMs).catch(
    (e: Error) => {
      throw new Error(`${e.message}; rule ${ruleId} not reported, saw: ${describe(ourDiagnostics(uri))}`);
    },
  );
  return ds.find((d) => ruleIdOf(d) === ruleId)!;
}

/** "rule@line" list for assertion messages. */
export function describe(ds: readonly vscode.Diagnostic[]): string {
  return ds.map((d) => `${ruleIdOf(d)}@${d.range.start.line + 1}`).join(', ') || '(none)';
}

/** The quick fixes VS Code would offer on `range`, from every provider. */
export async function quickFixes(uri: vscode.Uri, range: vscode.Range): Promise<vscode.CodeAction[]> {
  const actions = await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[]>(
    'vscode.executeCodeActionProvider',
    uri,
    range,
    vscode.CodeActionKind.QuickFix.value,
  );
  return (actions ?? []).filter(
    (a): a is vscode.CodeAction => 'title' in a && !('command' in a && typeof a.command === 'string'),
  );
}

/** Applies a code action the way the light bulb does: its edit, then its command. */
export async function applyCodeAction(action: vscode.CodeAction): Promise<void> {
  if (action.edit)
    assert.ok(await vscode.workspace.applyEdit(action.edit), `edit of "${action.title}" was not applied`);
  if (action.command) await vscode.commands.executeCommand(action.command.command, ...(action.command.arguments ?? []));
}

/** The hover texts at a position, from every provider. */
export async function hoverTexts(uri: vscode.Uri, pos: vscode.Position): Promise<string[]> {
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, pos);
  return (hovers ?? []).flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value)));
}

/**
 * Leaves the window as a test found it: reverts edited documents (so no "save changes?" dialog
 * blocks the run) and closes every editor. Call it in teardown().
 */
export async function resetEditors(): Promise<void> {
  for (const doc of vscode.workspace.textDocuments) {
    if (!doc.isDirty) continue;
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  }
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}

/** Opens a file in an editor and waits until the editor shows it. */
export async function openInEditor(uri: vscode.Uri): Promise<vscode.TextDocument> {
  await vscode.commands.executeCommand('vscode.open', uri);
  return waitFor(
    `an editor for ${uri.path}`,
    () => vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString())?.document,
  );
}

/**
 * Applies the quick fix whose title matches on a diagnostic of `ruleId`. Polls: after an earlier
 * fix the diagnostics are re-published after the debounce, and until then the old ones (with their
 * old fixes) are still there.
 */
export async function applyQuickFix(doc: vscode.TextDocument, ruleId: string, title: RegExp): Promise<void> {
  let seen = '';
  const action = await waitFor(
    `a quick fix ${title} on ${ruleId}`,
    async () => {
      for (const d of ourDiagnostics(doc.uri).filter((x) => ruleIdOf(x) === ruleId)) {
        const actions = await quickFixes(doc.uri, d.range);
        seen = actions.map((a) => a.title).join(' | ');
        const hit = actions.find((a) => title.test(a.title));
        if (hit) return hit;
      }
      return undefined;
    },
    20_000,
  ).catch((e: Error) => {
    throw new Error(`${e.message} (last seen: ${seen || 'none'}; diagnostics: ${describe(ourDiagnostics(doc.uri))})`);
  });
  await applyCodeAction(action);
}

import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import {
  activateExtension,
  applyCodeAction,
  describe,
  fixtureUri,
  hoverTexts,
  openFixture,
  ourDiagnostics,
  quickFixes,
  resetEditors,
  ruleIdOf,
  waitForDiagnostics,
  waitForRule,
} from './util.ts';

/** GitHub Actions workflows inside a real VS Code: diagnostics on the exact word, rule help on hover, quick fixes. */

const FILE = '.github/workflows/release.yml';

async function fix(doc: vscode.TextDocument, ruleId: string, title: RegExp): Promise<void> {
  const d = await waitForRule(doc.uri, ruleId);
  const actions = await quickFixes(doc.uri, d.range);
  const action = actions.find((a) => title.test(a.title));
  assert.ok(action, `a quick fix ${title} on ${ruleId} (got: ${actions.map((a) => a.title).join(' | ') || 'none'})`);
  await applyCodeAction(action);
}

suite('workflows', () => {
  suiteSetup(activateExtension);
  teardown(resetEditors);

  test('diagnostics on the tool and the injected expression, with the rule help on hover', async () => {
    const { doc } = await openFixture(FILE);
    const tool = await waitForRule(doc.uri, 'workflow/tool-not-installed');
    assert.equal(doc.getText(tool.range), 'cosign');
    assert.match(tool.message, /sigstore\/cosign-installer/);
    const injection = await waitForRule(doc.uri, 'workflow/expression-injection');
    assert.equal(doc.getText(injection.range), 'github.event.head_commit.message');
    const hover = (await hoverTexts(doc.uri, tool.range.start.translate(0, 1))).join('\n');
    assert.match(hover, /Tool used but never installed/);
    assert.ok(
      !ourDiagnostics(doc.uri).some((d) => ruleIdOf(d) === 'workflow/id-token-missing'),
      describe(ourDiagnostics(doc.uri)),
    );
  });

  test('quick fixes: add the installer step, move the untrusted value to env', async () => {
    const { doc } = await openFixture(FILE);
    await fix(doc, 'workflow/tool-not-installed', /sigstore\/cosign-installer/);
    assert.match(
      doc.getText(),
      / {6}- name: Install cosign\n {8}uses: sigstore\/cosign-installer@[0-9a-f]{40} # v\d+\.\d+\.\d+\n {6}- name: Sign the model/,
    );
    await waitForDiagnostics(doc.uri, (ds) => !ds.some((d) => ruleIdOf(d) === 'workflow/tool-not-installed'));
    // the inserted step is pinned by its full SHA: it brings no finding of its own
    assert.ok(
      !ourDiagnostics(doc.uri).some((d) => ruleIdOf(d) === 'workflow/unpinned-action'),
      describe(ourDiagnostics(doc.uri)),
    );
    await fix(doc, 'workflow/expression-injection', /^Pass it through env HEAD_COMMIT_MESSAGE$/);
    assert.match(doc.getText(), /env:\n {10}HEAD_COMMIT_MESSAGE: \$\{\{ github\.event\.head_commit\.message \}\}/);
    assert.match(doc.getText(), /echo "Released \$\{HEAD_COMMIT_MESSAGE\}"/);
    await waitForDiagnostics(doc.uri, (ds) => !ds.some((d) => ruleIdOf(d) === 'workflow/expression-injection'));
  });

  test('the SHA placeholder fix is a snippet: the placeholder is selected, ready for the commit', async () => {
    const uri = fixtureUri('.github/workflows/pin-snippet.yml');
    await vscode.workspace.fs.writeFile(
      uri,
      Buffer.from(
        'on: push\npermissions:\n  contents: read\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n        with:\n          persist-credentials: false\n',
      ),
    );
    try {
      await vscode.commands.executeCommand('vscode.open', uri);
      const pin = await waitForRule(uri, 'workflow/unpinned-action');
      const actions = await quickFixes(uri, pin.range);
      const action = actions.find((a) => /^Pin to a commit SHA \(placeholder/.test(a.title));
      assert.ok(action, actions.map((a) => a.title).join(' | '));
      await applyCodeAction(action);
      const editor = vscode.window.activeTextEditor;
      assert.ok(editor && editor.document.uri.toString() === uri.toString());
      assert.match(editor.document.getText(), /actions\/checkout@<full-commit-sha> # v4\n/);
      assert.equal(
        editor.document.getText(editor.selection),
        '<full-commit-sha>',
        'the snippet selects the placeholder',
      );
    } finally {
      // the other suites share this workspace: leave it as it was
      await resetEditors();
      await vscode.workspace.fs.delete(uri);
    }
  });

  test('a suppression comment silences one rule on one line', async () => {
    const { doc } = await openFixture(FILE);
    await fix(doc, 'workflow/tool-not-installed', /^Suppress workflow\/tool-not-installed on this line$/);
    await waitForDiagnostics(
      doc.uri,
      (ds) =>
        !ds.some((d) => ruleIdOf(d) === 'workflow/tool-not-installed') &&
        ds.some((d) => ruleIdOf(d) === 'workflow/expression-injection'),
    );
  });
});

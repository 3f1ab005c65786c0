import * as assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { activateExtension, ourDiagnostics, ruleIdOf, waitFor, workspaceRoot } from './util.ts';

/**
 * One findings step for every face: the editor's diagnostics and the gate (panel, tree, exports)
 * show the same card findings under the same rule settings and inline comments.
 */

interface Export {
  checks: { id: string; status: string; reasons: string[] }[];
  suppressed: { ruleId: string }[];
}

const CARD = [
  'model_details:',
  '  name: "pipeline-model"',
  '  version: "1.0.0"',
  '  license: "Apache-2.0"',
  'provenance:',
  '  training_data:',
  '    hash: "sha256:abc123..."',
  '  training_config:',
  '    source: "git://github.com/acme/ml-models@abc123"',
  'security:',
  '  last_security_review: "2025-05-01"',
  '',
].join('\n');

suite('one findings step: editor and gate agree', () => {
  let model = '';
  let card = '';
  const cfg = () => vscode.workspace.getConfiguration('modelInspect');
  const exportGate = async (): Promise<Export> => {
    const out = path.join(path.dirname(model), `gate-${crypto.randomUUID()}.json`);
    await vscode.commands.executeCommand(
      'modelInspect.report.exportReport',
      vscode.Uri.file(model),
      vscode.Uri.file(out),
    );
    try {
      return JSON.parse(fs.readFileSync(out, 'utf8')) as Export;
    } finally {
      fs.rmSync(out);
    }
  };
  /** "the model card has N errors: …" from the gate's model-card check. */
  const gateCardErrors = async (): Promise<number> => {
    const reasons = (await exportGate()).checks.find((c) => c.id === 'model-card')!.reasons.join('\n');
    return Number(/the model card has (\d+) error/.exec(reasons)?.[1] ?? 0);
  };
  const editorCardErrors = (): number =>
    ourDiagnostics(vscode.Uri.file(card)).filter((d) => d.severity === vscode.DiagnosticSeverity.Error).length;

  suiteSetup(async () => {
    await activateExtension();
    model = path.join(workspaceRoot().fsPath, 'pipeline', 'm');
    fs.mkdirSync(model, { recursive: true });
    card = path.join(model, 'model-card.yaml');
    fs.writeFileSync(card, CARD);
    await vscode.window.showTextDocument(vscode.Uri.file(card));
  });
  suiteTeardown(async () => {
    await cfg().update('rules.severity', undefined, vscode.ConfigurationTarget.Workspace);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(path.dirname(model), { recursive: true, force: true });
  });

  test('the same card errors in the Problems panel and in the gate; a rule setting changes both', async () => {
    const before = await waitFor('card diagnostics', () => editorCardErrors() >= 3 && editorCardErrors());
    assert.equal(await gateCardErrors(), before, 'the gate counts the errors the editor shows');
    await cfg().update('rules.severity', { 'card/placeholder-digest': 'off' }, vscode.ConfigurationTarget.Workspace);
    await waitFor('the setting to reach the editor', () => editorCardErrors() === before - 1);
    assert.equal(await gateCardErrors(), before - 1, 'and the gate');
    await cfg().update('rules.severity', undefined, vscode.ConfigurationTarget.Workspace);
  });

  test('an inline comment silences the line in the editor and in the gate, which lists it as suppressed', async () => {
    await waitFor('the setting to be gone', () =>
      ourDiagnostics(vscode.Uri.file(card)).some((d) => ruleIdOf(d) === 'card/placeholder-digest'),
    );
    const before = editorCardErrors();
    // Typed into the editor and saved, as a person would.
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(card));
    const line = doc.lineAt(6);
    const edit = new vscode.WorkspaceEdit();
    edit.insert(doc.uri, line.range.end, '  # model-inspect-disable-line card/placeholder-digest');
    assert.ok(await vscode.workspace.applyEdit(edit));
    assert.ok(await doc.save());
    await waitFor(
      'the comment to reach the editor',
      () => !ourDiagnostics(vscode.Uri.file(card)).some((d) => ruleIdOf(d) === 'card/placeholder-digest'),
    );
    assert.equal(editorCardErrors(), before - 1);
    const r = await exportGate();
    assert.match(
      r.checks.find((c) => c.id === 'model-card')!.reasons.join('\n'),
      new RegExp(`has ${before - 1} error`),
    );
    assert.deepEqual(
      r.suppressed.map((f) => f.ruleId),
      ['card/placeholder-digest'],
    );
  });
});

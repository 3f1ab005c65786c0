import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { activateExtension, EXTENSION_ID, waitFor, waitForRule, workspaceRoot } from './util.ts';

/** The report panel, the Model Supply Chain view and the report commands inside a real VS Code. */
suite('report panel, SBOM and gate', () => {
  let model = '';
  suiteSetup(() => {
    // A model folder inside the workspace: card, a minimal safetensors file, requirements.
    model = path.join(workspaceRoot().fsPath, 'report-model');
    fs.mkdirSync(model, { recursive: true });
    fs.writeFileSync(
      path.join(model, 'model-card.yaml'),
      'model_details:\n  name: "report-model"\n  version: "1.0.0"\n  license: "Apache-2.0"\nsecurity:\n  last_security_review: "2025-05-01"\n',
    );
    const header = Buffer.from('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}');
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    fs.writeFileSync(path.join(model, 'model.safetensors'), Buffer.concat([len, header, Buffer.alloc(4)]));
    fs.writeFileSync(path.join(model, 'requirements.txt'), 'torch==2.1.2\n');
  });
  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(model, { recursive: true, force: true });
  });

  test('commands, the view container, the view and the webview restore activation are contributed', async () => {
    await activateExtension();
    const commands = await vscode.commands.getCommands(true);
    for (const c of [
      'modelInspect.report.open',
      'modelInspect.report.generateSbom',
      'modelInspect.report.runVulnerabilityScan',
      'modelInspect.report.exportReport',
      'modelInspect.models.refresh',
    ])
      assert.ok(commands.includes(c), c);
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as {
      activationEvents: string[];
      contributes: {
        views: Record<string, { id: string; name: string }[]>;
        viewsContainers: { activitybar: { id: string; title: string }[] };
      };
    };
    assert.ok(pkg.activationEvents.includes('onWebviewPanel:modelInspect.report'));
    assert.ok(pkg.contributes.viewsContainers.activitybar.some((c) => c.title === 'Model Supply Chain'));
    assert.ok(
      pkg.contributes.views.modelInspect.some((v) => v.id === 'modelInspect.models' && v.name === 'Model Supply Chain'),
    );
  });

  test('Open Model Report opens the report webview for the model folder', async () => {
    await vscode.commands.executeCommand(
      'modelInspect.report.open',
      vscode.Uri.file(path.join(model, 'model.safetensors')),
    );
    const tab = await waitFor('the report panel tab', () =>
      vscode.window.tabGroups.all
        .flatMap((g) => g.tabs)
        .find((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('modelInspect.report')),
    );
    assert.equal(tab.label, 'Model Report: report-model');
  });

  test('Generate ML-BOM writes a CycloneDX 1.6 ML-BOM into the model folder', async () => {
    await vscode.commands.executeCommand('modelInspect.report.generateSbom', vscode.Uri.file(model));
    const file = path.join(model, 'sbom.cdx.json');
    await waitFor('sbom.cdx.json', () => fs.existsSync(file));
    const bom = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(bom.specVersion, '1.6');
    assert.equal(bom.metadata.component.type, 'machine-learning-model');
    assert.equal(bom.metadata.component.name, 'report-model');
    assert.ok(
      bom.components.some(
        (c: { name: string; hashes?: unknown[] }) => c.name === 'model.safetensors' && c.hashes?.length === 1,
      ),
    );
    assert.ok(bom.components.some((c: { purl?: string }) => c.purl === 'pkg:pypi/torch@2.1.2'));
  });

  test('a .model-inspect.yaml policy is validated as it is edited: an unknown key is flagged where it is', async () => {
    const file = path.join(model, '.model-inspect.yaml');
    fs.writeFileSync(file, 'gate:\n  vulnerabilities:\n    block_at: severe\n');
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    await vscode.window.showTextDocument(doc);
    const d = await waitForRule(doc.uri, 'gate/policy-invalid');
    assert.equal(d.range.start.line, 2);
    assert.match(d.message, /expected one of critical, high/);
    fs.rmSync(file);
  });

  test('Refresh Models runs', async () => {
    await vscode.commands.executeCommand('modelInspect.models.refresh');
  });
});

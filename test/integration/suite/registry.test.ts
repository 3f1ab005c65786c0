import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activateExtension, resetEditors, waitFor, workspaceRoot } from './util.ts';

/** Models in registries inside a real VS Code: the "Verify in registry" CodeLens and hover on image references. */

const enc = new TextEncoder();
const DIGEST = `sha256:${'ab'.repeat(32)}`;

suite('models in registries', () => {
  suiteSetup(activateExtension);
  teardown(resetEditors);

  test('image references in a YAML file get a "Verify in registry" CodeLens and hover link; other values do not', async () => {
    const uri = vscode.Uri.joinPath(workspaceRoot(), 'deploy', 'registry-refs.yaml');
    await vscode.workspace.fs.writeFile(
      uri,
      enc.encode(
        [
          'spec:',
          '  containers:',
          '    - name: server',
          `      image: ghcr.io/acme/ml-models/sentiment-serving@${DIGEST}`,
          '    - name: sidecar',
          '      image: busybox:1.36',
          'model:',
          '  path: models/sentiment/model.safetensors',
          '',
        ].join('\n'),
      ),
    );
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    assert.equal(doc.languageId, 'yaml');
    const lenses = await waitFor('the registry CodeLens', async () => {
      const l = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri);
      const ours = (l ?? []).filter((x) => x.command?.command === 'modelInspect.registry.verify');
      return ours.length ? ours : undefined;
    });
    assert.equal(lenses.length, 1, 'only the reference with a registry host (busybox:1.36 is a Docker Hub short name)');
    assert.equal(lenses[0].command!.title, 'Verify in registry');
    assert.deepEqual(lenses[0].command!.arguments, [`ghcr.io/acme/ml-models/sentiment-serving@${DIGEST}`]);
    assert.equal(lenses[0].range.start.line, 3);

    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
      'vscode.executeHoverProvider',
      uri,
      new vscode.Position(3, 20),
    );
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.match(text, /Verify in registry\]\(command:modelInspect\.registry\.verify/);
  });
});

import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import {
  activateExtension,
  applyQuickFix,
  describe,
  openFixture,
  ourDiagnostics,
  quickFixes,
  resetEditors,
  ruleIdOf,
  waitForDiagnostics,
  waitForRule,
} from './util.ts';

/** A Kubernetes Deployment inside a real VS Code: diagnostics by content, on the exact value, and certain quick fixes. */

const FILE = 'deploy/serving.yaml';

suite('kubernetes manifests', () => {
  suiteSetup(activateExtension);
  teardown(resetEditors);

  test('a Deployment is recognised by its content; the writable model volume and root filesystem are flagged and fixed', async () => {
    const { doc } = await openFixture(FILE);
    const rootFs = await waitForRule(doc.uri, 'k8s/writable-root-filesystem');
    assert.equal(doc.getText(rootFs.range), 'securityContext');
    const model = await waitForRule(doc.uri, 'k8s/model-volume-writable');
    assert.equal(doc.getText(model.range), 'model-weights');
    const image = await waitForRule(doc.uri, 'k8s/image-not-pinned');
    assert.equal(doc.getText(image.range), 'ghcr.io/acme/ml-models/sentiment-serving:v2.1.0');
    const titles = (await quickFixes(doc.uri, image.range)).map((a) => a.title);
    assert.ok(
      titles.some((t) => /Pin ghcr\.io\/acme\/ml-models\/sentiment-serving:v2\.1\.0 to its digest \(online/.test(t)),
      titles.join(' | '),
    );

    await applyQuickFix(doc, 'k8s/writable-root-filesystem', /^Set readOnlyRootFilesystem: true$/);
    assert.match(
      doc.getText(),
      / {10}securityContext:\n {12}allowPrivilegeEscalation: false\n {12}capabilities:\n {14}drop: \["ALL"\]\n {12}readOnlyRootFilesystem: true\n/,
    );
    await waitForDiagnostics(doc.uri, (ds) => !ds.some((d) => ruleIdOf(d) === 'k8s/writable-root-filesystem'));

    await applyQuickFix(doc, 'k8s/model-volume-writable', /^Mount the model volume read-only \(mount and claim\)$/);
    assert.match(doc.getText(), /mountPath: \/models\n {14}readOnly: true\n/);
    assert.match(doc.getText(), /claimName: model-weights-pvc\n {12}readOnly: true\n/);
    await waitForDiagnostics(
      doc.uri,
      (ds) => !ds.some((d) => ruleIdOf(d) === 'k8s/model-volume-writable' || ruleIdOf(d) === 'k8s/model-pvc-writable'),
    );
    assert.ok(
      !ourDiagnostics(doc.uri).some((d) => ruleIdOf(d)?.startsWith('yaml/')),
      describe(ourDiagnostics(doc.uri)),
    );
  });

  test('recognised by content only: a YAML file without apiVersion and kind is left alone', async () => {
    const live = (
      (await activateExtension()).exports as {
        live: { validateNow(doc: vscode.TextDocument): Promise<readonly vscode.Diagnostic[]> };
      }
    ).live;
    const plain = await vscode.workspace.openTextDocument({
      language: 'yaml',
      content: 'name: not-kubernetes\ncontainers:\n  - image: nginx\n',
    });
    assert.deepEqual(
      (await live.validateNow(plain)).map((d) => ruleIdOf(d)),
      [],
    );
    const pod = await vscode.workspace.openTextDocument({
      language: 'yaml',
      content:
        'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: nginx\n',
    });
    assert.ok((await live.validateNow(pod)).some((d) => ruleIdOf(d) === 'k8s/image-latest'));
  });
});

import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as vscode from 'vscode';
import {
  activateExtension,
  applyQuickFix,
  describe,
  hoverTexts,
  openInEditor,
  ourDiagnostics,
  resetEditors,
  ruleIdOf,
  waitForDiagnostics,
  waitForRule,
  workspaceRoot,
} from './util.ts';

/** Model cards inside a real VS Code: diagnostics, quick fixes, hovers, completion, the background digest check. */

const WEIGHTS = new TextEncoder().encode('tiny weights for the model card suite\n');
const REAL = createHash('sha256').update(WEIGHTS).digest('hex');

const CARD = `model_details:
  name: "suite-model-v1.0.0"
  version: "1.0.0"
  framework: "pytorch"
  license: "Apache-2.0"
provenance:
  training_data:
    source: "s3://bucket/data/"
    hash: "sha256:${'a1'.repeat(32)}"
  training_config:
    source: "git+https://github.com/acme/m@${'0123456789'.repeat(4)}"
  build_environment:
    builder: "github-actions"
    python: 3.10
    comit_sha: "${'ab'.repeat(20)}"
    build_timestamp: "2025-01-15T10:30:00Z"
artifacts:
  - path: "weights.bin"
    hash: "sha256:abc123..."
`;

async function writeCard(folder: string, text: string): Promise<vscode.Uri> {
  const dir = vscode.Uri.joinPath(workspaceRoot(), folder);
  await vscode.workspace.fs.createDirectory(dir);
  await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(dir, 'weights.bin'), WEIGHTS);
  const uri = vscode.Uri.joinPath(dir, 'model-card.yaml');
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
  return uri;
}

suite('model cards', () => {
  suiteSetup(activateExtension);
  teardown(resetEditors);

  test('schema and supply-chain findings on the exact value; the digest of a local file is checked in the background', async () => {
    const doc = await openInEditor(await writeCard('mc-findings', CARD));
    const python = await waitForRule(doc.uri, 'card/wrong-type');
    assert.equal(doc.getText(python.range), '3.10');
    assert.match(python.message, /3\.1\b/);
    assert.equal(doc.getText((await waitForRule(doc.uri, 'card/unknown-key')).range), 'comit_sha');
    const missing = ourDiagnostics(doc.uri).filter((d) => ruleIdOf(d) === 'card/missing-field');
    assert.ok(
      missing.some((d) => doc.getText(d.range) === 'model_details' && /security/.test(d.message)),
      describe(ourDiagnostics(doc.uri)),
    );
    assert.equal(doc.getText((await waitForRule(doc.uri, 'card/placeholder-digest')).range), '"sha256:abc123..."');
    const mismatch = await waitForRule(doc.uri, 'card/digest-mismatch', 20_000);
    assert.match(mismatch.message, new RegExp(REAL.slice(0, 12)));
  });

  test('quick fixes: quote a version, rename a typo key, write the real digest, add a missing section', async () => {
    const doc = await openInEditor(await writeCard('mc-fixes', CARD));
    await applyQuickFix(doc, 'card/wrong-type', /^Quote "3\.10"$/);
    assert.match(doc.getText(), /python: "3\.10"/);
    await applyQuickFix(doc, 'card/unknown-key', /^Rename to 'commit_sha'$/);
    assert.match(doc.getText(), /\n {4}commit_sha: "/);
    await waitForRule(doc.uri, 'card/digest-mismatch', 20_000);
    await applyQuickFix(doc, 'card/digest-mismatch', /^Replace with the SHA-256 of weights\.bin$/);
    assert.match(doc.getText(), new RegExp(`hash: "sha256:${REAL}"`));
    await applyQuickFix(doc, 'card/missing-field', /^Add 'security' from the template$/);
    assert.match(doc.getText(), /\nsecurity:\n {2}vulnerability_scan: "not-scanned"\n/);
    const after = await waitForDiagnostics(
      doc.uri,
      (ds) =>
        !ds.some((d) =>
          ['card/wrong-type', 'card/unknown-key', 'card/digest-mismatch', 'card/missing-field'].includes(
            ruleIdOf(d) ?? '',
          ),
        ),
    );
    assert.ok(!after.some((d) => ruleIdOf(d) === 'card/placeholder-digest'), describe(after));
  });

  test('hover shows the field documentation from the schema; completion offers missing keys and enum values', async () => {
    const doc = await openInEditor(await writeCard('mc-editing', CARD));
    await waitForRule(doc.uri, 'card/wrong-type');
    const line = doc
      .getText()
      .split('\n')
      .findIndex((l) => l.includes('build_timestamp'));
    const texts = await hoverTexts(doc.uri, new vscode.Position(line, 6));
    assert.ok(
      texts.some((t) => t.includes('RFC 3339')),
      JSON.stringify(texts).slice(0, 400),
    );
    const edit = new vscode.WorkspaceEdit();
    edit.insert(doc.uri, new vscode.Position(line + 1, 0), '    \n');
    await vscode.workspace.applyEdit(edit);
    const keys = await vscode.commands.executeCommand<vscode.CompletionList>(
      'vscode.executeCompletionItemProvider',
      doc.uri,
      new vscode.Position(line + 1, 4),
    );
    const labels = keys.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    assert.ok(labels.includes('signed_by') && labels.includes('runner'), labels.join(','));
    assert.ok(!labels.includes('builder'), 'keys already present are not offered');
    const fw = doc
      .getText()
      .split('\n')
      .findIndex((l) => l.includes('framework:'));
    const values = await vscode.commands.executeCommand<vscode.CompletionList>(
      'vscode.executeCompletionItemProvider',
      doc.uri,
      new vscode.Position(fw, doc.lineAt(fw).text.indexOf('"') + 1),
    );
    assert.ok(
      values.items.some((i) => i.label === 'onnx'),
      'framework values are offered',
    );
  });

  test('a Hugging Face README: front matter checked in a Markdown document, with the license fix', async () => {
    const dir = vscode.Uri.joinPath(workspaceRoot(), 'mc-hf');
    await vscode.workspace.fs.createDirectory(dir);
    const uri = vscode.Uri.joinPath(dir, 'README.md');
    await vscode.workspace.fs.writeFile(
      uri,
      new TextEncoder().encode(
        '---\nlicense: Apache-2.0\npipeline_tag: text-clasification\nlanguage: [en]\n---\n\n# A model\n',
      ),
    );
    const doc = await openInEditor(uri);
    assert.equal(doc.languageId, 'markdown');
    const tag = await waitForRule(doc.uri, 'card/invalid-value');
    assert.equal(doc.getText(tag.range), 'text-clasification');
    await applyQuickFix(doc, 'card/invalid-license', /^Change to 'apache-2\.0'$/);
    assert.match(doc.getText(), /^---\nlicense: apache-2\.0\n/);
    await waitForDiagnostics(doc.uri, (ds) => !ds.some((d) => ruleIdOf(d) === 'card/invalid-license'));
  });

  test('modelInspect.modelCard.reviewMaxAgeDays decides when a security review is stale', async () => {
    const text = CARD.replace(
      'artifacts:',
      'security:\n  vulnerability_scan: "not-scanned"\n  sbom_ref: "sbom.json"\n  last_security_review: "2025-01-20"\nartifacts:',
    );
    const doc = await openInEditor(await writeCard('mc-settings', text));
    await waitForRule(doc.uri, 'card/stale-security-review');
    const cfg = vscode.workspace.getConfiguration('modelInspect', doc.uri);
    await cfg.update('modelCard.reviewMaxAgeDays', 100_000, vscode.ConfigurationTarget.Workspace);
    try {
      await waitForDiagnostics(
        doc.uri,
        (ds) => ds.length > 0 && !ds.some((d) => ruleIdOf(d) === 'card/stale-security-review'),
      );
    } finally {
      await cfg.update('modelCard.reviewMaxAgeDays', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  test('"Add \'license\'" leaves the cursor on a valid placeholder; license: completes SPDX and Hugging Face ids', async () => {
    const doc = await openInEditor(await writeCard('mc-license', CARD.replace('  license: "Apache-2.0"\n', '')));
    await applyQuickFix(doc, 'card/missing-field', /^Add 'license' from the template$/);
    assert.match(
      doc.getText(),
      /\n {2}license: "Apache-2\.0"\n/,
      `the placeholder, never license: "": ${JSON.stringify(doc.getText())}`,
    );
    const editor = vscode.window.activeTextEditor!;
    assert.equal(
      editor.document.getText(editor.selection),
      'Apache-2.0',
      'the cursor selects the placeholder to type over',
    );
    const after = await waitForDiagnostics(
      doc.uri,
      (ds) => !ds.some((d) => ruleIdOf(d) === 'card/missing-field' && /`?license`?/.test(d.message)),
    );
    assert.ok(
      !after.some(
        (d) =>
          ['card/empty-value', 'card/invalid-license', 'card/wrong-type'].includes(ruleIdOf(d) ?? '') &&
          doc.getText(d.range).includes('Apache'),
      ),
      describe(after),
    );
    const line = doc
      .getText()
      .split('\n')
      .findIndex((l) => l.includes('license:'));
    const at = new vscode.Position(line, doc.lineAt(line).text.indexOf('"') + 1);
    const list = await vscode.commands.executeCommand<vscode.CompletionList>(
      'vscode.executeCompletionItemProvider',
      doc.uri,
      at,
    );
    const labels = list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
    for (const id of ['MIT', 'Apache-2.0', 'GPL-3.0-only', 'LicenseRef-llama3.1'])
      assert.ok(labels.includes(id), `${id} offered (${labels.length} items)`);
  });

  test('messages: plain text in the Problems view, code spans rendered in the hover; a reference-format card with real values is silent', async () => {
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const reference = `model_details:
  name: "sentiment-classifier-v2.1.0"
  version: "2.1.0"
  type: "text-classification"
  framework: "pytorch"
  license: "Apache-2.0"
provenance:
  training_data:
    source: "s3://acme-datasets/sentiment-v3/"
    hash: "sha256:${'a1'.repeat(32)}"
    data_card_ref: "https://internal.acme.com/data-cards/sentiment-v3"
  training_config:
    source: "git+https://github.com/acme/ml-models@${'0123456789'.repeat(4)}"
  build_environment:
    builder: "github-actions"
    runner: "ubuntu-22.04"
    python: "3.11.7"
    commit_sha: "${'ab'.repeat(20)}"
    build_timestamp: "${day(-10)}T10:30:00Z"
    signed_by: "ml-team@acme.com"
performance:
  accuracy: 0.94
  evaluation_dataset: "s3://acme-datasets/sentiment-eval-v3/"
  evaluation_hash: "sha256:${'b2'.repeat(32)}"
security:
  vulnerability_scan: "clean"
  sbom_ref: "ghcr.io/acme/ml-models/sentiment:v2.1.0.sbom"
  last_security_review: "${day(-5)}"
known_limitations:
  - "May produce biased outputs for underrepresented languages"
`;
    const doc = await openInEditor(await writeCard('mc-messages', reference));
    const tag = await waitForRule(doc.uri, 'card/unpinned-reference');
    assert.doesNotMatch(tag.message, /`/, 'VS Code shows a diagnostic as plain text: no raw backticks');
    assert.match(tag.message, /security\.sbom_ref refers to ghcr\.io\/acme\/ml-models\/sentiment/);
    const hover = (await hoverTexts(doc.uri, tag.range.start)).join('\n');
    assert.match(hover, /`security\.sbom_ref` refers to `ghcr\.io\/acme\/ml-models\/sentiment`/, hover.slice(0, 400));
    // pinned by digest, the card in the reference format is silent: the bare scan claim is an info
    const edit = new vscode.WorkspaceEdit();
    edit.replace(doc.uri, tag.range, `"ghcr.io/acme/ml-models/sentiment@sha256:${'d4'.repeat(32)}"`);
    assert.ok(await vscode.workspace.applyEdit(edit));
    const quiet = await waitForDiagnostics(doc.uri, (ds) => !ds.some((d) => ruleIdOf(d) === 'card/unpinned-reference'));
    assert.deepEqual(
      quiet
        .filter((d) => d.severity !== vscode.DiagnosticSeverity.Information)
        .map((d) => `${ruleIdOf(d)}: ${d.message}`),
      [],
    );
    const scan = quiet.find((d) => ruleIdOf(d) === 'card/unsupported-scan-claim');
    assert.equal(scan?.severity, vscode.DiagnosticSeverity.Information, describe(quiet));
  });
});

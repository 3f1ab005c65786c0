import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { activateExtension, ourDiagnostics, ruleIdOf, waitFor, workspaceRoot } from './util.ts';

/**
 * One model store owns the gate runs: the panel, the view, the status bar and the report commands
 * read from it. Each test bounds the work a user action costs (gate runs, verifications, scans
 * counted by the extension), never the time it takes.
 */

interface Work {
  gateRuns: number;
  verifications: number;
  scans: number;
  scansRunning: number;
}
interface Api {
  models: {
    current(root: string): Promise<{ evidence: { files?: { rel: string }[] } } | undefined>;
    pending(root: string): boolean;
  };
  panelAction(root: string, action: string): Promise<string>;
  work(p: string): Work;
}

/** `os.system('id')` at pickle protocol 4. */
function payloadPickle(): Buffer {
  const parts: number[] = [0x80, 4];
  const sbu = (s: string) => {
    parts.push(0x8c, s.length, ...Buffer.from(s));
    parts.push(0x94);
  };
  sbu('os');
  sbu('system');
  parts.push(0x93, 0x94);
  sbu('id');
  parts.push(0x85, 0x94, 0x52, 0x94, 0x2e);
  return Buffer.from(parts);
}

suite('one model store: each action costs one gate run', () => {
  let api: Api;
  let model = '';
  const runs = () => api.work(model).gateRuns;
  /** Until the gate of the model has run `n` times in all and nothing is queued or running. */
  const settled = (n: number) => waitFor(`gate run ${n} to end`, () => runs() >= n && !api.models.pending(model));
  /**
   * A file written into the model is judged by one more run. Events arrive in order, so once this
   * run is in, every earlier event has been seen: a run an earlier event should not have caused
   * would already be counted.
   */
  const sentinel = async (name: string) => {
    const before = runs();
    fs.writeFileSync(path.join(model, name), name);
    await settled(before + 1);
  };

  suiteSetup(async () => {
    api = (await activateExtension()).exports as Api;
    model = path.join(workspaceRoot().fsPath, 'store-model');
    fs.mkdirSync(model, { recursive: true });
    fs.writeFileSync(
      path.join(model, 'model-card.yaml'),
      'model_details:\n  name: "store-model"\n  version: "1.0.0"\n  license: "Apache-2.0"\n',
    );
    fs.writeFileSync(path.join(model, 'evil.pkl'), payloadPickle());
    await vscode.commands.executeCommand('modelInspect.report.open', vscode.Uri.file(model));
    await settled(1);
  });
  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(model, { recursive: true, force: true });
  });

  test('opening the report ran the gate once; one file change runs it once more, not once per view', async () => {
    assert.equal(runs(), 1, 'opening the report');
    fs.writeFileSync(path.join(model, 'notes.txt'), 'hello');
    await settled(2);
    const report = await api.models.current(model);
    assert.ok(
      report?.evidence.files?.some((f) => f.rel === 'notes.txt'),
      'the new run saw the new file',
    );
    await sentinel('sentinel-1.txt');
    assert.equal(runs(), 3, 'the change and the sentinel: one run each');
  });

  test('Verify Signatures in the panel verifies once (no command run and then the gate again)', async () => {
    const before = api.work(model);
    const message = await api.panelAction(model, 'verify');
    const after = api.work(model);
    assert.equal(after.verifications - before.verifications, 1);
    assert.equal(after.gateRuns - before.gateRuns, 1);
    assert.match(message, /^Signatures: (FAIL|SKIP|PASS)/, 'the panel says what the gate found');
  });

  test('Scan Weights in the panel scans each file once and shows the result in the Problems panel', async () => {
    const evil = path.join(model, 'evil.pkl');
    const before = api.work(evil).scans;
    const message = await api.panelAction(model, 'scan');
    assert.equal(api.work(evil).scans - before, 1);
    assert.match(message, /^Scanned \d+ files?: FAIL/, 'the panel says what the gate found');
    assert.ok(ourDiagnostics(vscode.Uri.file(evil)).some((d) => ruleIdOf(d) === 'scan/pickle-dangerous-import'));
  });

  test('Generate ML-BOM in the panel: the gate runs once for the file it writes', async () => {
    const before = runs();
    await api.panelAction(model, 'generateSbom');
    assert.ok(fs.existsSync(path.join(model, 'sbom.cdx.json')));
    await settled(before + 1);
    await sentinel('sentinel-2.txt');
    assert.equal(runs() - before, 2, 'the ML-BOM and the sentinel: one run each');
  });

  test('Export Report reads the verdict the panel shows: no gate run when nothing changed', async () => {
    await settled(runs());
    const before = runs();
    const out = path.join(workspaceRoot().fsPath, 'store-export.json');
    await vscode.commands.executeCommand(
      'modelInspect.report.exportReport',
      vscode.Uri.file(model),
      vscode.Uri.file(out),
    );
    try {
      assert.equal(JSON.parse(fs.readFileSync(out, 'utf8')).verdict, 'blocked');
    } finally {
      fs.rmSync(out);
    }
    assert.equal(runs(), before);
  });
});

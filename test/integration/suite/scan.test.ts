import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import * as vscode from 'vscode';
import { activateExtension, describe, ourDiagnostics, ruleIdOf, waitFor, waitForRule, workspaceRoot } from './util.ts';

/** Model file scanning inside a real VS Code: explorer command, multi-select, Problems panel, re-scan on change. */

/** `os.system('id')` at pickle protocol 4, the way Python writes it (STACK_GLOBAL through MEMOIZE). */
function payloadPickle(): Uint8Array {
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
  return Uint8Array.from(parts);
}

/** A valid one-tensor safetensors file. */
function safetensors(): Uint8Array {
  let json = JSON.stringify({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } });
  while ((8 + json.length) % 8) json += ' ';
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([head, Buffer.from(json), Buffer.alloc(8)]);
}

async function write(rel: string, bytes: Uint8Array): Promise<vscode.Uri> {
  const uri = vscode.Uri.joinPath(workspaceRoot(), ...rel.split('/'));
  await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(uri, '..'));
  await vscode.workspace.fs.writeFile(uri, bytes);
  return uri;
}

interface Work {
  scans: number;
  scansRunning: number;
}
let api: { work(p: string): Work };

/** A benign pickle of `mib` MiB (a long run of push-and-pop): its scan takes a while. */
function bigPickle(mib: number): Buffer {
  const n = Math.floor((mib * 1024 * 1024) / 3);
  const body = Buffer.alloc(n * 3);
  for (let i = 0; i < n; i++) {
    body[i * 3] = 0x4b;
    body[i * 3 + 1] = 1;
    body[i * 3 + 2] = 0x30;
  }
  return Buffer.concat([Buffer.from([0x80, 2]), body, Buffer.from([0x4e, 0x2e])]);
}

suite('model file scanning', () => {
  suiteSetup(async () => {
    api = (await activateExtension()).exports as typeof api;
  });

  test('the scan commands are registered', async () => {
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes('modelInspect.scan'));
    assert.ok(commands.includes('modelInspect.scanWorkspace'));
  });

  test('Scan for Unsafe Code on a pickle named .safetensors reports os.system in the Problems panel with its byte offset', async () => {
    const uri = await write('scan-a/model.safetensors', payloadPickle());
    await vscode.commands.executeCommand('modelInspect.scan', uri);
    const d = await waitForRule(uri, 'scan/pickle-dangerous-import', 20_000);
    assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
    assert.match(d.message, /os\.system/);
    assert.match(d.message, /byte \d+/);
    assert.equal(d.range.start.line, 0);
  });

  test('multi-select scans every selected file; a clean file gets no error', async () => {
    const bad = await write('scan-b/weights.bin', payloadPickle());
    const good = await write('scan-b/model.safetensors', safetensors());
    await vscode.commands.executeCommand('modelInspect.scan', bad, [bad, good]);
    await waitForRule(bad, 'scan/pickle-dangerous-import', 20_000);
    assert.ok(
      !ourDiagnostics(good).some((d) => d.severity === vscode.DiagnosticSeverity.Error),
      `clean file has no errors: ${describe(ourDiagnostics(good))}`,
    );
  });

  test('a weight file that changes on disk is re-scanned', async () => {
    const uri = await write('scan-c/model.pt', safetensors());
    await vscode.commands.executeCommand('modelInspect.scan', uri);
    // The command resolves when its results are published: the clean version was scanned, once.
    assert.equal(api.work(uri.fsPath).scans, 1, 'the first version was scanned');
    assert.ok(
      !ourDiagnostics(uri).some((d) => ruleIdOf(d) === 'scan/pickle-dangerous-import'),
      describe(ourDiagnostics(uri)),
    );
    await vscode.workspace.fs.writeFile(uri, payloadPickle());
    await waitForRule(uri, 'scan/pickle-dangerous-import', 20_000);
    assert.ok(api.work(uri.fsPath).scans >= 2, 'the change was re-scanned');
  });

  test('a slow scan of an old version never replaces the result for the newer one', async function () {
    const cfg = vscode.workspace.getConfiguration('modelInspect');
    await cfg.update('scan.rescanDelayMs', 0, vscode.ConfigurationTarget.Workspace);
    try {
      const uri = await write('scan-d/model.pt', bigPickle(64));
      const file = uri.fsPath;
      // The first version's scan starts (and is not awaited) …
      const slow = vscode.commands.executeCommand('modelInspect.scan', uri);
      await waitFor('the scan of the first version to start', () => api.work(file).scansRunning > 0);
      // … the file is replaced by the payload (a new file renamed over it, as tools save), and the
      // re-scan of the new version shows it.
      fs.writeFileSync(`${file}.tmp`, payloadPickle());
      fs.renameSync(`${file}.tmp`, file);
      await waitForRule(uri, 'scan/pickle-dangerous-import');
      // Only meaningful when the first scan was still running then (it reads 64 MiB; the second, 30 bytes).
      if (api.work(file).scansRunning === 0) this.skip();
      await slow;
      await waitFor('every scan of the file to end', () => api.work(file).scansRunning === 0);
      assert.ok(
        ourDiagnostics(uri).some((d) => ruleIdOf(d) === 'scan/pickle-dangerous-import'),
        `the newer result stays: ${describe(ourDiagnostics(uri))}`,
      );
    } finally {
      await cfg.update('scan.rescanDelayMs', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});

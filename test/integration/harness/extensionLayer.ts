import fs from 'node:fs';
import path from 'node:path';
import util from 'node:util';
import { launchChromium, recordConsole } from './browser.ts';
import { startCodeServer, workbenchUrl } from './codeServer.ts';
import {
  EXTENSION_PATH,
  OUTPUT_DIR,
  SUITE_OUT,
  UNTRUSTED_SUITE_OUT,
  UNTRUSTED_WORKSPACE_FIXTURE,
  WORKSPACE_FIXTURE,
} from './paths.ts';
import { clearLayerOutput, keepFailureLogs, parseCounts, type LayerResult } from './results.ts';

/**
 * The workbench's own console also arrives through codeAutomationLog: connection chatter and
 * errors of offline gallery lookups. They stay in the transcript kept on failure, but not on the
 * terminal, so mocha's report reads cleanly. Only a message's first line is matched: a mocha
 * failure report is one multi-line message whose stack may well contain workbench frames.
 */
const WORKBENCH_NOISE =
  /^(?:(?:Resolving|Resolved) connection token|Creating a socket|Updating additional builtin|\[Service Worker\]|ChatSessionStore|Creation of workbench contribution|CodeExpectedError)|ENOTFOUND open-vsx\.org/;

/**
 * Layer "extension": the mocha suite runs inside code-server's real Node extension host, the
 * @vscode/test-electron contract. The workbench loads the unpackaged extension from the repo root
 * and calls the suite's run(); it reports mocha's console through window.codeAutomationLog and the
 * end of the run through window.codeAutomationExit(code), which Playwright exposes to the page.
 */
export async function runExtensionLayer(timeoutMs: number, opts: { untrusted?: boolean } = {}): Promise<LayerResult> {
  const started = Date.now();
  const layer = opts.untrusted ? 'untrusted' : 'extension';
  clearLayerOutput(layer);
  // The untrusted layer opens its own workspace with workspace trust on and runs its own suite.
  const cs = await startCodeServer({
    workspaceFixture: opts.untrusted ? UNTRUSTED_WORKSPACE_FIXTURE : WORKSPACE_FIXTURE,
    untrusted: opts.untrusted,
  });
  const transcript: string[] = [];
  let result: LayerResult = { passed: 0, failed: 1, skipped: 0 };
  try {
    console.log(`${layer}: code-server at ${cs.url}, workspace ${cs.workspace}`);
    const browser = await launchChromium(path.join(cs.root, 'home'));
    try {
      const page = await browser.newPage();
      recordConsole(page, path.join(OUTPUT_DIR, 'logs', `${layer}-browser.log`));
      const exitCode = new Promise<number>((resolve) => {
        void page.exposeFunction('codeAutomationLog', (_type: string, args: unknown[]) => {
          const line = util.format(...args);
          transcript.push(line);
          if (!WORKBENCH_NOISE.test(line.split('\n', 1)[0])) console.log(`  ${line}`);
        });
        void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code));
      });
      await page.goto(
        workbenchUrl(cs, {
          extensionDevelopmentPath: EXTENSION_PATH,
          extensionTestsPath: opts.untrusted ? UNTRUSTED_SUITE_OUT : SUITE_OUT,
        }),
      );
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      const code = await Promise.race([exitCode, timedOut]);
      clearTimeout(timer);
      const counts = parseCounts(transcript.join('\n'));
      if (code === 'timeout') {
        console.log(
          `${layer}: no result within ${timeoutMs / 1000} s (the extension host never ran the suite, or a test hangs)`,
        );
        result = { passed: counts?.passed ?? 0, failed: (counts?.failed ?? 0) + 1, skipped: counts?.skipped ?? 0 };
      } else if (!counts) {
        console.log(
          `${layer}: the suite exited with code ${code} without reporting counts (did run() throw before mocha started?)`,
        );
        result = { passed: 0, failed: 1, skipped: 0 };
      } else {
        // A non-zero exit with zero failures (e.g. run() rejected after mocha) still fails the layer.
        result = code !== 0 && counts.failed === 0 ? { ...counts, failed: 1 } : counts;
      }
    } finally {
      await browser.close();
    }
  } finally {
    if (result.failed) {
      const logs = keepFailureLogs(cs, layer);
      fs.writeFileSync(path.join(logs, 'console.log'), transcript.join('\n'));
      console.log(
        `${layer}: FAILED; logs in ${logs} (console.log, code-server.log, vscode/*/exthost*/); rerun with KEEP_CS_RUN=1 to keep the whole temp run folder (${cs.root})`,
      );
    }
    await cs.stop();
  }
  console.log(
    `${layer}: ${result.passed} passed, ${result.failed} failed, ${result.skipped} skipped in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return result;
}

import fs from 'node:fs';
import path from 'node:path';
import type { UiTest } from '../ui/types.ts';
import { launchChromium, recordConsole } from './browser.ts';
import { startCodeServer, workbenchUrl } from './codeServer.ts';
import { EXTENSION_PATH, OUTPUT_DIR, UI_OUT, WORKSPACE_FIXTURE } from './paths.ts';
import { clearLayerOutput, keepFailureLogs, type LayerResult } from './results.ts';

/** Every compiled test/integration/ui/*.ui.ts, in file order. */
function loadUiTests(): { file: string; test: UiTest }[] {
  const files = fs
    .readdirSync(UI_OUT)
    .filter((f) => f.endsWith('.ui.js'))
    .sort();
  return files.flatMap((f) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- compiled test modules, found at run time
    const mod = require(path.join(UI_OUT, f)) as { uiTests?: UiTest[] };
    if (!Array.isArray(mod.uiTests)) throw new Error(`${f} does not export uiTests`);
    return mod.uiTests.map((test) => ({ file: f, test }));
  });
}

/**
 * Layer "ui": the workbench with the unpackaged extension (no extensionTestsPath), driven like a
 * person would. Each test saves screenshots to test/output/ui-*.png; a failing one also saves
 * ui-<name>-failure.png.
 */
export async function runUiLayer(opts: { grep?: string; testTimeoutMs: number }): Promise<LayerResult> {
  const started = Date.now();
  const t = (): string => `${((Date.now() - started) / 1000).toFixed(1)}s`;
  const tests = loadUiTests().filter(({ test }) => !opts.grep || test.name.includes(opts.grep));
  const result: LayerResult = { passed: 0, failed: 0, skipped: 0 };
  clearLayerOutput('ui', 'ui-');
  fs.mkdirSync(OUTPUT_DIR, { recursive: true });
  const cs = await startCodeServer({ workspaceFixture: WORKSPACE_FIXTURE });
  try {
    console.log(`ui: code-server at ${cs.url}, workspace ${cs.workspace}`);
    const browser = await launchChromium(path.join(cs.root, 'home'));
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      // A wait in a UI test lasts until just before the test's one timeout (testTimeoutMs, there only
      // to end a hang), never a shorter limit of its own that a loaded machine can beat.
      page.setDefaultTimeout(Math.max(10_000, opts.testTimeoutMs - 5_000));
      recordConsole(page, path.join(OUTPUT_DIR, 'logs', 'ui-browser.log'));
      await page.goto(workbenchUrl(cs, { extensionDevelopmentPath: EXTENSION_PATH }));
      await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      // The status bar appears once the workbench has restored; typing before that is lost.
      await page.locator('.statusbar').waitFor({ timeout: 60_000 });
      console.log(`ui: ${t()} workbench loaded`);
      for (const { file, test } of tests) {
        const log = (...parts: unknown[]): void => console.log(`  ${t()} ${test.name}:`, ...parts);
        const screenshot = async (name: string): Promise<string> => {
          const file = path.join(OUTPUT_DIR, `ui-${name}.png`);
          await page.screenshot({ path: file });
          return file;
        };
        try {
          let timer: ReturnType<typeof setTimeout> | undefined;
          await Promise.race([
            test.run({ page, workspace: cs.workspace, screenshot, log }),
            new Promise((_, reject) => {
              timer = setTimeout(
                () => reject(new Error(`timed out after ${opts.testTimeoutMs / 1000} s`)),
                opts.testTimeoutMs,
              );
            }),
          ]).finally(() => clearTimeout(timer));
          result.passed++;
          console.log(`  ✔ ${test.name} (${file})`);
        } catch (e) {
          result.failed++;
          const shot = await screenshot(`${test.name}-failure`).catch(() => '(no screenshot)');
          console.log(`  ✘ ${test.name} (${file}): ${(e as Error)?.stack ?? e}\n    screenshot: ${shot}`);
          // Leave a clean window for the next test.
          await page.keyboard.press('Escape').catch(() => undefined);
        }
      }
    } finally {
      await browser.close();
    }
  } catch (e) {
    result.failed++;
    console.log(`ui: ${(e as Error)?.stack ?? e}`);
  } finally {
    if (result.failed) {
      const logs = keepFailureLogs(cs, 'ui');
      console.log(
        `ui: FAILED; logs in ${logs} (code-server.log, vscode/*/exthost*/); rerun with KEEP_CS_RUN=1 to keep the whole temp run folder (${cs.root})`,
      );
    }
    await cs.stop();
  }
  console.log(
    `ui: ${result.passed} passed, ${result.failed} failed, ${result.skipped} skipped in ${t()}; screenshots in ${OUTPUT_DIR}`,
  );
  return result;
}

/**
 * The entry VS Code calls (extensionTestsPath → this folder's index.js → run()), the same
 * contract under code-server (`npm test`) and @vscode/test-electron (`npm run test:electron`).
 * Runs every compiled *.test.js beside it: adding a suite is dropping a *.test.ts into
 * test/integration/suite/.
 */
import fs from 'node:fs';
import path from 'node:path';
import Mocha from 'mocha';

interface TestDeadline {
  __modelInspectTestDeadline?: number;
}

export function run(): Promise<void> {
  // The one time limit of a test, and only there to end a hang: generous, because a shared 2-core
  // machine can be slow (the first test also pays for activation). Waits inside a test
  // (util.ts's waitFor) have no limits of their own: they end just before this one.
  const timeout = Number(process.env.MODEL_INSPECT_TEST_TIMEOUT) || 60_000;
  const mocha = new Mocha({
    ui: 'tdd',
    color: false,
    timeout,
    grep: process.env.MODEL_INSPECT_TEST_GREP || undefined,
  });
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js'))
    .sort();
  for (const f of files) mocha.addFile(path.join(__dirname, f));
  return new Promise((resolve, reject) => {
    try {
      const runner: Mocha.Runner = mocha.run((failures) => {
        const s = runner.stats;
        const passed = s?.passes ?? 0;
        const failed = s?.failures ?? failures;
        const pending = s?.pending ?? 0;
        // The harness reads this line (and test-electron users see it last).
        console.log(`${passed} passed, ${failed} failed${pending ? `, ${pending} skipped` : ''}`);
        if (failures) reject(new Error(`${failures} integration test(s) failed`));
        else resolve();
      });
      // When mocha will time out the running test or hook (before-each hooks run inside the test's
      // time, so the test's deadline is taken again after them). Test files are bundled one by
      // one, so this goes through a global rather than a shared module.
      const deadline = (r: Mocha.Runnable | undefined) => {
        (globalThis as TestDeadline).__modelInspectTestDeadline = Date.now() + (r?.timeout() || timeout);
      };
      runner
        .on('test', deadline)
        .on('hook', deadline)
        .on('hook end', () => deadline(runner.test));
    } catch (e) {
      console.log('0 passed, 1 failed');
      reject(e instanceof Error ? e : new Error(String(e)));
    }
  });
}

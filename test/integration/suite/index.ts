/**
 * The entry VS Code calls (extensionTestsPath → this folder's index.js → run()), the same
 * contract under code-server (`npm test`) and @vscode/test-electron (`npm run test:electron`).
 * Runs every compiled *.test.js beside it: adding a suite is dropping a *.test.ts into
 * test/integration/suite/.
 */
import fs from 'node:fs';
import path from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({
    ui: 'tdd',
    color: false,
    // Generous: the first test pays for activation and the workbench settling on 2 cores.
    timeout: Number(process.env.MODEL_INSPECT_TEST_TIMEOUT) || 30_000,
    grep: process.env.MODEL_INSPECT_TEST_GREP || undefined,
  });
  const files = fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort();
  for (const f of files) mocha.addFile(path.join(__dirname, f));
  return new Promise((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        const s = runner.stats;
        const passed = s?.passes ?? 0;
        const failed = s?.failures ?? failures;
        const pending = s?.pending ?? 0;
        // The harness reads this line (and test-electron users see it last).
        console.log(`${passed} passed, ${failed} failed${pending ? `, ${pending} skipped` : ''}`);
        if (failures) reject(new Error(`${failures} integration test(s) failed`));
        else resolve();
      });
    } catch (e) {
      console.log('0 passed, 1 failed');
      reject(e instanceof Error ? e : new Error(String(e)));
    }
  });
}

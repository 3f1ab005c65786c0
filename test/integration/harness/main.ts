/**
 * The integration harness (compiled by test/integration/run.mjs to out/test/integration/harness/main.js).
 *   --layer extension   mocha suite inside code-server's extension host (exit code = result)
 *   --layer untrusted   the untrusted/ suite, in a workspace opened with workspace trust on and not trusted
 *   --layer ui          UI tests in Chromium against code-server, screenshots in test/output/
 *   --layer electron    the same mocha suite under @vscode/test-electron (desktop VS Code)
 *   --result FILE       write {"passed","failed","skipped"} there (scripts/test.mjs reads it)
 *   --grep TEXT         only tests whose name contains TEXT
 */
import fs from 'node:fs';
import path from 'node:path';
import { runElectronLayer } from './electronLayer.ts';
import { runExtensionLayer } from './extensionLayer.ts';
import type { LayerResult } from './results.ts';
import { runUiLayer } from './uiLayer.ts';

function option(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

export async function main(argv: string[]): Promise<number> {
  const layer = option(argv, '--layer') ?? 'extension';
  const resultFile = option(argv, '--result');
  const grep = option(argv, '--grep');
  if (grep) process.env.MODEL_INSPECT_TEST_GREP = grep; // the suite's run() reads it (extension host inherits env)
  // Each layer ends in well under a minute on 2 cores. The cap only stops a run that hangs
  // outside mocha's per-test timeout (e.g. the extension host never loads the suite); it leaves
  // room for a slow, loaded machine and a test or two that use their whole 60 s.
  const budget = Number(process.env.MODEL_INSPECT_IT_TIMEOUT_MS) || 300_000;

  if (layer === 'electron') return runElectronLayer();
  if (layer !== 'extension' && layer !== 'ui' && layer !== 'untrusted') {
    console.error(`unknown layer '${layer}' (extension | untrusted | ui | electron)`);
    return 2;
  }
  let result: LayerResult;
  try {
    result =
      layer === 'ui'
        ? await runUiLayer({ grep, testTimeoutMs: 60_000 })
        : await runExtensionLayer(budget, { untrusted: layer === 'untrusted' });
  } catch (e) {
    // The set-up failed (code-server or Chromium would not start): one failure, with the reason.
    console.error(`${layer}: could not run: ${(e as Error)?.message ?? e}`);
    result = { passed: 0, failed: 1, skipped: 0 };
  }
  if (resultFile) {
    fs.mkdirSync(path.dirname(path.resolve(resultFile)), { recursive: true });
    fs.writeFileSync(resultFile, JSON.stringify(result));
  }
  return result.failed ? 1 : 0;
}

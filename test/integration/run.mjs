#!/usr/bin/env node
// Entry of the integration layers (scripts/test.mjs calls it; so can you):
//   node test/integration/run.mjs --layer extension|untrusted|ui|electron [--result FILE] [--grep TEXT] [--no-build]
//   node test/integration/run.mjs --compile-only     (what the "Extension Tests" launch configuration runs first)
// Compiles the TypeScript harness, the mocha suite and the UI tests with esbuild into
// out/test/integration/ (git-ignored), builds the extension unless --no-build, then runs the layer.
// Env: CODE_SERVER_DIR, CHROMIUM_PATH, KEEP_CS_RUN=1 (keep the temp run folder with all logs),
//      MODEL_INSPECT_IT_TIMEOUT_MS (extension layer cap), VSCODE_EXECUTABLE (electron layer).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const out = path.join(root, 'out', 'test', 'integration');
const require = createRequire(import.meta.url);
const esbuild = require('esbuild');
const argv = process.argv.slice(2);

/** *.ts files of a folder whose names end with `suffix`. */
const sources = (dir, suffix) =>
  fs
    .readdirSync(path.join(here, dir))
    .filter((f) => f.endsWith(suffix))
    .map((f) => path.join(here, dir, f));

/** Drops compiled tests whose source is gone, so the runners never load a stale file. */
function pruneStale(dir, suffix) {
  const outDir = path.join(out, dir);
  if (!fs.existsSync(outDir)) return;
  for (const f of fs.readdirSync(outDir)) {
    const base = f.replace(/\.js(\.map)?$/, '');
    if (base.endsWith(suffix) && !fs.existsSync(path.join(here, dir, `${base}.ts`))) fs.rmSync(path.join(outDir, f));
  }
}

async function compile() {
  const common = {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: true,
    sourcesContent: false,
    // node_modules stay external: mocha, playwright-core and test-electron load from the repo's node_modules.
    packages: 'external',
    external: ['vscode'],
    logLevel: 'warning',
  };
  pruneStale('suite', '.test');
  pruneStale('untrusted', '.test');
  pruneStale('ui', '.ui');
  await Promise.all([
    esbuild.build({
      ...common,
      entryPoints: [path.join(here, 'harness', 'main.ts')],
      outdir: path.join(out, 'harness'),
    }),
    esbuild.build({
      ...common,
      entryPoints: [path.join(here, 'suite', 'index.ts'), ...sources('suite', '.test.ts')],
      outdir: path.join(out, 'suite'),
    }),
    esbuild.build({ ...common, entryPoints: sources('ui', '.ui.ts'), outdir: path.join(out, 'ui') }),
    esbuild.build({
      ...common,
      entryPoints: [path.join(here, 'untrusted', 'index.ts'), ...sources('untrusted', '.test.ts')],
      outdir: path.join(out, 'untrusted'),
    }),
  ]);
}

function fail(message) {
  console.error(message);
  const i = argv.indexOf('--result');
  if (i >= 0) fs.writeFileSync(argv[i + 1], JSON.stringify({ passed: 0, failed: 1, skipped: 0 }));
  process.exit(1);
}

if (!argv.includes('--no-build')) {
  const r = spawnSync(process.execPath, ['esbuild.js'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) fail('integration: building the extension failed');
}
try {
  await compile();
} catch (e) {
  fail(`integration: compiling the tests failed: ${e?.message ?? e}`);
}
if (argv.includes('--compile-only')) process.exit(0);
const { main } = require(path.join(out, 'harness', 'main.js'));
process.exitCode = await main(argv);

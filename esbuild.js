// One build script, three bundles (see ARCHITECTURE.md):
//   dist/extension.js  node, cjs, 'vscode' external   - the extension host side
//   dist/cli.js        node, cjs, with a shebang      - `model-inspect`
//   dist/webview.js    browser, iife                  - the report panel's app
// `--watch` rebuilds on change and prints the problem-matcher lines VS Code's tasks expect;
// `--production` minifies and drops sourcesContent. Type-checking is `npm run typecheck` (tsc --noEmit).
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const version = require('./package.json').version;

/** @type {import('esbuild').Plugin} */
const problemMatcher = {
  name: 'esbuild-problem-matcher',
  setup(build) {
    build.onStart(() => { if (watch) console.log('[watch] build started'); });
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
      if (watch) console.log('[watch] build finished');
    });
  },
};

// Optional plug-ins of @cyclonedx/cyclonedx-library (XML output) that we never use: its loader
// requires them inside try/catch at run time, so they stay outside the bundle.
const optionalPlugins = ['xmlbuilder2'];

const common = {
  bundle: true,
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: 'silent',
  define: { __MODEL_INSPECT_VERSION__: JSON.stringify(version) },
  plugins: [problemMatcher],
};

const builds = [
  {
    ...common,
    entryPoints: ['src/extension/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode', ...optionalPlugins],
  },
  {
    ...common,
    entryPoints: ['src/cli/index.ts'],
    outfile: 'dist/cli.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
    external: optionalPlugins,
  },
];
if (fs.existsSync(path.join(__dirname, 'webview', 'main.ts'))) {
  builds.push({
    ...common,
    entryPoints: ['webview/main.ts'],
    outfile: 'dist/webview.js',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  });
}

async function main() {
  const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
  if (watch) {
    await Promise.all(contexts.map((c) => c.watch()));
    return;
  }
  try {
    const results = await Promise.allSettled(contexts.map((c) => c.rebuild()));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    copyAssets();
    fs.chmodSync(path.join(__dirname, 'dist', 'cli.js'), 0o755);
  } finally {
    await Promise.all(contexts.map((c) => c.dispose()));
  }
}

/** Files the bundles load at run time from next to themselves (WASM grammars, trusted roots, …). */
function copyAssets() {
  const assets = require('./scripts/assets.json');
  for (const { from, to } of assets) {
    const src = path.join(__dirname, from);
    if (!fs.existsSync(src)) throw new Error(`asset missing: ${from}`);
    const dest = path.join(__dirname, 'dist', to);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(src, dest);
  }
}

main().catch((e) => {
  console.error(e?.message ?? e);
  process.exit(1);
});

// One build script (see ARCHITECTURE.md), four kinds of output in dist/:
//   extension.js           node, cjs, 'vscode' external    - what VS Code loads to activate the extension
//   extension-<chunk>.js   node, cjs, one per LAZY entry   - loaded on first use (require of a sibling file)
//   cli.js, cli/*.mjs      node, esm, code splitting       - `model-inspect`: cli.js (the bin) imports
//                                                             cli/main.mjs; each command's engines are chunks
//   webview.js             browser, iife                    - the report panel's app
// Why two ways of splitting: VS Code 1.100 loads an extension's main file with require(), so the
// extension stays CommonJS and its lazy parts are separate CommonJS bundles, named below, whose
// `import()` in the sources becomes `require('./extension-<chunk>.js')`; a chunk is a bundle of its
// own (modules it shares with extension.js are copies: pass plain data and plain Errors across).
// The CLI runs on Node 20, which runs ES modules, so esbuild splits it at every `import()` into
// shared chunks: a command loads its own code and the engines it imports, nothing twice.
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
    build.onStart(() => {
      if (watch) console.log('[watch] build started');
    });
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
  // kubernetes-models' validator localises messages with ajv-i18n; the k8s engine writes its own
  alias: { 'ajv-i18n': './scripts/stubs/ajv-i18n.cjs' },
  plugins: [problemMatcher],
};

/**
 * The extension's lazily loaded parts: a module the extension reaches only through
 * `await import('<source>')`, built into dist/extension-<chunk>.js. A static import of one of
 * them from the rest of the extension fails the build (it would pull the chunk back into
 * extension.js). Keep what a chunk exports plain: functions over data.
 */
const LAZY = [
  { chunk: 'signing-online', source: 'src/core/signing/online.ts' }, // keyless signing (sigstore-js), OIDC, TUF
  { chunk: 'sbom-generate', source: 'src/core/sbom/generate.ts' }, // the ML-BOM (CycloneDX library)
  { chunk: 'python-checks', source: 'src/core/python/checks.ts' }, // Python checks (tree-sitter WASM runtime)
  { chunk: 'k8s-schemas', source: 'src/core/k8s/schemaData.ts' }, // Kubernetes validators (kubernetes-models) and admission CRD schemas
  { chunk: 'registry', source: 'src/core/registry/online.ts' }, // the registry client and inspections (online actions only)
  { chunk: 'scan-headers', source: 'src/core/scan/formats/headers.ts' }, // .npy header literals and GGUF chat-template tokenizer
  { chunk: 'signing-keys', source: 'src/core/signing/privateKeys.ts' }, // cosign.key encryption (scrypt + NaCl): Sign… and Generate Key Pair
  { chunk: 'convert', source: 'src/core/convert/convert.ts' }, // pickle checkpoint → safetensors (its command only)
];

/** Turns `import('<a LAZY source>')` into require('./extension-<chunk>.js'); refuses a static import of one. */
function lazyChunks(self) {
  return {
    name: 'lazy-chunks',
    setup(build) {
      build.onResolve({ filter: /^\./ }, (args) => {
        const abs = path.resolve(args.resolveDir, args.path);
        const lazy = LAZY.find((l) => path.resolve(__dirname, l.source) === abs);
        if (!lazy || lazy === self || args.kind === 'entry-point') return undefined;
        if (args.kind === 'dynamic-import') return { path: `./extension-${lazy.chunk}.js`, external: true };
        return {
          errors: [
            {
              text: `${lazy.source} is loaded lazily (dist/extension-${lazy.chunk}.js): reach it with \`await import()\`, not a static import, or it is bundled into extension.js again`,
            },
          ],
        };
      });
    },
  };
}

/** Hashed chunk names change with their content: clear the last build's before writing new ones. */
const clearCliChunks = {
  name: 'clear-cli-chunks',
  setup(build) {
    build.onStart(() => {
      fs.rmSync(path.join(__dirname, 'dist', 'cli'), { recursive: true, force: true });
    });
  },
};

const extensionBuild = (entry, outfile, self) => ({
  ...common,
  entryPoints: [entry],
  outfile,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode', ...optionalPlugins],
  // import() of a chunk becomes require() of the sibling file (VS Code's loader is require).
  supported: { 'dynamic-import': false },
  plugins: [...common.plugins, lazyChunks(self)],
});

// ES modules have no require, __filename or __dirname; the bundled CommonJS dependencies and the
// code that finds files beside the bundle (WASM grammars, the trusted root) use them.
const esmPrelude = [
  "import { createRequire as __miCreateRequire } from 'node:module';",
  "import { fileURLToPath as __miFileURLToPath } from 'node:url';",
  "import { dirname as __miDirname } from 'node:path';",
  'const require = __miCreateRequire(import.meta.url);',
  'const __filename = __miFileURLToPath(import.meta.url);',
  'const __dirname = __miDirname(__filename);',
].join('\n');

const builds = [
  extensionBuild('src/extension/extension.ts', 'dist/extension.js'),
  ...LAZY.map((l) => extensionBuild(l.source, `dist/extension-${l.chunk}.js`, l)),
  {
    ...common,
    entryPoints: { main: 'src/cli/index.ts' },
    outdir: 'dist/cli',
    outExtension: { '.js': '.mjs' },
    chunkNames: '[name]-[hash]',
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    banner: { js: esmPrelude },
    external: optionalPlugins,
    plugins: [...common.plugins, clearCliChunks],
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
    writeCliLauncher();
    return;
  }
  try {
    const results = await Promise.allSettled(contexts.map((c) => c.rebuild()));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    copyAssets();
    writeCliLauncher();
  } finally {
    await Promise.all(contexts.map((c) => c.dispose()));
  }
}

/** dist/cli.js, the `model-inspect` bin: a CommonJS file (the package is not "type": "module") that loads the ES module CLI. */
function writeCliLauncher() {
  const file = path.join(__dirname, 'dist', 'cli.js');
  fs.writeFileSync(
    file,
    "#!/usr/bin/env node\n// model-inspect: the CLI is ES modules (dist/cli/main.mjs and its chunks), see esbuild.js.\nimport('./cli/main.mjs');\n",
  );
  fs.chmodSync(file, 0o755);
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

// The packaging tests build the extension's bundles in memory with these same options.
module.exports = { builds, LAZY };

if (require.main === module) {
  main().catch((e) => {
    console.error(e?.message ?? e);
    process.exit(1);
  });
}

/**
 * What loads when: the extension's activation bundle and each CLI command, built in memory with
 * esbuild.js's own options and read from esbuild's metafile (which modules end up where, and what
 * each output imports statically or lazily). Bounds are on bytes and module counts, never on time
 * (the milliseconds are in `npm run bench` and the UI test that reads VS Code's activation time).
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import type { BuildOptions, Metafile } from 'esbuild';
import { REPO } from '../helpers.ts';

const requireRepo = createRequire(path.join(REPO, 'package.json'));
const esbuild = requireRepo('esbuild') as typeof import('esbuild');
const { builds, LAZY } = requireRepo('./esbuild.js') as {
  builds: BuildOptions[];
  LAZY: { chunk: string; source: string }[];
};

/** Online code (signing, the registry), the SBOM generator and the Python parser: loaded on first use, never at activation or by an unrelated command. */
const LAZY_PACKAGES =
  /^node_modules\/(sigstore|@sigstore\/(sign|tuf)|tuf-js|@tufjs\/|make-fetch-happen|minipass-fetch|@npmcli\/agent|cacache|@cyclonedx\/|packageurl-js|web-tree-sitter)\//;
const LAZY_SOURCES =
  /^src\/core\/(signing\/(online|keyless|oidc|tuf|privateKeys)|sbom\/generate|python\/checks|registry\/(online|client|remote|gate|pull|stream|signatures)|scan\/formats\/(headers|npy|pyLiteral|chatTemplate))\.ts$/;
/** The .vsix's main file, minified as `npm run package` builds it. */
const MAX_EXTENSION_BYTES = 1_000_000;
/** Modules bundled into extension.js (all of them are evaluated when VS Code loads it). */
const MAX_EXTENSION_MODULES = 350;

async function build(options: BuildOptions, minify: boolean): Promise<Metafile> {
  const plugins = (options.plugins ?? []).filter(
    (p) => p.name !== 'esbuild-problem-matcher' && p.name !== 'clear-cli-chunks',
  );
  const r = await esbuild.build({
    ...options,
    plugins,
    absWorkingDir: REPO,
    write: false,
    metafile: true,
    minify,
    sourcemap: false,
    logLevel: 'silent',
  });
  return r.metafile;
}

test('extension.js, as packaged, is under 1 MB and holds none of the lazily loaded code', async () => {
  const options = builds.find((b) => b.outfile === 'dist/extension.js')!;
  const meta = await build(options, true);
  const out = meta.outputs['dist/extension.js'];
  const modules = Object.keys(out.inputs);
  console.log(`dist/extension.js (production): ${out.bytes} bytes, ${modules.length} modules`);
  assert.ok(
    out.bytes < MAX_EXTENSION_BYTES,
    `extension.js is ${out.bytes} bytes (bound ${MAX_EXTENSION_BYTES}): move what activation does not need behind \`await import()\` (esbuild.js LAZY)`,
  );
  assert.ok(
    modules.length <= MAX_EXTENSION_MODULES,
    `extension.js bundles ${modules.length} modules (bound ${MAX_EXTENSION_MODULES})`,
  );
  assert.deepEqual(
    modules.filter((m) => LAZY_PACKAGES.test(m) || LAZY_SOURCES.test(m) || m.startsWith('node_modules/tweetnacl/')),
    [],
    'loaded lazily, not at activation',
  );
  // Each chunk is required by extension.js (and nothing else is).
  const required = out.imports
    .filter((i) => i.external && i.path.startsWith('./'))
    .map((i) => i.path)
    .sort();
  assert.deepEqual([...new Set(required)], LAZY.map((l) => `./extension-${l.chunk}.js`).sort());
});

test('each lazily loaded chunk of the extension holds its own heavy code', async () => {
  for (const lazy of LAZY) {
    const options = builds.find((b) => b.outfile === `dist/extension-${lazy.chunk}.js`)!;
    const meta = await build(options, true);
    const inputs = Object.keys(meta.outputs[`dist/extension-${lazy.chunk}.js`].inputs);
    assert.ok(inputs.includes(lazy.source), `${lazy.chunk} is built from ${lazy.source}`);
  }
});

/** The modules a CLI command loads: the entry, the command's chunk and everything they import statically. */
function commandModules(meta: Metafile, command: string | undefined): string[] {
  const entry = Object.entries(meta.outputs).find(([, o]) => o.entryPoint === 'src/cli/index.ts')![0];
  const start = [entry];
  if (command) {
    const chunk = Object.entries(meta.outputs).find(([, o]) => o.entryPoint === `src/cli/commands/${command}.ts`);
    assert.ok(chunk, `src/cli/commands/${command}.ts is a chunk of its own`);
    start.push(chunk[0]);
  }
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const i of meta.outputs[file].imports) if (i.kind === 'import-statement' && !i.external) visit(i.path);
  };
  start.forEach(visit);
  return [...seen].flatMap((f) => Object.keys(meta.outputs[f].inputs));
}

test('a CLI command loads only the engines it needs', async () => {
  const options = builds.find((b) => b.format === 'esm')!;
  const meta = await build(options, false);
  const area = (m: string) => /^src\/core\/([^/]+)\//.exec(m)?.[1];
  const areas = (ms: string[]) => [...new Set(ms.map(area).filter(Boolean))].sort();

  const start = commandModules(meta, undefined);
  console.log(`model-inspect (start-up, before a command loads): ${start.length} modules`);
  assert.deepEqual(areas(start), ['output'], '--version and usage errors load no engine');

  const scan = commandModules(meta, 'scan');
  console.log(`model-inspect scan: ${scan.length} modules, areas ${areas(scan).join(', ')}`);
  for (const a of ['signing', 'sbom', 'workflow', 'modelcard', 'gate', 'k8s', 'python', 'tools', 'registry'])
    assert.ok(!areas(scan).includes(a), `scan does not load ${a}/`);
  assert.deepEqual(
    scan.filter(
      (m) =>
        m.startsWith('node_modules/') && !/^node_modules\/(unbzip2-stream|buffer|base64-js|ieee754|through)\//.test(m),
    ),
    [],
    'scan loads only its decompressors',
  );

  const sign = commandModules(meta, 'sign');
  assert.deepEqual(
    sign.filter((m) => LAZY_PACKAGES.test(m) || /signing\/(online|keyless|oidc|tuf)\.ts$/.test(m)),
    [],
    'signing with a key loads none of the online code',
  );
});

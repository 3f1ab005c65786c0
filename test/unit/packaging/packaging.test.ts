/**
 * The .vsix contents and manifest polish, checked without running vsce (which takes seconds to
 * load): .vscodeignore is an allow-list, so every file the manifest points at must be let back
 * in by a "!" line, and nothing else (sources, tests, maps) may be.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { REPO } from '../helpers.ts';
import { ignoreLines, shipped } from './vsix.ts';

/** The extension's lazily loaded chunks, as esbuild.js builds them. */
const { LAZY } = createRequire(path.join(REPO, 'package.json'))('./esbuild.js') as {
  LAZY: { chunk: string; source: string }[];
};

interface Manifest {
  main: string;
  icon: string;
  repository?: { url?: string };
  scripts: Record<string, string>;
  contributes?: { yamlValidation?: { url: string }[]; jsonValidation?: { url: string }[] };
}

const manifest = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as Manifest;
test('.vscodeignore is an allow-list that ships what the manifest names', () => {
  assert.equal(ignoreLines[0], '**', 'the first pattern excludes everything');
  const needed = [
    manifest.main,
    manifest.icon,
    'package.json',
    'README.md',
    'CHANGELOG.md',
    'LICENSE',
    ...(manifest.contributes?.yamlValidation ?? []).map((v) => v.url),
    ...(manifest.contributes?.jsonValidation ?? []).map((v) => v.url),
  ];
  // Files the bundles load at run time from beside themselves (WASM grammars, trusted roots, …).
  const assets = JSON.parse(fs.readFileSync(path.join(REPO, 'scripts', 'assets.json'), 'utf8')) as { to: string }[];
  needed.push(...assets.map((a) => `dist/${a.to}`));
  // The extension's lazily loaded chunks (esbuild.js LAZY), which extension.js requires on first use.
  for (const { chunk } of LAZY) needed.push(`dist/extension-${chunk}.js`);
  for (const file of needed) assert.ok(shipped(file), `${file} is in the .vsix`);
  if (fs.existsSync(path.join(REPO, 'webview', 'main.ts')))
    assert.ok(shipped('dist/webview.js'), 'the webview bundle is in the .vsix');
});

test('.vscodeignore keeps sources, tests, maps and dev files out of the .vsix', () => {
  for (const file of [
    'src/extension/extension.ts',
    'test/unit/helpers.ts',
    'dist/extension.js.map',
    'dist/cli.js',
    'dist/cli/main.mjs',
    'dist/extension-signing-online.js.map',
    'eslint.config.mjs',
    'scripts/lint/boundaries.mjs',
    'webview/tsconfig.json',
    'node_modules/js-yaml/package.json',
    'esbuild.js',
    'tsconfig.json',
    '.code-server/package.json',
    'out/test/integration/suite/index.js',
    'test/output/ui-problems-panel.png',
    'examples/sentiment-classifier/model-card.yaml',
    'media/icon.svg',
    '.ci/run',
    'scripts/test.mjs',
  ]) {
    assert.equal(shipped(file), false, `${file} stays out of the .vsix`);
  }
});

test('the icon is a PNG of at least 128 × 128 px', () => {
  const png = fs.readFileSync(path.join(REPO, manifest.icon));
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  assert.equal(png.toString('latin1', 12, 16), 'IHDR');
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  assert.ok(width >= 128 && height >= 128 && width === height, `icon is ${width}×${height}`);
});

test('packaging and integration scripts are wired', () => {
  assert.match(manifest.scripts.package, /^vsce package --no-dependencies\b/);
  assert.match(manifest.scripts['vscode:prepublish'], /esbuild\.js --production/);
  assert.equal(manifest.scripts['test:electron'], 'node test/integration/run.mjs --layer electron');
  assert.match(manifest.repository?.url ?? '', /^https:\/\//, 'a repository url keeps vsce from prompting');
  assert.ok(fs.existsSync(path.join(REPO, 'test', 'integration', 'run.mjs')));
});

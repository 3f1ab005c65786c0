import path from 'node:path';

/**
 * Locations the harness works with. The compiled harness runs from out/test/integration/harness/,
 * so everything is resolved from the repository root found by walking up from there.
 */
export const REPO = path.resolve(__dirname, '..', '..', '..', '..');
export const OUT = path.join(REPO, 'out', 'test', 'integration');
/** Compiled mocha suite: index.js exports run(), next to the *.test.js files it loads. */
export const SUITE_OUT = path.join(OUT, 'suite');
/** Compiled UI tests (*.ui.js), each exporting `uiTests`. */
export const UI_OUT = path.join(OUT, 'ui');
/**
 * The extension under test: this repository (unpackaged, dist/ built), or the `extension/`
 * folder of an unzipped .vsix named by MODEL_INSPECT_EXTENSION_PATH, to prove the package holds
 * everything the extension loads.
 */
export const EXTENSION_PATH = process.env.MODEL_INSPECT_EXTENSION_PATH
  ? path.resolve(process.env.MODEL_INSPECT_EXTENSION_PATH)
  : REPO;
export const WORKSPACE_FIXTURE = path.join(REPO, 'test', 'integration', 'workspace');
/** The untrusted layer: its own suite (same run() entry) and its own workspace, opened in restricted mode. */
export const UNTRUSTED_SUITE_OUT = path.join(OUT, 'untrusted');
export const UNTRUSTED_WORKSPACE_FIXTURE = path.join(REPO, 'test', 'integration', 'workspace-untrusted');
/** Screenshots and the logs of failed runs (git-ignored). */
export const OUTPUT_DIR = path.join(REPO, 'test', 'output');

/** Where scripts/setup-integration.sh installs code-server (override with CODE_SERVER_DIR). */
export const CODE_SERVER_DIR = process.env.CODE_SERVER_DIR || path.join(REPO, '.code-server');
export const CODE_SERVER_ENTRY = path.join(CODE_SERVER_DIR, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

// Lint: `npm run lint` (and the first layer of `npm test`). ESLint 9 flat config with
// typescript-eslint, without type information (fast on a small machine), plus the import fences
// of ARCHITECTURE.md (scripts/lint/boundaries.mjs).
//
// No stylistic rules on purpose: layout is left to a formatter (to be added), so nothing here can
// fight it; the recommended sets below contain no formatting rules.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import boundaries from './scripts/lint/boundaries.mjs';

const root = import.meta.dirname;

/**
 * The engine's layers. Foundations may be imported by any file of src/core and import only each
 * other. Areas are listed bottom to top: an area imports the foundations and areas listed before
 * it, never one listed after it. A new area goes in at the place where all it imports is below it.
 */
const FOUNDATIONS = [
  'findings.ts', // Finding, Severity, RuleInfo
  'rules.ts', // the rule catalogue, gathered from the areas' descriptors
  '*/rules.ts', // each area's part of the catalogue: data that imports only findings.ts
  'area.ts', // what an area descriptor is (file kinds, menus) and what is derived from one
  '*/area.ts', // each area's descriptor: data that imports only area.ts and its own rules.ts
  'areas.ts', // the list of areas: one line per area
  'ruleSettings.ts', // per-rule severity and suppressions
  'present.ts', // the findings step every face calls: rule settings, suppressions, de-duplication, order
  'policyFile.ts', // finding and reading the trusted .model-inspect.yaml; its rules: section
  'inspect/types.ts', // the Inspector contract every area implements
  'yaml', // YAML documents with source maps
  'fsutil', // bounded folder walks and reads
  'output', // text, JSON and SARIF renderings of findings
  'jsonError.ts', // JSON.parse messages without an excerpt of the input
  'messageText.ts', // a finding's message for each face: code spans, the editor's words for CLI hints, plurals
];
const LAYERS = [
  'scan', // weight files: sniffing, containers, the pickle machine
  'modelcard', // model cards: schema, rules, facts
  'model', // what a model folder is: its weight files and its card
  'workflow', // GitHub Actions workflows
  'signing', // signatures, keys, trusted roots, provenance
  'sbom', // SBOM reading and ML-BOM generation (from the model folder and its card facts)
  'tools', // external tools (syft's output is read as an SBOM)
  'convert', // pickle → safetensors (reads pickles with scan/, card references with modelcard/)
  'python', // Python sources and notebooks (suggests the name convert/ gives a converted file)
  'gate', // the promotion gate over all of the above
  'registry', // OCI registries (scans and verifies what it pulls; the gate's allow lists)
  'k8s', // serving manifests and admission policies (workflow edits, card and gate checks)
  'report', // the report panel's model, built from the gate
  'inspect', // every area's inspector over a folder
];

export default defineConfig(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.code-server/**',
      '.vscode-test/**',
      'test/fixtures/**',
      'out/**',
      '*.vsix',
    ],
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    extends: [js.configs.recommended],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    rules: {
      // tsc reports these already (noUnusedLocals, noUnusedParameters); twice would be noise.
      '@typescript-eslint/no-unused-vars': 'off',
      // Sanitizers and format sniffers match control characters on purpose.
      'no-control-regex': 'off',
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Expected YAML is written with its real indentation: `/\n    builder: ""/` reads better than ` {4}`.
      'no-regex-spaces': 'off',
      // Digging into parsed JSON documents (CycloneDX, SARIF) in assertions.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // Online code loads only when it is used: the extension's activation and the offline CLI
    // commands must not load sigstore-js's signing and TUF stack with them.
    files: ['src/**/*.ts'],
    ignores: [
      'src/core/signing/online.ts',
      'src/core/signing/keyless.ts',
      'src/core/signing/oidc.ts',
      'src/core/signing/tuf.ts',
    ],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: ['sigstore', '@sigstore/sign', '@sigstore/tuf'].map((name) => ({
            name,
            allowTypeImports: true,
            message: `${name} is online code: load it where it is used, with \`await import()\` (keyless signing, the OIDC sign-in and TUF are in src/core/signing/online.ts), so it stays out of the extension's activation and the offline commands.`,
          })),
          patterns: [
            {
              group: ['**/signing/online.ts', '**/signing/keyless.ts', '**/signing/oidc.ts', '**/signing/tuf.ts'],
              allowTypeImports: true,
              message:
                "Online code: reach it with `const { … } = await import('…/core/signing/online.ts')` where the user asked for the online action, never a static import (it would load with its caller; esbuild.js builds it as a chunk of its own). Constants are in signing/endpoints.ts.",
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/**/*.ts', 'webview/**/*.ts'],
    plugins: { boundaries },
    rules: {
      'boundaries/imports': ['error', { root, foundations: FOUNDATIONS, layers: LAYERS }],
      'boundaries/no-cycle': ['error', { root, dirs: ['src', 'webview'] }],
    },
  },
);

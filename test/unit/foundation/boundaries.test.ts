import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { ESLint } from 'eslint';
import { REPO } from '../helpers.ts';

/**
 * The import fences (eslint.config.mjs, scripts/lint/boundaries.mjs): what they refuse, with
 * messages that say what to do. `npm test` lints the whole tree first; these tests show the rules
 * bite, on code written for them.
 */
const eslint = new ESLint({ cwd: REPO });

async function problems(file: string, code: string): Promise<{ rule: string | null; message: string }[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(REPO, file) });
  return result.messages.map((m) => ({ rule: m.ruleId, message: m.message }));
}

test('an engine area may import an area below it, never one above it', async () => {
  assert.deepEqual(await problems('src/core/gate/x.ts', "export { scanFile } from '../scan/scanner.ts';\n"), []);
  const up = await problems('src/core/scan/x.ts', "export { runGate } from '../gate/index.ts';\n");
  assert.equal(up.length, 1);
  assert.equal(up[0].rule, 'boundaries/imports');
  assert.match(
    up[0].message,
    /src\/core\/scan\/x\.ts imports src\/core\/gate\/index\.ts: gate\/ is above scan\/ .*scan < modelcard < .* < gate < /,
  );
  assert.match(up[0].message, /Move the piece both need down/);
  // Type-only and lazy imports are dependencies too.
  assert.equal(
    (await problems('src/core/sbom/x.ts', "export type { GateVerdict } from '../gate/verdict.ts';\n")).length,
    1,
  );
  assert.equal(
    (await problems('src/core/scan/x.ts', "export const later = () => import('../gate/index.ts');\n")).length,
    1,
  );
});

test('foundations are open to every area and depend on none', async () => {
  assert.deepEqual(
    await problems(
      'src/core/scan/x.ts',
      "import type { Finding } from '../findings.ts';\nimport { parseYaml } from '../yaml/document.ts';\nexport type { Finding };\nexport { parseYaml };\n",
    ),
    [],
  );
  const down = await problems('src/core/yaml/x.ts', "export { scanFile } from '../scan/scanner.ts';\n");
  assert.equal(down.length, 1);
  assert.match(down[0].message, /yaml\/x\.ts is a foundation .* must not depend on an area \(scan\)/);
  // Each area's rules.ts is part of the catalogue: data, importing only foundations.
  // (The catalogue gathers every area's rules.ts through its area.ts, so such an import is also a cycle.)
  const rules = await problems('src/core/scan/rules.ts', "export { runGate } from '../gate/index.ts';\n");
  assert.equal(rules.filter((p) => p.rule === 'boundaries/imports').length, 1);
  assert.match(rules.find((p) => p.rule === 'boundaries/imports')!.message, /is a foundation/);
  // So is each area's descriptor (area.ts): data that every layer and both faces may read.
  assert.equal(
    (await problems('src/core/scan/area.ts', "export { scanFile } from './scanner.ts';\n")).filter(
      (p) => p.rule === 'boundaries/imports',
    ).length,
    1,
  );
});

test('the engine never imports a face, and faces do not import each other', async () => {
  const [core] = await problems('src/core/gate/x.ts', "export { activate } from '../../extension/extension.ts';\n");
  assert.match(core.message, /the engine \(src\/core\) never imports src\/extension/);
  assert.equal((await problems('src/core/report/x.ts', "export * from '../../../webview/app.ts';\n")).length, 1);
  const [face] = await problems('src/cli/x.ts', "export { activate } from '../extension/extension.ts';\n");
  assert.match(face.message, /src\/cli and src\/extension are separate faces/);
  assert.match(
    (await problems('src/cli/x.ts', "import * as vscode from 'vscode';\nexport { vscode };\n"))[0].message,
    /only src\/extension may/,
  );
  assert.match(
    (await problems('webview/x.ts', "import fs from 'node:fs';\nexport { fs };\n"))[0].message,
    /runs in a browser, without Node/,
  );
  assert.deepEqual(
    await problems(
      'src/extension/x.ts',
      "import * as vscode from 'vscode';\nexport { scanFile } from '../core/scan/scanner.ts';\nexport { vscode };\n",
    ),
    [],
  );
});

test('an engine folder that is not in the layer list is refused until it is placed', async () => {
  const [m] = await problems('src/core/newarea/x.ts', "export { scanFile } from '../scan/scanner.ts';\n");
  assert.match(m.message, /src\/core\/newarea is not in the layers of eslint\.config\.mjs/);
});

test('an import cycle is reported on both files, with the path', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-cycle-'));
  try {
    fs.mkdirSync(path.join(root, 'src', 'core', 'gate'), { recursive: true });
    const policy =
      "import { unsafeRegex } from './evaluate.ts';\nexport type GatePolicy = { ids: string[] };\nexport const check = (s: string) => unsafeRegex(s);\n";
    const evaluate =
      "import type { GatePolicy } from './policy.ts';\nexport const unsafeRegex = (s: string) => s.length > 1;\nexport const run = (p: GatePolicy) => p.ids;\n";
    fs.writeFileSync(path.join(root, 'src', 'core', 'gate', 'policy.ts'), policy);
    fs.writeFileSync(path.join(root, 'src', 'core', 'gate', 'evaluate.ts'), evaluate);
    const { default: plugin } = (await import(
      pathToFileURL(path.join(REPO, 'scripts', 'lint', 'boundaries.mjs')).href
    )) as { default: ESLint.Plugin };
    const { default: tseslint } = await import('typescript-eslint');
    const lint = new ESLint({
      cwd: root,
      overrideConfigFile: true,
      overrideConfig: [
        {
          files: ['**/*.ts'],
          languageOptions: { parser: tseslint.parser },
          plugins: { boundaries: plugin },
          rules: { 'boundaries/no-cycle': ['error', { root, dirs: ['src'] }] },
        },
      ],
    });
    const results = await lint.lintFiles(['src/core/gate/*.ts']);
    const messages = results.flatMap((r) => r.messages.map((m) => `${path.basename(r.filePath)}: ${m.message}`));
    assert.equal(messages.length, 2, messages.join('\n'));
    assert.ok(
      messages.some((m) =>
        m.startsWith(
          'policy.ts: This import closes a cycle: src/core/gate/policy.ts → src/core/gate/evaluate.ts → src/core/gate/policy.ts',
        ),
      ),
      messages.join('\n'),
    );
    assert.ok(
      messages.some((m) => m.startsWith('evaluate.ts: This import closes a cycle')),
      'the type-only direction counts too',
    );
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { allRules } from '../../../src/core/rules.ts';
import { REPO } from '../helpers.ts';

// A rule, command or setting that is not in the README does not exist for users.
const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));

test('every rule is documented: a row with its default severity in docs/rules.md, which README links', () => {
  // The rule tables left the extension page for docs/ (packaged with it): README links the catalogue.
  assert.match(readme, /\]\(docs\/rules\.md\)/);
  const catalogue = fs.readFileSync(path.join(REPO, 'docs', 'rules.md'), 'utf8');
  const missing = allRules()
    .filter((r) => !catalogue.includes(`| \`${r.id}\` | ${r.defaultSeverity} |`))
    .map((r) => `${r.id} (${r.defaultSeverity})`);
  assert.deepEqual(missing, [], 'run `npm run manifest` to rewrite the catalogue of docs/rules.md');
  // and explained on its area's page
  const pages = fs
    .readdirSync(path.join(REPO, 'docs'))
    .filter((f) => f !== 'rules.md')
    .map((f) => fs.readFileSync(path.join(REPO, 'docs', f), 'utf8'))
    .join('\n');
  assert.deepEqual(
    allRules()
      .map((r) => r.id)
      .filter((id) => !pages.includes(id)),
    [],
  );
});

test('every setting is documented in the README', () => {
  const missing = Object.keys(pkg.contributes.configuration.properties).filter((k) => !readme.includes(k));
  assert.deepEqual(missing, []);
});

test('every command title is documented in the README', () => {
  const missing = (pkg.contributes.commands as { command: string; title: string }[])
    .filter((c) => !readme.includes(c.title) && !readme.includes(c.command))
    .map((c) => `${c.command} (${c.title})`);
  assert.deepEqual(missing, []);
});

test('every CLI command is documented in the README', async () => {
  const { COMMANDS } = await import('../../../src/cli/commands/index.ts');
  const missing = COMMANDS.map((c) => c.name).filter(
    (n) => !readme.includes(`model-inspect ${n}`) && !readme.includes(`\`${n} `),
  );
  assert.deepEqual(missing, []);
});

// `npm run manifest`: writes package.json's activation events and explorer menu `when` clauses
// from the area descriptors (src/core/areas.ts), and the rule catalogue table of docs/rules.md.
// test/unit/foundation/areas.test.ts and docs.test.ts fail while they disagree.
import fs from 'node:fs';
import path from 'node:path';
import { AREAS, manifestActivationEvents, manifestExplorerWhen } from '../src/core/areas.ts';

const file = path.join(import.meta.dirname, '..', 'package.json');
const text = fs.readFileSync(file, 'utf8');
const pkg = JSON.parse(text) as {
  activationEvents: string[];
  contributes: { menus: { 'explorer/context': { command: string; when?: string }[] } };
};
pkg.activationEvents = manifestActivationEvents();
const when = manifestExplorerWhen();
for (const entry of pkg.contributes.menus['explorer/context']) {
  const w = when.get(entry.command);
  if (w !== undefined) entry.when = w;
}
const missing = [...when.keys()].filter((c) => !pkg.contributes.menus['explorer/context'].some((e) => e.command === c));
if (missing.length)
  throw new Error(
    `no explorer/context entry for ${missing.join(', ')}: add one (its group) to package.json, then run this again`,
  );
const out = `${JSON.stringify(pkg, null, 2)}\n`;
if (out !== text) fs.writeFileSync(file, out);
console.log(out === text ? 'package.json already agrees with the areas' : 'package.json updated from the areas');

/** The catalogue table of docs/rules.md: one table per area, each rule with its default severity and title. */
function rulesTable(): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  return AREAS.filter((a) => a.rules.length)
    .map((a) =>
      [
        `### ${a.title}`,
        '',
        '| rule | default | title |',
        '|---|---|---|',
        ...a.rules.map((r) => `| \`${r.id}\` | ${r.defaultSeverity} | ${cell(r.title)} |`),
      ].join('\n'),
    )
    .join('\n\n');
}

const docs = path.join(import.meta.dirname, '..', 'docs', 'rules.md');
const before = fs.readFileSync(docs, 'utf8');
const after = before.replace(/(<!-- rules:start -->\n)[\s\S]*?(<!-- rules:end -->)/, `$1${rulesTable()}\n$2`);
if (after !== before) fs.writeFileSync(docs, after);
console.log(after === before ? 'docs/rules.md already lists every rule' : 'docs/rules.md catalogue updated');

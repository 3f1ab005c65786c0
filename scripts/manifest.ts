// `npm run manifest`: writes package.json's activation events and explorer menu `when` clauses
// from the area descriptors (src/core/areas.ts). test/unit/packaging/manifest.test.ts fails while
// package.json disagrees with them.
import fs from 'node:fs';
import path from 'node:path';
import { manifestActivationEvents, manifestExplorerWhen } from '../src/core/areas.ts';

const file = path.join(import.meta.dirname, '..', 'package.json');
const text = fs.readFileSync(file, 'utf8');
const pkg = JSON.parse(text) as { activationEvents: string[]; contributes: { menus: { 'explorer/context': { command: string; when?: string }[] } } };
pkg.activationEvents = manifestActivationEvents();
const when = manifestExplorerWhen();
for (const entry of pkg.contributes.menus['explorer/context']) {
  const w = when.get(entry.command);
  if (w !== undefined) entry.when = w;
}
const missing = [...when.keys()].filter((c) => !pkg.contributes.menus['explorer/context'].some((e) => e.command === c));
if (missing.length) throw new Error(`no explorer/context entry for ${missing.join(', ')}: add one (its group) to package.json, then run this again`);
const out = `${JSON.stringify(pkg, null, 2)}\n`;
if (out !== text) fs.writeFileSync(file, out);
console.log(out === text ? 'package.json already agrees with the areas' : 'package.json updated from the areas');

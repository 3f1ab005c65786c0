import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { nameMatches } from '../../../src/core/area.ts';
import {
  AREAS,
  FILE_KINDS,
  hasWeightName,
  manifestActivationEvents,
  manifestExplorerWhen,
  WEIGHTS,
} from '../../../src/core/areas.ts';
import { RULE_CATEGORIES } from '../../../src/core/findings.ts';
import { DEFAULT_ENGINES } from '../../../src/core/gate/engines.ts';
import { POLICY_FILE_NAMES } from '../../../src/core/gate/policy.ts';
import { INSPECTORS } from '../../../src/core/inspect/inspectors.ts';
import { isWeightFile, sniffWeightFormat } from '../../../src/core/model/target.ts';
import { modelCardKind } from '../../../src/core/modelcard/files.ts';
import { allRules } from '../../../src/core/rules.ts';
import { hasWeightExtension } from '../../../src/core/scan/folder.ts';

const REPO = path.join(import.meta.dirname, '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
  activationEvents: string[];
  contributes: { menus: { 'explorer/context': { command: string; when?: string }[] } };
};
const FIX = 'derived from the area descriptors (src/core/areas.ts): run `npm run manifest` to rewrite package.json';

test('package.json activation events are the ones the areas declare', () => {
  assert.deepEqual(pkg.activationEvents, manifestActivationEvents(), FIX);
});

test('every explorer menu `when` clause is the one its area declares', () => {
  const derived = manifestExplorerWhen();
  assert.ok(derived.size >= 6, 'scan, convert, sign, verify, report, ML-BOM');
  for (const [command, when] of derived) {
    const entry = pkg.contributes.menus['explorer/context'].find((m) => m.command === command);
    assert.ok(entry, `${command} is on the explorer menu`);
    assert.equal(entry.when, when, `${command}: ${FIX}`);
  }
  for (const m of pkg.contributes.menus['explorer/context'])
    assert.ok(derived.has(m.command), `${m.command}: declare its explorer menu in its area's descriptor`);
});

test("the rule catalogue is the areas' rules; each category belongs to exactly one area", () => {
  assert.deepEqual(
    allRules().map((r) => r.id),
    AREAS.flatMap((a) => a.rules.map((r) => r.id)),
  );
  for (const c of RULE_CATEGORIES)
    assert.equal(AREAS.filter((a) => a.categories.includes(c)).length, 1, `category ${c}`);
  for (const a of AREAS) {
    for (const c of a.categories) assert.ok((RULE_CATEGORIES as readonly string[]).includes(c), `${a.id}: ${c}`);
    for (const r of a.rules)
      assert.ok(
        a.categories.includes(r.category),
        `${r.id} (${r.category}) is in ${a.id}, which owns ${a.categories.join(', ')}`,
      );
  }
});

test('areas, file kinds and menus have unique ids; menus name declared kinds', () => {
  const ids = AREAS.map((a) => a.id);
  assert.equal(new Set(ids).size, ids.length);
  const kinds = AREAS.flatMap((a) => a.files.map((k) => k.id));
  assert.equal(new Set(kinds).size, kinds.length);
  assert.equal(FILE_KINDS.size, kinds.length);
  for (const a of AREAS)
    for (const m of a.explorer ?? []) for (const k of m.kinds) assert.ok(FILE_KINDS.has(k), `${m.command}: ${k}`);
});

test('inspect runs exactly the inspectors the areas declare', () => {
  assert.deepEqual(INSPECTORS.map((i) => i.id).sort(), AREAS.flatMap((a) => [...a.inspectors]).sort());
});

test('every gate engine is provided by exactly one area', () => {
  const declared = AREAS.flatMap((a) => (a.gateEngine ? [a.gateEngine] : []));
  assert.deepEqual([...declared].sort(), Object.keys(DEFAULT_ENGINES).sort());
});

test('every editor validator an area declares is registered by the extension', () => {
  const src = fs
    .readdirSync(path.join(REPO, 'src', 'extension'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => fs.readFileSync(path.join(REPO, 'src', 'extension', f), 'utf8'))
    .join('\n');
  for (const v of AREAS.flatMap((a) => [...a.validators])) assert.ok(src.includes(`id: '${v}'`), `validator ${v}`);
});

test('one weight-file list: the scanner, model discovery and the menus agree with the scan area', () => {
  for (const e of WEIGHTS.extensions ?? []) {
    assert.equal(isWeightFile(`x${e}`), true, e);
    assert.equal(hasWeightExtension(`x${e}`), true, e);
    assert.equal(hasWeightName(`X${e.toUpperCase()}`), true, e);
  }
  for (const e of WEIGHTS.weakExtensions ?? []) {
    // scanned whatever its name, but only a model's file when its name says so
    assert.equal(hasWeightExtension(`vocab${e}`), true, e);
    assert.equal(isWeightFile(`vocab${e}`), false, e);
    assert.equal(isWeightFile(`pytorch_model${e}`), true, e);
  }
  assert.equal(isWeightFile('tokenizer.model'), false, 'a tokenizer is not a model by its name');
  // No other list of weight extensions in the sources (the seven there were disagreed).
  const offenders: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ts$/.test(e.name) && p !== path.join(REPO, 'src', 'core', 'scan', 'area.ts')) {
        fs.readFileSync(p, 'utf8')
          .split('\n')
          .forEach((line, i) => {
            if (/safetensors.*\bnpz\b|\bnpz\b.*safetensors/i.test(line))
              offenders.push(`${path.relative(REPO, p)}:${i + 1}`);
          });
      }
    }
  };
  walk(path.join(REPO, 'src'));
  walk(path.join(REPO, 'webview'));
  assert.deepEqual(offenders, [], 'use WEIGHTS / WEIGHT_EXTENSIONS from src/core/areas.ts');
});

test("the other file kinds are the areas' too: model cards, policies, signatures", () => {
  const card = FILE_KINDS.get('model-card')!;
  for (const n of [...card.names!, 'x.model-card.yaml', 'Model-Card.YAML'])
    assert.equal(modelCardKind(`/w/${n}`), 'card-yaml', n);
  assert.equal(nameMatches(card, 'card.yaml'), false);
  assert.deepEqual([...POLICY_FILE_NAMES], [...FILE_KINDS.get('policy')!.names!]);
});

test('magic bytes of the weights kind decide the format whatever the name', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'areas-'));
  try {
    for (const m of WEIGHTS.magic ?? []) {
      const head = Buffer.alloc(16);
      head.write(m.bytes, m.offset, 'latin1');
      const f = path.join(dir, `weights-${m.format}.txt`);
      fs.writeFileSync(f, head);
      assert.equal(await sniffWeightFormat(f), m.format, m.format);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parseYaml, type YamlNode } from '../../../src/core/yaml/document.ts';
import { decodeUtf8 } from '../../../src/core/yaml/decode.ts';
import { SHARED } from '../helpers.ts';

const card = `model_details:
  name: "sentiment"   # the name
  version: 2.1
provenance:
  hyper: {lr: 0.1, epochs: 10}
  list:
    - a
    - b: 1
      c: [x, y]
empty:
last: 'q'
`;

test('every key and value keeps its exact range', () => {
  const d = parseYaml(card);
  assert.deepEqual(d.problems, []);
  const name = d.at(['model_details', 'name'])!;
  assert.equal(d.source(name), '"sentiment"');
  assert.deepEqual(d.range(name), { start: { line: 1, character: 8 }, end: { line: 1, character: 19 } });
  assert.equal(name.style, 'double');
  const version = d.at(['model_details', 'version'])!;
  assert.equal(version.value, 2.1);
  assert.equal(d.source(version), '2.1');
  const key = d.pair(d.at(['model_details']), 'version')!.key;
  assert.equal(d.source(key), 'version');
  assert.equal(d.source(d.at(['provenance', 'hyper', 'epochs'])!), '10');
  assert.equal(d.source(d.at(['provenance', 'hyper'])!), '{lr: 0.1, epochs: 10}');
  assert.equal(d.source(d.at(['provenance', 'list', 0])!), 'a');
  assert.equal(d.source(d.at(['provenance', 'list', 1, 'c', 1])!), 'y');
  assert.equal(d.at(['empty'])!.value, null);
  assert.equal(d.source(d.at(['last'])!), "'q'");
  assert.deepEqual(d.toValue(d.root).value, {
    model_details: { name: 'sentiment', version: 2.1 },
    provenance: { hyper: { lr: 0.1, epochs: 10 }, list: ['a', { b: 1, c: ['x', 'y'] }] },
    empty: null,
    last: 'q',
  });
});

test('syntax errors carry the parser position', () => {
  const d = parseYaml('a: 1\nb: [1, 2\nc: 3\n');
  assert.equal(d.problems.length, 1);
  assert.equal(d.problems[0].code, 'syntax');
  assert.ok(d.problems[0].start > 4);
});

test('duplicate keys are all reported and the rest is still parsed', () => {
  const d = parseYaml('a: 1\nb:\n  x: 1\n  x: 2\na: 3\n');
  const dups = d.problems.filter((p) => p.code === 'duplicate-key').map((p) => d.source(p));
  assert.deepEqual(dups.sort(), ['a', 'x']);
  assert.equal(d.at(['a'])!.value, 3);
});

test('an alias bomb parses fast and expanding it stops at the budget', () => {
  let bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
  for (let i = 0; i < 9; i++) {
    const [me, prev] = [String.fromCharCode(98 + i), String.fromCharCode(97 + i)];
    bomb += `${me}: &${me} [${Array(9)
      .fill('*' + prev)
      .join(',')}]\n`;
  }
  const d = parseYaml(bomb);
  // Counted, not timed: parsing keeps each alias as one leaf (the tree is the size of the text,
  // not of the 9^10 values it names), and expanding it stops at the budget.
  assert.ok(treeSize(d.root) < 150, `${treeSize(d.root)} nodes in the tree`);
  const v = d.toValue(d.root, 10_000);
  assert.equal(v.complete, false);
  assert.ok(v.visits <= 10_000 + 100, `${v.visits} nodes visited for a budget of 10,000`);
});

/** Nodes in a parsed tree (aliases are leaves). */
function treeSize(n: YamlNode | null): number {
  if (!n) return 0;
  let size = 1;
  for (const item of n.items ?? []) size += treeSize(item);
  for (const p of n.pairs ?? []) size += treeSize(p.key) + treeSize(p.value);
  return size;
}

test('recursive aliases do not loop', () => {
  const d = parseYaml('a: &x\n  b: *x\n');
  assert.equal(d.toValue(d.root).complete, true);
});

test('absurd nesting and a second document are clear problems', () => {
  assert.equal(parseYaml('['.repeat(200_000)).problems[0].code, 'too-deep');
  assert.equal(parseYaml('a: 1\n---\nb: 2\n').problems[0].code, 'multiple-documents');
});

test('non-UTF-8 and UTF-16 are reported, BOM is accepted', () => {
  assert.equal(decodeUtf8(Buffer.from([0xef, 0xbb, 0xbf, 0x61])).problem, null);
  assert.match(decodeUtf8(Buffer.from([0x61, 0xff, 0x62])).problem!.message, /invalid UTF-8 at byte 1/);
  assert.match(decodeUtf8(Buffer.from([0xff, 0xfe, 0x61, 0x00])).problem!.message, /UTF-16/);
});

test(
  'the seed model card parses without problems',
  { skip: fs.existsSync(path.join(SHARED, 'seed')) ? false : 'shared seed absent' },
  () => {
    const d = parseYaml(fs.readFileSync(path.join(SHARED, 'seed', 'examples', 'model-card.yaml'), 'utf8'));
    assert.deepEqual(d.problems, []);
    assert.equal(d.at(['provenance', 'build_environment', 'signed_by'])!.value, 'ml-team@acme.com');
  },
);

test('a flow mapping as a sequence item is a mapping, with its ranges', () => {
  const d = parseYaml('steps:\n  - {uses: x@v1, with: {a: 1}}\n  - run: echo\n');
  assert.deepEqual(d.toValue(d.root).value, { steps: [{ uses: 'x@v1', with: { a: 1 } }, { run: 'echo' }] });
  assert.equal(d.source(d.at(['steps', 0])!), '{uses: x@v1, with: {a: 1}}');
  assert.equal(d.source(d.at(['steps', 0, 'uses'])!), 'x@v1');
});

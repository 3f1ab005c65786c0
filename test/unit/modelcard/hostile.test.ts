import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { MAX_CARD_CHARS, newCardCheckStats, type CardCheckStats } from '../../../src/core/modelcard/check.ts';
import { checkModelCardFile } from '../../../src/core/modelcard/inspector.ts';
import { check, ids, VALID_CARD } from './cards.ts';

// Hostile cards are bounded by the work they cause (nodes parsed, aliases followed, schema
// checks), counted through the `stats` option; never by a wall clock, which flakes under load.
function counted(text: string): { value: ReturnType<typeof check>; stats: CardCheckStats } {
  const stats = newCardCheckStats();
  return { value: check(text, 'model-card.yaml', { stats }), stats };
}

test('an alias bomb is refused with yaml/alias-limit after a bounded expansion', () => {
  let bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
  for (let i = 0; i < 9; i++) {
    const [me, prev] = [String.fromCharCode(98 + i), String.fromCharCode(97 + i)];
    bomb += `${me}: &${me} [${Array(9).fill(`*${prev}`).join(',')}]\n`;
  }
  const text = VALID_CARD.replace(
    'known_limitations:\n  - "May produce biased outputs for underrepresented languages"\n',
    `x-bomb:\n${bomb.replace(/^(?=.)/gm, '  ')}known_limitations: *j\n`,
  );
  const { value, stats } = counted(text);
  assert.ok(ids(value).includes('yaml/alias-limit'), JSON.stringify(ids(value)));
  // 9^10 values are named; the parse keeps aliases as leaves, the expansion stops at its budget
  // (100,000), and the schema walk checks each node of the text once.
  assert.ok(stats.nodes < 2 * text.split('\n').length + 200, `${stats.nodes} nodes parsed`);
  assert.ok(stats.aliasVisits <= 100_000 + 100, `${stats.aliasVisits} nodes visited expanding aliases`);
  assert.ok(stats.schemaChecks <= stats.nodes, `${stats.schemaChecks} schema checks`);
});

test('aliases within the budget are checked through (a bad value reached by an alias is reported once, at its anchor)', () => {
  const text = VALID_CARD.replace('  accuracy: 0.94', '  accuracy: &acc 1.5').replace(
    '  f1_score: 0.93',
    '  f1_score: *acc',
  );
  const f = check(text);
  assert.deepEqual(ids(f), ['card/out-of-range']);
});

test('deep nesting: block and flow nesting thousands deep end in a finding, not a stack overflow', () => {
  // 1,900 levels of block nesting is as deep as fits under the size limit (the indentation grows
  // quadratically): it reaches the parser, which composes each level once.
  let block = '';
  for (let i = 0; i < 1900; i++) block += `${' '.repeat(i)}k:\n`;
  assert.ok(block.length <= MAX_CARD_CHARS);
  const a = counted(block);
  assert.ok(a.value.length >= 1);
  assert.equal(a.stats.parses, 1);
  assert.ok(a.stats.nodes <= 2 * 1900 + 1, `${a.stats.nodes} nodes parsed`);
  // Flow nesting is refused before js-yaml sees it (its recursion would overflow the stack).
  const flow = 'model_details: ' + '['.repeat(50_000) + ']'.repeat(50_000) + '\n';
  const b = counted(flow);
  assert.deepEqual(ids(b.value), ['yaml/syntax']);
  assert.equal(b.stats.parses, 0);
  assert.equal(b.stats.nodes, 0);
});

test('binary junk and non-UTF-8 files give clear findings after one parse', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-card-hostile-'));
  const junk = path.join(dir, 'model-card.yaml');
  const bytes = Buffer.alloc(64 * 1024);
  let x = 12345;
  for (let i = 0; i < bytes.length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    bytes[i] = x & 0xff;
  }
  fs.writeFileSync(junk, bytes);
  const stats = newCardCheckStats();
  const r = await checkModelCardFile(junk, { now: new Date('2025-02-01T00:00:00Z'), stats });
  assert.equal(stats.parses, 1);
  assert.ok(stats.nodes <= bytes.length, `${stats.nodes} nodes parsed from ${bytes.length} bytes`);
  assert.ok(ids(r.findings).includes('yaml/encoding'), JSON.stringify(ids(r.findings)));
  assert.ok(ids(r.findings).includes('yaml/syntax'));
  const latin1 = path.join(dir, 'x.model-card.yaml');
  fs.writeFileSync(latin1, Buffer.from('model_details:\n  name: "caf\xe9"\n', 'latin1'));
  const l = await checkModelCardFile(latin1);
  assert.equal(l.findings[0].ruleId, 'yaml/encoding');
  assert.equal(l.findings[0].offset, 27);
});

test('a 5 MB card is refused with yaml/too-large without being read or parsed (file and editor text)', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-card-big-'));
  const big = path.join(dir, 'model-card.yaml');
  const line = 'known_limitations_padding_line: "' + 'x'.repeat(90) + '"\n';
  fs.writeFileSync(big, line.repeat(Math.ceil((5 * 1024 * 1024 + 10) / line.length)));
  // The file's size decides: it is never read (counted on fs.promises.readFile).
  const readFile = t.mock.method(fs.promises, 'readFile');
  const r = await checkModelCardFile(big);
  assert.equal(readFile.mock.callCount(), 0, 'the oversized card was read');
  readFile.mock.restore();
  assert.deepEqual(ids(r.findings), ['yaml/too-large']);
  const text = fs.readFileSync(big, 'utf8');
  const e = counted(text);
  assert.deepEqual(ids(e.value), ['yaml/too-large']);
  assert.equal(e.stats.parses, 0, 'the oversized text was parsed');
});

test('a card that is a list or a scalar, multiple documents, syntax errors, duplicate keys', () => {
  assert.deepEqual(ids(check('- a\n- b\n')), ['card/wrong-type']);
  assert.deepEqual(ids(check('just text\n')), ['card/wrong-type']);
  assert.ok(ids(check(VALID_CARD + '---\nother: 1\n')).includes('yaml/multiple-documents'));
  const syn = check('model_details:\n  name: "x\n');
  assert.deepEqual(ids(syn), ['yaml/syntax']);
  assert.deepEqual(
    ids(check(VALID_CARD.replace('  type: "text-classification"\n', '  type: "text-classification"\n  type: "x"\n'))),
    ['yaml/duplicate-key'],
  );
});

test('__proto__ and odd keys are data, not prototype pollution', () => {
  const f = check(VALID_CARD.replace('known_limitations:', '__proto__:\n  polluted: true\nknown_limitations:'));
  assert.deepEqual(ids(f), ['card/unknown-key']);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

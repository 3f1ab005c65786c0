import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { checkModelCardFile } from '../../../src/core/modelcard/inspector.ts';
import { check, ids, VALID_CARD } from './cards.ts';

function timed<T>(fn: () => T): { value: T; ms: number } {
  const t = performance.now();
  const value = fn();
  return { value, ms: performance.now() - t };
}

test('an alias bomb is refused quickly with yaml/alias-limit', () => {
  let bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
  for (let i = 0; i < 9; i++) {
    const [me, prev] = [String.fromCharCode(98 + i), String.fromCharCode(97 + i)];
    bomb += `${me}: &${me} [${Array(9).fill(`*${prev}`).join(',')}]\n`;
  }
  const text = VALID_CARD.replace('known_limitations:\n  - "May produce biased outputs for underrepresented languages"\n', `x-bomb:\n${bomb.replace(/^(?=.)/gm, '  ')}known_limitations: *j\n`);
  const { value, ms } = timed(() => check(text));
  assert.ok(ms < 2000, `took ${ms} ms`);
  assert.ok(ids(value).includes('yaml/alias-limit'), JSON.stringify(ids(value)));
});

test('aliases within the budget are checked through (a bad value reached by an alias is reported once, at its anchor)', () => {
  const text = VALID_CARD.replace('  accuracy: 0.94', '  accuracy: &acc 1.5').replace('  f1_score: 0.93', '  f1_score: *acc');
  const f = check(text);
  assert.deepEqual(ids(f), ['card/out-of-range']);
});

test('deep nesting: block and flow nesting thousands deep end in a finding, not a stack overflow', () => {
  let block = '';
  for (let i = 0; i < 3000; i++) block += `${' '.repeat(i)}k:\n`;
  const a = timed(() => check(block));
  assert.ok(a.ms < 3000, `block took ${a.ms} ms`);
  assert.ok(a.value.length >= 1);
  const flow = 'model_details: ' + '['.repeat(50_000) + ']'.repeat(50_000) + '\n';
  const b = timed(() => check(flow));
  assert.ok(b.ms < 2000, `flow took ${b.ms} ms`);
  assert.deepEqual(ids(b.value), ['yaml/syntax']);
});

test('binary junk and non-UTF-8 files give clear findings fast', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-card-hostile-'));
  const junk = path.join(dir, 'model-card.yaml');
  const bytes = Buffer.alloc(64 * 1024);
  let x = 12345;
  for (let i = 0; i < bytes.length; i++) { x = (x * 1103515245 + 12345) & 0x7fffffff; bytes[i] = x & 0xff; }
  fs.writeFileSync(junk, bytes);
  const t = performance.now();
  const r = await checkModelCardFile(junk, { now: new Date('2025-02-01T00:00:00Z') });
  assert.ok(performance.now() - t < 2000);
  assert.ok(ids(r.findings).includes('yaml/encoding'), JSON.stringify(ids(r.findings)));
  assert.ok(ids(r.findings).includes('yaml/syntax'));
  const latin1 = path.join(dir, 'x.model-card.yaml');
  fs.writeFileSync(latin1, Buffer.from('model_details:\n  name: "caf\xe9"\n', 'latin1'));
  const l = await checkModelCardFile(latin1);
  assert.equal(l.findings[0].ruleId, 'yaml/encoding');
  assert.equal(l.findings[0].offset, 27);
});

test('a 5 MB card is refused with yaml/too-large without being parsed (file and editor text)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-card-big-'));
  const big = path.join(dir, 'model-card.yaml');
  const line = 'known_limitations_padding_line: "' + 'x'.repeat(90) + '"\n';
  fs.writeFileSync(big, line.repeat(Math.ceil((5 * 1024 * 1024 + 10) / line.length)));
  const t = performance.now();
  const r = await checkModelCardFile(big);
  assert.ok(performance.now() - t < 1000);
  assert.deepEqual(ids(r.findings), ['yaml/too-large']);
  const text = fs.readFileSync(big, 'utf8');
  const e = timed(() => check(text));
  assert.ok(e.ms < 200, `${e.ms} ms`);
  assert.deepEqual(ids(e.value), ['yaml/too-large']);
});

test('a card that is a list or a scalar, multiple documents, syntax errors, duplicate keys', () => {
  assert.deepEqual(ids(check('- a\n- b\n')), ['card/wrong-type']);
  assert.deepEqual(ids(check('just text\n')), ['card/wrong-type']);
  assert.ok(ids(check(VALID_CARD + '---\nother: 1\n')).includes('yaml/multiple-documents'));
  const syn = check('model_details:\n  name: "x\n');
  assert.deepEqual(ids(syn), ['yaml/syntax']);
  assert.deepEqual(ids(check(VALID_CARD.replace('  type: "text-classification"\n', '  type: "text-classification"\n  type: "x"\n'))), ['yaml/duplicate-key']);
});

test('__proto__ and odd keys are data, not prototype pollution', () => {
  const f = check(VALID_CARD.replace('known_limitations:', '__proto__:\n  polluted: true\nknown_limitations:'));
  assert.deepEqual(ids(f), ['card/unknown-key']);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

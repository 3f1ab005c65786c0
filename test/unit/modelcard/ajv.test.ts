import assert from 'node:assert/strict';
import { test } from 'node:test';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import yaml from 'js-yaml';
import cardSchema from '../../../schemas/model-card.schema.json';
import hfSchema from '../../../schemas/hf-model-card.schema.json';
import { check, mutate, VALID_CARD } from './cards.ts';

/**
 * The shipped schemas are what vscode-yaml users validate with. They must be valid draft-07, and a
 * standard validator (ajv) must agree with our engine on what the schema alone says.
 */
function ajv(): Ajv {
  const a = new Ajv({ allErrors: true, strict: false });
  addFormats(a);
  a.addKeyword({ keyword: 'x-role', schemaType: 'string' });
  a.addKeyword({ keyword: 'x-known', schemaType: 'array' });
  return a;
}

test('both schemas compile as draft-07 under ajv (strict about everything but our x- annotations)', () => {
  const a = new Ajv({
    allErrors: true,
    strict: true,
    strictTypes: false,
    strictRequired: false,
    allowUnionTypes: true,
  });
  addFormats(a);
  a.addKeyword({ keyword: 'x-role', schemaType: 'string' });
  a.addKeyword({ keyword: 'x-known', schemaType: 'array' });
  a.compile(cardSchema);
  a.compile(hfSchema);
  assert.equal(cardSchema.$schema, 'http://json-schema.org/draft-07/schema#');
});

test('every field of the model-card schema has a description', () => {
  const walk = (s: Record<string, unknown>, where: string) => {
    for (const [k, v] of Object.entries((s.properties ?? {}) as Record<string, Record<string, unknown>>)) {
      assert.ok(typeof v.description === 'string' && v.description.length > 5, `${where}.${k} has a description`);
      walk(v, `${where}.${k}`);
      if (v.items) walk(v.items as Record<string, unknown>, `${where}.${k}[]`);
    }
  };
  walk(cardSchema as Record<string, unknown>, '');
  walk(hfSchema as Record<string, unknown>, '(hf)');
});

test('ajv and our engine agree on the schema verdict for valid and broken cards', () => {
  const validate = ajv().compile(cardSchema);
  const cases: [string, boolean][] = [
    [VALID_CARD, true],
    [mutate('    builder: "github-actions"\n', ''), false],
    [mutate('framework: "pytorch"', 'framework: "pytroch"'), false],
    [mutate('accuracy: 0.94', 'accuracy: 1.5'), false],
    [mutate('epochs: 10', 'epochs: 0'), false],
    [mutate('    commit_sha:', '    comit_sha:'), false],
    [mutate('python: "3.11.7"', 'python: 3.10'), false],
    [mutate('"2025-01-15T10:30:00Z"', '"2025-01-15 noon"'), false],
  ];
  const schemaRules = new Set([
    'card/missing-field',
    'card/unknown-key',
    'card/wrong-type',
    'card/invalid-value',
    'card/out-of-range',
    'card/bad-format',
    'card/empty-value',
  ]);
  for (const [text, ok] of cases) {
    const data = JSON.parse(JSON.stringify(yaml.load(text)));
    assert.equal(
      validate(data),
      ok,
      `ajv on case ${cases.findIndex((c) => c[0] === text)}: ${JSON.stringify(validate.errors)}`,
    );
    const ours = check(text).filter((f) => schemaRules.has(f.ruleId));
    assert.equal(
      ours.length === 0,
      ok,
      `engine on case ${cases.findIndex((c) => c[0] === text)}: ${ours.map((f) => f.ruleId).join(', ')}`,
    );
  }
});

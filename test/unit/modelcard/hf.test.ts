import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyFix, check, covered, ids } from './cards.ts';

const README = (front: string) => `---\n${front}---\n\n# My model\n\nSome text: with a colon, and \`code\`.\n`;
const GOOD = `language:
- en
- fr
license: apache-2.0
library_name: transformers
pipeline_tag: text-classification
base_model: distilbert/distilbert-base-uncased
datasets:
- stanfordnlp/imdb
tags:
- sentiment
model-index:
- name: acme/sentiment
  results:
  - task:
      type: text-classification
    dataset:
      type: imdb
      name: IMDb
      split: test
    metrics:
    - type: accuracy
      value: 0.94
`;

const hf = (front: string) => check(README(front), 'README.md');

test('a well-formed Hugging Face front matter has no findings; positions are in the README', () => {
  assert.deepEqual(hf(GOOD), []);
  const f = hf(GOOD.replace('pipeline_tag: text-classification', 'pipeline_tag: text-clasification'));
  assert.deepEqual(ids(f), ['card/invalid-value']);
  assert.equal(f[0].range!.start.line, 6); // line 7 of the README (after the opening ---)
  assert.equal(
    covered(README(GOOD.replace('pipeline_tag: text-classification', 'pipeline_tag: text-clasification')), f[0]),
    'text-clasification',
  );
  assert.match(f[0].message, /did you mean `text-classification`/);
});

test('README.md without front matter is not a card; body text is never parsed', () => {
  assert.deepEqual(check('# Title\n\nkey: [unclosed\n', 'README.md'), []);
});

test('license: HF ids, SPDX spelling mapped to the HF id, other needs license_name and license_link', () => {
  const text = README(GOOD.replace('license: apache-2.0', 'license: Apache-2.0'));
  const f = check(text, 'README.md');
  assert.deepEqual(ids(f), ['card/invalid-license']);
  assert.match(f[0].message, /did you mean `apache-2.0`/);
  assert.deepEqual(check(applyFix(text, f[0]), 'README.md'), []);
  const other = hf(GOOD.replace('license: apache-2.0', 'license: other'));
  assert.deepEqual(ids(other), ['card/missing-field', 'card/missing-field']);
  assert.match(other.map((x) => x.message).join(' '), /license_name.*license_link|license_link.*license_name/s);
  assert.deepEqual(
    hf(
      GOOD.replace(
        'license: apache-2.0',
        'license: other\nlicense_name: acme-model-license\nlicense_link: https://acme.com/license',
      ),
    ),
    [],
  );
  assert.deepEqual(ids(hf(GOOD.replace('license: apache-2.0', 'license: my-license'))), ['card/invalid-license']);
  assert.deepEqual(ids(hf(GOOD.replace('license: apache-2.0\n', ''))), ['card/missing-field']);
});

test('license: other without license_name/license_link is reported on the license key, not the first key of the front matter', () => {
  const text = README(GOOD.replace('license: apache-2.0', 'license: other'));
  const f = check(text, 'README.md').filter((x) => x.ruleId === 'card/missing-field');
  assert.equal(f.length, 2);
  for (const x of f) {
    assert.equal(covered(text, x), 'license', x.message);
    assert.equal(
      x.range!.start.line,
      text.split('\n').findIndex((l) => l.startsWith('license:')),
    );
  }
  // a field the card needs for itself stays on the first key (no other key asks for it)
  const plain = README(GOOD.replace('license: apache-2.0\n', ''));
  const [m] = check(plain, 'README.md').filter((x) => x.ruleId === 'card/missing-field');
  assert.equal(covered(plain, m), 'language');
});

test('language: ISO 639 codes, string or list', () => {
  assert.deepEqual(hf(GOOD.replace('language:\n- en\n- fr', 'language: en')), []);
  assert.deepEqual(hf(GOOD.replace('- fr', '- yue')), []);
  assert.deepEqual(hf(GOOD.replace('- fr', '- pt-BR')), []);
  assert.deepEqual(ids(hf(GOOD.replace('- fr', '- xx'))), ['card/bad-format']);
  const name = hf(GOOD.replace('- fr', '- french'));
  assert.deepEqual(ids(name), ['card/bad-format']);
  assert.match(name[0].message, /did you mean `fr`/);
  assert.deepEqual(ids(hf(GOOD.replace('language:\n- en\n- fr', 'language: 42'))), ['card/wrong-type']);
});

test('base_model and datasets: repo ids, string or list; library_name: known libraries with did-you-mean', () => {
  assert.deepEqual(hf(GOOD.replace('base_model: distilbert/distilbert-base-uncased', 'base_model:\n- a/b\n- c/d')), []);
  assert.deepEqual(
    ids(hf(GOOD.replace('base_model: distilbert/distilbert-base-uncased', 'base_model: https://huggingface.co/a/b'))),
    ['card/bad-format'],
  );
  assert.deepEqual(ids(hf(GOOD.replace('- stanfordnlp/imdb', '- "stanford nlp/imdb"'))), ['card/bad-format']);
  const lib = hf(GOOD.replace('library_name: transformers', 'library_name: transfomers'));
  assert.deepEqual(ids(lib), ['card/invalid-value']);
  assert.equal(lib[0].severity, 'warning');
  assert.deepEqual(hf(GOOD.replace('library_name: transformers', 'library_name: my-own-lib')), []);
});

test('model-index structure: required task type, dataset type and name, metric type and value', () => {
  assert.deepEqual(ids(hf(GOOD.replace('      type: text-classification\n', ''))), ['card/empty-value']);
  const noValue = hf(GOOD.replace('      value: 0.94\n', ''));
  assert.deepEqual(ids(noValue), ['card/missing-field']);
  assert.match(noValue[0].message, /`value`/);
  assert.deepEqual(ids(hf(GOOD.replace('      name: IMDb\n', ''))), ['card/missing-field']);
  assert.deepEqual(ids(hf(GOOD.replace('    - type: accuracy', '    - typ: accuracy'))), [
    'card/missing-field',
    'card/unknown-key',
  ]);
  assert.deepEqual(ids(hf(GOOD.replace('- name: acme/sentiment', '- nme: acme/sentiment'))), [
    'card/missing-field',
    'card/unknown-key',
  ]);
  assert.deepEqual(ids(hf(GOOD.replace('model-index:', 'model_index_unused: 1\nmodel-index:'))), []);
});

test('typos of known top-level keys are flagged although the Hub accepts extra keys', () => {
  const f = hf(GOOD.replace('pipeline_tag:', 'pipline_tag:'));
  assert.deepEqual(ids(f), ['card/unknown-key']);
  assert.match(f[0].message, /did you mean `pipeline_tag`/);
  assert.deepEqual(hf(GOOD + 'widget:\n- text: "I love it"\ninference: false\n'), []);
});

test('the same semantic rules run on HF cards (a git:// URL in any field)', () => {
  assert.deepEqual(ids(hf(GOOD + 'training_code_repo: git://example.org/acme/train\n')), ['card/insecure-transport']);
});

test('a README whose front matter is a static-site page (title, layout) is not a model card', () => {
  assert.deepEqual(check('---\ntitle: Docs\nlayout: page\n---\n# Docs\n', 'README.md'), []);
});

test('a realistic Hub README (gated Llama fine-tune) has no findings; extra Hub keys are not typos', () => {
  const front = `base_model: meta-llama/Llama-3.1-8B-Instruct
base_model_relation: finetune
library_name: peft
license: llama3.1
language: [en, de]
pipeline_tag: text-generation
tags: [llama, lora, trl]
datasets:
- HuggingFaceFW/fineweb
metrics: [accuracy]
model_type: llama
quantized_by: acme
inference:
  parameters:
    temperature: 0.7
extra_gated_fields:
  Company: text
  I agree to the license: checkbox
widget:
- text: "Hello"
co2_eq_emissions:
  emissions: 120.5
  hardware_used: 8xH100
model-index:
- name: acme/llama-ft
  results:
  - task:
      type: text-generation
      name: Text Generation
    dataset:
      type: cais/mmlu
      name: MMLU
      config: all
      split: test
      revision: 0123456789abcdef0123456789abcdef01234567
    metrics:
    - type: acc
      value: 68.4
      name: accuracy
      verified: false
    source:
      name: Open LLM Leaderboard
      url: https://huggingface.co/spaces/open-llm-leaderboard/open_llm_leaderboard
`;
  assert.deepEqual(hf(front), []);
  assert.deepEqual(ids(hf(front.replace('revision: 0123456789abcdef0123456789abcdef01234567', 'revision: main'))), [
    'card/invalid-commit-sha',
  ]);
  assert.deepEqual(ids(hf(front.replace('verified: false', 'verified: "no"'))), ['card/wrong-type']);
});

test('a YAML 1.1 boolean word where a boolean is expected gets a certain fix to true/false', () => {
  const text = README(GOOD.replace('      value: 0.94\n', '      value: 0.94\n      verified: yes\n'));
  const f = check(text, 'README.md');
  assert.deepEqual(ids(f), ['card/wrong-type']);
  assert.match(applyFix(text, f[0]), /verified: true\n/);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { completionsAt, hoverAt } from '../../../src/core/modelcard/editor.ts';
import { VALID_CARD } from './cards.ts';

function posOf(text: string, needle: string, delta = 0): { line: number; character: number } {
  const i = text.indexOf(needle);
  if (i < 0) throw new Error(`no ${needle}`);
  const before = text.slice(0, i + delta);
  const line = before.split('\n').length - 1;
  return { line, character: before.length - before.lastIndexOf('\n') - 1 };
}

test('hover on a key shows the field documentation from the schema', () => {
  const h = hoverAt(VALID_CARD, 'model-card.yaml', posOf(VALID_CARD, 'commit_sha', 3))!;
  assert.match(h.markdown, /\*\*provenance\.build_environment\.commit_sha\*\*/);
  assert.match(h.markdown, /40-hex/);
  const fw = hoverAt(VALID_CARD, 'model-card.yaml', posOf(VALID_CARD, 'pytorch'))!;
  assert.match(fw.markdown, /Allowed: `pytorch`/);
  assert.equal(hoverAt(VALID_CARD, 'model-card.yaml', { line: 0, character: 0 })!.range.start.line, 0);
  const hf = '---\nlicense: mit\nmodel-index:\n- name: x\n  results: []\n---\n# t\n';
  assert.match(hoverAt(hf, 'README.md', posOf(hf, 'results'))!.markdown, /model-index\[\]\.results/);
  assert.equal(hoverAt(hf, 'README.md', posOf(hf, '# t')), undefined);
});

test("key completion offers the missing siblings at the cursor's level, required first", () => {
  const text = 'model_details:\n  name: "x"\n  \nprovenance:\n';
  const items = completionsAt(text, 'model-card.yaml', { line: 2, character: 2 });
  const labels = items.map((i) => i.label);
  assert.ok(!labels.includes('name'));
  assert.deepEqual(labels.slice(0, 2), ['version', 'license']);
  assert.ok(labels.includes('framework'));
  const top = completionsAt('model_details:\n  name: x\n', 'model-card.yaml', { line: 2, character: 0 }).map(
    (i) => i.label,
  );
  assert.ok(top.includes('provenance') && top.includes('security') && !top.includes('model_details'));
  const deep = completionsAt('provenance:\n  build_environment:\n    builder: local\n    com', 'model-card.yaml', {
    line: 3,
    character: 7,
  });
  assert.ok(deep.some((i) => i.label === 'commit_sha'));
  assert.deepEqual(deep[0].range, { start: { line: 3, character: 4 }, end: { line: 3, character: 7 } });
});

test('key completion inside list items (artifacts, model-index)', () => {
  const text = 'artifacts:\n  - path: a.bin\n    \n';
  assert.deepEqual(
    completionsAt(text, 'model-card.yaml', { line: 2, character: 4 })
      .map((i) => i.label)
      .sort(),
    ['format', 'hash', 'size'],
  );
  const hf = '---\nmodel-index:\n- name: x\n  results:\n  - task:\n      type: text-classification\n    \n---\n';
  assert.deepEqual(
    completionsAt(hf, 'README.md', { line: 6, character: 4 })
      .map((i) => i.label)
      .sort(),
    ['dataset', 'metrics', 'source'],
  );
  assert.deepEqual(completionsAt(hf, 'README.md', { line: 8, character: 0 }), []);
});

test('value completion offers enum values (framework, builder, pipeline_tag, license)', () => {
  const a = completionsAt('model_details:\n  framework: py', 'model-card.yaml', { line: 1, character: 15 });
  assert.ok(a.some((i) => i.label === 'pytorch'));
  assert.deepEqual(a[0].range, { start: { line: 1, character: 13 }, end: { line: 1, character: 15 } });
  const b = completionsAt('provenance:\n  build_environment:\n    builder: "', 'model-card.yaml', {
    line: 2,
    character: 14,
  });
  assert.ok(b.some((i) => i.label === 'github-actions'));
  const hf = completionsAt('---\npipeline_tag: \n---\n', 'README.md', { line: 1, character: 14 });
  assert.ok(hf.some((i) => i.label === 'text-generation'));
  const lic = completionsAt('---\nlicense: ll\n---\n', 'README.md', { line: 1, character: 11 });
  assert.ok(lic.some((i) => i.label === 'llama3.1'));
});

test('completion inside an anyOf field: keys of its mapping form, values of its string form', () => {
  const keys = completionsAt('security:\n  vulnerability_scan:\n    status: clean\n    \n', 'model-card.yaml', {
    line: 3,
    character: 4,
  }).map((i) => i.label);
  assert.ok(keys.includes('scanner') && keys.includes('scan_report') && !keys.includes('status'), keys.join(','));
  const values = completionsAt('security:\n  vulnerability_scan: ', 'model-card.yaml', { line: 1, character: 22 }).map(
    (i) => i.label,
  );
  assert.ok(values.includes('not-scanned'), values.join(','));
});

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { analyzeModelCard } from '../../../src/core/modelcard/check.ts';
import { REPO } from '../helpers.ts';

/**
 * Held-out Hugging Face cards (issue #15): `license: other` without `license_name`/`license_link`
 * written every way the Hub's YAML loader accepts (quoted values, quoted keys, flow style, a
 * comment on the line, CRLF with a byte-order mark), and fields another key requires
 * (`base_model_relation` → `base_model`, a model-index result → `dataset`). The last line of each
 * README says what it must give: `<!-- expect: RULE@LINE … -->` (or `none`), every finding of the
 * card included.
 */
const DIR = path.join(REPO, 'test', 'fixtures', 'modelcard', 'heldout');

for (const name of fs.readdirSync(DIR).sort()) {
  test(`held-out card ${name}`, () => {
    const file = path.join(DIR, name, 'README.md');
    const text = fs.readFileSync(file, 'utf8');
    const m = /<!-- expect: (.*) -->/.exec(text);
    assert.ok(m, 'an expect comment');
    const want = m[1].trim() === 'none' ? [] : m[1].trim().split(/\s+/).sort();
    const got = analyzeModelCard(text, file, { now: new Date('2025-09-01T00:00:00Z') })
      .findings.map((f) => `${f.ruleId}@${f.range!.start.line + 1}`)
      .sort();
    assert.deepEqual(got, want);
  });
}

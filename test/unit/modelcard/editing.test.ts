import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { completionsAt } from '../../../src/core/modelcard/editor.ts';
import { checkSpdxExpression } from '../../../src/core/modelcard/license.ts';
import { defaultPolicy } from '../../../src/core/gate/policy.ts';
import { REPO } from '../helpers.ts';
import { applyFix, check, ids, mutate, NOW, VALID_CARD } from './cards.ts';

/** Expands a snippet as an editor does when the user accepts every placeholder. */
function expandSnippet(snippet: string): string {
  return snippet
    .replace(/\$\{\d+:((?:\\.|[^}\\])*)\}/g, '$1')
    .replace(/\$\{\d+\}|\$\d+/g, '')
    .replace(/\\([$}\\])/g, '$1');
}

test('"Add \'license\'" is a snippet: the cursor on a valid placeholder, never an empty value that is an error at once', () => {
  const text = mutate('  license: "Apache-2.0"\n', '');
  const f = check(text).find((x) => x.ruleId === 'card/missing-field')!;
  const fix = f.fixes![0];
  assert.ok(fix.kind === 'edit');
  assert.equal(fix.title, "Add 'license' from the template");
  const edit = fix.edits[0];
  assert.equal(edit.snippet, '  license: "${1:Apache-2.0}"$0\n');
  assert.equal(edit.range.start.character, 0, 'typed at the start of a line, so the editor does not re-indent it');
  const expanded =
    text.slice(0, 0) +
    applyFix(text, { ...f, fixes: [{ ...fix, edits: [{ ...edit, newText: expandSnippet(edit.snippet!) }] }] });
  assert.deepEqual(ids(check(expanded)), [], 'what the editor inserts is valid');
});

test('a whole missing section is one snippet with a tab stop per value to fill, in order', () => {
  const text = VALID_CARD.slice(0, VALID_CARD.indexOf('security:')) + 'known_limitations: []\n';
  const f = check(text).find((x) => x.ruleId === 'card/missing-field')!;
  const edit = (f.fixes![0] as { edits: { snippet?: string }[] }).edits[0];
  const stops = [...(edit.snippet ?? '').matchAll(/\$\{(\d+)/g)].map((m) => Number(m[1]));
  assert.ok(stops.length >= 2, edit.snippet);
  assert.deepEqual(
    stops,
    stops.map((_, i) => i + 1),
  );
  assert.match(edit.snippet!, /vulnerability_scan: "not-scanned"/, 'defaults are written, not asked for');
});

test('license: completes SPDX ids and the Hugging Face ids, each valid in the card', () => {
  const text = mutate('license: "Apache-2.0"', 'license: "Apa');
  const line = text.split('\n').findIndex((l) => l.includes('license: "Apa'));
  const items = completionsAt(text, 'model-card.yaml', { line, character: text.split('\n')[line].length });
  const labels = items.map((i) => i.label);
  assert.ok(
    labels.includes('Apache-2.0') && labels.includes('MIT') && labels.includes('GPL-3.0-only'),
    labels.slice(0, 10).join(','),
  );
  assert.ok(labels.includes('LicenseRef-llama3.1'), 'a Hub license SPDX does not list, as a valid LicenseRef');
  assert.equal(
    items.find((i) => i.label === 'Apache-2.0')!.range.start.character,
    text.split('\n')[line].indexOf('Apa'),
  );
  for (const l of labels) assert.equal(checkSpdxExpression(l).kind, 'ok', l);
  // the identifier being typed in an expression is what is replaced
  const expr = mutate('license: "Apache-2.0"', 'license: "MIT OR Apa');
  const at = expr.split('\n').findIndex((l) => l.includes('MIT OR Apa'));
  const item = completionsAt(expr, 'model-card.yaml', { line: at, character: expr.split('\n')[at].length }).find(
    (i) => i.label === 'Apache-2.0',
  )!;
  assert.equal(expr.split('\n')[at].slice(item.range.start.character), 'Apa');
});

test("a card in the reference document's own format, with real values, is silent by default", (t) => {
  const seed = path.join(REPO, '..', 'shared', 'seed', 'examples', 'model-card.yaml');
  if (!fs.existsSync(seed)) {
    t.skip('the reference document (../shared/seed) is not beside this clone');
    return;
  }
  // The reference card, with its placeholders and short SHAs replaced by real values: nothing else changed.
  const real = fs
    .readFileSync(seed, 'utf8')
    .replace('"sha256:abc123..."', `"sha256:${'a1'.repeat(32)}"`)
    .replace('"sha256:def456..."', `"sha256:${'b2'.repeat(32)}"`)
    .replace(
      'git://github.com/acme/ml-models@abc123',
      `git+https://github.com/acme/ml-models@${'0123456789abcdef0123'.repeat(2)}`,
    )
    .replace('"abc123def456"', `"${'abcdef0123456789abcd'.repeat(2)}"`)
    .replace(
      'ghcr.io/acme/ml-models/sentiment:v2.1.0.sbom',
      `ghcr.io/acme/ml-models/sentiment@sha256:${'d4'.repeat(32)}`,
    )
    .replace('"2025-01-10"', '"2025-01-20"');
  assert.match(real, /vulnerability_scan: "clean"\n/, 'the bare claim stays');
  const found = check(real);
  assert.deepEqual(
    found.filter((f) => f.severity !== 'info').map((f) => `${f.ruleId}: ${f.message}`),
    [],
  );
  assert.deepEqual(ids(found), ['card/unsupported-scan-claim'], 'the bare claim is an info');
  // a scan from before the build is still a warning: it did not scan these artifacts
  const before = real.replace('vulnerability_scan: "clean"', 'vulnerability_scan: "clean"\n  scan_date: "2025-01-01"');
  assert.equal(check(before).find((f) => f.ruleId === 'card/unsupported-scan-claim')?.severity, 'warning');
  assert.equal(NOW.getUTCFullYear(), 2025);
});

test('a policy that asks for scan evidence gets it: model_card.require_scan_evidence', () => {
  assert.equal(defaultPolicy().modelCard.requireScanEvidence, false);
});

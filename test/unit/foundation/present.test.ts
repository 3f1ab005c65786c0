import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { sortFindings, type Finding } from '../../../src/core/findings.ts';
import { presentFindings } from '../../../src/core/present.ts';
import { parsePolicy } from '../../../src/core/gate/policy.ts';
import { cli, REPO } from '../helpers.ts';

/**
 * The one findings step (src/core/present.ts) and the faces that call it: every CLI command and
 * format honours inline suppressions and the trusted policy's `rules:`, the same as the editor.
 */

const EXAMPLE = path.join(REPO, 'examples', 'sentiment-classifier');
const at = (line: number, ruleId: string, extra: Partial<Finding> = {}): Finding => ({
  ruleId,
  severity: 'error',
  message: `m ${ruleId}`,
  file: '/m/card.yaml',
  range: { start: { line, character: 2 }, end: { line, character: 4 } },
  ...extra,
});

test('findings are sorted by code point, never by the locale', () => {
  const files = ['b.yaml', 'B.yaml', 'a.yaml', 'é.yaml', 'z.yaml', '𝒜.yaml', '\uffff.yaml'];
  const sorted = sortFindings(files.map((file) => ({ ruleId: 'yaml/syntax', severity: 'error', message: 'x', file })));
  // localeCompare would give a, b, B, é, z, …: upper case first, then lower case, then the rest by code point.
  assert.deepEqual(
    sorted.map((f) => f.file),
    ['B.yaml', 'a.yaml', 'b.yaml', 'z.yaml', 'é.yaml', '\uffff.yaml', '𝒜.yaml'],
  );
});

test('the step: settings layers (first that names the rule decides), inline comments, duplicates, order', () => {
  const text =
    'a: 1\nb: 2 # model-inspect-disable-line card/placeholder-digest\nc: 3 # model-inspect-disable-line\nd: 4\n';
  const raw = [
    at(3, 'card/x'),
    at(1, 'card/placeholder-digest'),
    at(2, 'card/y'),
    at(2, 'gate/card-stale'),
    at(2, 'signing/card-claim-mismatch'),
    at(3, 'card/x', { severity: 'warning' }),
    at(0, 'workflow/z'),
  ];
  const r = presentFindings(raw, {
    rules: [
      { severity: { 'card/*': 'warning' } },
      { severity: { 'card/x': 'info', 'workflow/z': 'off', 'gate/card-stale': 'off' } },
    ],
    text: () => text,
  });
  assert.deepEqual(
    r.findings.map((f) => `${f.range!.start.line}:${f.ruleId}:${f.severity}`),
    [
      '2:gate/card-stale:error', // the gate's own finding: settings and comments never touch it
      '2:signing/card-claim-mismatch:error', // a signing finding: a comment in the inspected file cannot silence it
      '3:card/x:warning', // the first layer's card/* wins over the second's card/x; two reports of one finding are one
    ],
  );
  assert.deepEqual(
    r.suppressed.map((f) => `${f.range!.start.line}:${f.ruleId}`),
    ['1:card/placeholder-digest', '2:card/y'],
  );
  assert.equal(presentFindings(raw, { text: () => text, inline: false }).suppressed.length, 0);
});

test("the policy's rules: section is read and checked where it is written", () => {
  const p = parsePolicy(
    'rules:\n  severity:\n    card/placeholder-digest: warning\n    card/*: loud\n    gate/card-stale: off\n  disabled: [python/torch-save-pickle, nonsense, python/nonexistent]\n  inline_suppressions: false\n',
    '/x/.model-inspect.yaml',
    { isKnownRule: (id) => id !== 'python/nonexistent' },
  );
  assert.deepEqual(p.rules?.severity, { 'card/placeholder-digest': 'warning' });
  assert.deepEqual(p.rules?.disabled, ['python/torch-save-pickle', 'python/nonexistent']);
  assert.equal(p.inline, false);
  assert.deepEqual(
    p.findings.map((f) => `${f.range!.start.line + 1}:${f.severity}`),
    ['4:error', '5:warning', '6:error', '6:warning'],
  );
});

/** A repository (with .git) holding a copy of the example model under models/m, and a policy at its root. */
function repo(
  policy: string,
  cardEdit: (card: string) => string = (c) => c,
): { root: string; model: string; card: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-present-'));
  fs.mkdirSync(path.join(root, '.git'));
  const model = path.join(root, 'models', 'm');
  fs.mkdirSync(model, { recursive: true });
  const card = path.join(model, 'model-card.yaml');
  fs.writeFileSync(card, cardEdit(fs.readFileSync(path.join(EXAMPLE, 'model-card.yaml'), 'utf8')));
  fs.copyFileSync(path.join(EXAMPLE, 'model.safetensors'), path.join(model, 'model.safetensors'));
  if (policy) fs.writeFileSync(path.join(root, '.model-inspect.yaml'), policy);
  return { root, model, card };
}

const silenceLine11 = (c: string) =>
  c.replace(
    'hash: "sha256:abc123..."',
    'hash: "sha256:abc123..."  # model-inspect-disable-line card/placeholder-digest',
  );
type Json = {
  findings: { ruleId: string; severity: string; range?: { start: { line: number } } }[];
  suppressed: { ruleId: string }[];
  checks?: { id: string; status: string; reasons: string[] }[];
};
const json = (args: string[]) => {
  const r = cli([...args, '--format', 'json']);
  assert.ok(r.status === 0 || r.status === 1, r.stderr);
  return JSON.parse(r.stdout) as Json;
};
const lines = (j: Json, rule: string) => j.findings.filter((f) => f.ruleId === rule).map((f) => f.range?.start.line);

test('an inline suppression in a model card silences the rule in card, inspect and gate alike (JSON, text and SARIF)', () => {
  const { root, model, card } = repo('', silenceLine11);
  try {
    const c = json(['card', card, '--now', '2025-06-01']);
    assert.deepEqual(lines(c, 'card/placeholder-digest'), [33], 'line 11 is silenced, line 33 is not');
    assert.deepEqual(
      c.suppressed.map((f) => f.ruleId),
      ['card/placeholder-digest'],
    );
    assert.deepEqual(lines(json(['inspect', model, '--now', '2025-06-01']), 'card/placeholder-digest'), [33]);
    const text = cli(['card', card, '--now', '2025-06-01']).stdout;
    assert.match(text, /\(1 suppressed by model-inspect-disable comments\)/);
    assert.doesNotMatch(text, /:11:11: error card\/placeholder-digest/);
    const sarif = JSON.parse(cli(['card', card, '--now', '2025-06-01', '--format', 'sarif']).stdout);
    const results = sarif.runs[0].results as {
      ruleId: string;
      suppressions?: { kind: string }[];
      locations: { physicalLocation: { region: { startLine: number } } }[];
    }[];
    const silenced = results.filter((x) => x.suppressions);
    assert.deepEqual(
      silenced.map((x) => [x.ruleId, x.locations[0].physicalLocation.region.startLine, x.suppressions![0].kind]),
      [['card/placeholder-digest', 11, 'inSource']],
    );
    // The gate judges the card as shown: the silenced error is not among the card's errors.
    const g = json(['gate', model, '--now', '2025-06-01']);
    const cardCheck = g.checks!.find((x) => x.id === 'model-card')!;
    assert.match(cardCheck.reasons.join('\n'), /the model card has 4 errors/);
    assert.deepEqual(
      g.suppressed.map((f) => f.ruleId),
      ['card/placeholder-digest'],
    );
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('a comment cannot silence the gate: gate/ rules are not suppressible inline', () => {
  const { root, model } = repo('', (c) =>
    c.replace(
      'last_security_review: "2025-01-10"',
      'last_security_review: "2025-01-10" # model-inspect-disable-line gate/card-stale',
    ),
  );
  try {
    const g = json(['gate', model, '--now', '2026-06-01']);
    assert.ok(
      g.findings.some((f) => f.ruleId === 'gate/card-stale'),
      'still reported',
    );
    assert.equal(g.checks!.find((x) => x.id === 'model-card')!.status, 'fail');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('the rules: section of the policy above the folder reaches card, inspect and gate; one inside the model does not count', () => {
  const policy = 'rules:\n  severity:\n    card/placeholder-digest: warning\n  disabled: [card/insecure-transport]\n';
  const { root, model, card } = repo(policy);
  try {
    for (const j of [json(['card', card, '--now', '2025-06-01']), json(['inspect', model, '--now', '2025-06-01'])]) {
      assert.deepEqual(
        j.findings.filter((f) => f.ruleId === 'card/placeholder-digest').map((f) => f.severity),
        ['warning', 'warning'],
      );
      assert.ok(!j.findings.some((f) => f.ruleId === 'card/insecure-transport'));
    }
    const g = json(['gate', model, '--now', '2025-06-01']);
    assert.match(
      g.checks!.find((x) => x.id === 'model-card')!.reasons.join('\n'),
      /the model card has 2 errors: card\/unpinned-source, card\/invalid-commit-sha/,
    );
    // The same rules inside the model folder are the model's own say: not used.
    fs.renameSync(path.join(root, '.model-inspect.yaml'), path.join(model, '.model-inspect.yaml'));
    const own = json(['card', card, '--now', '2025-06-01']);
    assert.deepEqual(
      own.findings.filter((f) => f.ruleId === 'card/placeholder-digest').map((f) => f.severity),
      ['error', 'error'],
    );
    assert.ok(own.findings.some((f) => f.ruleId === 'card/insecure-transport'));
    // Not even when --policy names it: refused, and the refusal is reported.
    const inside = json(['inspect', model, '--now', '2025-06-01', '--policy', path.join(model, '.model-inspect.yaml')]);
    assert.ok(inside.findings.some((f) => f.ruleId === 'card/insecure-transport'));
    assert.ok(inside.findings.some((f) => f.ruleId === 'gate/policy-in-model'));
    // --policy naming a file outside the model is used.
    fs.renameSync(path.join(model, '.model-inspect.yaml'), path.join(root, 'named.yaml'));
    const named = json(['inspect', model, '--now', '2025-06-01', '--policy', path.join(root, 'named.yaml')]);
    assert.ok(!named.findings.some((f) => f.ruleId === 'card/insecure-transport'));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('rules.inline_suppressions: false in the policy makes every comment count for nothing', () => {
  const { root, card } = repo('rules:\n  inline_suppressions: false\n', silenceLine11);
  try {
    const c = json(['card', card, '--now', '2025-06-01']);
    assert.deepEqual(lines(c, 'card/placeholder-digest'), [11, 33]);
    assert.deepEqual(c.suppressed, []);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('workflow, k8s and python (notebook cells too) findings are silenced by the CLI, not by their engines', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-present-files-'));
  try {
    fs.writeFileSync(
      path.join(dir, 'pod.yaml'),
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    # model-inspect-disable-next-line k8s/image-not-pinned\n    image: r.io/a/b:1\n',
    );
    assert.ok(!json(['k8s', path.join(dir, 'pod.yaml')]).findings.some((f) => f.ruleId === 'k8s/image-not-pinned'));
    fs.writeFileSync(
      path.join(dir, 'nb.ipynb'),
      JSON.stringify({
        nbformat: 4,
        nbformat_minor: 5,
        metadata: { kernelspec: { language: 'python', name: 'python3' } },
        cells: [
          { cell_type: 'code', source: ['import numpy as np\n'], metadata: {}, outputs: [] },
          {
            cell_type: 'code',
            source:
              'x = np.load("a.npy", allow_pickle=True)  # model-inspect-disable-line python/numpy-allow-pickle\ny = np.load("b.npy", allow_pickle=True)\n',
            metadata: {},
            outputs: [],
          },
        ],
      }),
    );
    const nb = json(['python', path.join(dir, 'nb.ipynb')]);
    assert.deepEqual(lines(nb, 'python/numpy-allow-pickle'), [2]);
    assert.equal(nb.suppressed.length, 1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('inspect takes --now as card and gate do (the signed example judged on a fixed date)', () => {
  const signed = path.join(REPO, 'examples', 'sentiment-classifier-signed');
  const early = json(['inspect', signed, '--now', '2025-06-01']);
  assert.ok(
    !early.findings.some((f) => f.ruleId === 'card/stale-security-review'),
    JSON.stringify(early.findings.map((f) => f.ruleId)),
  );
  const late = json(['inspect', signed, '--now', '2030-01-01']);
  assert.ok(late.findings.some((f) => f.ruleId === 'card/stale-security-review'));
  assert.equal(cli(['inspect', signed, '--now', 'someday']).status, 2);
});

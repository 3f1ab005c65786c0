import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { cli, REPO } from '../helpers.ts';
import { VALID_CARD } from './cards.ts';

const example = path.join(REPO, 'examples', 'sentiment-classifier', 'model-card.yaml');

test('model-inspect card: the example card in JSON, 1-based ranges on the values, exit 1', () => {
  const r = cli(['card', example, '--now', '2025-06-01', '--format', 'json']);
  assert.equal(r.status, 1, r.stderr);
  const report = JSON.parse(r.stdout) as {
    findings: { ruleId: string; range: { start: { line: number; column: number } } }[];
  };
  const placeholder = report.findings.find((f) => f.ruleId === 'card/placeholder-digest')!;
  assert.deepEqual(placeholder.range.start, { line: 11, column: 11 });
  assert.ok(report.findings.some((f) => f.ruleId === 'card/stale-security-review'));
});

test('--review-max-age-days and --now change the date rules; bad values are usage errors (exit 2)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-card-cli-'));
  const card = path.join(dir, 'model-card.yaml');
  fs.writeFileSync(card, VALID_CARD);
  assert.equal(cli(['card', card, '--now', '2025-02-01', '--fail-on', 'info']).status, 0);
  const late = cli(['card', card, '--now', '2026-02-01', '--format', 'json']);
  assert.deepEqual(
    JSON.parse(late.stdout).findings.map((f: { ruleId: string }) => f.ruleId),
    ['card/stale-security-review'],
  );
  assert.equal(late.status, 0); // a warning is below the default --fail-on error
  assert.equal(
    cli(['card', card, '--now', '2026-02-01', '--review-max-age-days', '1000', '--fail-on', 'warning']).status,
    0,
  );
  assert.equal(cli(['card', card, '--review-max-age-days', 'soon']).status, 2);
  assert.equal(cli(['card', card, '--now', 'yesterday']).status, 2);
  assert.equal(cli(['card', card, '--max-hash-mib', '-1']).status, 2);
});

test('local file digests: checked by default, skipped with --no-file-digests', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-card-cli-files-'));
  fs.writeFileSync(path.join(dir, 'w.bin'), 'weights');
  const card = path.join(dir, 'model-card.yaml');
  fs.writeFileSync(card, VALID_CARD + `artifacts:\n  - path: w.bin\n    hash: "sha256:${'0'.repeat(63)}1"\n`);
  const on = JSON.parse(cli(['card', card, '--now', '2025-02-01', '--format', 'json']).stdout);
  assert.deepEqual(
    on.findings.map((f: { ruleId: string }) => f.ruleId),
    ['card/digest-mismatch'],
  );
  const off = JSON.parse(cli(['card', card, '--now', '2025-02-01', '--format', 'json', '--no-file-digests']).stdout);
  assert.deepEqual(off.findings, []);
});

test('SARIF output for a card names the card rules with their help', () => {
  const r = cli(['card', example, '--format', 'sarif']);
  const sarif = JSON.parse(r.stdout);
  const rules = sarif.runs[0].tool.driver.rules as { id: string; help: { text: string } }[];
  const placeholder = rules.find((x) => x.id === 'card/placeholder-digest');
  assert.ok(placeholder && placeholder.help.text.length > 40);
});

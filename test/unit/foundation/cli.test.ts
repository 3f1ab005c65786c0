import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { cli } from '../helpers.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-cli-'));
const bad = path.join(tmp, 'model-card.yaml');
fs.writeFileSync(bad, 'model_details:\n  name: x\n  name: y\n');

test('no command: usage on stdout, exit 2; --help exits 0', () => {
  const r = cli([]);
  assert.equal(r.status, 2);
  assert.match(r.stdout, /usage: model-inspect <command>/);
  assert.equal(cli(['--help']).status, 0);
  assert.equal(cli(['card', '--help']).status, 0);
});

test('usage errors exit 2: unknown command, unknown flag, bad --format, missing file', () => {
  assert.equal(cli(['frobnicate']).status, 2);
  assert.equal(cli(['card', bad, '--bogus']).status, 2);
  assert.equal(cli(['card', bad, '--format', 'xml']).status, 2);
  assert.equal(cli(['card']).status, 2);
  const missing = cli(['card', path.join(tmp, 'nope.yaml')]);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /no such file/);
});

test('findings at or above --fail-on give exit 1; --fail-on never gives 0', () => {
  const r = cli(['card', bad, '--format', 'json']);
  assert.equal(r.status, 1, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.version, 1);
  const dup = report.findings.find((f: { ruleId: string }) => f.ruleId === 'yaml/duplicate-key');
  assert.ok(dup, JSON.stringify(report.findings));
  assert.deepEqual(dup.range.start, { line: 3, column: 3 });
  assert.equal(cli(['card', bad, '--fail-on', 'never']).status, 0);
});

test('--format sarif writes SARIF 2.1.0; --output writes to a file', () => {
  const out = path.join(tmp, 'r.sarif');
  const r = cli(['card', bad, '--format', 'sarif', '--output', out]);
  assert.equal(r.stdout, '');
  const sarif = JSON.parse(fs.readFileSync(out, 'utf8'));
  assert.equal(sarif.version, '2.1.0');
  assert.ok(sarif.runs[0].results.length >= 1);
});

test('text output strips terminal control characters from attacker-controlled messages', () => {
  const evil = path.join(tmp, 'evil', 'model-card.yaml');
  fs.mkdirSync(path.dirname(evil), { recursive: true });
  fs.writeFileSync(evil, 'a: "\u001b[31mred"\na: 2\n');
  const r = cli(['card', evil]);
  assert.ok(!r.stdout.includes('\u001b['), r.stdout);
});

test('each command entry loads the command of its name (a run loads only its own command module)', async () => {
  const { COMMANDS } = await import('../../../src/cli/commands/index.ts');
  assert.equal(new Set(COMMANDS.map((c) => c.name)).size, COMMANDS.length, 'names are unique');
  for (const entry of COMMANDS) assert.equal((await entry.load()).name, entry.name);
});

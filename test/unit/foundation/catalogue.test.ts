import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allRules } from '../../../src/core/rules.ts';
import { toSarif } from '../../../src/core/output/sarif.ts';
import { toJsonReport } from '../../../src/core/output/json.ts';
import { applyRuleSettings, applySuppressions } from '../../../src/core/ruleSettings.ts';
import type { Finding } from '../../../src/core/findings.ts';

test('every rule has an id of the form area/slug, a title, and help text', () => {
  for (const r of allRules()) {
    assert.match(r.id, /^[a-z][a-z0-9]*\/[a-z0-9-]+$/, r.id);
    assert.ok(r.title.length > 3, `${r.id} title`);
    assert.ok(r.help.length > 40, `${r.id} help is substantive`);
    assert.ok(r.id.startsWith(r.category + '/') || r.category === 'gate', `${r.id} category ${r.category}`);
  }
});

const sample: Finding[] = [
  {
    ruleId: 'yaml/syntax',
    severity: 'error',
    message: 'bad',
    file: '/w/a.yaml',
    range: { start: { line: 2, character: 4 }, end: { line: 2, character: 9 } },
  },
  {
    ruleId: 'gate/incomplete',
    severity: 'warning',
    message: 'bin',
    file: '/w/m.pt',
    offset: 77,
    member: 'archive/data.pkl',
  },
];

test('JSON report: version 1, 1-based positions, offsets for binary files, paths relative to the base', () => {
  const r = toJsonReport(sample, '/w');
  assert.equal(r.version, 1);
  assert.deepEqual(r.findings[0], {
    ruleId: 'yaml/syntax',
    severity: 'error',
    message: 'bad',
    file: 'a.yaml',
    range: { start: { line: 3, column: 5 }, end: { line: 3, column: 10 } },
  });
  assert.deepEqual(r.findings[1], {
    ruleId: 'gate/incomplete',
    severity: 'warning',
    message: 'bin',
    file: 'm.pt',
    member: 'archive/data.pkl',
    offset: 77,
  });
});

test('SARIF 2.1.0: rules with help, results with ruleIndex and regions GitHub accepts', () => {
  const s = toSarif(sample, '/w', { toolVersion: '1.2.3' }) as {
    version: string;
    runs: {
      tool: { driver: { rules: { id: string; help: { text: string } }[] } };
      results: {
        ruleIndex: number;
        ruleId: string;
        locations: { physicalLocation: { artifactLocation: { uri: string }; region: Record<string, number> } }[];
      }[];
    }[];
  };
  assert.equal(s.version, '2.1.0');
  const run = s.runs[0];
  const rules = run.tool.driver.rules;
  for (const res of run.results) {
    assert.equal(rules[res.ruleIndex].id, res.ruleId);
    assert.ok(rules[res.ruleIndex].help.text.length > 0);
    const region = res.locations[0].physicalLocation.region;
    assert.ok(region.startLine >= 1);
  }
  assert.equal(run.results[0].locations[0].physicalLocation.artifactLocation.uri, 'a.yaml');
  assert.deepEqual(run.results[0].locations[0].physicalLocation.region, {
    startLine: 3,
    startColumn: 5,
    endLine: 3,
    endColumn: 10,
  });
  assert.equal(run.results[1].locations[0].physicalLocation.region.byteOffset, 77);
});

test('rule settings: severity override, off, area wildcard, disabled list', () => {
  assert.equal(applyRuleSettings(sample, { severity: { 'yaml/syntax': 'info' } })[0].severity, 'info');
  assert.equal(applyRuleSettings(sample, { severity: { 'yaml/*': 'off' } }).length, 1);
  assert.equal(applyRuleSettings(sample, { disabled: ['yaml/syntax'] }).length, 1);
  // The gate's own findings are its verdict's reasons: settings do not change them (the policy's gate: section does).
  assert.equal(applyRuleSettings(sample, { disabled: ['gate/incomplete'] }).length, 2);
});

test('inline suppressions: same line, next line, specific rule or all', () => {
  const text = 'a: 1\nb: 2 # model-inspect-disable-line yaml/syntax\n# model-inspect-disable-next-line\nc: 3\nd: 4\n';
  const at = (line: number, ruleId = 'yaml/syntax'): Finding => ({
    ruleId,
    severity: 'error',
    message: 'x',
    range: { start: { line, character: 0 }, end: { line, character: 1 } },
  });
  const kept = applySuppressions([at(0), at(1), at(1, 'yaml/duplicate-key'), at(3), at(4)], text);
  assert.deepEqual(
    kept.map((f) => `${f.range!.start.line}:${f.ruleId}`),
    ['0:yaml/syntax', '1:yaml/duplicate-key', '4:yaml/syntax'],
  );
});

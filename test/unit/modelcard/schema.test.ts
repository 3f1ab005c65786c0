import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyFix, check, covered, ids, mutate, VALID_CARD } from './cards.ts';

test('the valid card has no findings (every other test changes one thing in it)', () => {
  assert.deepEqual(check(VALID_CARD), []);
});

test('missing required field: reported on the parent key, with a template fix that makes it valid YAML', () => {
  const text = mutate('    builder: "github-actions"\n', '');
  const f = check(text);
  assert.deepEqual(ids(f), ['card/missing-field']);
  assert.equal(covered(text, f[0]), 'build_environment');
  assert.match(f[0].message, /`builder`/);
  const fixed = applyFix(text, f[0]);
  assert.match(fixed, /\n    builder: ""\n/);
  // the inserted field is now present (and empty, which is flagged), not missing
  assert.deepEqual(ids(check(fixed)), ['card/empty-value']);
});

test('missing top-level section: on the first key, and the fix inserts the whole section from the template', () => {
  const text = VALID_CARD.slice(0, VALID_CARD.indexOf('security:')) + 'known_limitations: []\n';
  const f = check(text).filter((x) => x.ruleId === 'card/missing-field');
  assert.equal(f.length, 1);
  assert.equal(covered(text, f[0]), 'model_details');
  const fixed = applyFix(text, f[0]);
  assert.match(
    fixed,
    /\nsecurity:\n  vulnerability_scan: "not-scanned"\n  sbom_ref: ""\n  last_security_review: ""\n?$/,
  );
  assert.ok(!ids(check(fixed)).includes('card/missing-field'));
});

test('an empty card says which sections are required', () => {
  const f = check('# nothing yet\n');
  assert.deepEqual(ids(f), ['card/missing-field']);
  assert.match(f[0].message, /model_details.*provenance.*security/);
});

test('unknown key: did you mean + rename fix; unrelated unknown key gets no guess', () => {
  const text = mutate('    commit_sha:', '    comit_sha:');
  const f = check(text);
  const unknown = f.find((x) => x.ruleId === 'card/unknown-key')!;
  assert.match(unknown.message, /did you mean `commit_sha`/);
  assert.equal(covered(text, unknown), 'comit_sha');
  assert.deepEqual(ids(check(applyFix(text, unknown))), []);
  const other = check(mutate('known_limitations:', 'zzz_custom: 1\nknown_limitations:'));
  assert.deepEqual(ids(other), ['card/unknown-key']);
  assert.ok(!other[0].fixes?.length);
  assert.doesNotMatch(other[0].message, /did you mean/);
});

test('unknown keys in open sections are accepted unless they look like a typo of a known key', () => {
  assert.deepEqual(check(mutate('  f1_score: 0.93', '  f1_score: 0.93\n  bleu: 31.2')), []);
  const typo = check(mutate('  f1_score: 0.93', '  f1_scroe: 0.93'));
  assert.deepEqual(ids(typo), ['card/unknown-key']);
  assert.match(typo[0].message, /f1_score/);
});

test('YAML trap: python: 3.10 is the number 3.1; the fix quotes the text as written', () => {
  const text = mutate('python: "3.11.7"', 'python: 3.10');
  const f = check(text);
  assert.deepEqual(ids(f), ['card/wrong-type']);
  assert.match(f[0].message, /3\.1\b/);
  assert.equal(covered(text, f[0]), '3.10');
  assert.match(applyFix(text, f[0]), /python: "3\.10"/);
  assert.deepEqual(check(applyFix(text, f[0])), []);
});

test('version: 2.1 unquoted is a number; booleans where strings are expected; numbers written as strings', () => {
  assert.deepEqual(ids(check(mutate('version: "2.1.0"', 'version: 2.1'))), [
    'card/name-version-mismatch',
    'card/wrong-type',
  ]);
  assert.deepEqual(ids(check(mutate('version: "2.1.0"', 'version: true'))), ['card/wrong-type']);
  const quoted = mutate('accuracy: 0.94', 'accuracy: "0.94"');
  const f = check(quoted);
  assert.deepEqual(ids(f), ['card/wrong-type']);
  assert.deepEqual(check(applyFix(quoted, f[0])), []);
  assert.deepEqual(ids(check(mutate('epochs: 10', 'epochs: 2.5'))), ['card/wrong-type']);
  assert.deepEqual(
    ids(
      check(
        mutate('provenance:\n', 'provenance:\n  training_data: [1]\n').replace(
          /  training_data:\n    source[^]*?(?=  training_config)/,
          '',
        ),
      ),
    ),
    ['card/wrong-type'],
  );
});

test('YAML 1.1 booleans (yes/no/on/off) where a string is expected: warning and quote fix', () => {
  const text = mutate('runner: "ubuntu-22.04"', 'runner: yes');
  const f = check(text);
  assert.deepEqual(ids(f), ['card/ambiguous-boolean']);
  assert.match(applyFix(text, f[0]), /runner: "yes"/);
  assert.deepEqual(check(mutate('runner: "ubuntu-22.04"', 'runner: "no"')), []);
});

test('unquoted dates become timestamps: warning with a quote fix, and the date rules still apply', () => {
  const text = mutate('last_security_review: "2025-01-20"', 'last_security_review: 2025-01-20');
  const f = check(text);
  assert.deepEqual(ids(f), ['card/unquoted-date']);
  assert.deepEqual(check(applyFix(text, f[0])), []);
  assert.deepEqual(ids(check(mutate('last_security_review: "2025-01-20"', 'last_security_review: 2024-01-20'))), [
    'card/stale-security-review',
    'card/unquoted-date',
  ]);
  assert.deepEqual(
    ids(check(mutate('build_timestamp: "2025-01-15T10:30:00Z"', 'build_timestamp: 2025-01-15T10:30:00Z'))),
    ['card/unquoted-date'],
  );
});

test('out of range: metrics in [0, 1] (percentages called out), positive epochs and batch sizes, learning rate > 0', () => {
  const pct = check(mutate('accuracy: 0.94', 'accuracy: 94'));
  assert.deepEqual(ids(pct), ['card/out-of-range']);
  assert.match(pct[0].message, /percentage: write 0\.94/);
  assert.deepEqual(ids(check(mutate('f1_score: 0.93', 'f1_score: -0.1'))), ['card/out-of-range']);
  assert.deepEqual(ids(check(mutate('epochs: 10', 'epochs: 0'))), ['card/out-of-range']);
  assert.deepEqual(ids(check(mutate('batch_size: 32', 'batch_size: -32'))), ['card/out-of-range']);
  assert.deepEqual(ids(check(mutate('learning_rate: 0.00005', 'learning_rate: 0'))), ['card/out-of-range']);
  assert.deepEqual(check(mutate('accuracy: 0.94', 'accuracy: 1')), []);
  assert.deepEqual(check(mutate('accuracy: 0.94', 'accuracy: 0')), []);
});

test('bad formats: dates, RFC 3339 timestamps, e-mails, URLs', () => {
  assert.deepEqual(ids(check(mutate('"2025-01-20"', '"2025-02-30"'))), ['card/bad-format']);
  assert.deepEqual(ids(check(mutate('"2025-01-20"', '"20/01/2025"'))), ['card/bad-format']);
  const tz = check(mutate('"2025-01-15T10:30:00Z"', '"2025-01-15T10:30:00"'));
  assert.deepEqual(ids(tz), ['card/bad-format']);
  assert.match(tz[0].message, /time zone/);
  assert.deepEqual(check(mutate('"2025-01-15T10:30:00Z"', '"2025-01-15T12:30:00.123+02:00"')), []);
  assert.deepEqual(
    ids(check(mutate('"https://internal.acme.com/data-cards/sentiment-v3"', '"internal.acme.com/data-cards"'))),
    ['card/bad-format'],
  );
  assert.deepEqual(
    ids(check(mutate('  license: "Apache-2.0"', '  license: "Apache-2.0"\n  contact: "ml-team.acme.com"'))),
    ['card/bad-format'],
  );
  assert.deepEqual(
    check(mutate('  license: "Apache-2.0"', '  license: "Apache-2.0"\n  contact: "ml-team@acme.com"')),
    [],
  );
  assert.deepEqual(ids(check(mutate('signed_by: "ml-team@acme.com"', 'signed_by: "ml-team"'))), ['card/bad-format']);
  assert.deepEqual(
    check(
      mutate(
        'signed_by: "ml-team@acme.com"',
        'signed_by: "https://github.com/acme/ml-models/.github/workflows/build.yml@refs/heads/main"',
      ),
    ),
    [],
  );
});

test("enums: framework and builder, with did-you-mean and a fix in the value's own quoting", () => {
  const text = mutate('framework: "pytorch"', 'framework: "pytroch"');
  const f = check(text);
  assert.deepEqual(ids(f), ['card/invalid-value']);
  assert.match(f[0].message, /did you mean `pytorch`/);
  assert.match(applyFix(text, f[0]), /framework: "pytorch"/);
  const builder = check(mutate('builder: "github-actions"', "builder: 'GitHub-Actions'"));
  assert.deepEqual(ids(builder), ['card/invalid-value']);
  assert.equal(builder[0].fixes?.[0].kind === 'edit' && builder[0].fixes[0].edits[0].newText, "'github-actions'");
  assert.deepEqual(ids(check(mutate('builder: "github-actions"', 'builder: "my-laptop"'))), ['card/invalid-value']);
});

test('empty values: `key:` with nothing, "" and empty sections', () => {
  assert.deepEqual(ids(check(mutate('name: "sentiment-classifier-v2.1.0"', 'name:'))), ['card/empty-value']);
  assert.deepEqual(ids(check(mutate('name: "sentiment-classifier-v2.1.0"', 'name: ""'))), ['card/empty-value']);
  assert.deepEqual(ids(check(mutate('hash: "sha256:' + 'a1'.repeat(32) + '"', 'hash: ""'))), ['card/empty-value']);
});

test('keys merged with `<<: *anchor` count as present', () => {
  const text = VALID_CARD.replace(
    'provenance:\n',
    'provenance:\n  x-defaults: &env\n    builder: "github-actions"\n',
  ).replace('    builder: "github-actions"\n    runner:', '    <<: *env\n    runner:');
  assert.ok(!ids(check(text)).includes('card/missing-field'), JSON.stringify(check(text).map((f) => f.message)));
});

test('a different, valid card (CRLF, flow mappings, unquoted strings, comments, other tools) has no findings', () => {
  const text = [
    'model_details:',
    '  name: fraud-detector',
    '  version: "3.0.1"',
    '  type: tabular-classification',
    '  framework: xgboost',
    '  license: MIT',
    '  description: Detects fraud   # comment',
    'provenance:',
    '  training_data:',
    '    source: hf://datasets/acme/fraud@0123456789abcdef0123456789abcdef01234567',
    '    hash: sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    '  training_config:',
    '    source: git+ssh://git@github.com/acme/fraud.git@0123456789abcdef0123456789abcdef01234567',
    '    hyperparameters: {max_depth: 6, eta: 0.3, n_estimators: 200}',
    '  build_environment:',
    '    builder: gitlab-ci',
    '    python: "3.10"',
    '    commit_sha: 0123456789abcdef0123456789abcdef01234567',
    '    build_timestamp: "2025-01-01T08:00:00+01:00"',
    '    signed_by: https://gitlab.com/acme/fraud//.gitlab-ci.yml@refs/heads/main',
    '    xgboost: "2.0.3"',
    'performance:',
    '  precision: 0.91',
    '  recall: 0.88',
    '  auc: 0.97',
    'security:',
    '  vulnerability_scan: findings',
    '  sbom_ref: registry.gitlab.com/acme/fraud@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    "  last_security_review: '2025-01-02'",
    'known_limitations: [ "Trained on EU transactions only" ]',
    '',
  ].join('\r\n');
  assert.deepEqual(check(text), []);
  const broken = text.replace('builder: gitlab-ci', 'builder: gitlab');
  const f = check(broken);
  assert.deepEqual(ids(f), ['card/invalid-value']);
  assert.match(f[0].message, /did you mean `gitlab-ci`/);
  assert.equal(applyFix(broken, f[0]).includes('builder: gitlab-ci\r\n'), true);
});

test('a card that lost its indentation (as the document prints it): each stray key names the section it belongs to', () => {
  const flat = VALID_CARD.split('\n')
    .map((l) => l.trimStart())
    .join('\n');
  const f = check(flat);
  const msg = (key: string) =>
    f.find((x) => x.ruleId === 'card/unknown-key' && covered(flat, x) === key)?.message ?? '';
  assert.match(msg('name'), /field of `model_details`/);
  assert.match(msg('hash'), /field of `provenance\.training_data`/);
  assert.match(msg('builder'), /field of `provenance\.build_environment`/);
  assert.match(msg('sbom_ref'), /field of `security`/);
  assert.ok(f.some((x) => x.ruleId === 'card/empty-value' && covered(flat, x) === 'model_details'));
});

test('an empty card: the fix writes every required section from the template, as valid YAML', () => {
  const text = '# model card for the new model\n';
  const f = check(text);
  const filled = applyFix(text, f[0]);
  assert.match(filled, /^# model card for the new model\nmodel_details:\n  name: ""\n/);
  const after = ids(check(filled));
  assert.ok(!after.includes('card/missing-field') && !after.includes('yaml/syntax'), after.join(','));
});

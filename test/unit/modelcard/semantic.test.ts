import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { classifyDigest } from '../../../src/core/modelcard/digest.ts';
import { classifyRevision, parseSourceRef } from '../../../src/core/modelcard/gitref.ts';
import { checkSpdxExpression } from '../../../src/core/modelcard/license.ts';
import { parseOciRef } from '../../../src/core/modelcard/ociref.ts';
import { versionInName } from '../../../src/core/modelcard/semantic.ts';
import { SHARED } from '../helpers.ts';
import { applyFix, check, covered, ids, mutate, NOW } from './cards.ts';

const HEX64 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const SHA40 = '0123456789abcdef0123456789abcdef01234567';
const seedPath = path.join(SHARED, 'seed', 'examples', 'model-card.yaml');

test(
  'the seed card: exactly the defects a reviewer finds, each on its value',
  { skip: fs.existsSync(seedPath) ? false : 'seed card absent' },
  () => {
    const text = fs.readFileSync(seedPath, 'utf8');
    const f = check(text, 'model-card.yaml', { now: new Date('2025-06-01T00:00:00Z') });
    const got = f.map((x) => `${x.ruleId} ${covered(text, x)}`).sort();
    assert.deepEqual(got, [
      'card/insecure-transport "git://github.com/acme/ml-models@abc123"',
      'card/invalid-commit-sha "abc123def456"',
      'card/placeholder-digest "sha256:abc123..."',
      'card/placeholder-digest "sha256:def456..."',
      'card/stale-security-review "2025-01-10"',
      'card/unpinned-reference "ghcr.io/acme/ml-models/sentiment:v2.1.0.sbom"',
      'card/unpinned-source "git://github.com/acme/ml-models@abc123"',
      'card/unsupported-scan-claim "clean"',
    ]);
    const stale = f.find((x) => x.ruleId === 'card/stale-security-review')!;
    assert.match(stale.message, /predates the build/);
    assert.match(stale.message, /142 days old/);
    // with a generous age limit the review is still older than the build
    const lenient = check(text, 'model-card.yaml', {
      now: new Date('2025-06-01T00:00:00Z'),
      reviewMaxAgeDays: 1000,
    }).find((x) => x.ruleId === 'card/stale-security-review')!;
    assert.doesNotMatch(lenient.message, /days old/);
    assert.match(lenient.message, /predates the build/);
  },
);

test('digest classification: ok, placeholders, weak algorithms, malformed', () => {
  assert.equal(classifyDigest(`sha256:${HEX64}`).kind, 'ok');
  assert.equal(classifyDigest(`sha512:${HEX64}${HEX64}`).kind, 'ok');
  for (const p of [
    'sha256:abc123...',
    'sha256:def456…',
    'sha256:abc123',
    'sha256:<digest>',
    'sha256:TODO',
    `sha256:${'0'.repeat(64)}`,
    'sha256:',
    'sha256:xxxxxxxx',
  ])
    assert.equal(classifyDigest(p).kind, 'placeholder', p);
  for (const w of [`md5:${'a'.repeat(32)}`, `sha1:${'a'.repeat(40)}`, 'a'.repeat(32).replace(/a/g, 'b'), SHA40])
    assert.equal(classifyDigest(w).kind, 'weak', w);
  assert.equal(classifyDigest(`sha256:${HEX64}00`).kind, 'malformed');
  assert.equal(classifyDigest(`sha256:${HEX64.slice(0, 63)}g`).kind, 'malformed');
  assert.equal(classifyDigest(HEX64).kind, 'no-algorithm');
  assert.equal(classifyDigest(`sha256:${HEX64.toUpperCase()}`).kind, 'uppercase');
});

test('digest rules on the card, with fixes where they are certain', () => {
  const good = `sha256:${'a1'.repeat(32)}`;
  assert.deepEqual(ids(check(mutate(good, `md5:${'a'.repeat(32)}`))), ['card/weak-digest']);
  assert.deepEqual(ids(check(mutate(good, 'sha256:abc123...'))), ['card/placeholder-digest']);
  assert.deepEqual(ids(check(mutate(good, `sha256:${'a1'.repeat(31)}a`))), ['card/invalid-digest']);
  const bare = mutate(`"${good}"`, `"${HEX64}"`);
  const f = check(bare);
  assert.deepEqual(ids(f), ['card/invalid-digest']);
  assert.deepEqual(check(applyFix(bare, f[0])), []);
  const upper = mutate(good, `sha256:${HEX64.toUpperCase()}`);
  assert.deepEqual(check(applyFix(upper, check(upper)[0])), []);
  // digests are recognised by value in fields the schema does not know (in open sections)
  assert.deepEqual(
    ids(check(mutate('    batch_size: 32', `    batch_size: 32\n      tokenizer_hash: "sha1:${'f'.repeat(40)}"`))),
    ['card/weak-digest'],
  );
});

test('source revisions: full commit ok; short SHA, branch, tag and missing revision flagged; git:// unauthenticated', () => {
  const src = `git+https://github.com/acme/ml-models@${'0123456789abcdef0123'.repeat(2)}`;
  const flag = (to: string) => ids(check(mutate(src, to)));
  assert.deepEqual(flag(`git+https://github.com/acme/ml-models@${SHA40}`), []);
  assert.deepEqual(flag(`https://github.com/acme/ml-models/commit/${SHA40}`), []);
  assert.deepEqual(flag('git+https://github.com/acme/ml-models@abc1234'), ['card/unpinned-source']);
  assert.deepEqual(flag('git+https://github.com/acme/ml-models@main'), ['card/unpinned-source']);
  assert.deepEqual(flag('git+https://github.com/acme/ml-models@v2.1.0'), ['card/unpinned-source']);
  assert.deepEqual(flag('https://github.com/acme/ml-models'), ['card/unpinned-source']);
  assert.deepEqual(flag(`git://github.com/acme/ml-models@${SHA40}`), ['card/insecure-transport']);
  assert.deepEqual(flag('git@github.com:acme/ml-models.git#main'), ['card/unpinned-source']);
  assert.deepEqual(flag(`git@github.com:acme/ml-models.git@${SHA40}`), []);
  // a git:// URL in a field the schema does not know is still unauthenticated
  assert.deepEqual(
    ids(check(mutate('    batch_size: 32', '    batch_size: 32\n      tokenizer_repo: "git://example.org/tok"'))),
    ['card/insecure-transport'],
  );
});

test('git reference parsing', () => {
  assert.deepEqual(parseSourceRef('git://github.com/acme/ml-models@abc123'), {
    scheme: 'git',
    isGit: true,
    revision: 'abc123',
    revisionOffset: 32,
  });
  assert.equal(parseSourceRef('s3://bucket/prefix/').isGit, false);
  assert.equal(parseSourceRef('https://example.com/data.tar').isGit, false);
  assert.equal(classifyRevision(SHA40), 'full');
  assert.equal(classifyRevision('abc123def456'), 'short');
  assert.equal(classifyRevision('release'), 'name');
  assert.equal(classifyRevision('deadbeef'), 'name'); // no digit: more likely a name than a SHA
});

test('commit_sha must be a full SHA', () => {
  const sha = 'abcdef0123456789abcd'.repeat(2);
  assert.deepEqual(ids(check(mutate(sha, 'abc123def456'))), ['card/invalid-commit-sha']);
  assert.deepEqual(ids(check(mutate(sha, 'main'))), ['card/invalid-commit-sha']);
  assert.deepEqual(check(mutate(sha, HEX64)), []); // SHA-256 repositories
});

test('timestamps in the future; review staleness by age (configurable) and against the build', () => {
  assert.deepEqual(ids(check(mutate('"2025-01-15T10:30:00Z"', '"2025-03-01T00:00:00Z"'))), [
    'card/future-timestamp',
    'card/stale-security-review',
    'card/unsupported-scan-claim',
  ]);
  assert.deepEqual(ids(check(mutate('"2025-01-20"', '"2025-02-02"'))), ['card/future-timestamp']);
  assert.deepEqual(check(mutate('"2025-01-20"', `"${NOW.toISOString().slice(0, 10)}"`)), []); // today is not the future
  assert.deepEqual(
    check(
      mutate('"2025-01-15T10:30:00Z"', '"2025-02-01T12:05:00Z"')
        .replace('"2025-01-20"', '"2025-02-01"')
        .replace('"2025-01-16"', '"2025-02-01"'),
    ),
    [],
  ); // within clock skew
  const old = mutate('"2025-01-20"', '"2024-10-01"');
  assert.deepEqual(ids(check(old)), ['card/stale-security-review']);
  assert.deepEqual(
    check(old, 'model-card.yaml', { reviewMaxAgeDays: 365 }).map((f) => f.ruleId),
    ['card/stale-security-review'],
  ); // still before the build
  const beforeBuildOnly = mutate('"2025-01-20"', '"2025-01-14"');
  assert.match(check(beforeBuildOnly)[0].message, /predates the build/);
  assert.deepEqual(check(mutate('"2025-01-20"', '"2025-01-15"')), []); // same day as the build
});

test('references pinned by digest, not tag', () => {
  const ref = `ghcr.io/acme/ml-models/sentiment@sha256:${'d4'.repeat(32)}`;
  assert.deepEqual(ids(check(mutate(ref, 'ghcr.io/acme/ml-models/sentiment:v2.1.0'))), ['card/unpinned-reference']);
  assert.deepEqual(ids(check(mutate(ref, 'ghcr.io/acme/ml-models/sentiment'))), ['card/unpinned-reference']);
  assert.deepEqual(check(mutate(ref, `ghcr.io/acme/ml-models/sentiment:v2.1.0@sha256:${HEX64}`)), []);
  assert.deepEqual(ids(check(mutate(ref, 'ghcr.io/acme/ml-models/sentiment@sha256:abc123...'))), [
    'card/placeholder-digest',
  ]);
  assert.deepEqual(ids(check(mutate(ref, 'https://sbom.acme.com/sentiment/2.1.0.spdx.json'))), [
    'card/unpinned-reference',
  ]);
  assert.deepEqual(ids(check(mutate(ref, 'http://sbom.acme.com/sentiment.json'))), [
    'card/insecure-transport',
    'card/unpinned-reference',
  ]);
  assert.equal(parseOciRef('sbom/model.cdx.json'), undefined);
  assert.deepEqual(parseOciRef('localhost:5000/m:1'), {
    name: 'localhost:5000/m',
    tag: '1',
    digest: undefined,
    digestOffset: undefined,
  });
});

test('name and version must agree', () => {
  assert.deepEqual(ids(check(mutate('version: "2.1.0"', 'version: "2.2.0"'))), ['card/name-version-mismatch']);
  assert.deepEqual(ids(check(mutate('"sentiment-classifier-v2.1.0"', '"sentiment-classifier-v3"'))), [
    'card/name-version-mismatch',
  ]);
  assert.deepEqual(check(mutate('"sentiment-classifier-v2.1.0"', '"sentiment-classifier-v2"')), []);
  assert.deepEqual(check(mutate('"sentiment-classifier-v2.1.0"', '"sentiment-classifier"')), []);
  assert.deepEqual(check(mutate('"sentiment-classifier-v2.1.0"', '"bert-base-uncased"')), []);
  assert.equal(versionInName('resnet50'), undefined);
  assert.equal(versionInName('llama-3.1-8b'), undefined);
  assert.equal(versionInName('model_1.4.2'), '1.4.2');
  assert.equal(versionInName('classifier:v1.0'), '1.0');
});

test('license: SPDX ids and expressions from the npm SPDX list, deprecated ids, did-you-mean', () => {
  assert.deepEqual(check(mutate('"Apache-2.0"', '"MIT OR Apache-2.0"')), []);
  assert.deepEqual(check(mutate('"Apache-2.0"', '"LicenseRef-Acme-Internal"')), []);
  const name = mutate('"Apache-2.0"', '"Apache License 2.0"');
  const f = check(name);
  assert.deepEqual(ids(f), ['card/invalid-license']);
  assert.match(f[0].message, /did you mean `Apache-2.0`/);
  assert.deepEqual(check(applyFix(name, f[0])), []);
  assert.deepEqual(ids(check(mutate('"Apache-2.0"', '"GPL-2.0"'))), ['card/license-not-canonical']);
  assert.deepEqual(ids(check(mutate('"Apache-2.0"', '"apache-2.0"'))), ['card/license-not-canonical']);
  assert.deepEqual(ids(check(mutate('"Apache-2.0"', '"proprietary"'))), ['card/invalid-license']);
  assert.equal(checkSpdxExpression('MIT AND (BSD-3-Clause OR GPL-2.0-only WITH Classpath-exception-2.0)').kind, 'ok');
  assert.equal(checkSpdxExpression('MIT AND').kind, 'invalid');
});

test('vulnerability_scan: clean needs evidence from a scan after the build', () => {
  const bare = mutate(
    '  scanner: "trivy 0.50.1"\n  scan_date: "2025-01-16"\n  scan_report: "ghcr.io/acme/ml-models/sentiment@sha256:' +
      'c3'.repeat(32) +
      '"\n',
    '',
  );
  assert.deepEqual(ids(check(bare)), ['card/unsupported-scan-claim']);
  assert.deepEqual(check(bare.replace('"clean"', '"findings"')), []);
  assert.deepEqual(ids(check(bare.replace('"clean"', '"passed"'))), ['card/unsupported-scan-claim']);
  const before = check(mutate('scan_date: "2025-01-16"', 'scan_date: "2025-01-10"'));
  assert.deepEqual(ids(before), ['card/unsupported-scan-claim']);
  assert.match(before[0].message, /before the build/);
});

test('more shapes held-out cards use: bare short hex digests, unquoted timestamps without a zone, http links', () => {
  const good = `sha256:${'a1'.repeat(32)}`;
  assert.deepEqual(ids(check(mutate(`"${good}"`, 'abc123'))), ['card/placeholder-digest']);
  assert.deepEqual(ids(check(mutate('"2025-01-15T10:30:00Z"', '2025-01-15'))), [
    'card/bad-format',
    'card/unquoted-date',
  ]);
  const http = check(
    mutate('"https://internal.acme.com/data-cards/sentiment-v3"', '"http://internal.acme.com/data-cards/sentiment-v3"'),
  );
  assert.deepEqual(ids(http), ['card/insecure-transport']);
  assert.equal(http[0].severity, 'warning');
  assert.deepEqual(
    ids(check(mutate('"Apache-2.0"', '"Apache-2.0"\n  repository: "http://localhost:8080/models"'))),
    [],
  );
});

test('fields the schema does not know are still checked by key and value: commits, image references, event dates', () => {
  const extra = (lines: string) => mutate('known_limitations:', `${lines}\nknown_limitations:`);
  // unknown top-level keys are also reported as unknown; what matters here is the semantic rule
  const semantic = (t: string) => ids(check(t)).filter((r) => r !== 'card/unknown-key');
  assert.deepEqual(semantic(extra('deployment:\n  git_commit: "abc1234"')), ['card/invalid-commit-sha']);
  assert.deepEqual(semantic(extra('deployment:\n  git_commit: "0123456789abcdef0123456789abcdef01234567"')), []);
  assert.deepEqual(semantic(extra('deployment:\n  serving_image: "ghcr.io/acme/serving:latest"')), [
    'card/unpinned-reference',
  ]);
  assert.deepEqual(semantic(extra(`deployment:\n  serving_image: "ghcr.io/acme/serving@sha256:${HEX64}"`)), []);
  assert.deepEqual(semantic(extra('deployment:\n  approved_at: "2030-01-01T00:00:00Z"')), ['card/future-timestamp']);
  assert.deepEqual(semantic(extra('deployment:\n  expires_at: "2030-01-01T00:00:00Z"')), []);
});

test('an SBOM given as a URL needs a digest beside it (info)', () => {
  const ref = `ghcr.io/acme/ml-models/sentiment@sha256:${'d4'.repeat(32)}`;
  const url = check(mutate(ref, 'https://sbom.acme.com/sentiment/2.1.0.spdx.json'));
  assert.deepEqual(ids(url), ['card/unpinned-reference']);
  assert.equal(url[0].severity, 'info');
  assert.deepEqual(
    check(
      mutate(ref, 'https://sbom.acme.com/sentiment/2.1.0.spdx.json').replace(
        '  last_security_review',
        `  sbom_digest: "sha256:${HEX64}"\n  last_security_review`,
      ),
    ),
    [],
  );
});

test('an SBOM or image tag that names another release than `version`', () => {
  const ref = `ghcr.io/acme/ml-models/sentiment@sha256:${'d4'.repeat(32)}`;
  assert.deepEqual(ids(check(mutate(ref, 'ghcr.io/acme/ml-models/sentiment:v2.0.0.sbom'))), [
    'card/name-version-mismatch',
    'card/unpinned-reference',
  ]);
  assert.deepEqual(ids(check(mutate(ref, 'ghcr.io/acme/ml-models/sentiment:v2.1.0.sbom'))), [
    'card/unpinned-reference',
  ]);
  assert.deepEqual(check(mutate(ref, `ghcr.io/acme/ml-models/sentiment:2.1.0@sha256:${HEX64}`)), []);
  assert.deepEqual(ids(check(mutate(ref, `ghcr.io/acme/ml-models/sentiment:1.9@sha256:${HEX64}`))), [
    'card/name-version-mismatch',
  ]);
});

test('vulnerability_scan may be a mapping with the status and its evidence', () => {
  const evidence =
    '  scanner: "trivy 0.50.1"\n  scan_date: "2025-01-16"\n  scan_report: "ghcr.io/acme/ml-models/sentiment@sha256:' +
    'c3'.repeat(32) +
    '"\n';
  const asMapping = (body: string) =>
    mutate('  vulnerability_scan: "clean"\n' + evidence, `  vulnerability_scan:\n${body}`);
  assert.deepEqual(
    check(asMapping('    status: clean\n    scanner: trivy 0.50.1\n    scan_date: "2025-01-16"\n    critical: 0\n')),
    [],
  );
  assert.deepEqual(ids(check(asMapping('    status: clean\n'))), ['card/unsupported-scan-claim']);
  assert.deepEqual(ids(check(asMapping('    status: clen\n    scanner: trivy\n'))), ['card/invalid-value']);
  assert.deepEqual(ids(check(asMapping('    scanner: trivy\n'))), ['card/missing-field']);
  assert.deepEqual(ids(check(asMapping('    status: clean\n    scanner: trivy\n    critical: -1\n'))), [
    'card/out-of-range',
  ]);
  assert.deepEqual(ids(check(mutate('  vulnerability_scan: "clean"\n', '  vulnerability_scan: [clean]\n'))), [
    'card/wrong-type',
  ]);
});

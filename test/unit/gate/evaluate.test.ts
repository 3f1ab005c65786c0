import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateGate, matchesAllowed, normaliseRepository } from '../../../src/core/gate/evaluate.ts';
import { unsafeRegex } from '../../../src/core/gate/policy.ts';
import type { Evidence, SignatureResult } from '../../../src/core/gate/evidence.ts';
import { defaultPolicy, type GatePolicy, type LoadedPolicy } from '../../../src/core/gate/policy.ts';

const NOW = new Date('2025-06-01T00:00:00Z');
const W = '/m/model.safetensors';

function sig(over: Partial<SignatureResult> = {}): SignatureResult {
  return { file: W, signatureFile: `${W}.sigstore.json`, format: 'sigstore-bundle', verified: true, identity: 'ml-team@acme.com', issuer: 'https://accounts.google.com', covers: [], failures: [], ...over };
}

/** Evidence for a model that passes the default policy; tests break one thing at a time. */
function good(): Evidence {
  return {
    root: '/m', name: 'm',
    weightFiles: [{ path: W, rel: 'model.safetensors', size: 10 }],
    signatures: { available: true, results: [sig()], findings: [] },
    scan: { available: true, files: [{ path: W, format: 'safetensors', complete: true, findings: [] }] },
    card: { file: '/m/model-card.yaml', findings: [], facts: { file: '/m/model-card.yaml', facts: [], datasets: [], metrics: [], limitations: [], sourceRepositories: [], reviewed: { date: '2025-05-01T00:00:00.000Z', fact: { key: 'security.last_security_review', label: 'Last security review', value: '2025-05-01' } } } },
    sbom: { sboms: [{ file: '/m/sbom.cdx.json', format: 'cyclonedx', specVersion: '1.6', components: [], vulnerabilityCount: 0 }], findings: [] },
    vulnerabilities: { reports: ['/m/grype.json'], vulnerabilities: [{ id: 'CVE-1', severity: 'low', package: 'x', fixedIn: [], scanner: 'grype', file: '/m/grype.json' }], findings: [], tools: [], runs: [] },
    provenance: [{ repository: 'git+https://github.com/acme/ml-models@abc123', source: 'model card provenance.training_config.source', verified: false, file: '/m/model-card.yaml' }],
    incomplete: [],
  };
}

function policy(edit: (p: GatePolicy) => void = () => {}): LoadedPolicy {
  const p = defaultPolicy();
  edit(p);
  return { policy: p, findings: [], file: '/m/.model-inspect.yaml' };
}

const status = (ev: Evidence, pol = policy()) => Object.fromEntries(evaluateGate(ev, pol, NOW).checks.map((c) => [c.id, c.status]));
const rules = (ev: Evidence, pol = policy()) => evaluateGate(ev, pol, NOW).findings.map((f) => f.ruleId);

test('a model with every piece of evidence passes the default policy', () => {
  const v = evaluateGate(good(), policy(), NOW);
  assert.equal(v.passed, true, JSON.stringify(v.checks, null, 1));
  assert.deepEqual(status(good()), { policy: 'pass', signatures: 'pass', provenance: 'skip', scan: 'pass', sbom: 'pass', vulnerabilities: 'pass', 'model-card': 'pass' });
  assert.deepEqual(v.findings, []);
});

test('signatures: missing, not verifying, wrong signer, wrong issuer, unavailable engine', () => {
  const missing = good(); missing.signatures.results = [];
  assert.deepEqual(rules(missing), ['gate/signature-missing']);
  const bad = good(); bad.signatures.results = [sig({ verified: false, failures: ['digest mismatch'] })];
  assert.deepEqual(rules(bad), ['gate/signature-invalid', 'gate/signature-missing']);
  const pinned = policy((p) => { p.signatures.identities = ['release@acme.com']; });
  assert.deepEqual(rules(good(), pinned), ['gate/signer-not-allowed', 'gate/signature-missing']);
  assert.deepEqual(rules(good(), policy((p) => { p.signatures.identities = ['/.*@acme\\.com/']; p.signatures.issuers = ['https://token.actions.githubusercontent.com']; })), ['gate/signer-not-allowed', 'gate/signature-missing']);
  const keySigned = good(); keySigned.signatures.results = [sig({ identity: undefined, issuer: undefined, trustedKey: true })];
  assert.deepEqual(rules(keySigned, pinned), [], 'a key listed in the policy is an allowed signer');
  const off = good(); off.signatures = { available: false, note: 'no engine', results: [], findings: [] };
  assert.deepEqual(rules(off), ['gate/signature-missing']);
});

test('a verified model manifest (model.sig) covers every file it lists', () => {
  const ev = good();
  ev.weightFiles.push({ path: '/m/sub/extra.bin', rel: 'sub/extra.bin', size: 1 });
  ev.scan.files.push({ path: '/m/sub/extra.bin', format: 'pytorch-zip', complete: true, findings: [] });
  ev.signatures.results = [sig({ file: '/m', signatureFile: '/m/model.sig', format: 'openssf-model-signing', covers: [W, '/m/sub/extra.bin'] })];
  assert.equal(evaluateGate(ev, policy(), NOW).passed, true);
  ev.signatures.results[0].covers = [W];
  assert.deepEqual(rules(ev), ['gate/signature-missing']);
});

test('provenance: expected repository matched across URL spellings, mismatch and missing, verified-only', () => {
  const pol = policy((p) => { p.provenance.sourceRepository = 'https://github.com/acme/ml-models'; });
  assert.equal(status(good(), pol).provenance, 'pass');
  const fork = good(); fork.provenance[0].repository = 'git://github.com/mallory/ml-models@abc';
  assert.deepEqual(rules(fork, pol), ['gate/provenance-mismatch']);
  const none = good(); none.provenance = [];
  assert.deepEqual(rules(none, pol), ['gate/provenance-missing']);
  const strict = policy((p) => { p.provenance.sourceRepository = 'github.com/acme/ml-models'; p.provenance.requireVerified = true; });
  assert.deepEqual(rules(good(), strict), ['gate/provenance-missing']);
  const signed = good(); signed.provenance.push({ repository: 'https://github.com/acme/ml-models', source: 'model.sig', verified: true });
  assert.equal(status(signed, strict).provenance, 'pass');
  assert.equal(normaliseRepository('git@github.com:Acme/ML-Models.git'), 'github.com/acme/ml-models');
  assert.equal(normaliseRepository('https://github.com/acme/ml-models/.github/workflows/release.yml@refs/tags/v1'), 'github.com/acme/ml-models');
});

test('scan: findings at or above block_at block; incomplete or missing scans fail closed', () => {
  const ev = good();
  ev.scan.files[0].findings = [{ ruleId: 'scan/dangerous-global', severity: 'error', message: 'imports os.system', file: W, offset: 42, member: 'archive/data.pkl' }];
  const f = evaluateGate(ev, policy(), NOW).findings;
  assert.deepEqual(f.map((x) => [x.ruleId, x.offset, x.member]), [['gate/dangerous-content', 42, 'archive/data.pkl']]);
  const warn = good(); warn.scan.files[0].findings = [{ ruleId: 'scan/suspicious', severity: 'warning', message: 'w' }];
  assert.equal(status(warn).scan, 'pass');
  assert.equal(status(warn, policy((p) => { p.scan.blockAt = 'warning'; })).scan, 'fail');
  const partial = good(); partial.scan.files[0].complete = false;
  assert.deepEqual(rules(partial), ['gate/scan-unavailable']);
  const unscanned = good(); unscanned.scan.files = [];
  assert.deepEqual(rules(unscanned), ['gate/scan-unavailable']);
  const noScanner = good(); noScanner.scan = { available: false, note: 'no scanner', files: [] };
  assert.deepEqual(rules(noScanner), ['gate/scan-unavailable']);
});

test('SBOM and vulnerabilities: missing SBOM, severity threshold, ignore list, report requirement', () => {
  const noSbom = good(); noSbom.sbom.sboms = [];
  assert.deepEqual(rules(noSbom), ['gate/sbom-missing']);
  const crit = good(); crit.vulnerabilities.vulnerabilities.push({ id: 'GHSA-x', severity: 'critical', package: 'torch', version: '2.1.2', fixedIn: ['2.6.0'], scanner: 'grype', file: '/m/grype.json' });
  const v = evaluateGate(crit, policy(), NOW);
  assert.deepEqual(v.findings.map((f) => [f.ruleId, f.file]), [['gate/vulnerable-dependency', '/m/grype.json']]);
  assert.match(v.findings[0].message, /GHSA-x \(critical\) in torch 2\.1\.2; fixed in 2\.6\.0/);
  assert.equal(status(crit, policy((p) => { p.vulnerabilities.ignore = ['GHSA-x']; })).vulnerabilities, 'pass');
  assert.equal(status(good(), policy((p) => { p.vulnerabilities.blockAt = 'low'; })).vulnerabilities, 'fail');
  const noReport = good(); noReport.vulnerabilities.reports = []; noReport.vulnerabilities.vulnerabilities = [];
  assert.deepEqual(rules(noReport), ['gate/vulnerability-report-missing']);
  assert.equal(status(noReport, policy((p) => { p.vulnerabilities.requireReport = false; })).vulnerabilities, 'pass');
});

test('model card: missing, errors, stale, no date; disabled checks are skipped', () => {
  const none = good(); none.card = { findings: [] };
  assert.deepEqual(rules(none), ['gate/card-missing']);
  const invalid = good(); invalid.card.findings = [{ ruleId: 'card/placeholder-digest', severity: 'error', message: 'x', range: { start: { line: 3, character: 1 }, end: { line: 3, character: 5 } } }, { ruleId: 'card/x', severity: 'warning', message: 'w' }];
  const f = evaluateGate(invalid, policy(), NOW).findings;
  assert.deepEqual(f.map((x) => [x.ruleId, x.range?.start.line]), [['gate/card-invalid', 3]]);
  assert.deepEqual(rules(good(), policy((p) => { p.modelCard.maxAgeDays = 10; })), ['gate/card-stale']);
  const undated = good(); delete undated.card.facts!.reviewed;
  assert.deepEqual(rules(undated), ['gate/card-stale']);
  assert.equal(status(none, policy((p) => { p.modelCard.enabled = false; }))['model-card'], 'skip');
});

test('an invalid policy or an incomplete inspection blocks the gate', () => {
  const broken: LoadedPolicy = { ...policy(), findings: [{ ruleId: 'gate/policy-invalid', severity: 'error', message: 'bad' }] };
  assert.equal(evaluateGate(good(), broken, NOW).passed, false);
  const ev = good(); ev.incomplete = [{ ruleId: 'gate/incomplete', severity: 'warning', message: 'more than 20000 files' }];
  const v = evaluateGate(ev, policy(), NOW);
  assert.equal(v.passed, false);
  assert.deepEqual(v.findings.map((f) => [f.ruleId, f.severity]), [['gate/incomplete', 'error']]);
});

test('allowed identities: exact strings or /regex/ anchored to the whole value', () => {
  assert.equal(matchesAllowed('a@acme.com', ['/.*@acme\\.com/']), true);
  assert.equal(matchesAllowed('a@acme.com.evil.io', ['/.*@acme\\.com/']), false);
  assert.equal(matchesAllowed('a@acme.com', ['A@acme.com']), false);
  assert.equal(matchesAllowed(undefined, ['x']), false);
});

test('policy regexes that could backtrack forever are refused, and never run', () => {
  assert.ok(unsafeRegex('(a+)+$'));
  assert.ok(unsafeRegex('(.*@x)*'));
  assert.ok(unsafeRegex('(a)\\1'));
  assert.ok(unsafeRegex('(unclosed'));
  assert.equal(unsafeRegex('.*@acme\\.com'), undefined);
  assert.equal(unsafeRegex('https://github\\.com/acme/[^/]+/\\.github/workflows/release\\.yml@refs/tags/v.*'), undefined);
  // Counted, not timed: a refused pattern is never run, whatever the value (a short one here, so a
  // regression fails on the count instead of hanging on 2^n backtracking); a safe one runs once.
  const stats = { executed: 0 };
  assert.equal(matchesAllowed('a'.repeat(12) + '!', ['/(a+)+$/', '/(.*@x)*/'], stats), false);
  assert.equal(stats.executed, 0, 'a refused policy regex was run');
  assert.equal(matchesAllowed('a'.repeat(12) + '!', ['/(a+)+$/', '/a+!/'], stats), true);
  assert.equal(stats.executed, 1);
});

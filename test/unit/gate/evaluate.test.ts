import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluateGate, normaliseRepository } from '../../../src/core/gate/evaluate.ts';
import { compilePattern, parsePolicyPattern, unsafeRegex } from '../../../src/core/signing/policy.ts';
import type { Evidence, SignatureResult } from '../../../src/core/gate/evidence.ts';
import { defaultPolicy, type GatePolicy, type LoadedPolicy } from '../../../src/core/gate/policy.ts';

const NOW = new Date('2025-06-01T00:00:00Z');
const W = '/m/model.safetensors';

function sig(over: Partial<SignatureResult> = {}): SignatureResult {
  return {
    file: W,
    signatureFile: `${W}.sigstore.json`,
    format: 'sigstore-bundle',
    verified: true,
    identity: 'ml-team@acme.com',
    issuer: 'https://accounts.google.com',
    covers: [W],
    failures: [],
    ...over,
  };
}

/** Evidence for a model that passes the default policy; tests break one thing at a time. */
function good(): Evidence {
  return {
    root: '/m',
    name: 'm',
    weightFiles: [{ path: W, rel: 'model.safetensors', size: 10 }],
    files: [
      { path: W, rel: 'model.safetensors', size: 10 },
      { path: `${W}.sigstore.json`, rel: 'model.safetensors.sigstore.json', size: 10 },
    ],
    skipped: [],
    signatures: { available: true, results: [sig()], findings: [] },
    scan: { available: true, files: [{ path: W, format: 'safetensors', complete: true, findings: [] }] },
    card: {
      file: '/m/model-card.yaml',
      findings: [],
      facts: {
        file: '/m/model-card.yaml',
        facts: [],
        datasets: [],
        metrics: [],
        limitations: [],
        sourceRepositories: [],
        reviewed: {
          date: '2025-05-01T00:00:00.000Z',
          fact: { key: 'security.last_security_review', label: 'Last security review', value: '2025-05-01' },
        },
      },
    },
    sbom: {
      sboms: [
        { file: '/m/sbom.cdx.json', format: 'cyclonedx', specVersion: '1.6', components: [], vulnerabilityCount: 0 },
      ],
      findings: [],
    },
    vulnerabilities: {
      reports: ['/m/grype.json'],
      vulnerabilities: [
        { id: 'CVE-1', severity: 'low', package: 'x', fixedIn: [], scanner: 'grype', file: '/m/grype.json' },
      ],
      findings: [],
      tools: [],
      runs: [],
    },
    provenance: [
      {
        repository: 'git+https://github.com/acme/ml-models@abc123',
        source: 'model card provenance.training_config.source',
        verified: false,
        file: '/m/model-card.yaml',
      },
    ],
    incomplete: [],
  };
}

function policy(edit: (p: GatePolicy) => void = () => {}): LoadedPolicy {
  const p = defaultPolicy();
  edit(p);
  return { policy: p, findings: [], file: '/m/.model-inspect.yaml' };
}

const status = (ev: Evidence, pol = policy()) =>
  Object.fromEntries(evaluateGate(ev, pol, NOW).checks.map((c) => [c.id, c.status]));
const rules = (ev: Evidence, pol = policy()) => evaluateGate(ev, pol, NOW).findings.map((f) => f.ruleId);

test('a model with every piece of evidence passes the default policy', () => {
  const v = evaluateGate(good(), policy(), NOW);
  assert.equal(v.passed, true, JSON.stringify(v.checks, null, 1));
  assert.deepEqual(status(good()), {
    policy: 'pass',
    signatures: 'pass',
    provenance: 'skip',
    scan: 'pass',
    sbom: 'pass',
    vulnerabilities: 'pass',
    'model-card': 'pass',
  });
  assert.deepEqual(v.findings, []);
});

test('signatures: missing, not verifying, signer not expected, unavailable engine', () => {
  const missing = good();
  missing.signatures.results = [];
  missing.files = missing.files.slice(0, 1);
  assert.deepEqual(rules(missing), ['gate/signature-missing']);
  const bad = good();
  bad.signatures.results = [sig({ verified: false, covers: [], failures: ['digest mismatch'] })];
  assert.deepEqual(rules(bad), ['gate/signature-invalid', 'gate/signature-missing']);
  // The signing engine judges the signer against the resolved expectations; the gate only reads its verdict.
  const rejected = good();
  rejected.signatures.results = [
    sig({
      verified: false,
      covers: [],
      signerRejected: true,
      failures: ['certificate identity: expected "release@acme.com", found "ml-team@acme.com"'],
    }),
  ];
  assert.deepEqual(rules(rejected), ['gate/signer-not-allowed', 'gate/signature-missing']);
  const off = good();
  off.signatures = { available: false, note: 'no engine', results: [], findings: [] };
  assert.deepEqual(rules(off), ['gate/signature-missing']);
});

test('coverage: every file must be covered (not only weights), ignored paths and skipped folders included', () => {
  const ev = good();
  ev.files.push({ path: '/m/modeling_x.py', rel: 'modeling_x.py', size: 3 });
  assert.deepEqual(rules(ev), ['gate/signature-missing']);
  assert.deepEqual(
    rules(
      ev,
      policy((p) => {
        p.signatures.cover = 'weight-files';
      }),
    ),
    [],
  );
  assert.deepEqual(
    rules(
      ev,
      policy((p) => {
        p.signatures.allowUnsigned = ['modeling_x.py'];
      }),
    ),
    [],
  );
  const folder = good();
  folder.skipped.push({ path: '/m/.git', rel: '.git', entries: 12 });
  folder.files = [
    folder.files[0],
    { path: '/m/model.sig', rel: 'model.sig', size: 1 },
    { path: '/m/extras/a.py', rel: 'extras/a.py', size: 1 },
  ];
  folder.signatures.results = [
    sig({
      file: '/m',
      signatureFile: '/m/model.sig',
      format: 'model-signing',
      covers: [W],
      coversFolders: [],
      ignored: ['/m/extras'],
    }),
  ];
  const v = evaluateGate(folder, policy(), NOW);
  assert.deepEqual(
    v.findings.map((f) => f.message),
    [
      "extras/a.py is not covered by a verified signature from an expected signer (model.sig's signer ignored it)",
      '.git/ (12 entries, not read by the gate) is not covered by a verified signature from an expected signer',
    ],
  );
  folder.signatures.results[0].coversFolders = ['/m/.git'];
  assert.deepEqual(
    rules(
      folder,
      policy((p) => {
        p.signatures.allowUnsigned = ['extras/'];
      }),
    ),
    [],
  );
  const empty = good();
  empty.files = [];
  empty.weightFiles = [];
  empty.signatures.results = [];
  assert.match(evaluateGate(empty, policy(), NOW).findings[0].message, /holds no files/);
});

test('a broken folder signature names every changed, added and removed file', () => {
  const ev = good();
  ev.signatures.results = [
    sig({
      file: '/m',
      signatureFile: '/m/model.sig',
      format: 'model-signing',
      verified: false,
      covers: [],
      failures: [
        'changed files (digest differs from the signed one): model.safetensors',
        'extra files (in the folder, not signed and not ignored): run.py',
      ],
      manifest: { changed: [W], added: ['/m/run.py'], removed: ['/m/tok.json'] },
    }),
  ];
  const msgs = evaluateGate(ev, policy(), NOW)
    .findings.filter((f) => f.ruleId === 'gate/signature-invalid')
    .map((f) => [f.message, f.file]);
  assert.deepEqual(msgs, [
    ['model.sig: model.safetensors was changed after signing', W],
    ['model.sig: run.py was added after signing (no signature covers it)', '/m/run.py'],
    ['model.sig: tok.json was signed but is missing', '/m'],
  ]);
});

test('provenance: expected repository matched across URL spellings, mismatch and missing, verified-only', () => {
  const pol = policy((p) => {
    p.provenance.sourceRepository = 'https://github.com/acme/ml-models';
  });
  assert.equal(status(good(), pol).provenance, 'pass');
  const fork = good();
  fork.provenance[0].repository = 'git://github.com/mallory/ml-models@abc';
  assert.deepEqual(rules(fork, pol), ['gate/provenance-mismatch']);
  const none = good();
  none.provenance = [];
  assert.deepEqual(rules(none, pol), ['gate/provenance-missing']);
  const strict = policy((p) => {
    p.provenance.sourceRepository = 'github.com/acme/ml-models';
    p.provenance.requireVerified = true;
  });
  assert.deepEqual(rules(good(), strict), ['gate/provenance-missing']);
  const signed = good();
  signed.provenance.push({ repository: 'https://github.com/acme/ml-models', source: 'model.sig', verified: true });
  assert.equal(status(signed, strict).provenance, 'pass');
  assert.equal(normaliseRepository('git@github.com:Acme/ML-Models.git'), 'github.com/acme/ml-models');
  assert.equal(
    normaliseRepository('https://github.com/acme/ml-models/.github/workflows/release.yml@refs/tags/v1'),
    'github.com/acme/ml-models',
  );
});

test('scan: findings at or above block_at block; incomplete or missing scans fail closed', () => {
  const ev = good();
  ev.scan.files[0].findings = [
    {
      ruleId: 'scan/dangerous-global',
      severity: 'error',
      message: 'imports os.system',
      file: W,
      offset: 42,
      member: 'archive/data.pkl',
    },
  ];
  const f = evaluateGate(ev, policy(), NOW).findings;
  assert.deepEqual(
    f.map((x) => [x.ruleId, x.offset, x.member]),
    [['gate/dangerous-content', 42, 'archive/data.pkl']],
  );
  const warn = good();
  warn.scan.files[0].findings = [{ ruleId: 'scan/suspicious', severity: 'warning', message: 'w' }];
  assert.equal(status(warn).scan, 'pass');
  assert.equal(
    status(
      warn,
      policy((p) => {
        p.scan.blockAt = 'warning';
      }),
    ).scan,
    'fail',
  );
  const partial = good();
  partial.scan.files[0].complete = false;
  assert.deepEqual(rules(partial), ['gate/scan-unavailable']);
  const unscanned = good();
  unscanned.scan.files = [];
  assert.deepEqual(rules(unscanned), ['gate/scan-unavailable']);
  const noScanner = good();
  noScanner.scan = { available: false, note: 'no scanner', files: [] };
  assert.deepEqual(rules(noScanner), ['gate/scan-unavailable']);
});

test('SBOM and vulnerabilities: missing SBOM, severity threshold, ignore list, report requirement', () => {
  const noSbom = good();
  noSbom.sbom.sboms = [];
  assert.deepEqual(rules(noSbom), ['gate/sbom-missing']);
  const crit = good();
  crit.vulnerabilities.vulnerabilities.push({
    id: 'GHSA-x',
    severity: 'critical',
    package: 'torch',
    version: '2.1.2',
    fixedIn: ['2.6.0'],
    scanner: 'grype',
    file: '/m/grype.json',
  });
  const v = evaluateGate(crit, policy(), NOW);
  assert.deepEqual(
    v.findings.map((f) => [f.ruleId, f.file]),
    [['gate/vulnerable-dependency', '/m/grype.json']],
  );
  assert.match(v.findings[0].message, /GHSA-x \(critical\) in torch 2\.1\.2; fixed in 2\.6\.0/);
  assert.equal(
    status(
      crit,
      policy((p) => {
        p.vulnerabilities.ignore = ['GHSA-x'];
      }),
    ).vulnerabilities,
    'pass',
  );
  assert.equal(
    status(
      good(),
      policy((p) => {
        p.vulnerabilities.blockAt = 'low';
      }),
    ).vulnerabilities,
    'fail',
  );
  const noReport = good();
  noReport.vulnerabilities.reports = [];
  noReport.vulnerabilities.vulnerabilities = [];
  assert.deepEqual(rules(noReport), ['gate/vulnerability-report-missing']);
  assert.equal(
    status(
      noReport,
      policy((p) => {
        p.vulnerabilities.requireReport = false;
      }),
    ).vulnerabilities,
    'pass',
  );
});

test('model card: missing, errors, stale, no date; disabled checks are skipped', () => {
  const none = good();
  none.card = { findings: [] };
  assert.deepEqual(rules(none), ['gate/card-missing']);
  const invalid = good();
  invalid.card.findings = [
    {
      ruleId: 'card/placeholder-digest',
      severity: 'error',
      message: 'x',
      range: { start: { line: 3, character: 1 }, end: { line: 3, character: 5 } },
    },
    { ruleId: 'card/x', severity: 'warning', message: 'w' },
  ];
  const f = evaluateGate(invalid, policy(), NOW).findings;
  assert.deepEqual(
    f.map((x) => [x.ruleId, x.range?.start.line]),
    [['gate/card-invalid', 3]],
  );
  assert.deepEqual(
    rules(
      good(),
      policy((p) => {
        p.modelCard.maxAgeDays = 10;
      }),
    ),
    ['gate/card-stale'],
  );
  const undated = good();
  delete undated.card.facts!.reviewed;
  assert.deepEqual(rules(undated), ['gate/card-stale']);
  assert.equal(
    status(
      none,
      policy((p) => {
        p.modelCard.enabled = false;
      }),
    )['model-card'],
    'skip',
  );
});

test('an invalid policy or an incomplete inspection blocks the gate', () => {
  const broken: LoadedPolicy = {
    ...policy(),
    findings: [{ ruleId: 'gate/policy-invalid', severity: 'error', message: 'bad' }],
  };
  assert.equal(evaluateGate(good(), broken, NOW).passed, false);
  const ev = good();
  ev.incomplete = [{ ruleId: 'gate/incomplete', severity: 'warning', message: 'more than 20000 files' }];
  const v = evaluateGate(ev, policy(), NOW);
  assert.equal(v.passed, false);
  assert.deepEqual(
    v.findings.map((f) => [f.ruleId, f.severity]),
    [['gate/incomplete', 'error']],
  );
});

test('allowed identities: exact strings or /regex/ matched against the whole value', () => {
  const m = (v: string | undefined, p: string) => compilePattern(parsePolicyPattern(p)).test(v);
  assert.equal(m('a@acme.com', '/.*@acme\\.com/'), true);
  assert.equal(m('a@acme.com.evil.io', '/.*@acme\\.com/'), false);
  assert.equal(m('a@acme.com', 'A@acme.com'), false);
  assert.equal(m(undefined, 'x'), false);
  assert.throws(() => m('x', '/nobody)|(.*/'), /must compile on its own/);
});

test('policy regexes that could backtrack forever are refused, and never run', () => {
  assert.ok(unsafeRegex('(a+)+$'));
  assert.ok(unsafeRegex('(.*@x)*'));
  assert.ok(unsafeRegex('(a)\\1'));
  assert.equal(unsafeRegex('.*@acme\\.com'), undefined);
  assert.equal(
    unsafeRegex('https://github\\.com/acme/[^/]+/\\.github/workflows/release\\.yml@refs/tags/v.*'),
    undefined,
  );
  // Refused when compiled, so it never runs against any value (counted by construction: no matcher exists).
  assert.throws(() => compilePattern({ regexp: '(a+)+$' }), /exponential time/);
  assert.throws(() => compilePattern(parsePolicyPattern('/(.*@x)*/')), /exponential time/);
});

test('model card: a bare scan claim passes by default and blocks when the policy asks for scan evidence', async () => {
  const bare = good();
  bare.card.findings = [
    {
      ruleId: 'card/unsupported-scan-claim',
      severity: 'info',
      message: 'bare claim',
      range: { start: { line: 34, character: 2 }, end: { line: 34, character: 30 } },
    },
  ];
  assert.equal(status(bare)['model-card'], 'pass');
  const strict = policy((p) => {
    p.modelCard.requireScanEvidence = true;
  });
  assert.equal(status(bare, strict)['model-card'], 'fail');
  const f = evaluateGate(bare, strict, NOW).findings;
  assert.deepEqual(
    f.map((x) => [x.ruleId, x.range?.start.line]),
    [['gate/card-invalid', 34]],
  );
  assert.match(f[0].message, /require_scan_evidence/);
  const { parsePolicy } = await import('../../../src/core/gate/policy.ts');
  const parsed = parsePolicy('gate:\n  model_card:\n    require_scan_evidence: true\n', '/p/.model-inspect.yaml');
  assert.deepEqual(parsed.findings, []);
  assert.equal(parsed.policy.modelCard.requireScanEvidence, true);
});

import path from 'node:path';
import { atLeast, type Finding } from '../findings.ts';
import { vulnRank, type Vulnerability } from '../tools/vulnerabilities.ts';
import type { Evidence, SignatureResult } from './evidence.ts';
import { unsafeRegex, type GatePolicy, type LoadedPolicy } from './policy.ts';
import type { GateCheck, GateCheckId, GateVerdict } from './verdict.ts';

/**
 * The promotion gate: one verdict from the evidence and the policy. Pure: the CLI's `gate` and
 * the panel's Verdict call this same function on the same evidence. Every failing reason is also
 * a `gate/...` finding (so JSON and SARIF carry it), placed on the file that explains it.
 */
export function evaluateGate(evidence: Evidence, loaded: LoadedPolicy, now = new Date()): GateVerdict {
  const p = loaded.policy;
  const checks: GateCheck[] = [
    policyCheck(loaded),
    p.signatures.enabled ? signatureCheck(evidence, p) : skipped('signatures', 'Signatures'),
    p.provenance.enabled ? provenanceCheck(evidence, p) : skipped('provenance', 'Provenance'),
    p.scan.enabled ? scanCheck(evidence, p) : skipped('scan', 'No dangerous content'),
    p.sbom.enabled ? sbomCheck(evidence) : skipped('sbom', 'SBOM present'),
    p.vulnerabilities.enabled ? vulnerabilityCheck(evidence, p) : skipped('vulnerabilities', 'Vulnerabilities'),
    p.modelCard.enabled ? cardCheck(evidence, p, now) : skipped('model-card', 'Model card valid and fresh'),
  ];
  if (evidence.incomplete.length) {
    // An incomplete inspection blocks whichever check it touches; keep it visible on its own too.
    checks.push({ id: 'scan', title: 'Inspection complete', status: 'fail', reasons: evidence.incomplete.map((f) => f.message), findings: evidence.incomplete.map((f) => ({ ...f, severity: 'error' as const })) });
  }
  const findings = checks.flatMap((c) => c.findings);
  return { passed: checks.every((c) => c.status !== 'fail'), checks, findings, policyFile: loaded.file, evaluatedAt: now.toISOString() };
}

function skipped(id: GateCheckId, title: string): GateCheck {
  return { id, title, status: 'skip', reasons: ['disabled by the policy (enabled: false)'], findings: [] };
}

function check(id: GateCheckId, title: string, findings: Finding[], passReasons: string[]): GateCheck {
  return findings.length
    ? { id, title, status: 'fail', reasons: findings.map((f) => f.message), findings }
    : { id, title, status: 'pass', reasons: passReasons, findings: [] };
}

function fail(ruleId: string, message: string, at: Pick<Finding, 'file' | 'range'> = {}): Finding {
  return { ruleId, severity: 'error', message, ...at };
}

function policyCheck(loaded: LoadedPolicy): GateCheck {
  const errors = loaded.findings.filter((f) => f.severity === 'error');
  const where = loaded.file ? `policy ${path.basename(loaded.file)}` : 'no .model-inspect.yaml: default policy';
  return check('policy', 'Policy', errors, [where]);
}

/**
 * `/regex/` entries match as regular expressions (anchored); others must be equal. Identities come
 * from certificates and policies from repositories: both are bounded (see `unsafeRegex`) so a
 * crafted pair cannot hang the gate.
 */
export function matchesAllowed(value: string | undefined, allowed: readonly string[], stats?: RegexStats): boolean {
  if (value === undefined || value.length > MAX_IDENTITY_LENGTH) return false;
  return allowed.some((a) => {
    const re = /^\/(.+)\/([imsu]*)$/.exec(a);
    if (!re) return a === value;
    if (unsafeRegex(re[1])) return false;
    if (stats) stats.executed++;
    try { return new RegExp(`^(?:${re[1]})$`, re[2]).test(value); } catch { return false; }
  });
}

/** Counts policy regexes actually run against a value, so a test can prove a refused one never ran. */
export interface RegexStats {
  executed: number;
}

const MAX_IDENTITY_LENGTH = 2048;

function signerAllowed(s: SignatureResult, p: GatePolicy): string | undefined {
  const { identities, issuers } = p.signatures;
  if (s.trustedKey) return undefined;
  if (identities.length && !matchesAllowed(s.identity, identities)) {
    return s.identity ? `signer '${s.identity}' is not in gate.signatures.identities` : 'signed with a key that gate.signatures.keys does not list, and without a signer identity';
  }
  if (issuers.length && !matchesAllowed(s.issuer, issuers)) return `issuer '${s.issuer ?? 'none'}' is not in gate.signatures.issuers`;
  if (!identities.length && !issuers.length && p.signatures.keys.length && !s.identity) return 'signed with a key that gate.signatures.keys does not list';
  return undefined;
}

function signatureCheck(ev: Evidence, p: GatePolicy): GateCheck {
  const title = 'Signatures';
  const sig = ev.signatures;
  if (!sig.available) return check('signatures', title, [fail('gate/signature-missing', `signatures were not verified: ${sig.note ?? 'no signature engine'}`, { file: ev.root })], []);
  const findings: Finding[] = [];
  for (const s of sig.results) if (!s.verified) findings.push(fail('gate/signature-invalid', `${path.basename(s.signatureFile)} does not verify${s.failures.length ? `: ${s.failures.join('; ')}` : ''}`, { file: s.signatureFile }));
  const good: SignatureResult[] = [];
  for (const s of sig.results.filter((x) => x.verified)) {
    const why = signerAllowed(s, p);
    if (why) findings.push(fail('gate/signer-not-allowed', `${path.basename(s.signatureFile)}: ${why}`, { file: s.signatureFile }));
    else good.push(s);
  }
  const covered = new Set(good.flatMap((s) => [s.file, ...s.covers].map((f) => path.resolve(f))));
  const uncovered = ev.weightFiles.filter((w) => !covered.has(path.resolve(w.path)));
  for (const w of uncovered) findings.push(fail('gate/signature-missing', `${w.rel} has no verified signature from an allowed signer`, { file: w.path }));
  if (!ev.weightFiles.length && !good.length) findings.push(fail('gate/signature-missing', 'no weight files and no verified signature: nothing vouches for this model', { file: ev.root }));
  const signers = [...new Set(good.map((s) => s.identity ?? s.key ?? 'key'))];
  const reasons = [`${ev.weightFiles.length} weight file${ev.weightFiles.length === 1 ? '' : 's'} covered by ${good.length} verified signature${good.length === 1 ? '' : 's'} (${signers.join(', ')})`];
  if (!p.signatures.identities.length && !p.signatures.issuers.length && !p.signatures.keys.length) reasons.push('any signer accepted: the policy pins no identities, issuers or keys');
  return check('signatures', title, findings, reasons);
}

/** `git://github.com/acme/ml-models@abc123`, `https://github.com/acme/ml-models.git` → `github.com/acme/ml-models`. */
export function normaliseRepository(s: string): string {
  let r = s.trim().replace(/^git\+/, '').replace(/^[a-z]+:\/\//i, '').replace(/^git@([^:]+):/, '$1/');
  r = r.replace(/^[^@/]+@(?=[^/]+\.[^/]+\/)/, ''); // user@host/
  r = r.replace(/[?#].*$/, '').replace(/@[^/]*$/, '').replace(/\/+$/, '').replace(/\.git$/, '');
  // GitHub URLs to a tree/commit/workflow are still the repository
  r = r.replace(/^(github\.com\/[^/]+\/[^/]+)\/.*$/i, '$1');
  const slash = r.indexOf('/');
  return slash < 0 ? r.toLowerCase() : r.slice(0, slash).toLowerCase() + r.slice(slash).toLowerCase();
}

function provenanceCheck(ev: Evidence, p: GatePolicy): GateCheck {
  const title = 'Provenance';
  const expected = p.provenance.sourceRepository;
  if (!expected) return { id: 'provenance', title, status: 'skip', reasons: ['no gate.provenance.source_repository in the policy'], findings: [] };
  const want = normaliseRepository(expected);
  const findings: Finding[] = [];
  const matching = ev.provenance.filter((c) => normaliseRepository(c.repository) === want);
  for (const c of ev.provenance) {
    if (normaliseRepository(c.repository) !== want) findings.push(fail('gate/provenance-mismatch', `${c.source} names ${c.repository}, not ${expected}`, { file: c.file, range: c.range }));
  }
  const acceptable = p.provenance.requireVerified ? matching.filter((c) => c.verified) : matching;
  if (!acceptable.length && !findings.length) {
    findings.push(fail('gate/provenance-missing', p.provenance.requireVerified && matching.length
      ? `only unverified claims name ${expected} (${matching.map((c) => c.source).join(', ')}); the policy requires verified provenance (a signing certificate or attestation)`
      : `nothing states that the model was built from ${expected}`, { file: matching[0]?.file ?? ev.card.file ?? ev.root }));
  }
  return check('provenance', title, findings, acceptable.map((c) => `${c.source}: ${c.repository}${c.verified ? ' (verified)' : ' (claimed, not verified)'}`));
}

function scanCheck(ev: Evidence, p: GatePolicy): GateCheck {
  const title = 'No dangerous content';
  const findings: Finding[] = [];
  if (!ev.scan.available) {
    if (ev.weightFiles.length) findings.push(fail('gate/scan-unavailable', `weight files were not scanned: ${ev.scan.note ?? 'no scanner'}`, { file: ev.root }));
    return check('scan', title, findings, ['no weight files to scan']);
  }
  for (const f of ev.scan.files) {
    if (!f.complete) {
      // Say why, in the scanner's words, when it said (a limit, an unknown format, a read error).
      const why = f.findings.find((x) => /incomplete|unknown-format|not scanned/.test(`${x.ruleId} ${x.message}`));
      findings.push(fail('gate/scan-unavailable', `${path.basename(f.path)} was only partly scanned${why ? ` (${why.message})` : ' (a limit or an error)'}: not known to be safe`, { file: f.path }));
    }
    for (const x of f.findings) {
      if (!atLeast(x.severity, p.scan.blockAt) || x.ruleId === 'gate/incomplete') continue;
      findings.push({ ...fail('gate/dangerous-content', `${path.basename(f.path)}${x.member ? `!${x.member}` : ''}: ${x.message} (${x.ruleId})`, { file: x.file ?? f.path }), offset: x.offset, member: x.member });
    }
  }
  const scanned = new Set(ev.scan.files.map((f) => path.resolve(f.path)));
  for (const w of ev.weightFiles) if (!scanned.has(path.resolve(w.path))) findings.push(fail('gate/scan-unavailable', `${w.rel} was not scanned`, { file: w.path }));
  const unanalysed = ev.scan.notAnalysed ?? [];
  if (p.scan.notAnalysed === 'block') for (const n of unanalysed) findings.push(fail('gate/not-analysed', `${n.rel} (${n.size} bytes) ${n.detail}; the policy blocks files that are not analysed (scan.not_analysed: block)`, { file: n.path }));
  const listed = p.scan.notAnalysed === 'warn' && unanalysed.length
    ? [`${unanalysed.length} file${unanalysed.length === 1 ? '' : 's'} not analysed (scan.not_analysed: warn): ${unanalysed.slice(0, 5).map((n) => `${n.rel} (${n.size} bytes)`).join(', ')}${unanalysed.length > 5 ? ', …' : ''}`]
    : [];
  return check('scan', title, findings, [`${ev.scan.files.length} file${ev.scan.files.length === 1 ? '' : 's'} scanned, nothing at or above ${p.scan.blockAt}`, ...listed]);
}

function sbomCheck(ev: Evidence): GateCheck {
  const sboms = ev.sbom.sboms;
  const findings = sboms.length ? [] : [fail('gate/sbom-missing', `no readable CycloneDX or SPDX JSON SBOM in the folder${ev.card.facts?.sbomRef ? ` or at sbom_ref '${ev.card.facts.sbomRef.value}'` : ''}`, ev.card.facts?.sbomRef ? { file: ev.card.file, range: ev.card.facts.sbomRef.range } : { file: ev.root })];
  return check('sbom', 'SBOM present', findings, sboms.map((s) => `${path.basename(s.file)}: ${s.format === 'cyclonedx' ? 'CycloneDX' : 'SPDX'} ${s.specVersion.replace(/^SPDX-/, '')}, ${s.components.length} component${s.components.length === 1 ? '' : 's'}`));
}

function vulnerabilityCheck(ev: Evidence, p: GatePolicy): GateCheck {
  const title = `No vulnerabilities at or above ${p.vulnerabilities.blockAt}`;
  const v = ev.vulnerabilities;
  if (!v.reports.length) {
    if (!p.vulnerabilities.requireReport) return { id: 'vulnerabilities', title, status: 'pass', reasons: ['no vulnerability report, and the policy does not require one'], findings: [] };
    return check('vulnerabilities', title, [fail('gate/vulnerability-report-missing', 'no vulnerability report (grype or trivy JSON, or a CycloneDX SBOM with vulnerabilities) in the folder, and no scanner was run', { file: ev.root })], []);
  }
  const ignore = new Set(p.vulnerabilities.ignore);
  const blocking = dedupe(v.vulnerabilities).filter((x) => vulnRank(x.severity) >= vulnRank(p.vulnerabilities.blockAt) && !ignore.has(x.id));
  const findings = blocking.map((x) => fail('gate/vulnerable-dependency', `${x.id} (${x.severity}) in ${x.package}${x.version ? ` ${x.version}` : ''}${x.fixedIn.length ? `; fixed in ${x.fixedIn.join(', ')}` : '; no fix yet'}`, { file: x.file }));
  const ignored = v.vulnerabilities.filter((x) => ignore.has(x.id)).length;
  return check('vulnerabilities', title, findings, [`${v.vulnerabilities.length} vulnerabilit${v.vulnerabilities.length === 1 ? 'y' : 'ies'} in ${v.reports.length} report${v.reports.length === 1 ? '' : 's'}, none at or above ${p.vulnerabilities.blockAt}${ignored ? ` (${ignored} ignored by the policy)` : ''}`]);
}

export function dedupe(vulns: readonly Vulnerability[]): Vulnerability[] {
  const seen = new Map<string, Vulnerability>();
  for (const v of vulns) {
    const key = `${v.id}\u0000${v.package}\u0000${v.version ?? ''}`;
    const prev = seen.get(key);
    if (!prev || vulnRank(v.severity) > vulnRank(prev.severity)) seen.set(key, v);
  }
  return [...seen.values()];
}

function cardCheck(ev: Evidence, p: GatePolicy, now: Date): GateCheck {
  const title = 'Model card valid and fresh';
  const c = ev.card;
  if (!c.file) return check('model-card', title, [fail('gate/card-missing', 'no model card (model-card.yaml, or README.md with front matter) in the model folder', { file: ev.root })], []);
  const findings: Finding[] = [];
  const errors = c.findings.filter((f) => f.severity === 'error');
  if (errors.length) findings.push(fail('gate/card-invalid', `the model card has ${errors.length} error${errors.length === 1 ? '' : 's'}: ${errors.slice(0, 3).map((f) => f.ruleId).join(', ')}${errors.length > 3 ? ', …' : ''}`, { file: c.file, range: errors[0].range }));
  const reviewed = c.facts?.reviewed;
  const maxAge = p.modelCard.maxAgeDays;
  if (!reviewed) findings.push(fail('gate/card-stale', 'the card states no review or build date (security.last_security_review)', { file: c.file }));
  else {
    const age = Math.floor((now.getTime() - Date.parse(reviewed.date)) / 86_400_000);
    if (age > maxAge) findings.push(fail('gate/card-stale', `${reviewed.fact.key} is ${reviewed.fact.value}: ${age} days old, over the ${maxAge}-day limit`, { file: c.file, range: reviewed.fact.range }));
  }
  const okReasons = [`${path.basename(c.file)}: no errors`];
  if (reviewed) okReasons.push(`${reviewed.fact.label.toLowerCase()} ${reviewed.fact.value} (within ${maxAge} days)`);
  return check('model-card', title, findings, okReasons);
}

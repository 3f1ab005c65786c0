import path from 'node:path';
import { atLeast, type Finding } from '../findings.ts';
import { vulnRank, type Vulnerability } from '../tools/vulnerabilities.ts';
import type { Evidence } from './evidence.ts';
import type { GatePolicy, LoadedPolicy } from './policy.ts';
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
    p.sbom.enabled ? sbomCheck(evidence, p) : skipped('sbom', 'SBOM present'),
    p.vulnerabilities.enabled ? vulnerabilityCheck(evidence, p) : skipped('vulnerabilities', 'Vulnerabilities'),
    p.modelCard.enabled ? cardCheck(evidence, p, now) : skipped('model-card', 'Model card valid and fresh'),
  ];
  if (evidence.incomplete.length) {
    // An incomplete inspection blocks whichever check it touches; keep it visible on its own too.
    checks.push({
      id: 'scan',
      title: 'Inspection complete',
      status: 'fail',
      reasons: evidence.incomplete.map((f) => f.message),
      findings: evidence.incomplete.map((f) => ({ ...f, severity: 'error' as const })),
    });
  }
  const findings = checks.flatMap((c) => c.findings);
  return {
    passed: checks.every((c) => c.status !== 'fail'),
    checks,
    findings,
    policyFile: loaded.file,
    evaluatedAt: now.toISOString(),
  };
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
  const where = loaded.file
    ? `policy ${path.basename(loaded.file)}`
    : loaded.notSearched
      ? `default policy: ${loaded.notSearched}`
      : 'no .model-inspect.yaml above the model folder: default policy';
  // A policy inside the model is the model's own say in how it is judged: shown, never read.
  const ignored: Finding[] = (loaded.ignored ?? []).map((file) => ({
    ruleId: 'gate/policy-in-model',
    severity: 'warning',
    message: `${path.basename(file)} inside the inspected folder was ignored: a model cannot set the policy it is judged by (policies come from --policy, the settings, or a .model-inspect.yaml above the model folder)`,
    file,
  }));
  if (errors.length)
    return {
      id: 'policy',
      title: 'Policy',
      status: 'fail',
      reasons: [...errors, ...ignored].map((f) => f.message),
      findings: [...errors, ...ignored],
    };
  return {
    id: 'policy',
    title: 'Policy',
    status: 'pass',
    reasons: [where, ...ignored.map((f) => f.message)],
    findings: ignored,
  };
}

const isUnder = (dir: string, p: string) => p === dir || p.startsWith(dir + path.sep);
const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;

/**
 * Coverage: a file counts as signed only when a signature that verified, from an expected signer,
 * covers it (a model.sig whose manifest matched the file, or the file's own signature). Any
 * signature that does not verify fails the check and names what changed. By default every file
 * of the model must be covered (`gate.signatures.cover: all-files`), not only the weight files:
 * a `modeling_*.py` that `config.json` points at runs as surely as a pickle.
 */
function signatureCheck(ev: Evidence, p: GatePolicy): GateCheck {
  const title = 'Signatures';
  const sig = ev.signatures;
  if (!sig.available)
    return check(
      'signatures',
      title,
      [
        fail('gate/signature-missing', `signatures were not verified: ${sig.note ?? 'no signature engine'}`, {
          file: ev.root,
        }),
      ],
      [],
    );
  const findings: Finding[] = [];
  for (const s of sig.results.filter((x) => !x.verified)) {
    const name = path.basename(s.signatureFile);
    if (s.signerRejected) {
      findings.push(fail('gate/signer-not-allowed', `${name}: ${s.failures.join('; ')}`, { file: s.signatureFile }));
      continue;
    }
    const m = s.manifest;
    const listed = m ? [...m.changed, ...m.added, ...m.removed] : [];
    for (const f of m?.changed ?? [])
      findings.push(fail('gate/signature-invalid', `${name}: ${rel(ev, f)} was changed after signing`, { file: f }));
    for (const f of m?.added ?? [])
      findings.push(
        fail('gate/signature-invalid', `${name}: ${rel(ev, f)} was added after signing (no signature covers it)`, {
          file: f,
        }),
      );
    for (const f of m?.removed ?? [])
      findings.push(
        fail('gate/signature-invalid', `${name}: ${rel(ev, f)} was signed but is missing`, { file: path.dirname(f) }),
      );
    const other = s.failures.filter((f) => !listed.length || !/^(changed|missing|extra) files/.test(f));
    if (other.length || !listed.length)
      findings.push(
        fail('gate/signature-invalid', `${name} does not verify${other.length ? `: ${other.join('; ')}` : ''}`, {
          file: s.signatureFile,
        }),
      );
  }
  const good = sig.results.filter((x) => x.verified);
  const signatureFiles = new Set(sig.results.map((s) => path.resolve(s.signatureFile)));
  const covered = coveredFiles(ev);
  const coveredFolders = good.flatMap((s) => s.coversFolders ?? []);
  const allowed = (relPath: string) => allowedUnsigned(p, relPath);
  // Weight files by name, and every file the scanner read as a model (its content is a pickle, a
  // zip checkpoint, …, or its name says weights in the scanner's list): `encoder.bin` or `clf.sav`
  // holding a pickle are weights whatever the name-based list says, and must be signed like them.
  const weights = new Set([...ev.weightFiles, ...ev.scan.files].map((w) => path.resolve(w.path)));
  const mustCover = (abs: string, relPath: string) =>
    !allowed(relPath) && (p.signatures.cover === 'all-files' || weights.has(path.resolve(abs)));
  const ignoredBy = (abs: string) => good.find((s) => (s.ignored ?? []).some((i) => isUnder(i, abs)));
  const uncovered: string[] = [];
  // A private key in the folder blocks as what it is (a leaked secret), not as an unsigned file.
  const privateKeys = sig.findings.filter((f) => f.ruleId === 'signing/private-key-in-model');
  findings.push(...privateKeys);
  const keyFiles = new Set(privateKeys.map((f) => path.resolve(f.file ?? '')));
  for (const f of ev.files) {
    const abs = path.resolve(f.path);
    if (signatureFiles.has(abs) || covered.has(abs) || keyFiles.has(abs) || !mustCover(abs, f.rel)) continue;
    uncovered.push(f.rel);
    const by = ignoredBy(abs);
    findings.push(
      fail(
        'gate/signature-missing',
        `${f.rel} is not covered by a verified signature from an expected signer${by ? ` (${path.basename(by.signatureFile)}'s signer ignored it)` : ''}`,
        { file: f.path },
      ),
    );
  }
  if (p.signatures.cover === 'all-files') {
    for (const d of ev.skipped) {
      if (coveredFolders.includes(d.path) || allowed(d.rel)) continue;
      uncovered.push(`${d.rel}/`);
      findings.push(
        fail(
          'gate/signature-missing',
          `${d.rel}/ (${plural(d.entries, 'entry').replace('entrys', 'entries')}, not read by the gate) is not covered by a verified signature from an expected signer`,
          { file: d.path },
        ),
      );
    }
  }
  const content = ev.files.filter((f) => !signatureFiles.has(path.resolve(f.path)));
  if (!content.length && !ev.skipped.length)
    findings.push(
      fail('gate/signature-missing', 'the folder holds no files: there is nothing a signature vouches for', {
        file: ev.root,
      }),
    );
  for (const r of sig.expectations?.refused ?? []) findings.push(fail('gate/signature-missing', r, { file: ev.root }));
  if (
    !good.length &&
    !sig.results.length &&
    content.length &&
    !findings.some((f) => f.ruleId === 'gate/signature-missing')
  )
    findings.push(fail('gate/signature-missing', 'no signature in the model folder', { file: ev.root }));
  const signers = [...new Set(good.map((s) => s.identity ?? s.key ?? 'key'))];
  const n = content.filter((f) => covered.has(path.resolve(f.path))).length;
  const reasons = [
    `${plural(n, 'file')} covered by ${plural(good.length, 'verified signature')}${signers.length ? ` (${signers.join(', ')})` : ''}${p.signatures.cover === 'weight-files' ? '; only weight files must be covered (gate.signatures.cover: weight-files)' : ''}`,
  ];
  reasons.push(...(sig.expectations?.notes ?? []));
  return check('signatures', title, findings, reasons);
}

/** Files a verified signature from an expected signer vouches for (absolute, resolved). */
function coveredFiles(ev: Evidence): Set<string> {
  return new Set(ev.signatures.results.filter((x) => x.verified).flatMap((s) => s.covers.map((f) => path.resolve(f))));
}

/** `gate.signatures.allow_unsigned`: paths (a folder covers what it holds) the policy lets stay unsigned. */
function allowedUnsigned(p: GatePolicy, relPath: string): boolean {
  return p.signatures.allowUnsigned.some((a) => {
    const x = a
      .replace(/\\/g, '/')
      .replace(/^\.\/+/, '')
      .replace(/\/+$/, '');
    return x === '' || x === '.' || relPath === x || relPath.startsWith(`${x}/`);
  });
}

function rel(ev: Evidence, abs: string): string {
  const r = path.relative(ev.root, abs).split(path.sep).join('/');
  return r && !r.startsWith('..') ? r : path.basename(abs);
}

/** `git://github.com/acme/ml-models@abc123`, `https://github.com/acme/ml-models.git` → `github.com/acme/ml-models`. */
export function normaliseRepository(s: string): string {
  let r = s
    .trim()
    .replace(/^git\+/, '')
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/^git@([^:]+):/, '$1/');
  r = r.replace(/^[^@/]+@(?=[^/]+\.[^/]+\/)/, ''); // user@host/
  r = r
    .replace(/[?#].*$/, '')
    .replace(/@[^/]*$/, '')
    .replace(/\/+$/, '')
    .replace(/\.git$/, '');
  // GitHub URLs to a tree/commit/workflow are still the repository
  r = r.replace(/^(github\.com\/[^/]+\/[^/]+)\/.*$/i, '$1');
  const slash = r.indexOf('/');
  return slash < 0 ? r.toLowerCase() : r.slice(0, slash).toLowerCase() + r.slice(slash).toLowerCase();
}

function provenanceCheck(ev: Evidence, p: GatePolicy): GateCheck {
  const title = 'Provenance';
  const expected = p.provenance.sourceRepository;
  if (!expected)
    return {
      id: 'provenance',
      title,
      status: 'skip',
      reasons: ['no gate.provenance.source_repository in the policy'],
      findings: [],
    };
  const want = normaliseRepository(expected);
  const findings: Finding[] = [];
  const matching = ev.provenance.filter((c) => normaliseRepository(c.repository) === want);
  for (const c of ev.provenance) {
    if (normaliseRepository(c.repository) !== want)
      findings.push(
        fail('gate/provenance-mismatch', `${c.source} names ${c.repository}, not ${expected}`, {
          file: c.file,
          range: c.range,
        }),
      );
  }
  const acceptable = p.provenance.requireVerified ? matching.filter((c) => c.verified) : matching;
  // Verified provenance speaks for the files its signature or attestation covers: an attestation of
  // the release's tokenizer.json, copied beside other weights, says nothing about where they came from.
  if (p.provenance.requireVerified && acceptable.length && acceptable.every((c) => c.covers)) {
    const vouched = new Set(acceptable.flatMap((c) => c.covers!.map((f) => path.resolve(f))));
    const weights = [
      ...new Map([...ev.weightFiles, ...ev.scan.files].map((w) => [path.resolve(w.path), w.path])).entries(),
    ];
    const outside = weights
      .filter(([abs]) => !vouched.has(abs))
      .map(([, f]) => rel(ev, f))
      .sort();
    if (outside.length) {
      findings.push(
        fail(
          'gate/provenance-missing',
          `the verified provenance from ${expected} (${acceptable.map((c) => c.source).join(', ')}) does not cover ${outside.length === 1 ? 'the weight file' : 'the weight files'} ${outside.slice(0, 10).join(', ')}${outside.length > 10 ? `, and ${outside.length - 10} more` : ''}: where ${outside.length === 1 ? 'it was' : 'they were'} built is not known`,
          { file: ev.root },
        ),
      );
    }
  }
  if (!acceptable.length && !findings.length) {
    findings.push(
      fail(
        'gate/provenance-missing',
        p.provenance.requireVerified && matching.length
          ? `only unverified claims name ${expected} (${matching.map((c) => c.source).join(', ')}); the policy requires verified provenance (a signing certificate or attestation)`
          : `nothing states that the model was built from ${expected}`,
        { file: matching[0]?.file ?? ev.card.file ?? ev.root },
      ),
    );
  }
  return check(
    'provenance',
    title,
    findings,
    acceptable.map((c) => `${c.source}: ${c.repository}${c.verified ? ' (verified)' : ' (claimed, not verified)'}`),
  );
}

function scanCheck(ev: Evidence, p: GatePolicy): GateCheck {
  const title = 'No dangerous content';
  const findings: Finding[] = [];
  if (!ev.scan.available) {
    if (ev.weightFiles.length)
      findings.push(
        fail('gate/scan-unavailable', `weight files were not scanned: ${ev.scan.note ?? 'no scanner'}`, {
          file: ev.root,
        }),
      );
    return check('scan', title, findings, ['no weight files to scan']);
  }
  for (const f of ev.scan.files) {
    if (!f.complete) {
      // Say why, in the scanner's words, when it said (a limit, an unknown format, a read error).
      const why = f.findings.find((x) => /incomplete|unknown-format|not scanned/.test(`${x.ruleId} ${x.message}`));
      findings.push(
        fail(
          'gate/scan-unavailable',
          `${path.basename(f.path)} was only partly scanned${why ? ` (${why.message})` : ' (a limit or an error)'}: not known to be safe`,
          { file: f.path },
        ),
      );
    }
    for (const x of f.findings) {
      if (!atLeast(x.severity, p.scan.blockAt) || x.ruleId === 'gate/incomplete') continue;
      findings.push({
        ...fail(
          'gate/dangerous-content',
          `${path.basename(f.path)}${x.member ? `!${x.member}` : ''}: ${x.message} (${x.ruleId})`,
          { file: x.file ?? f.path },
        ),
        offset: x.offset,
        member: x.member,
      });
    }
  }
  const scanned = new Set(ev.scan.files.map((f) => path.resolve(f.path)));
  for (const w of ev.weightFiles)
    if (!scanned.has(path.resolve(w.path)))
      findings.push(fail('gate/scan-unavailable', `${w.rel} was not scanned`, { file: w.path }));
  const unanalysed = ev.scan.notAnalysed ?? [];
  if (p.scan.notAnalysed === 'block')
    for (const n of unanalysed)
      findings.push(
        fail(
          'gate/not-analysed',
          `${n.rel} (${n.size} bytes) ${n.detail}; the policy blocks files that are not analysed (scan.not_analysed: block)`,
          { file: n.path },
        ),
      );
  const listed =
    p.scan.notAnalysed === 'warn' && unanalysed.length
      ? [
          `${unanalysed.length} file${unanalysed.length === 1 ? '' : 's'} not analysed (scan.not_analysed: warn): ${unanalysed
            .slice(0, 5)
            .map((n) => `${n.rel} (${n.size} bytes)`)
            .join(', ')}${unanalysed.length > 5 ? ', …' : ''}`,
        ]
      : [];
  return check('scan', title, findings, [
    `${ev.scan.files.length} file${ev.scan.files.length === 1 ? '' : 's'} scanned, nothing at or above ${p.scan.blockAt}`,
    ...listed,
  ]);
}

function sbomCheck(ev: Evidence, p: GatePolicy): GateCheck {
  const sboms = ev.sbom.sboms;
  const findings = sboms.length
    ? []
    : [
        fail(
          'gate/sbom-missing',
          `no readable CycloneDX or SPDX JSON SBOM in the folder${ev.card.facts?.sbomRef ? ` or at sbom_ref '${ev.card.facts.sbomRef.value}'` : ''}`,
          ev.card.facts?.sbomRef ? { file: ev.card.file, range: ev.card.facts.sbomRef.range } : { file: ev.root },
        ),
      ];
  // An SBOM the model ships is the publisher's word, as a vulnerability report is: it says "this is
  // what the model holds" only when a verified signature from an expected signer vouches for it
  // (or the policy lets it stay unsigned, or checks no signatures at all).
  const covered = coveredFiles(ev);
  const modelFiles = new Map(ev.files.map((f) => [path.resolve(f.path), f.rel]));
  const unvouched = sboms.filter((s) => {
    const relPath = modelFiles.get(path.resolve(s.file));
    return (
      relPath !== undefined &&
      p.signatures.enabled &&
      !covered.has(path.resolve(s.file)) &&
      !allowedUnsigned(p, relPath)
    );
  });
  if (sboms.length && unvouched.length === sboms.length) {
    for (const s of unvouched)
      findings.push(
        fail(
          'gate/sbom-missing',
          `${modelFiles.get(path.resolve(s.file))} is not covered by a verified signature from an expected signer: an SBOM the model ships unsigned is the publisher's claim (sign it, or list it in gate.signatures.allow_unsigned)`,
          { file: s.file },
        ),
      );
  }
  return check(
    'sbom',
    'SBOM present',
    findings,
    sboms.map(
      (s) =>
        `${path.basename(s.file)}: ${s.format === 'cyclonedx' ? 'CycloneDX' : 'SPDX'} ${s.specVersion.replace(/^SPDX-/, '')}, ${s.components.length} component${s.components.length === 1 ? '' : 's'}`,
    ),
  );
}

function vulnerabilityCheck(ev: Evidence, p: GatePolicy): GateCheck {
  const title = `No vulnerabilities at or above ${p.vulnerabilities.blockAt}`;
  const v = ev.vulnerabilities;
  if (!v.reports.length) {
    if (!p.vulnerabilities.requireReport)
      return {
        id: 'vulnerabilities',
        title,
        status: 'pass',
        reasons: ['no vulnerability report, and the policy does not require one'],
        findings: [],
      };
    return check(
      'vulnerabilities',
      title,
      [
        fail(
          'gate/vulnerability-report-missing',
          'no vulnerability report (grype or trivy JSON, or a CycloneDX SBOM with vulnerabilities) in the folder, and no scanner was run',
          { file: ev.root },
        ),
      ],
      [],
    );
  }
  // A report the model ships is the publisher's word: it can say "no vulnerabilities" only when a
  // verified signature from an expected signer vouches for it (or the policy lets it stay
  // unsigned, or checks no signatures at all). What any report lists counts either way.
  const covered = coveredFiles(ev);
  const modelFiles = new Map(ev.files.map((f) => [path.resolve(f.path), f.rel]));
  const unvouched = v.reports.filter((r) => {
    const relPath = modelFiles.get(path.resolve(r));
    return (
      relPath !== undefined && p.signatures.enabled && !covered.has(path.resolve(r)) && !allowedUnsigned(p, relPath)
    );
  });
  const findings: Finding[] = [];
  if (unvouched.length === v.reports.length && p.vulnerabilities.requireReport) {
    for (const r of unvouched)
      findings.push(
        fail(
          'gate/vulnerability-report-missing',
          `${modelFiles.get(path.resolve(r))} is not covered by a verified signature from an expected signer: a report the model ships unsigned is the publisher's claim, not a scan (sign it, list it in gate.signatures.allow_unsigned, or run grype or trivy)`,
          { file: r },
        ),
      );
  }
  const ignore = new Set(p.vulnerabilities.ignore);
  const blocking = dedupe(v.vulnerabilities).filter(
    (x) => vulnRank(x.severity) >= vulnRank(p.vulnerabilities.blockAt) && !ignore.has(x.id),
  );
  findings.push(
    ...blocking.map((x) =>
      fail(
        'gate/vulnerable-dependency',
        `${x.id} (${x.severity}) in ${x.package}${x.version ? ` ${x.version}` : ''}${x.fixedIn.length ? `; fixed in ${x.fixedIn.join(', ')}` : '; no fix yet'}`,
        { file: x.file },
      ),
    ),
  );
  const ignored = v.vulnerabilities.filter((x) => ignore.has(x.id)).length;
  const vouched = v.reports.length - unvouched.length;
  return check('vulnerabilities', title, findings, [
    `${v.vulnerabilities.length} vulnerabilit${v.vulnerabilities.length === 1 ? 'y' : 'ies'} in ${v.reports.length} report${v.reports.length === 1 ? '' : 's'}${unvouched.length ? ` (${vouched} signed or run here)` : ''}, none at or above ${p.vulnerabilities.blockAt}${ignored ? ` (${ignored} ignored by the policy)` : ''}`,
  ]);
}

/**
 * The card's claims compared with what was verified: a card is evidence, and a card that says
 * something the verified evidence contradicts is wrong (or lying), whatever else it gets right.
 */
function claimMismatches(ev: Evidence, p: GatePolicy): Finding[] {
  const out: Finding[] = [];
  const facts = ev.card.facts?.facts ?? [];
  const signedBy = facts.find((f) => f.key === 'provenance.build_environment.signed_by');
  const keyless = ev.signatures.results.filter((s) => s.verified && s.identity);
  if (signedBy && keyless.length && !keyless.some((s) => s.identity === signedBy.value)) {
    out.push(
      fail(
        'gate/card-claim-mismatch',
        `the card says it was signed by ${signedBy.value}, but the verified signature${keyless.length === 1 ? ' was' : 's were'} made by ${[...new Set(keyless.map((s) => s.identity))].join(', ')}`,
        { file: ev.card.file, range: signedBy.range },
      ),
    );
  }
  const scan = facts.find((f) => f.key === 'security.vulnerability_scan');
  const ignore = new Set(p.vulnerabilities.ignore);
  const found = dedupe(ev.vulnerabilities.vulnerabilities).filter((v) => !ignore.has(v.id));
  if (scan && /^(clean|passed|pass|none|no vulnerabilities)$/i.test(scan.value.trim()) && found.length) {
    out.push(
      fail(
        'gate/card-claim-mismatch',
        `the card says the vulnerability scan is '${scan.value}', but ${plural(found.length, 'vulnerability').replace('vulnerabilitys', 'vulnerabilities')} ${found.length === 1 ? 'is' : 'are'} listed (${found
          .slice(0, 3)
          .map((v) => v.id)
          .join(', ')}${found.length > 3 ? ', …' : ''})`,
        { file: ev.card.file, range: scan.range },
      ),
    );
  }
  return out;
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
  if (!c.file)
    return check(
      'model-card',
      title,
      [
        fail(
          'gate/card-missing',
          'no model card (model-card.yaml, or README.md with front matter) in the model folder',
          { file: ev.root },
        ),
      ],
      [],
    );
  const findings: Finding[] = [];
  const errors = c.findings.filter((f) => f.severity === 'error');
  // A scan claim without evidence is an info by default; a policy that asks for scan evidence blocks on it.
  const unsupported = p.modelCard.requireScanEvidence
    ? c.findings.filter((f) => f.ruleId === 'card/unsupported-scan-claim' && f.severity !== 'error')
    : [];
  for (const f of unsupported)
    findings.push(
      fail('gate/card-invalid', `the policy requires scan evidence (model_card.require_scan_evidence): ${f.message}`, {
        file: c.file,
        range: f.range,
      }),
    );
  if (errors.length)
    findings.push(
      fail(
        'gate/card-invalid',
        `the model card has ${errors.length} error${errors.length === 1 ? '' : 's'}: ${errors
          .slice(0, 3)
          .map((f) => f.ruleId)
          .join(', ')}${errors.length > 3 ? ', …' : ''}`,
        { file: c.file, range: errors[0].range },
      ),
    );
  const reviewed = c.facts?.reviewed;
  const maxAge = p.modelCard.maxAgeDays;
  if (!reviewed)
    findings.push(
      fail('gate/card-stale', 'the card states no review or build date (security.last_security_review)', {
        file: c.file,
      }),
    );
  else {
    const age = Math.floor((now.getTime() - Date.parse(reviewed.date)) / 86_400_000);
    if (age > maxAge)
      findings.push(
        fail(
          'gate/card-stale',
          `${reviewed.fact.key} is ${reviewed.fact.value}: ${age} days old, over the ${maxAge}-day limit`,
          { file: c.file, range: reviewed.fact.range },
        ),
      );
  }
  findings.push(...claimMismatches(ev, p));
  const okReasons = [`${path.basename(c.file)}: no errors`];
  if (reviewed) okReasons.push(`${reviewed.fact.label.toLowerCase()} ${reviewed.fact.value} (within ${maxAge} days)`);
  return check('model-card', title, findings, okReasons);
}

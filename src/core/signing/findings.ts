import path from 'node:path';
import type { Finding } from '../findings.ts';
import type { SignatureResult } from './types.ts';

/** Turns a signature result into findings: one per failed check, with the rule that names the check. */

const RULE_BY_PREFIX: readonly [RegExp, string][] = [
  [/^(certificate identity|OIDC issuer|identity not checked)/, 'signing/identity-mismatch'],
  [
    /^(changed files|missing files|extra files|file .* is not listed|manifest:|model folder:)/,
    'signing/manifest-mismatch',
  ],
  [/^subject digest/, 'signing/subject-mismatch'],
  [/^(builder id|source repository|signer:)/, 'signing/provenance-mismatch'],
  [/^trusted root/, 'signing/trusted-root-invalid'],
  [
    /^(public key|certificate chain): .*(none was given|no public key was given|no CA certificate was given)/,
    'signing/key-required',
  ],
  [/^(model signature: predicate type|hash type)/, 'signing/unsupported-format'],
];

export function ruleForFailure(message: string): string {
  for (const [re, id] of RULE_BY_PREFIX) if (re.test(message)) return id;
  return 'signing/invalid-signature';
}

export function resultFindings(r: SignatureResult): Finding[] {
  const sig = path.basename(r.signatureFile);
  const data = (extra: Record<string, string | number | boolean | null> = {}) => ({
    signatureFile: r.signatureFile,
    format: r.format,
    ...extra,
  });
  if (r.verified) {
    const who = r.identity
      ? `signed by ${r.identity}${r.issuer ? ` (${r.issuer})` : ''}`
      : r.key
        ? `signed with ${r.key}`
        : 'signed';
    return [
      {
        ruleId: 'signing/verified',
        severity: 'info',
        message: `${sig} verified (${r.format}): ${who}${r.time ? ` at ${r.time}` : ''}${r.tlog?.length ? `, transparency log index ${r.tlog[0].logIndex}` : ''}`,
        file: r.file,
        data: data({ identity: r.identity ?? null, issuer: r.issuer ?? null, time: r.time ?? null }),
      },
    ];
  }
  const out: Finding[] = [];
  for (const f of r.failures) {
    const ruleId = ruleForFailure(f);
    // Manifest differences also point at each file, so the explorer and the problems list show where.
    if (ruleId === 'signing/manifest-mismatch' && r.manifest) continue;
    out.push({ ruleId, severity: 'error', message: `${sig}: ${f}`, file: r.file, data: data() });
  }
  if (r.manifest) {
    const root = r.manifest.root;
    const each = (names: string[], what: string) => {
      for (const n of names)
        out.push({
          ruleId: 'signing/manifest-mismatch',
          severity: 'error',
          message: `${sig}: ${n} ${what}`,
          file: n === '.' ? r.file : path.join(root, n),
          data: data({ member: n }),
        });
    };
    each(r.manifest.changed, 'was changed after signing (its digest differs from the signed one)');
    each(r.manifest.missing, 'is signed but missing from the folder');
    each(r.manifest.extra, 'is in the folder but not signed (and not ignored)');
    for (const f of r.failures)
      if (ruleForFailure(f) === 'signing/manifest-mismatch' && !/^(changed|missing|extra) files/.test(f))
        out.push({
          ruleId: 'signing/manifest-mismatch',
          severity: 'error',
          message: `${sig}: ${f}`,
          file: r.file,
          data: data(),
        });
  }
  return out;
}

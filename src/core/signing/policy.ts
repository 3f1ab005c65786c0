import type { IdentityPolicy, SignerPattern } from './types.ts';

/**
 * Who may sign: expected identities (certificate SAN) and OIDC issuers, exact or as regular
 * expressions. sigstore-js matches identities with an unanchored `String.match`, so
 * `user@example.com` would accept `user@exampleXcom.evil`; here exact values are compared exactly
 * and a regular expression must match the whole value, which the pattern cannot escape: a pattern
 * is compiled on its own first (so `a)|(.*` is refused instead of closing the anchor's group),
 * then wrapped as `^(?:…)$`. Expectations may come from a repository's policy and identities from
 * someone else's certificate, so patterns that can backtrack exponentially are refused too.
 */

export class PolicyInputError extends Error {
  override name = 'PolicyInputError';
}

export type { SignerPattern } from './types.ts';

export interface Matcher {
  /** How the expectation reads in a message. */
  describe: string;
  test(value: string | undefined): boolean;
}

/** Identities and issuers longer than this are never matched (bounds regex work on hostile certificates). */
export const MAX_IDENTITY_LENGTH = 2048;

/** Why a pattern is refused: a quantified group that itself holds a quantifier (catastrophic backtracking), or a backreference. */
export function unsafeRegex(source: string): string | undefined {
  if (/\((?:[^()\\]|\\.)*[*+}](?:[^()\\]|\\.)*\)\s*[*+{]/.test(source))
    return 'a quantified group that contains a quantifier can take exponential time';
  if (/\\[1-9]|\\k</.test(source)) return 'backreferences are not allowed';
  return undefined;
}

/**
 * A regular expression that matches `pattern` against a whole value only. Throws PolicyInputError
 * when the pattern does not compile on its own (an unbalanced `)` would close the anchoring group
 * from inside), uses flags that move the anchors (`m`) or keep state (`g`, `y`), or can backtrack
 * exponentially.
 */
export function wholeMatch(pattern: string, flags = ''): RegExp {
  const bad = flags.replace(/[is]/g, '');
  if (bad)
    throw new PolicyInputError(
      `regular expression ${JSON.stringify(pattern)}: flag${bad.length > 1 ? 's' : ''} '${bad}' not allowed (only i and s; m would let ^ and $ match inside the value)`,
    );
  const f = `u${[...new Set(flags)].join('')}`;
  try {
    new RegExp(pattern, f);
  } catch (e) {
    throw new PolicyInputError(
      `invalid regular expression ${JSON.stringify(pattern)}: ${(e as Error).message.replace(/^Invalid regular expression: /, '')} (a pattern must compile on its own; it is then matched against the whole value)`,
    );
  }
  const unsafe = unsafeRegex(pattern);
  if (unsafe) throw new PolicyInputError(`regular expression ${JSON.stringify(pattern)}: ${unsafe}`);
  // Compiled alone, the pattern's groups balance, so inside `(?:…)` it is one alternative that
  // the anchors bind: nothing in it can close the group and add an unanchored branch.
  return new RegExp(`^(?:${pattern})$`, f);
}

export function compilePattern(p: SignerPattern): Matcher {
  if ('exact' in p) return { describe: JSON.stringify(p.exact), test: (v) => v === p.exact };
  const re = wholeMatch(p.regexp, p.flags);
  return {
    describe: `matching /${p.regexp}/${p.flags ?? ''} (whole value)`,
    test: (v) => v !== undefined && v.length <= MAX_IDENTITY_LENGTH && re.test(v),
  };
}

/** `/re/flags` in a policy list is a regular expression; anything else is an exact value. */
export function parsePolicyPattern(s: string): SignerPattern {
  const m = /^\/(.+)\/([a-z]*)$/s.exec(s);
  return m ? { regexp: m[1], flags: m[2] || undefined } : { exact: s };
}

export function describePattern(p: SignerPattern): string {
  return 'exact' in p ? p.exact : `/${p.regexp}/${p.flags ?? ''}`;
}

export interface CompiledPolicy {
  identities: Matcher[];
  issuers: Matcher[];
}

export function compileSigners(
  identities: readonly SignerPattern[],
  issuers: readonly SignerPattern[],
): CompiledPolicy {
  return { identities: identities.map(compilePattern), issuers: issuers.map(compilePattern) };
}

/** The single-value flags of cosign (`--certificate-identity` and friends) as pattern lists. */
export function identityPatterns(p: IdentityPolicy): { identities: SignerPattern[]; issuers: SignerPattern[] } {
  const one = (exact: string | undefined, regexp: string | undefined, what: string): SignerPattern[] => {
    if (exact && regexp)
      throw new PolicyInputError(`give either the exact ${what} or a regular expression for it, not both`);
    return exact ? [{ exact }] : regexp ? [{ regexp }] : [];
  };
  return {
    identities: one(
      p.certificateIdentity || undefined,
      p.certificateIdentityRegexp || undefined,
      'certificate identity',
    ),
    issuers: one(p.certificateOidcIssuer || undefined, p.certificateOidcIssuerRegexp || undefined, 'OIDC issuer'),
  };
}

const describeAll = (ms: readonly Matcher[]) => ms.map((m) => m.describe).join(' or ');

/**
 * Failures (in words) of a keyless signer against the expectations. cosign's rule: a certificate
 * proves only that someone signed, so an expected identity and an expected issuer are both needed.
 */
export function checkIdentity(
  policy: CompiledPolicy,
  identity: string | undefined,
  issuer: string | undefined,
  requireIdentity: boolean,
): string[] {
  const out: string[] = [];
  if (!policy.identities.length && !policy.issuers.length) {
    if (requireIdentity)
      out.push(
        `identity not checked: the certificate was issued to ${JSON.stringify(identity ?? '(no identity)')} by ${JSON.stringify(issuer ?? '(no issuer)')}, but no expected identity and issuer were given (command line, settings or the promotion policy; never the model card); any Sigstore user can produce a valid keyless signature`,
      );
    return out;
  }
  if (policy.identities.length && !policy.identities.some((m) => m.test(identity)))
    out.push(
      `certificate identity: expected ${describeAll(policy.identities)}, found ${JSON.stringify(identity ?? '(none)')}`,
    );
  else if (!policy.identities.length && requireIdentity)
    out.push('certificate identity not checked: an expected identity is required with the issuer');
  if (policy.issuers.length && !policy.issuers.some((m) => m.test(issuer)))
    out.push(`OIDC issuer: expected ${describeAll(policy.issuers)}, found ${JSON.stringify(issuer ?? '(none)')}`);
  else if (!policy.issuers.length && requireIdentity)
    out.push('OIDC issuer not checked: an expected issuer is required with the identity');
  return out;
}

/** The cosign-style single expectations (`--certificate-identity` …) compiled. */
export function compilePolicy(p: IdentityPolicy): CompiledPolicy {
  const x = identityPatterns(p);
  return compileSigners(x.identities, x.issuers);
}

/**
 * True when `value` matches one of a policy's entries (exact, or `/regex/flags` matched against the
 * whole value). Entries were validated when the policy was read; one that does not compile matches nothing.
 */
export function matchesAny(value: string | undefined, entries: readonly string[]): boolean {
  return entries.some((e) => {
    try {
      return compilePattern(parsePolicyPattern(e)).test(value);
    } catch {
      return false;
    }
  });
}

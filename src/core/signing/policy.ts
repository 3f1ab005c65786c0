import type { IdentityPolicy } from './types.ts';

/**
 * Identity policy for keyless signatures. sigstore-js matches identities with an unanchored
 * `String.match`, so `user@example.com` would accept `user@exampleXcom.evil`; here exact values are
 * compared exactly and regular expressions are always anchored at both ends, as cosign does.
 */

export class PolicyInputError extends Error {
  override name = 'PolicyInputError';
}

export interface Matcher {
  /** How the expectation reads in a message. */
  describe: string;
  test(value: string | undefined): boolean;
}

export function anchoredRegExp(pattern: string): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`, 'u');
  } catch (e) {
    throw new PolicyInputError(`invalid regular expression ${JSON.stringify(pattern)}: ${(e as Error).message}`);
  }
}

function matcher(exact: string | undefined, regexp: string | undefined, what: string): Matcher | undefined {
  if (exact !== undefined && regexp !== undefined) throw new PolicyInputError(`give either the exact ${what} or a regular expression for it, not both`);
  if (exact !== undefined) return { describe: JSON.stringify(exact), test: (v) => v === exact };
  if (regexp !== undefined) {
    const re = anchoredRegExp(regexp);
    return { describe: `matching /${re.source}/`, test: (v) => v !== undefined && re.test(v) };
  }
  return undefined;
}

export interface CompiledPolicy {
  identity?: Matcher;
  issuer?: Matcher;
}

export function compilePolicy(p: IdentityPolicy): CompiledPolicy {
  return {
    identity: matcher(nonEmpty(p.certificateIdentity), nonEmpty(p.certificateIdentityRegexp), 'certificate identity'),
    issuer: matcher(nonEmpty(p.certificateOidcIssuer), nonEmpty(p.certificateOidcIssuerRegexp), 'OIDC issuer'),
  };
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}

/** Failures (in words) of a signer's identity against the policy. */
export function checkIdentity(policy: CompiledPolicy, identity: string | undefined, issuer: string | undefined, requireIdentity: boolean): string[] {
  const out: string[] = [];
  if (!policy.identity && !policy.issuer) {
    if (requireIdentity) out.push(`identity not checked: the certificate was issued to ${JSON.stringify(identity ?? '(no identity)')} by ${JSON.stringify(issuer ?? '(no issuer)')}, but no expected identity and issuer were given (--certificate-identity / --certificate-oidc-issuer, or the modelInspect.signing settings); any Sigstore user can produce a valid keyless signature`);
    return out;
  }
  if (policy.identity && !policy.identity.test(identity)) out.push(`certificate identity: expected ${policy.identity.describe}, found ${JSON.stringify(identity ?? '(none)')}`);
  else if (!policy.identity && requireIdentity) out.push('certificate identity not checked: an expected identity is required with the issuer');
  if (policy.issuer && !policy.issuer.test(issuer)) out.push(`OIDC issuer: expected ${policy.issuer.describe}, found ${JSON.stringify(issuer ?? '(none)')}`);
  else if (!policy.issuer && requireIdentity) out.push('OIDC issuer not checked: an expected issuer is required with the identity');
  return out;
}

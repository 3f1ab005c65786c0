import fs from 'node:fs';
import path from 'node:path';
import type { ExpectationLayer } from '../core/signing/expectations.ts';
import { identityPatterns, PolicyInputError } from '../core/signing/policy.ts';
import { UsageError, type FlagSpec, type ParsedArgs } from './args.ts';

/**
 * The expectation flags shared by `verify`, `inspect` and `gate` (cosign's names), and the one
 * layer they make: the command line, which comes before the policy (see the README's trust model).
 */
export const EXPECTATION_FLAGS: Readonly<Record<string, FlagSpec>> = {
  key: {
    value: true,
    repeat: true,
    metavar: 'PUB',
    description: 'public key (PEM, e.g. cosign.pub) key signatures must verify with; repeat for several',
  },
  'certificate-identity': {
    value: true,
    metavar: 'ID',
    description: 'expected signer identity of keyless signatures (certificate SAN), exact',
  },
  'certificate-identity-regexp': {
    value: true,
    metavar: 'RE',
    description: 'expected signer identity, regular expression matched against the whole identity',
  },
  'certificate-oidc-issuer': {
    value: true,
    metavar: 'ISS',
    description: 'expected OIDC issuer of keyless signatures, exact',
  },
  'certificate-oidc-issuer-regexp': {
    value: true,
    metavar: 'RE',
    description: 'expected OIDC issuer, regular expression matched against the whole issuer',
  },
  'trusted-root': {
    value: true,
    metavar: 'FILE',
    description: 'Sigstore trusted_root.json (private instances; default: the shipped public-good root)',
  },
  'certificate-chain': {
    value: true,
    metavar: 'FILE',
    description: 'CA certificate(s) (PEM) for certificate-chain signatures (model_signing "certificate" mode)',
  },
  policy: {
    value: true,
    metavar: 'FILE',
    description:
      'promotion policy to use (default: the nearest .model-inspect.yaml above the inspected folder, up to the repository root)',
  },
};

/** The command line's expectations; file flags must name existing files. */
export function commandLineLayer(
  args: ParsedArgs,
  cwd: string,
  extra: Partial<ExpectationLayer> = {},
): ExpectationLayer {
  for (const flag of ['key', 'trusted-root', 'certificate-chain', 'policy']) {
    for (const f of args.all(flag))
      if (!fs.existsSync(path.resolve(cwd, f))) throw new Error(`--${flag}: no such file: ${f}`);
  }
  let patterns;
  try {
    patterns = identityPatterns({
      certificateIdentity: args.get('certificate-identity'),
      certificateIdentityRegexp: args.get('certificate-identity-regexp'),
      certificateOidcIssuer: args.get('certificate-oidc-issuer'),
      certificateOidcIssuerRegexp: args.get('certificate-oidc-issuer-regexp'),
    });
  } catch (e) {
    if (e instanceof PolicyInputError) throw new UsageError(e.message);
    throw e;
  }
  return {
    origin: 'command line',
    source: 'command-line flags',
    baseDir: cwd,
    keys: args.all('key'),
    identities: patterns.identities,
    issuers: patterns.issuers,
    trustedRoot: args.get('trusted-root'),
    certificateChain: args.get('certificate-chain'),
    ...extra,
  };
}

export function policyFlag(args: ParsedArgs, cwd: string): string | undefined {
  const p = args.get('policy');
  return p ? path.resolve(cwd, p) : undefined;
}

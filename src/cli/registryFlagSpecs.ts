/**
 * The flags of registry access and of what a registry signature must be: data only, so a command
 * can declare them without loading the registry client (it loads when a reference is given).
 */
import type { FlagSpec } from './args.ts';

export const REGISTRY_FLAGS: Readonly<Record<string, FlagSpec>> = {
  'registry-username': {
    value: true,
    metavar: 'USER',
    description: 'registry user name (with --registry-password-stdin)',
  },
  'registry-password-stdin': { description: 'read the registry password or token from standard input' },
  'registry-cacert': {
    value: true,
    metavar: 'PEM',
    description: "extra CA certificate(s) for the registry's TLS certificate",
  },
  'registry-credential-helpers': {
    description:
      'allow running the docker-credential-* helpers named in ~/.docker/config.json (credHelpers, credsStore)',
  },
  'allow-insecure-registry': {
    description: 'allow plain HTTP to a registry that is not localhost/127.0.0.1 (when it does not speak TLS)',
  },
  'registry-timeout': {
    value: true,
    metavar: 'SECONDS',
    description: 'give up on a registry connection idle this long (default 60)',
  },
  'registry-retries': {
    value: true,
    metavar: 'N',
    description: 'retries on 429, 5xx and connection errors, with backoff (default 3)',
  },
  'docker-config': {
    value: true,
    metavar: 'FILE',
    description:
      'Docker config with registry credentials (default $DOCKER_CONFIG/config.json or ~/.docker/config.json)',
  },
};

/** `sign REF` and `attest REF`: the registry flags, and whether a tag may stand for its digest. */
export const REF_SIGN_FLAGS: Readonly<Record<string, FlagSpec>> = {
  'allow-tag': {
    description: 'references: sign what a tag points at now (resolved to its digest once); without it a tag is refused',
  },
  ...REGISTRY_FLAGS,
};

/** Flags that name what a signature must be (cosign's names), shared by verify-like commands on references. */
export const TRUST_FLAGS: Readonly<Record<string, FlagSpec>> = {
  key: {
    value: true,
    repeat: true,
    metavar: 'PUB',
    description: 'public key (PEM, e.g. cosign.pub) a key signature must verify with (repeatable)',
  },
  'certificate-identity': {
    value: true,
    metavar: 'ID',
    description: 'expected signer identity (certificate SAN), exact',
  },
  'certificate-identity-regexp': {
    value: true,
    metavar: 'RE',
    description: 'expected signer identity, regular expression (anchored at both ends)',
  },
  'certificate-oidc-issuer': { value: true, metavar: 'ISS', description: 'expected OIDC issuer, exact' },
  'certificate-oidc-issuer-regexp': {
    value: true,
    metavar: 'RE',
    description: 'expected OIDC issuer, regular expression (anchored at both ends)',
  },
  'trusted-root': {
    value: true,
    metavar: 'FILE',
    description: 'Sigstore trusted_root.json (private instances; default: the shipped public-good root)',
  },
  'certificate-chain': {
    value: true,
    metavar: 'FILE',
    description: 'CA certificate(s) (PEM) of your own PKI that signing certificates must chain to',
  },
};

/**
 * Registry access on the command line: the flags every command that takes a reference shares,
 * the client built from them, and what the user trusts (keys, identities, CA) turned into a
 * RegistryTrust. Registry access is an online action: it only happens for a reference the user
 * typed, and the CLI says so on stderr before the first request.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { UsageError, type FlagSpec, type ParsedArgs } from './args.ts';
import type { CliIO } from './command.ts';
import { chainCredentials, dockerCredentials, staticCredentials } from '../core/registry/auth.ts';
import { RegistryClient } from '../core/registry/client.ts';
import { looksLikeReference, parseReference } from '../core/registry/reference.ts';
import type { RegistryTrust } from '../core/registry/signatures.ts';
import { parsePublicKey } from '../core/signing/keys.ts';
import { readCertificates } from '../core/signing/pki.ts';

export const REGISTRY_FLAGS: Readonly<Record<string, FlagSpec>> = {
  'registry-username': { value: true, metavar: 'USER', description: 'registry user name (with --registry-password-stdin)' },
  'registry-password-stdin': { description: 'read the registry password or token from standard input' },
  'registry-cacert': { value: true, metavar: 'PEM', description: 'extra CA certificate(s) for the registry\'s TLS certificate' },
  'registry-credential-helpers': { description: 'allow running the docker-credential-* helpers named in ~/.docker/config.json (credHelpers, credsStore)' },
  'allow-insecure-registry': { description: 'allow plain HTTP to a registry that is not localhost/127.0.0.1 (when it does not speak TLS)' },
  'registry-timeout': { value: true, metavar: 'SECONDS', description: 'give up on a registry connection idle this long (default 60)' },
  'registry-retries': { value: true, metavar: 'N', description: 'retries on 429, 5xx and connection errors, with backoff (default 3)' },
  'docker-config': { value: true, metavar: 'FILE', description: 'Docker config with registry credentials (default $DOCKER_CONFIG/config.json or ~/.docker/config.json)' },
};

/** `sign REF` and `attest REF`: the registry flags, and whether a tag may stand for its digest. */
export const REF_SIGN_FLAGS: Readonly<Record<string, FlagSpec>> = {
  'allow-tag': { description: 'references: sign what a tag points at now (resolved to its digest once); without it a tag is refused' },
  ...REGISTRY_FLAGS,
};

/** Flags that name what a signature must be (cosign's names), shared by verify-like commands on references. */
export const TRUST_FLAGS: Readonly<Record<string, FlagSpec>> = {
  key: { value: true, repeat: true, metavar: 'PUB', description: 'public key (PEM, e.g. cosign.pub) a key signature must verify with (repeatable)' },
  'certificate-identity': { value: true, metavar: 'ID', description: 'expected signer identity (certificate SAN), exact' },
  'certificate-identity-regexp': { value: true, metavar: 'RE', description: 'expected signer identity, regular expression (anchored at both ends)' },
  'certificate-oidc-issuer': { value: true, metavar: 'ISS', description: 'expected OIDC issuer, exact' },
  'certificate-oidc-issuer-regexp': { value: true, metavar: 'RE', description: 'expected OIDC issuer, regular expression (anchored at both ends)' },
  'trusted-root': { value: true, metavar: 'FILE', description: 'Sigstore trusted_root.json (private instances; default: the shipped public-good root)' },
  'certificate-chain': { value: true, metavar: 'FILE', description: 'CA certificate(s) (PEM) of your own PKI that signing certificates must chain to' },
};

/** True when a command-line argument is a registry reference rather than a path. */
export function isReferenceArgument(arg: string, cwd: string): boolean {
  if (/^oci:\/\//i.test(arg)) return true;
  if (fs.existsSync(path.resolve(cwd, arg))) return false;
  return looksLikeReference(arg);
}

async function readStdin(io: CliIO): Promise<string> {
  if (io.readStdin) return io.readStdin();
  const parts: Buffer[] = [];
  for await (const c of process.stdin) parts.push(c as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

function positiveNumber(args: ParsedArgs, flag: string): number | undefined {
  const v = args.get(flag);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${flag} must be a non-negative number, not '${v}'`);
  return n;
}

/** A registry client from the flags; credentials from the flags, then Docker's config. */
export async function registryClient(args: ParsedArgs, io: CliIO, reference: string): Promise<RegistryClient> {
  const registry = parseReference(reference).registry;
  let fromFlags;
  const user = args.get('registry-username');
  if (args.has('registry-password-stdin')) {
    if (!user) throw new UsageError('--registry-password-stdin needs --registry-username');
    const pw = (await readStdin(io)).replace(/\r?\n$/, '');
    fromFlags = staticCredentials(registry, user, pw);
  } else if (user) throw new UsageError('--registry-username needs --registry-password-stdin (passwords are never taken as arguments)');
  const cafile = args.get('registry-cacert');
  const timeout = positiveNumber(args, 'registry-timeout');
  const retries = positiveNumber(args, 'registry-retries');
  const helpersSkipped = new Set<string>();
  const client = new RegistryClient({
    credentials: chainCredentials(fromFlags, dockerCredentials({
      configFile: args.get('docker-config') ? path.resolve(io.cwd, args.get('docker-config')!) : undefined,
      allowHelpers: args.has('registry-credential-helpers'),
      env: io.env,
      onHelperSkipped: (helper, r) => {
        if (helpersSkipped.has(helper)) return;
        helpersSkipped.add(helper);
        io.stderr(`model-inspect: ~/.docker/config.json names the credential helper docker-credential-${helper} for ${r}; it is not run without --registry-credential-helpers\n`);
      },
    })),
    ca: cafile ? fs.readFileSync(path.resolve(io.cwd, cafile)) : undefined,
    allowInsecure: args.has('allow-insecure-registry'),
    idleTimeoutMs: timeout !== undefined ? timeout * 1000 : undefined,
    retries: retries !== undefined ? Math.floor(retries) : undefined,
    signal: io.signal,
  });
  io.stderr(`model-inspect: online: reading ${registry} for ${reference} (a reference you gave)\n`);
  return client;
}

/** What the user trusts, from TRUST_FLAGS (never from the registry). */
export function trustFromFlags(args: ParsedArgs, io: CliIO): RegistryTrust {
  const keys = args.all('key').map((k) => {
    const file = path.resolve(io.cwd, k);
    let text: string;
    try { text = fs.readFileSync(file, 'utf8'); } catch (e) { throw new Error(`--key ${k}: ${(e as Error).message}`); }
    return { key: parsePublicKey(text) as crypto.KeyObject, label: path.basename(k) };
  });
  const chain = args.get('certificate-chain');
  const caRoots = chain ? readCertificates(fs.readFileSync(path.resolve(io.cwd, chain), 'utf8')) : undefined;
  if (chain && !caRoots?.length) throw new UsageError(`--certificate-chain ${chain}: no PEM certificate in it`);
  const trustedRoot = args.get('trusted-root');
  return {
    keys,
    identity: {
      certificateIdentity: args.get('certificate-identity'),
      certificateIdentityRegexp: args.get('certificate-identity-regexp'),
      certificateOidcIssuer: args.get('certificate-oidc-issuer'),
      certificateOidcIssuerRegexp: args.get('certificate-oidc-issuer-regexp'),
    },
    trustedRoot: trustedRoot ? path.resolve(io.cwd, trustedRoot) : undefined,
    caRoots,
  };
}

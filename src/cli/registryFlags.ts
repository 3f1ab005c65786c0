/**
 * Registry access on the command line: the flags every command that takes a reference shares,
 * the client built from them, and what the user trusts (keys, identities, CA) turned into a
 * RegistryTrust. Registry access is an online action: it only happens for a reference the user
 * typed, and the CLI says so on stderr before the first request.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError, type ParsedArgs } from './args.ts';
import { REGISTRY_FLAGS, REF_SIGN_FLAGS, TRUST_FLAGS } from './registryFlagSpecs.ts';

export { REGISTRY_FLAGS, REF_SIGN_FLAGS, TRUST_FLAGS };
import type { CliIO } from './command.ts';
import { chainCredentials, dockerCredentials, staticCredentials } from '../core/registry/auth.ts';
import { RegistryClient } from '../core/registry/client.ts';
import { looksLikeReference, parseReference } from '../core/registry/reference.ts';
import type { RegistryTrust } from '../core/registry/signatures.ts';
import { trustFromExpectations } from '../core/registry/trust.ts';
import { policyLayer } from '../core/gate/index.ts';
import { loadPolicy, type LoadedPolicy } from '../core/gate/policy.ts';
import { resolveExpectations, type Expectations } from '../core/signing/expectations.ts';
import { PolicyInputError } from '../core/signing/policy.ts';
import { commandLineLayer, policyFlag } from './expectations.ts';

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
  } else if (user)
    throw new UsageError(
      '--registry-username needs --registry-password-stdin (passwords are never taken as arguments)',
    );
  const cafile = args.get('registry-cacert');
  const timeout = positiveNumber(args, 'registry-timeout');
  const retries = positiveNumber(args, 'registry-retries');
  const helpersSkipped = new Set<string>();
  const client = new RegistryClient({
    credentials: chainCredentials(
      fromFlags,
      dockerCredentials({
        configFile: args.get('docker-config') ? path.resolve(io.cwd, args.get('docker-config')!) : undefined,
        allowHelpers: args.has('registry-credential-helpers'),
        env: io.env,
        onHelperSkipped: (helper, r) => {
          if (helpersSkipped.has(helper)) return;
          helpersSkipped.add(helper);
          io.stderr(
            `model-inspect: ~/.docker/config.json names the credential helper docker-credential-${helper} for ${r}; it is not run without --registry-credential-helpers\n`,
          );
        },
      }),
    ),
    ca: cafile ? fs.readFileSync(path.resolve(io.cwd, cafile)) : undefined,
    allowInsecure: args.has('allow-insecure-registry'),
    idleTimeoutMs: timeout !== undefined ? timeout * 1000 : undefined,
    retries: retries !== undefined ? Math.floor(retries) : undefined,
    signal: io.signal,
    // MODEL_INSPECT_REGISTRY_LOG=1 lists every request (method, URL without credentials, status).
    onRequest: io.env.MODEL_INSPECT_REGISTRY_LOG
      ? (e) => io.stderr(`registry: ${e.method} ${e.url} ${e.status ?? e.error ?? ''}\n`)
      : undefined,
  });
  io.stderr(`model-inspect: online: reading ${registry} for ${reference} (a reference you gave)\n`);
  return client;
}

/**
 * What a registry signature must show, resolved as for folders (src/core/signing/expectations.ts):
 * the command line's signers, else the promotion policy's (`--policy`, else the nearest
 * `.model-inspect.yaml` from the working folder up); never anything read from the registry.
 */
export async function trustFromFlags(
  args: ParsedArgs,
  io: CliIO,
): Promise<{ trust: RegistryTrust; expectations: Expectations; policy: LoadedPolicy }> {
  let flags;
  let expectations: Expectations;
  let policy: LoadedPolicy;
  try {
    flags = commandLineLayer(args, io.cwd);
    // A reference has no folder of its own: the search starts in the working folder itself, as it
    // would for a model folder inside it (loadPolicy looks above the folder it is given).
    // The working folder is the user's own, not a download's: searched up to the top even outside a repository.
    policy = await loadPolicy(path.join(io.cwd, 'registry-reference'), {
      file: policyFlag(args, io.cwd),
      stopAt: path.parse(path.resolve(io.cwd)).root,
    });
    expectations = resolveExpectations([flags, policyLayer(policy, io.cwd)]);
  } catch (e) {
    if (e instanceof PolicyInputError) throw new UsageError(e.message);
    throw e;
  }
  const trust = trustFromExpectations(expectations);
  const builder = args.get('builder-id');
  const source = args.get('source-uri');
  if (builder) trust.provenance = { ...trust.provenance, builderId: builder };
  if (source) trust.provenance = { ...trust.provenance, sourceRepository: source };
  return { trust, expectations, policy };
}

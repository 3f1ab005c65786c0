import fs from 'node:fs';
import path from 'node:path';
import { UsageError, type ParsedArgs } from '../args.ts';
import type { CliIO, Command, CommandResult } from '../command.ts';
import { REF_SIGN_FLAGS, registryClient } from '../registryFlags.ts';
import {
  attestReference,
  PREDICATE_TYPES,
  signReference,
  TagRefusedError,
  type ImageSigner,
  type SignRefResult,
} from '../../core/registry/sign.ts';
import { loadPrivateKey } from '../../core/signing/privateKeys.ts';
import { PUBLIC_GOOD_FULCIO, PUBLIC_GOOD_REKOR } from '../../core/signing/endpoints.ts';
import { sanitize } from '../../core/output/text.ts';

/** The key password: COSIGN_PASSWORD (as cosign reads it), else a prompt on the terminal. */
async function password(io: CliIO, question: string): Promise<string> {
  if (io.env.COSIGN_PASSWORD !== undefined) return io.env.COSIGN_PASSWORD;
  if (!io.prompt) throw new Error('the key is encrypted: set COSIGN_PASSWORD or run in a terminal');
  return io.prompt(question, true);
}

/** A key signer from --key, or a keyless one (online) from --identity-token / SIGSTORE_ID_TOKEN / the CI. */
export async function imageSigner(args: ParsedArgs, io: CliIO): Promise<ImageSigner> {
  const keyFile = args.get('key');
  if (keyFile) {
    const text = fs.readFileSync(path.resolve(io.cwd, keyFile), 'utf8');
    return {
      kind: 'key',
      key: await loadPrivateKey(text, () => password(io, `Enter password for private key ${keyFile}: `)),
    };
  }
  const explicit = args.get('identity-token') ?? io.env.SIGSTORE_ID_TOKEN;
  if (!explicit && !io.env.ACTIONS_ID_TOKEN_REQUEST_URL)
    throw new UsageError(
      'no --key and no OIDC identity token: give --key KEY, or --identity-token / SIGSTORE_ID_TOKEN for keyless signing',
    );
  // The CI's ambient token is found by sigstore-js, which loads (online code) only when the token is asked for.
  const ambient = { getToken: async () => (await import('../../core/signing/online.ts')).ambientIdentity().getToken() };
  return {
    kind: 'keyless',
    identity: explicit ? { getToken: async () => explicit } : ambient,
    fulcioURL: args.get('fulcio-url'),
    rekorURL: args.get('rekor-url'),
  };
}

function describe(kind: 'signature' | 'attestation', r: SignRefResult & { predicateType?: string }): string {
  return [
    r.alreadyPresent
      ? `The same ${kind} is already attached to ${r.reference}; nothing was pushed.`
      : `Pushed a cosign ${kind}${r.predicateType ? ` (${r.predicateType})` : ''} for ${r.reference}${r.identity ? ` as ${sanitize(r.identity)}` : ''}`,
    `  attached  ${r.attachment} (${r.layers} layer${r.layers === 1 ? '' : 's'}, manifest ${r.manifestDigest})`,
    r.fromTag ? `  note      the tag was resolved to ${r.digest}; that digest is what was signed` : '',
    r.logIndex !== undefined ? `  tlog      index ${r.logIndex}` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

/** `sign REF`: cosign's `.sig` for an image or artifact in a registry. */
export async function signReferenceCommand(args: ParsedArgs, io: CliIO, ref: string): Promise<CommandResult> {
  const signer = await imageSigner(args, io);
  const annotations: Record<string, string> = {};
  for (const a of args.all('annotation')) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new UsageError(`-a/--annotation must be key=value, not '${a}'`);
    annotations[a.slice(0, eq)] = a.slice(eq + 1);
  }
  const client = await registryClient(args, io, ref);
  try {
    const r = await signReference(client, ref, { signer, allowTag: args.has('allow-tag'), annotations });
    return { findings: [], text: describe('signature', r), json: { signed: r } };
  } catch (e) {
    if (e instanceof TagRefusedError) throw new UsageError(e.message);
    throw e;
  } finally {
    client.close();
  }
}

export const attestCommand: Command = {
  name: 'attest',
  summary:
    'attach an in-toto attestation (SLSA provenance, CycloneDX, SPDX, the model card as `custom`) to an image or model in a registry, as cosign attest does (online)',
  usage: `attest REF --predicate FILE --type ${Object.keys(PREDICATE_TYPES).join('|')}|URI (--key KEY | keyless) [--allow-tag]`,
  flags: {
    predicate: {
      value: true,
      metavar: 'FILE',
      description: 'the predicate: a JSON document, or any text for --type custom (e.g. model-card.yaml)',
    },
    type: {
      value: true,
      metavar: 'TYPE',
      description: `cosign's predicate type name (${Object.keys(PREDICATE_TYPES).join(', ')}) or a predicate type URI; default custom`,
    },
    key: {
      value: true,
      metavar: 'KEY',
      description:
        'private key: cosign.key (password from COSIGN_PASSWORD or a prompt) or a PEM private key; without it, signing is keyless (online)',
    },
    'identity-token': {
      value: true,
      metavar: 'T',
      description: "keyless: the OIDC identity token (default SIGSTORE_ID_TOKEN, or the CI's ambient token)",
    },
    'fulcio-url': { value: true, metavar: 'URL', description: `keyless: Fulcio (default ${PUBLIC_GOOD_FULCIO})` },
    'rekor-url': { value: true, metavar: 'URL', description: `keyless: Rekor (default ${PUBLIC_GOOD_REKOR})` },
    ...REF_SIGN_FLAGS,
  },
  positionals: { min: 1, max: 1, metavar: 'REF' },
  async run(args, io) {
    const ref = args.positionals[0];
    const predicateFile = args.get('predicate');
    if (!predicateFile) throw new UsageError('--predicate FILE is required');
    const predicate = fs.readFileSync(path.resolve(io.cwd, predicateFile));
    const type = args.get('type') ?? 'custom';
    const signer = await imageSigner(args, io);
    const client = await registryClient(args, io, ref);
    try {
      const r = await attestReference(client, ref, { signer, allowTag: args.has('allow-tag'), type, predicate });
      return { findings: [], text: describe('attestation', r), json: { attested: r } };
    } catch (e) {
      if (e instanceof TagRefusedError) throw new UsageError(e.message);
      if (e instanceof Error && /unknown predicate type|must be JSON/.test(e.message)) throw new UsageError(e.message);
      throw e;
    } finally {
      client.close();
    }
  },
};

import crypto from 'node:crypto';
import fs from 'node:fs';
import { keyFingerprint } from '../../core/signing/keys.ts';
import path from 'node:path';
import { UsageError } from '../args.ts';
import type { CliIO, Command } from '../command.ts';
import { displayPath } from '../../core/output/paths.ts';
import { PUBLIC_GOOD_FULCIO, PUBLIC_GOOD_REKOR } from '../../core/signing/endpoints.ts';
import { isEncryptedCosignKey, signPath } from '../../core/signing/index.ts';
import { generateCosignKeyPair, loadPrivateKey } from '../../core/signing/privateKeys.ts';
import { defaultKeyDir, modelFolderAround } from '../../core/signing/keyLocation.ts';
import { describePreflight, preflightFlagged, signPreflight } from '../../core/signing/preflight.ts';
import { isReferenceArgument, REF_SIGN_FLAGS } from '../registryFlags.ts';
import { plural } from '../../core/messageText.ts';

/** The key password: COSIGN_PASSWORD (as cosign reads it), else a prompt on the terminal. */
async function password(io: CliIO, question: string): Promise<string> {
  if (io.env.COSIGN_PASSWORD !== undefined) return io.env.COSIGN_PASSWORD;
  if (!io.prompt) throw new Error('the key is encrypted: set COSIGN_PASSWORD or run in a terminal');
  return io.prompt(question, true);
}

/** Private keys found in a signed folder: left out of model.sig, and the user told to move them. */
function excludedKeyLines(keys: readonly string[] | undefined): string[] {
  return (keys ?? []).map(
    (k) => `  warning   ${k} is a private key inside the model folder: not signed; move it out of the folder`,
  );
}

export const signCommand: Command = {
  name: 'sign',
  summary:
    'sign a file (Sigstore bundle, cosign-compatible) or a model folder (OpenSSF model.sig) with a local key, offline; or an image/model in a registry by reference (cosign .sig, online)',
  usage:
    'sign ARTIFACT|DIR --key KEY [--bundle OUT] [--ignore-paths P]… [--allow-flagged]  |  sign ARTIFACT|DIR [--identity-token T] [--fulcio-url U] [--rekor-url U] (keyless, online)  |  sign REGISTRY/REPO@sha256:… (--key KEY | keyless) [--allow-tag] [-a KEY=VALUE]…',
  flags: {
    key: {
      value: true,
      metavar: 'KEY',
      description:
        'private key: cosign.key (password from COSIGN_PASSWORD or a prompt) or a PEM private key; without it, signing is keyless (online)',
    },
    'identity-token': {
      value: true,
      metavar: 'T',
      description:
        "keyless: the OIDC identity token (default SIGSTORE_ID_TOKEN, or the CI's ambient token, e.g. GitHub Actions id-token)",
    },
    'fulcio-url': { value: true, metavar: 'URL', description: `keyless: Fulcio (default ${PUBLIC_GOOD_FULCIO})` },
    'rekor-url': { value: true, metavar: 'URL', description: `keyless: Rekor (default ${PUBLIC_GOOD_REKOR})` },
    bundle: {
      value: true,
      metavar: 'OUT',
      description: 'where to write the signature (default FILE.sigstore.json, or DIR/model.sig)',
    },
    'ignore-paths': {
      value: true,
      repeat: true,
      metavar: 'P',
      description: 'model folders: a path (relative to the folder) to leave out of the signed manifest',
    },
    'allow-flagged': {
      description:
        'sign even when the scanner flags content as dangerous or could not analyse some of it (without it, such a file or folder is refused)',
    },
    annotation: {
      value: true,
      repeat: true,
      short: 'a',
      metavar: 'KEY=VALUE',
      description: 'references: an annotation in the signed payload (cosign -a)',
    },
    ...REF_SIGN_FLAGS,
  },
  positionals: { min: 1, max: 1, metavar: 'ARTIFACT|DIR|REF' },
  async run(args, io) {
    // A registry reference: the registry signing code loads only for it.
    if (isReferenceArgument(args.positionals[0], io.cwd))
      return (await import('./attest.ts')).signReferenceCommand(args, io, args.positionals[0]);
    const target = path.resolve(io.cwd, args.positionals[0]);
    if (!fs.existsSync(target)) throw new Error(`no such file or folder: ${args.positionals[0]}`);
    // A signature vouches for the content: what the scanner flags, or could not analyse, is not signed unless asked.
    const check = await signPreflight(target, io.signal);
    const flagged = preflightFlagged(check) ? describePreflight(check) : undefined;
    if (flagged && !args.has('allow-flagged'))
      throw new UsageError(
        `not signing ${displayPath(target, io.cwd)}: ${flagged}. Look at \`model-inspect scan ${args.positionals[0]}\`; to sign it anyway, add --allow-flagged`,
      );
    const flaggedLine = flagged ? `  warning   signed although ${flagged} (--allow-flagged)` : '';
    const keyFile = args.get('key');
    const out = args.get('bundle');
    if (!keyFile) {
      // Keyless: an online action the user asked for by giving no key; the token comes from the flag, SIGSTORE_ID_TOKEN or the CI.
      const explicit = args.get('identity-token') ?? io.env.SIGSTORE_ID_TOKEN;
      if (!explicit && !io.env.ACTIONS_ID_TOKEN_REQUEST_URL)
        throw new UsageError(
          'no --key and no OIDC identity token: give --key KEY, or --identity-token / SIGSTORE_ID_TOKEN for keyless signing (in the editor, Sign… offers a browser sign-in)',
        );
      // The online code (sigstore-js and its HTTP stack) loads only now.
      const { ambientIdentity, signPathKeyless } = await import('../../core/signing/online.ts');
      const identity = explicit ? { getToken: async () => explicit } : ambientIdentity();
      const res = await signPathKeyless(target, {
        identity,
        fulcioURL: args.get('fulcio-url'),
        rekorURL: args.get('rekor-url'),
        output: out ? path.resolve(io.cwd, out) : undefined,
        ignorePaths: args.all('ignore-paths'),
        signal: io.signal,
      });
      const text = [
        `Signed ${displayPath(res.path, io.cwd)} keylessly as ${res.identity ?? '(unknown identity)'} (${res.format === 'model-signing' ? `OpenSSF model signature over ${plural(res.files ?? 0, 'file')}` : 'Sigstore bundle'})`,
        `  signature ${displayPath(res.signatureFile, io.cwd)}`,
        `  digest    ${res.digest}`,
        res.logIndex !== undefined ? `  tlog      index ${res.logIndex}` : '',
        ...excludedKeyLines(res.excludedPrivateKeys),
        flaggedLine,
      ]
        .filter(Boolean)
        .join('\n');
      return {
        findings: [],
        text,
        json: {
          signed: {
            ...res,
            path: displayPath(res.path, io.cwd),
            signatureFile: displayPath(res.signatureFile, io.cwd),
          },
        },
      };
    }
    const keyText = fs.readFileSync(path.resolve(io.cwd, keyFile), 'utf8');
    const key = await loadPrivateKey(keyText, () => password(io, `Enter password for private key ${keyFile}: `));
    const res = await signPath(target, key, {
      output: out ? path.resolve(io.cwd, out) : undefined,
      ignorePaths: args.all('ignore-paths'),
    });
    const text = [
      `Signed ${displayPath(res.path, io.cwd)} (${res.format === 'model-signing' ? `OpenSSF model signature over ${plural(res.files ?? 0, 'file')}` : 'Sigstore bundle, key signature, no transparency log'})`,
      `  signature ${displayPath(res.signatureFile, io.cwd)}`,
      `  digest    ${res.digest}`,
      isEncryptedCosignKey(keyText)
        ? ''
        : '  note      the private key file is not encrypted; prefer `model-inspect generate-key-pair` (encrypted cosign.key)',
      ...excludedKeyLines(res.excludedPrivateKeys),
      flaggedLine,
    ]
      .filter(Boolean)
      .join('\n');
    return {
      findings: [],
      text,
      json: {
        signed: { ...res, path: displayPath(res.path, io.cwd), signatureFile: displayPath(res.signatureFile, io.cwd) },
      },
    };
  },
};

export const generateKeyPairCommand: Command = {
  name: 'generate-key-pair',
  summary: 'write cosign.key (encrypted, password from COSIGN_PASSWORD or a prompt) and cosign.pub',
  usage: 'generate-key-pair [--output-key-prefix PREFIX]',
  flags: {
    'output-key-prefix': {
      value: true,
      metavar: 'PREFIX',
      description:
        'file name prefix (default cosign → cosign.key, cosign.pub in the current folder; refused there when it is inside a model folder)',
    },
  },
  positionals: { min: 0, max: 0, metavar: '' },
  async run(args, io) {
    const given = args.get('output-key-prefix');
    const prefix = path.resolve(io.cwd, given ?? 'cosign');
    // A key written into a model folder sits beside the weights and is shipped with them.
    const model = await modelFolderAround(path.dirname(prefix));
    if (model && !given)
      throw new UsageError(
        `the current folder is inside the model folder ${displayPath(model, io.cwd)}: a key written here would be shipped with the model. Give --output-key-prefix outside it, e.g. ${path.join(defaultKeyDir(), 'cosign')}`,
      );
    const keyFile = `${prefix}.key`;
    const pubFile = `${prefix}.pub`;
    for (const f of [keyFile, pubFile])
      if (fs.existsSync(f)) throw new Error(`${displayPath(f, io.cwd)} exists; not overwriting a key`);
    let pw: string;
    if (io.env.COSIGN_PASSWORD !== undefined) pw = io.env.COSIGN_PASSWORD;
    else {
      pw = await password(io, 'Enter password for private key: ');
      if ((await password(io, 'Enter password for private key again: ')) !== pw)
        throw new Error('the passwords do not match');
    }
    const pair = generateCosignKeyPair(pw);
    fs.writeFileSync(keyFile, pair.privateKeyPem, { mode: 0o600, flag: 'wx' });
    fs.writeFileSync(pubFile, pair.publicKeyPem, { mode: 0o644, flag: 'wx' });
    const fingerprint = keyFingerprint(crypto.createPublicKey(pair.publicKeyPem));
    const warning = model
      ? `\nwarning: ${displayPath(keyFile, io.cwd)} is inside the model folder ${displayPath(model, io.cwd)}; move it out before the model is shared (a folder signature never covers it)`
      : '';
    return {
      findings: [],
      text: `Private key written to ${displayPath(keyFile, io.cwd)} (encrypted)\nPublic key written to ${displayPath(pubFile, io.cwd)}\nKey fingerprint ${fingerprint}${warning}`,
      json: { privateKey: displayPath(keyFile, io.cwd), publicKey: displayPath(pubFile, io.cwd), fingerprint },
    };
  },
};

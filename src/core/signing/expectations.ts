import fs from 'node:fs';
import path from 'node:path';
import { compilePattern, describePattern, PolicyInputError, type SignerPattern } from './policy.ts';
import type { VerifyOptions } from './types.ts';

/**
 * What a signature must show to be trusted, resolved once for `verify`, `inspect`, `gate`, the
 * report panel and the editor commands. Expectations come only from what the user controls: the
 * command line, the settings, and the promotion policy found outside the inspected folder. Never
 * from the model card or any other file inside the inspected folder: those are evidence.
 *
 * Precedence, documented in the README's trust model:
 * - signers (public keys, identities, issuers, the CA chain of own-PKI signatures) come as a
 *   whole from the first layer that names any of them: command line, then settings, then policy.
 *   `--key k.pub` therefore means "this key", not "this key or whatever the policy lists";
 * - the trusted root, the builder id and the source repository each come from the first layer
 *   that sets them (the trusted root defaults to the shipped Sigstore public-good root).
 *
 * Plain data in, plain data out: the resolver does not care whether the artifact is a folder on
 * disk (an OCI reference works the same); `inspected`, when given, only refuses trust files that
 * lie inside it.
 */

export type ExpectationOrigin = 'command line' | 'settings' | 'policy';

const ORDER: Record<ExpectationOrigin, number> = { 'command line': 0, settings: 1, policy: 2 };

export interface ExpectationLayer {
  origin: ExpectationOrigin;
  /** Where the values were read, as shown to the user: `--key`, `modelInspect.signing`, `../.model-inspect.yaml`. */
  source: string;
  /** Folder that relative paths are resolved against (working folder, workspace folder, the policy's folder). */
  baseDir: string;
  keys?: readonly string[];
  identities?: readonly SignerPattern[];
  issuers?: readonly SignerPattern[];
  /** CA certificate(s) (PEM) that own-PKI (model_signing "certificate" mode) signatures must chain to. */
  certificateChain?: string;
  trustedRoot?: string;
  builderId?: string;
  sourceRepository?: string;
}

export interface SignerExpectations {
  origin?: ExpectationOrigin;
  source?: string;
  /** Absolute paths of the public keys a key signature may verify with. */
  keys: string[];
  identities: SignerPattern[];
  issuers: SignerPattern[];
  certificateChain?: string;
}

export interface Expectations {
  signers: SignerExpectations;
  trustedRoot?: { path: string; source: string };
  provenance: { builderId?: string; sourceRepository?: string };
  /** Inputs that were not used, and why (a key inside the inspected folder…). */
  refused: string[];
  /** Where each expectation came from, one line each (shown by every face). */
  notes: string[];
}

export interface ResolveOptions {
  /** The file or folder being judged, when on disk: keys, roots and CA files inside it are refused. */
  inspected?: string;
}

function real(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/** True when `p` is `root` or lies below it (links resolved). */
export function isInsidePath(p: string, root: string): boolean {
  const rel = path.relative(real(root), real(p));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

const hasSigners = (l: ExpectationLayer) =>
  Boolean(l.keys?.length || l.identities?.length || l.issuers?.length || l.certificateChain);

export function resolveExpectations(layers: readonly ExpectationLayer[], options: ResolveOptions = {}): Expectations {
  const ordered = [...layers].sort((a, b) => ORDER[a.origin] - ORDER[b.origin]);
  const refused: string[] = [];
  const notes: string[] = [];
  const trustFile = (l: ExpectationLayer, p: string, what: string): string | undefined => {
    const abs = path.resolve(l.baseDir, p);
    if (options.inspected && isInsidePath(abs, options.inspected)) {
      refused.push(
        `${what} ${abs} (from ${l.source}) is inside the inspected ${fs.existsSync(options.inspected) && fs.statSync(options.inspected).isDirectory() ? 'folder' : 'file'}: a model cannot name the key it is checked with; not used`,
      );
      return undefined;
    }
    return abs;
  };
  const signers: SignerExpectations = { keys: [], identities: [], issuers: [] };
  const from = ordered.find(hasSigners);
  if (from) {
    signers.origin = from.origin;
    signers.source = from.source;
    for (const k of from.keys ?? []) {
      const abs = trustFile(from, k, 'public key');
      if (abs) signers.keys.push(abs);
    }
    signers.identities = [...(from.identities ?? [])];
    signers.issuers = [...(from.issuers ?? [])];
    if (from.certificateChain) signers.certificateChain = trustFile(from, from.certificateChain, 'CA certificate file');
    // Compiled once here so a bad pattern is reported where it was written, before anything is verified.
    for (const p of [...signers.identities, ...signers.issuers]) {
      try {
        compilePattern(p);
      } catch (e) {
        throw new PolicyInputError(`${from.source}: ${(e as Error).message}`);
      }
    }
    const parts = [
      signers.keys.length
        ? `key${signers.keys.length > 1 ? 's' : ''} ${signers.keys.map((k) => path.basename(k)).join(', ')}`
        : '',
      signers.identities.length
        ? `identit${signers.identities.length > 1 ? 'ies' : 'y'} ${signers.identities.map(describePattern).join(', ')}`
        : '',
      signers.issuers.length
        ? `issuer${signers.issuers.length > 1 ? 's' : ''} ${signers.issuers.map(describePattern).join(', ')}`
        : '',
      signers.certificateChain ? `CA ${path.basename(signers.certificateChain)}` : '',
    ].filter(Boolean);
    notes.push(`expected signers from the ${from.origin} (${from.source}): ${parts.join('; ') || 'none usable'}`);
    const ignored = ordered.filter((l) => l !== from && hasSigners(l));
    if (ignored.length)
      notes.push(
        `signers named by ${ignored.map((l) => `the ${l.origin} (${l.source})`).join(' and ')} were not used: the ${from.origin} comes first`,
      );
  } else {
    notes.push(
      'no expected signer: no key, identity or issuer on the command line, in the settings or in the promotion policy (the model card is never used); key signatures cannot be checked and keyless signatures are not accepted',
    );
  }
  let trustedRoot: Expectations['trustedRoot'];
  const rootLayer = ordered.find((l) => l.trustedRoot);
  if (rootLayer) {
    const abs = trustFile(rootLayer, rootLayer.trustedRoot!, 'trusted root');
    if (abs) {
      trustedRoot = { path: abs, source: rootLayer.source };
      notes.push(`trusted root ${abs} from the ${rootLayer.origin} (${rootLayer.source})`);
    }
  }
  const provenance: Expectations['provenance'] = {};
  const builder = ordered.find((l) => l.builderId);
  if (builder) provenance.builderId = builder.builderId;
  const repo = ordered.find((l) => l.sourceRepository);
  if (repo) provenance.sourceRepository = repo.sourceRepository;
  return { signers, trustedRoot, provenance, refused, notes };
}

/** The signing engine's options for these expectations. */
export function verifyOptionsFor(e: Expectations, extra: Partial<VerifyOptions> = {}): VerifyOptions {
  return {
    keys: e.signers.keys,
    identities: e.signers.identities,
    issuers: e.signers.issuers,
    certificateChain: e.signers.certificateChain,
    trustedRoot: e.trustedRoot?.path,
    provenance: { builderId: e.provenance.builderId, sourceRepository: e.provenance.sourceRepository },
    refused: e.refused,
    ...extra,
  };
}

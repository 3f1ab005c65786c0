import fs from 'node:fs';
import path from 'node:path';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toTrustMaterial, type TrustMaterial, type KeyFinderFunc } from '@sigstore/verify';
import { jsonErrorMessage } from '../jsonError.ts';

/**
 * The Sigstore trusted root (Fulcio CAs, Rekor and CT log keys, TSAs). Verification is offline:
 * the public-good root ships with the product (assets/sigstore/trusted_root.json, copied to
 * dist/sigstore/), a private instance's root comes from a file the user names, and a TUF refresh
 * (tuf.ts) writes a newer root only when the user asked for it.
 */

export class TrustedRootError extends Error {
  override name = 'TrustedRootError';
}

const SHIPPED_REL = path.join('sigstore', 'trusted_root.json');

/** Where the shipped root is: beside the bundle in dist/, or in assets/ when running from source. */
export function shippedTrustedRootPath(): string {
  const here = typeof __dirname === 'string' ? __dirname : process.cwd();
  const candidates = [
    path.join(here, SHIPPED_REL), // dist/extension.js and its chunks
    path.join(here, '..', SHIPPED_REL), // the CLI's chunks in dist/cli/
    path.resolve(here, '..', '..', '..', 'assets', SHIPPED_REL), // src/core/signing (tsx)
    path.resolve(here, '..', 'assets', SHIPPED_REL),
  ];
  return candidates.find((p) => fs.existsSync(p)) ?? candidates[0];
}

interface RawValidity {
  start?: string;
  end?: string;
}
interface RawLog {
  baseUrl?: string;
  publicKey?: { validFor?: RawValidity };
}
interface RawRoot {
  mediaType?: string;
  tlogs?: RawLog[];
  ctlogs?: RawLog[];
}

/**
 * Checks what sigstore-js does not: every transparency log and CT log key has a validity start
 * (sigstore-js treats a missing start as "valid forever", which would let a key stand for
 * signatures from before it existed).
 */
export function validateTrustedRoot(raw: unknown, source: string): void {
  if (typeof raw !== 'object' || raw === null) throw new TrustedRootError(`${source}: not a JSON object`);
  const r = raw as RawRoot;
  if (typeof r.mediaType !== 'string' || !r.mediaType.startsWith('application/vnd.dev.sigstore.trustedroot')) {
    throw new TrustedRootError(
      `${source}: mediaType is ${JSON.stringify(r.mediaType)}, expected application/vnd.dev.sigstore.trustedroot+json`,
    );
  }
  const check = (logs: RawLog[] | undefined, what: string) => {
    for (const [i, log] of (logs ?? []).entries()) {
      if (!log?.publicKey?.validFor?.start) {
        throw new TrustedRootError(
          `${source}: ${what} ${i} (${log?.baseUrl ?? 'no baseUrl'}) has no validity start (publicKey.validFor.start); a log key must say since when it is trusted`,
        );
      }
    }
  };
  check(r.tlogs, 'transparency log');
  check(r.ctlogs, 'CT log');
}

export interface LoadedTrustedRoot {
  file: string;
  root: TrustedRoot;
}

const cache = new Map<string, { mtimeMs: number; root: LoadedTrustedRoot }>();

/** Loads and validates a trusted root (cached per file and modification time). */
export function loadTrustedRoot(file?: string): LoadedTrustedRoot {
  const p = file ? path.resolve(file) : shippedTrustedRootPath();
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    throw new TrustedRootError(`trusted root not found: ${p}`);
  }
  const hit = cache.get(p);
  if (hit && hit.mtimeMs === st.mtimeMs) return hit.root;
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(p, 'utf8'));
  } catch (e) {
    throw new TrustedRootError(`${p}: not valid JSON (${jsonErrorMessage(e)})`);
  }
  validateTrustedRoot(raw, p);
  const root = { file: p, root: TrustedRoot.fromJSON(raw) };
  cache.set(p, { mtimeMs: st.mtimeMs, root });
  return root;
}

export function trustMaterial(root: LoadedTrustedRoot | undefined, keyFinder?: KeyFinderFunc): TrustMaterial {
  return toTrustMaterial(root?.root ?? TrustedRoot.fromJSON({}), keyFinder);
}

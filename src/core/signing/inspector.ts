import fs from 'node:fs';
import path from 'node:path';
import type { Finding } from '../findings.ts';
import type { InspectedFile, Inspector } from '../inspect/types.ts';
import { SIGNATURE_SUFFIXES } from './discover.ts';
import { MODEL_SIG } from './modelSigning.ts';
import { resolveExpectations, verifyOptionsFor, type Expectations } from './expectations.ts';
import type { SignatureResult } from './types.ts';
import { verifyPath } from './verify.ts';
import { privateKeyFindings } from './privateKeyFiles.ts';

/**
 * `inspect DIR`: every signature in the folder is verified against what it signs (a model.sig
 * against its folder, X.sig / X.sigstore.json / … against X). Expectations are resolved once by
 * the caller (src/core/signing/expectations.ts) and passed as the engine option
 * `signing.expectations`; without them nothing is expected, and no signature is taken on trust.
 */
function expectationsFrom(o: Readonly<Record<string, unknown>>): Expectations {
  const e = o['signing.expectations'] as Expectations | undefined;
  return e && typeof e === 'object' && 'signers' in e ? e : resolveExpectations([]);
}

export const signingInspector: Inspector = {
  id: 'signing',
  title: 'Signatures (Sigstore, cosign, OpenSSF model signing, SLSA)',
  async inspect(ctx) {
    const findings: Finding[] = [];
    const files: InspectedFile[] = [];
    const present = new Set(ctx.files.map((f) => f.path));
    // Keyed by signature file, not by what it signs: a file may carry several signatures (X.sig and
    // X.sigstore.json), and one that fails must be shown even when another verifies.
    const signatures = new Map<string, string>(); // signature file → what it signs
    for (const f of ctx.files) {
      const base = path.basename(f.path);
      if (base === MODEL_SIG) {
        signatures.set(f.path, path.dirname(f.path));
        continue;
      }
      const suffix = SIGNATURE_SUFFIXES.find((x) => base.endsWith(x) && base.length > x.length);
      if (suffix) {
        const artifact = f.path.slice(0, -suffix.length);
        if (present.has(artifact)) signatures.set(f.path, artifact);
      }
    }
    findings.push(...(await privateKeyFindings(ctx.root, ctx.files, ctx.signal)));
    const base = verifyOptionsFor(expectationsFrom(ctx.options));
    const covered = new Set<string>();
    for (const [sig, target] of signatures) {
      if (ctx.signal?.aborted) break;
      try {
        const report = await verifyPath(target, { ...base, signature: sig, signal: ctx.signal });
        findings.push(...report.findings);
        for (const s of report.signatures) {
          if (s.verified) for (const f of coveredBy(s)) covered.add(f);
          files.push({
            path: s.signatureFile,
            kind: `signature (${s.format})`,
            summary: s.verified
              ? `verified${s.identity ? `: ${s.identity}` : s.key ? `: ${s.key}` : ''}`
              : `NOT verified: ${s.failures[0] ?? ''}`.slice(0, 160),
          });
        }
      } catch (e) {
        findings.push({
          ruleId: 'signing/invalid-signature',
          severity: 'error',
          message: `${path.basename(sig)}: could not be verified: ${(e as Error).message}`,
          file: sig,
        });
      }
    }
    // A verified signature says nothing about its neighbours: in a signed folder, name the files no
    // verified signature covers (the gate blocks on them; `inspect` must not read as "all signed").
    if (signatures.size && !ctx.signal?.aborted) {
      const uncovered = ctx.files
        .filter((f) => !signatures.has(f.path) && !covered.has(path.resolve(f.path)))
        .map((f) => f.rel);
      if (uncovered.length) {
        const shown =
          uncovered.slice(0, 10).join(', ') + (uncovered.length > 10 ? `, and ${uncovered.length - 10} more` : '');
        findings.push({
          ruleId: 'signing/not-covered',
          severity: 'warning',
          message: `${uncovered.length} file${uncovered.length === 1 ? ' is' : 's are'} not covered by any verified signature from an expected signer: ${shown}`,
          file: ctx.root,
        });
      }
    }
    return { findings, files };
  },
};

/** Absolute paths a verified signature vouches for: a manifest's matched files, or the signed file. */
function coveredBy(s: SignatureResult): string[] {
  if (!s.manifest) return [path.resolve(s.file)];
  const root = s.manifest.root;
  // A one-file model's manifest root is the file itself.
  if (!isDir(root)) return s.manifest.covered.length ? [path.resolve(root)] : [];
  return s.manifest.covered.map((n) => path.resolve(root, ...n.split('/')));
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

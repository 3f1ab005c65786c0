import path from 'node:path';
import type { Finding } from '../findings.ts';
import type { InspectedFile, Inspector } from '../inspect/types.ts';
import { SIGNATURE_SUFFIXES } from './discover.ts';
import { MODEL_SIG } from './modelSigning.ts';
import { resolveExpectations, verifyOptionsFor, type Expectations } from './expectations.ts';
import { verifyPath } from './verify.ts';

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
      if (base === MODEL_SIG) { signatures.set(f.path, path.dirname(f.path)); continue; }
      const suffix = SIGNATURE_SUFFIXES.find((x) => base.endsWith(x) && base.length > x.length);
      if (suffix) {
        const artifact = f.path.slice(0, -suffix.length);
        if (present.has(artifact)) signatures.set(f.path, artifact);
      }
    }
    const base = verifyOptionsFor(expectationsFrom(ctx.options));
    for (const [sig, target] of signatures) {
      if (ctx.signal?.aborted) break;
      try {
        const report = await verifyPath(target, { ...base, signature: sig, signal: ctx.signal });
        findings.push(...report.findings);
        for (const s of report.signatures) {
          files.push({ path: s.signatureFile, kind: `signature (${s.format})`, summary: s.verified ? `verified${s.identity ? `: ${s.identity}` : s.key ? `: ${s.key}` : ''}` : `NOT verified: ${s.failures[0] ?? ''}`.slice(0, 160) });
        }
      } catch (e) {
        findings.push({ ruleId: 'signing/invalid-signature', severity: 'error', message: `${path.basename(sig)}: could not be verified: ${(e as Error).message}`, file: sig });
      }
    }
    return { findings, files };
  },
};

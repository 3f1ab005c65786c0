import path from 'node:path';
import type { Finding } from '../findings.ts';
import type { InspectedFile, Inspector } from '../inspect/types.ts';
import { SIGNATURE_SUFFIXES } from './discover.ts';
import { MODEL_SIG } from './modelSigning.ts';
import type { VerifyOptions } from './types.ts';
import { verifyPath } from './verify.ts';

/**
 * `inspect DIR`: every signature in the folder is verified against what it signs (a model.sig
 * against its folder, X.sig / X.sigstore.json / … against X). Expectations come from the engine
 * options `signing.*` (the same names as the CLI flags and settings).
 */

function verifyOptionsFrom(o: Readonly<Record<string, unknown>>): VerifyOptions {
  const s = (k: string) => (typeof o[`signing.${k}`] === 'string' && o[`signing.${k}`] !== '' ? (o[`signing.${k}`] as string) : undefined);
  return {
    key: s('publicKey'),
    trustedRoot: s('trustedRoot'),
    certificateChain: s('certificateChain'),
    certificateIdentity: s('certificateIdentity'),
    certificateIdentityRegexp: s('certificateIdentityRegexp'),
    certificateOidcIssuer: s('certificateOidcIssuer'),
    certificateOidcIssuerRegexp: s('certificateOidcIssuerRegexp'),
    provenance: { builderId: s('builderId'), sourceRepository: s('sourceRepository') },
  };
}

export const signingInspector: Inspector = {
  id: 'signing',
  title: 'Signatures (Sigstore, cosign, OpenSSF model signing, SLSA)',
  async inspect(ctx) {
    const findings: Finding[] = [];
    const files: InspectedFile[] = [];
    const present = new Set(ctx.files.map((f) => f.path));
    const targets = new Map<string, string>(); // target → signature file
    for (const f of ctx.files) {
      const base = path.basename(f.path);
      if (base === MODEL_SIG) { targets.set(path.dirname(f.path), f.path); continue; }
      const suffix = SIGNATURE_SUFFIXES.find((x) => base.endsWith(x) && base.length > x.length);
      if (suffix) {
        const artifact = f.path.slice(0, -suffix.length);
        if (present.has(artifact)) targets.set(artifact, f.path);
      }
    }
    const base = verifyOptionsFrom(ctx.options);
    for (const [target, sig] of targets) {
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

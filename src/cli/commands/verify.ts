import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../args.ts';
import type { Command } from '../command.ts';
import { displayPath } from '../../core/output/paths.ts';
import { verifyPath, type SignatureResult, type VerifyOptions } from '../../core/signing/index.ts';
import { cardExpectations } from '../../core/signing/cardExpectations.ts';
import { PolicyInputError } from '../../core/signing/policy.ts';
import { TrustedRootError } from '../../core/signing/trustedRoot.ts';
import { KeyError } from '../../core/signing/keys.ts';

/** `model-inspect verify`: cosign's flag names; exit 0 verified, 1 not verified, 2 usage or I/O. */
export const verifyCommand: Command = {
  name: 'verify',
  summary: 'verify the signatures of a file or model folder (Sigstore, cosign, OpenSSF model.sig, SLSA), offline',
  usage: 'verify ARTIFACT|DIR [--bundle F | --signature F] [--key PUB] [--certificate-identity ID | --certificate-identity-regexp RE] [--certificate-oidc-issuer ISS | --certificate-oidc-issuer-regexp RE] [--trusted-root F] [--certificate-chain F] [--builder-id ID] [--source-uri REPO]',
  flags: {
    bundle: { value: true, metavar: 'FILE', description: 'the Sigstore bundle, legacy cosign bundle, model.sig or attestation to verify (default: found next to the artifact)' },
    signature: { value: true, metavar: 'FILE', description: 'a raw signature (cosign sign-blob output) to verify; same as --bundle for other formats' },
    key: { value: true, metavar: 'PUB', description: 'public key (PEM, e.g. cosign.pub) for key-signed bundles and raw signatures' },
    'certificate-identity': { value: true, metavar: 'ID', description: 'expected signer identity (certificate SAN), exact' },
    'certificate-identity-regexp': { value: true, metavar: 'RE', description: 'expected signer identity, regular expression (anchored at both ends)' },
    'certificate-oidc-issuer': { value: true, metavar: 'ISS', description: 'expected OIDC issuer, exact' },
    'certificate-oidc-issuer-regexp': { value: true, metavar: 'RE', description: 'expected OIDC issuer, regular expression (anchored at both ends)' },
    'trusted-root': { value: true, metavar: 'FILE', description: 'Sigstore trusted_root.json (private instances; default: the shipped public-good root)' },
    'certificate-chain': { value: true, metavar: 'FILE', description: 'CA certificate(s) (PEM) for certificate-chain signatures (model_signing "certificate" mode)' },
    'builder-id': { value: true, metavar: 'ID', description: 'SLSA provenance: expected builder id (without @ref: any ref of that builder)' },
    'source-uri': { value: true, metavar: 'REPO', description: 'SLSA provenance: expected source repository (e.g. github.com/org/repo)' },
    'no-model-card': { description: 'do not take the expected identity and source from the folder\'s model-card.yaml' },
  },
  positionals: { min: 1, max: 1, metavar: 'ARTIFACT|DIR' },
  async run(args, io) {
    const target = path.resolve(io.cwd, args.positionals[0]);
    if (!fs.existsSync(target)) throw new Error(`no such file or folder: ${args.positionals[0]}`);
    if (args.has('bundle') && args.has('signature')) throw new UsageError('give --bundle or --signature, not both');
    const abs = (f: string | undefined) => (f === undefined ? undefined : path.resolve(io.cwd, f));
    for (const flag of ['bundle', 'signature', 'key', 'trusted-root', 'certificate-chain']) {
      const f = args.get(flag);
      if (f !== undefined && !fs.existsSync(abs(f)!)) throw new Error(`--${flag}: no such file: ${f}`);
    }
    const options: VerifyOptions = {
      signature: abs(args.get('bundle') ?? args.get('signature')),
      key: abs(args.get('key')),
      certificateIdentity: args.get('certificate-identity'),
      certificateIdentityRegexp: args.get('certificate-identity-regexp'),
      certificateOidcIssuer: args.get('certificate-oidc-issuer'),
      certificateOidcIssuerRegexp: args.get('certificate-oidc-issuer-regexp'),
      trustedRoot: abs(args.get('trusted-root')),
      certificateChain: abs(args.get('certificate-chain')),
      provenance: { builderId: args.get('builder-id'), sourceRepository: args.get('source-uri') },
      signal: io.signal,
    };
    const preface: string[] = [];
    if (!args.has('no-model-card')) {
      const card = await cardExpectations(target);
      if (card) {
        const noIdentity = !options.certificateIdentity && !options.certificateIdentityRegexp;
        if (noIdentity && card.certificateIdentity) {
          options.certificateIdentity = card.certificateIdentity;
          if (!options.certificateOidcIssuer && !options.certificateOidcIssuerRegexp) options.certificateOidcIssuer = card.certificateOidcIssuer;
          preface.push(`expected signer ${card.certificateIdentity} from ${displayPath(card.card, io.cwd)} (provenance.build_environment.signed_by)`);
        }
        if (!options.provenance!.sourceRepository && card.sourceRepository) {
          options.provenance!.sourceRepository = card.sourceRepository;
          preface.push(`expected source ${card.sourceRepository} from ${displayPath(card.card, io.cwd)} (provenance.training_config.source)`);
        }
      }
    }
    let report;
    try {
      report = await verifyPath(target, options);
    } catch (e) {
      if (e instanceof PolicyInputError) throw new UsageError(e.message);
      if (e instanceof TrustedRootError || e instanceof KeyError) throw new Error(e.message);
      throw e;
    }
    const text = [...preface, ...report.signatures.map((s) => describe(s, io.cwd))].join('\n\n');
    return {
      findings: report.findings,
      text: text || undefined,
      json: {
        path: displayPath(report.path, io.cwd),
        verified: report.verified,
        signatures: report.signatures.map((s) => ({
          ...s,
          file: displayPath(s.file, io.cwd),
          signatureFile: displayPath(s.signatureFile, io.cwd),
          manifest: s.manifest ? { ...s.manifest, root: displayPath(s.manifest.root, io.cwd) } : undefined,
        })),
      },
      exitCode: report.verified ? 0 : 1,
    };
  },
};

function describe(s: SignatureResult, cwd: string): string {
  const lines = [`${s.verified ? 'VERIFIED' : 'NOT VERIFIED'}  ${displayPath(s.signatureFile, cwd)}  (${s.format})`];
  const row = (k: string, v: string | undefined) => { if (v) lines.push(`  ${k.padEnd(10)}${v}`); };
  row('artifact', displayPath(s.file, cwd));
  row('signer', s.identity);
  row('issuer', s.issuer);
  row('key', s.key);
  row('time', s.time);
  for (const t of s.tlog ?? []) row('tlog', `index ${t.logIndex}${t.integratedTime ? `, integrated ${t.integratedTime}` : ''}${t.kind ? `, ${t.kind}` : ''}`);
  row('predicate', s.predicateType);
  for (const f of s.failures) row('FAILED', f);
  for (const n of s.notes) row('note', n);
  return lines.join('\n');
}

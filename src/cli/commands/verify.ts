import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../args.ts';
import type { Command } from '../command.ts';
import type { Finding } from '../../core/findings.ts';
import { REGISTRY_FLAGS } from '../registryFlagSpecs.ts';
import { displayPath } from '../../core/output/paths.ts';
import { sanitizeLine } from '../../core/output/text.ts';
import { verifyPath, type SignatureResult } from '../../core/signing/index.ts';
import { resolveExpectations, verifyOptionsFor } from '../../core/signing/expectations.ts';
import { loadPolicy } from '../../core/gate/policy.ts';
import { policyLayer } from '../../core/gate/index.ts';
import { readCardFacts } from '../../core/modelcard/facts.ts';
import { modelCardKind } from '../../core/modelcard/files.ts';
import { PolicyInputError } from '../../core/signing/policy.ts';
import { TrustedRootError } from '../../core/signing/trustedRoot.ts';
import { KeyError } from '../../core/signing/keys.ts';
import { commandLineLayer, EXPECTATION_FLAGS, policyFlag } from '../expectations.ts';

/**
 * `model-inspect verify`: cosign's flag names; exit 0 verified, 1 not verified, 2 usage or I/O.
 * Expected signers come from the flags, else the promotion policy above the artifact; never from
 * the model card, whose claims are compared with what verified instead.
 */
export const verifyCommand: Command = {
  name: 'verify',
  summary: 'verify the signatures of a file or model folder (Sigstore, cosign, OpenSSF model.sig, SLSA), offline',
  usage:
    'verify ARTIFACT|DIR|REF [--bundle F | --signature F] [--key PUB…] [--certificate-identity ID | --certificate-identity-regexp RE] [--certificate-oidc-issuer ISS | --certificate-oidc-issuer-regexp RE] [--trusted-root F] [--certificate-chain F] [--builder-id ID] [--source-uri REPO] [--ignore-paths P…] [--policy FILE]',
  flags: {
    bundle: {
      value: true,
      metavar: 'FILE',
      description:
        'the Sigstore bundle, legacy cosign bundle, model.sig or attestation to verify (default: found next to the artifact)',
    },
    signature: {
      value: true,
      metavar: 'FILE',
      description: 'a raw signature (cosign sign-blob output) to verify; same as --bundle for other formats',
    },
    ...EXPECTATION_FLAGS,
    'builder-id': {
      value: true,
      metavar: 'ID',
      description: 'SLSA provenance: expected builder id (without @ref: any ref of that builder)',
    },
    'source-uri': {
      value: true,
      metavar: 'REPO',
      description: 'SLSA provenance: expected source repository (e.g. github.com/org/repo)',
    },
    'ignore-paths': {
      value: true,
      repeat: true,
      metavar: 'PATH',
      description:
        'model signatures: do not check PATH (relative to the model folder), for signatures made before model_signing 1.1 that do not record the paths their signer ignored',
    },
    ...REGISTRY_FLAGS,
  },
  positionals: { min: 1, max: 1, metavar: 'ARTIFACT|DIR|REF' },
  async run(args, io) {
    const target = path.resolve(io.cwd, args.positionals[0]);
    if (!fs.existsSync(target)) {
      const remote = await import('../remoteCommands.ts');
      if (await remote.isReference(args.positionals[0], io.cwd))
        return remote.verifyReference(args, io, args.positionals[0]);
      throw new Error(`no such file or folder: ${args.positionals[0]}`);
    }
    if (args.has('bundle') && args.has('signature')) throw new UsageError('give --bundle or --signature, not both');
    for (const flag of ['bundle', 'signature']) {
      const f = args.get(flag);
      if (f !== undefined && !fs.existsSync(path.resolve(io.cwd, f))) throw new Error(`--${flag}: no such file: ${f}`);
    }
    const ignorePaths = args.all('ignore-paths');
    if (ignorePaths.some((p) => path.isAbsolute(p) || p.split(/[\\/]/).includes('..')))
      throw new UsageError('--ignore-paths takes paths inside the model folder');
    const flags = commandLineLayer(args, io.cwd, {
      builderId: args.get('builder-id'),
      sourceRepository: args.get('source-uri'),
    });
    const dir = fs.statSync(target).isDirectory() ? target : path.dirname(target);
    const policy = await loadPolicy(dir, { file: policyFlag(args, io.cwd), inspected: target });
    let report;
    let expectations;
    try {
      expectations = resolveExpectations([flags, policyLayer(policy, dir)], { inspected: target });
      const signature = args.get('bundle') ?? args.get('signature');
      report = await verifyPath(
        target,
        verifyOptionsFor(expectations, {
          signature: signature ? path.resolve(io.cwd, signature) : undefined,
          ignorePaths,
          signal: io.signal,
        }),
      );
    } catch (e) {
      if (e instanceof PolicyInputError) throw new UsageError(e.message);
      if (e instanceof TrustedRootError || e instanceof KeyError) throw new Error(e.message);
      throw e;
    }
    const findings: Finding[] = [
      ...policy.findings.filter((f) => f.severity === 'error'),
      ...report.findings,
      ...(await cardClaims(dir, report.signatures)),
    ];
    const preface = [...expectations.notes, ...expectations.refused].map((n) => sanitizeLine(n));
    if (policy.file) preface.unshift(`policy ${displayPath(policy.file, io.cwd)}`);
    const text = [preface.join('\n'), ...report.signatures.map((s) => describe(s, io.cwd))]
      .filter(Boolean)
      .join('\n\n');
    return {
      findings,
      text: text || undefined,
      json: {
        path: displayPath(report.path, io.cwd),
        verified: report.verified,
        expectations: { notes: expectations.notes, refused: expectations.refused },
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

/** The card's `signed_by` compared with who really signed: a disagreement is reported, never used. */
async function cardClaims(dir: string, sigs: readonly SignatureResult[]): Promise<Finding[]> {
  const signers = [...new Set(sigs.filter((s) => s.verified && s.identity).map((s) => s.identity!))];
  if (!signers.length) return [];
  for (const name of ['model-card.yaml', 'model-card.yml', 'README.md']) {
    const file = path.join(dir, name);
    if (!modelCardKind(file)) continue;
    const facts = await readCardFacts(file);
    const claim = facts?.facts.find((f) => f.key === 'provenance.build_environment.signed_by');
    if (!claim) continue;
    if (signers.includes(claim.value)) return [];
    return [
      {
        ruleId: 'signing/card-claim-mismatch',
        severity: 'warning',
        message: `the model card says it was signed by ${claim.value}, but the signature that verified was made by ${signers.join(', ')} (the card is evidence, not the expectation)`,
        file,
        range: claim.range,
      },
    ];
  }
  return [];
}

function describe(s: SignatureResult, cwd: string): string {
  const lines = [
    `${s.verified ? 'VERIFIED' : 'NOT VERIFIED'}  ${sanitizeLine(displayPath(s.signatureFile, cwd))}  (${s.format})`,
  ];
  const row = (k: string, v: string | undefined) => {
    if (v) lines.push(`  ${k.padEnd(10)}${sanitizeLine(v)}`);
  };
  row('artifact', displayPath(s.file, cwd));
  row('signer', s.identity);
  row('issuer', s.issuer);
  row('key', s.key);
  row('time', s.time);
  for (const t of s.tlog ?? [])
    row(
      'tlog',
      `index ${t.logIndex}${t.integratedTime ? `, integrated ${t.integratedTime}` : ''}${t.kind ? `, ${t.kind}` : ''}`,
    );
  row('predicate', s.predicateType);
  for (const f of s.failures) row('FAILED', f);
  for (const n of s.notes) row('note', n);
  return lines.join('\n');
}

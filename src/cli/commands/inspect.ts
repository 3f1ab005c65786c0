import fs from 'node:fs';
import path from 'node:path';
import { loadPolicy } from '../../core/gate/policy.ts';
import { inspectFolder } from '../../core/inspect/inspectFolder.ts';
import { displayPath } from '../../core/output/paths.ts';
import { UsageError, type ParsedArgs } from '../args.ts';
import type { Command } from '../command.ts';
import { table } from '../table.ts';

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'find everything inspectable in a folder, run every engine on it, print one summary',
  usage: 'inspect DIR [--key PUB] [--certificate-identity ID] [--certificate-oidc-issuer ISS] [--format text|json|sarif] [--fail-on error|warning|info]',
  flags: {
    key: { value: true, metavar: 'PUB', description: 'public key the folder\'s signatures must verify with (default: the policy file\'s one key)' },
    'certificate-identity': { value: true, metavar: 'ID', description: 'expected signer identity of keyless signatures (default: the policy file\'s one identity)' },
    'certificate-identity-regexp': { value: true, metavar: 'RE', description: 'expected signer identity as a regular expression (anchored)' },
    'certificate-oidc-issuer': { value: true, metavar: 'ISS', description: 'expected OIDC issuer of keyless signatures (default: the policy file\'s one issuer)' },
    'review-max-age-days': { value: true, metavar: 'N', description: 'a model card security review older than N days is stale (default 90)' },
  },
  positionals: { min: 1, max: 1, metavar: 'DIR' },
  async run(args, io) {
    const dir = path.resolve(io.cwd, args.positionals[0]);
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`not a folder: ${args.positionals[0]}`);
    const report = await inspectFolder(dir, { signal: io.signal, options: await engineOptions(dir, args, io.cwd) });
    const counts = new Map<string, { error: number; warning: number; info: number }>();
    for (const f of report.findings) {
      const key = f.file ?? '';
      const c = counts.get(key) ?? { error: 0, warning: 0, info: 0 };
      c[f.severity]++;
      counts.set(key, c);
    }
    const rows = report.files.map((f) => {
      const c = counts.get(f.path) ?? { error: 0, warning: 0, info: 0 };
      return { file: displayPath(f.path, io.cwd), kind: f.kind, summary: f.summary ?? '', ...c };
    });
    const text = [
      `Inspected ${displayPath(dir, io.cwd)}: ${report.files.length} file(s) by ${report.engines.length} engine(s)`,
      '',
      table(['file', 'kind', 'errors', 'warnings', 'info', 'summary'], rows.map((r) => [r.file, r.kind, String(r.error), String(r.warning), String(r.info), r.summary])),
    ].join('\n');
    return {
      findings: report.findings,
      text,
      json: { root: displayPath(dir, io.cwd), files: rows, engines: report.engines },
    };
  },
};

/**
 * Expectations for the engines: flags first, then what the promotion policy (`.model-inspect.yaml`
 * in the folder or a parent) pins down unambiguously, so `inspect` and `gate` agree on signatures.
 */
async function engineOptions(dir: string, args: ParsedArgs, cwd: string): Promise<Record<string, unknown>> {
  const options: Record<string, unknown> = {};
  const { policy, file } = await loadPolicy(dir);
  const policyDir = file ? path.dirname(file) : dir;
  const only = (xs: readonly string[]) => (xs.length === 1 ? xs[0] : undefined);
  const key = args.get('key') ? path.resolve(cwd, args.get('key')!) : only(policy.signatures.keys) && path.resolve(policyDir, only(policy.signatures.keys)!);
  if (key) options['signing.publicKey'] = key;
  const identity = args.get('certificate-identity') ?? (args.has('certificate-identity-regexp') ? undefined : only(policy.signatures.identities));
  if (identity) options['signing.certificateIdentity'] = identity;
  if (args.get('certificate-identity-regexp')) options['signing.certificateIdentityRegexp'] = args.get('certificate-identity-regexp');
  const issuer = args.get('certificate-oidc-issuer') ?? only(policy.signatures.issuers);
  if (issuer) options['signing.certificateOidcIssuer'] = issuer;
  if (policy.provenance.sourceRepository) options['signing.sourceRepository'] = policy.provenance.sourceRepository;
  const age = args.get('review-max-age-days');
  if (age !== undefined) {
    const n = Number(age);
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--review-max-age-days must be a positive whole number, not '${age}'`);
    options['card.reviewMaxAgeDays'] = n;
  }
  return options;
}


import path from 'node:path';
import { UsageError, type ParsedArgs } from '../args.ts';
import type { CliIO, Command, CommandResult } from '../command.ts';
import { REGISTRY_FLAGS, TRUST_FLAGS, registryClient, trustFromFlags } from '../registryFlags.ts';
import { displayPath } from '../../core/output/paths.ts';
import { parseReference, repositoryName } from '../../core/registry/reference.ts';
import { parseShard, REQUIREMENTS, requirementTypes, scanRepository } from '../../core/registry/scanRepository.ts';
import { sanitize } from '../../core/output/text.ts';
import fs from 'node:fs';
import { plural } from '../../core/messageText.ts';

/** `model-inspect registry scan REPO`: every tag still signed and attested, sharded, a few at a time. */
async function scan(args: ParsedArgs, io: CliIO, repoArg: string): Promise<CommandResult> {
  const parsed = parseReference(repoArg.replace(/^oci:\/\//i, ''));
  if (parsed.tag !== undefined || parsed.digest !== undefined)
    throw new UsageError(`registry scan takes a repository (REGISTRY/REPO), not a tag or digest: ${repoArg}`);
  const policyArg = args.get('policy');
  if (policyArg && !fs.existsSync(path.resolve(io.cwd, policyArg)))
    throw new UsageError(`--policy: no such file: ${policyArg}`);
  // Expectations as for a folder: the command line's signers, else the policy's (never the registry's).
  const { trust, expectations, policy } = await trustFromFlags(args, io);
  const require = [...args.all('require-attestation')];
  for (const r of require) {
    try {
      requirementTypes(r);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  const notes: string[] = [...expectations.notes, ...expectations.refused];
  if (policy.findings.some((f) => f.severity === 'error'))
    return {
      findings: policy.findings,
      exitCode: 2,
      text: `The policy ${policy.file ? displayPath(policy.file, io.cwd) : ''} has errors; nothing was scanned.`,
    };
  if (policy.file) {
    const p = policy.policy;
    if (p.sbom.enabled && !require.includes('sbom')) require.push('sbom');
    if (p.modelCard.enabled && !require.includes('model-card')) require.push('model-card');
    if (p.provenance.enabled && p.provenance.requireVerified && !require.includes('slsaprovenance'))
      require.push('slsaprovenance');
    notes.push(
      `policy ${displayPath(policy.file, io.cwd)}: requires a signature${require.length ? ` and ${require.length === 1 ? 'an attestation' : 'attestations'} ${require.join(', ')}` : ''}`,
    );
  }
  const shard =
    args.get('shard') !== undefined
      ? (() => {
          try {
            return parseShard(args.get('shard')!);
          } catch (e) {
            throw new UsageError((e as Error).message);
          }
        })()
      : undefined;
  const concurrency = args.get('concurrency') !== undefined ? Number(args.get('concurrency')) : 8;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64)
    throw new UsageError('--concurrency must be an integer from 1 to 64');
  const client = await registryClient(args, io, `${repositoryName(parsed)}:x`);
  try {
    const res = await scanRepository(client, parsed, {
      tags: args.all('tags'),
      shard,
      concurrency,
      trust,
      require,
      signal: io.signal,
    });
    const rows = res.results.map((r) => [
      sanitize(r.tag),
      r.digest ? r.digest.slice(0, 19) : '-',
      r.signed ? `yes (${sanitize(r.signers.join(', '))})` : 'NO',
      r.attestations
        .filter((a) => a.verified)
        .map((a) => a.predicateType.replace(/^https:\/\//, ''))
        .join(', ') || '-',
      r.ok ? 'OK' : r.error ? 'ERROR' : `FAIL${r.missing.length ? ` (missing ${r.missing.join(', ')})` : ''}`,
    ]);
    const head = ['TAG', 'DIGEST', 'SIGNED', 'ATTESTED', 'RESULT'];
    const widths = head.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((r) => r[i].length))));
    const line = (cells: string[]) =>
      '  ' + cells.map((c, i) => (i < cells.length - 1 ? c.slice(0, widths[i]).padEnd(widths[i]) : c)).join('  ');
    const failed = res.results.filter((r) => !r.ok).length;
    const text = [
      `Registry scan of ${res.repository}${shard ? ` (shard ${shard.index}/${shard.count})` : ''}: ${res.selected} of ${plural(res.listed, 'tag')} selected`,
      ...notes,
      '',
      ...(rows.length ? [line(head), ...rows.map(line)] : ['  (no tags selected)']),
      '',
      failed
        ? `${failed} of ${plural(res.results.length, 'tag')} FAILED.`
        : `All ${plural(res.results.length, 'tag')} signed and attested as required.`,
    ].join('\n');
    return {
      findings: res.findings,
      text,
      json: {
        repository: res.repository,
        shard: res.shard ?? null,
        listed: res.listed,
        selected: res.selected,
        truncated: res.truncated,
        required: require,
        tags: res.results.map((r) => ({
          tag: r.tag,
          digest: r.digest ?? null,
          ok: r.ok,
          signed: r.signed,
          signers: r.signers,
          attestations: r.attestations,
          missing: r.missing,
          error: r.error ?? null,
        })),
      },
    };
  } finally {
    client.close();
  }
}

export const registryCommand: Command = {
  name: 'registry',
  summary: 'registry-wide checks (online): `registry scan REPO` checks that every tag is still signed and attested',
  usage: `registry scan REGISTRY/REPO [--tags GLOB]… [--shard I/N] [--concurrency N] [--policy FILE] [--require-attestation ${Object.keys(REQUIREMENTS).join('|')}|URI]… [--key PUB]… [--certificate-identity ID] [--certificate-oidc-issuer ISS] …`,
  flags: {
    tags: {
      value: true,
      repeat: true,
      metavar: 'GLOB',
      description:
        "only tags matching this glob (`*`, `?`, `[…]`; repeatable); cosign's sha256-….sig/.att tags are always left out",
    },
    shard: {
      value: true,
      metavar: 'I/N',
      description: 'only the tags of shard I of N (0-based; by a hash of the tag name, stable across runners)',
    },
    concurrency: { value: true, metavar: 'N', description: 'tags checked at a time (default 8)' },
    policy: {
      value: true,
      metavar: 'FILE',
      description:
        'promotion policy (.model-inspect.yaml): its signers, keys and required attestations (sbom, model_card, provenance.require_verified)',
    },
    'require-attestation': {
      value: true,
      repeat: true,
      metavar: 'TYPE',
      description:
        'an attestation every tag must carry, verified: sbom, cyclonedx, spdx, model-card (custom), slsaprovenance, vuln, or a predicate type URI (repeatable)',
    },
    ...TRUST_FLAGS,
    ...REGISTRY_FLAGS,
  },
  positionals: { min: 2, max: 2, metavar: 'scan REGISTRY/REPO' },
  async run(args, io) {
    const [sub, repo] = args.positionals;
    if (sub !== 'scan') throw new UsageError(`unknown registry subcommand '${sub}' (only: scan)`);
    return scan(args, io, repo);
  },
};

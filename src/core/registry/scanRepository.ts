/**
 * `registry scan REPO`: the seed's nightly registry-scan job. Lists the repository's tags, keeps
 * those matching the globs and belonging to this shard, resolves each to a digest and checks that
 * it is still signed and attested as the policy requires, a few tags at a time. Sharding is by a
 * hash of the tag name, so every runner of a GitHub Actions matrix or a Kubernetes Indexed Job
 * takes a disjoint, stable part of the same list, even when tags are pushed between their runs.
 */
import crypto from 'node:crypto';
import type { Finding } from '../findings.ts';
import type { RegistryClient } from './client.ts';
import { RegistryError } from './errors.ts';
import { isAttachmentTag, repositoryName, type Reference } from './reference.ts';
import { verifyAttachments, type AttachedResult, type AttachmentsReport, type RegistryTrust } from './signatures.ts';
import { plural } from '../messageText.ts';

export interface Shard {
  index: number;
  count: number;
}

/** `I/N` with 0 ≤ I < N (a Kubernetes Indexed Job's JOB_COMPLETION_INDEX is 0-based). */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new Error(`--shard must be I/N (for example 0/4), not ${JSON.stringify(text)}`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index >= count) throw new Error(`--shard ${text}: the index must be 0 to ${Math.max(0, count - 1)}`);
  return { index, count };
}

/** The shard a tag belongs to: the first 32 bits of sha256(tag), modulo the shard count. */
export function shardOf(tag: string, count: number): number {
  return crypto.createHash('sha256').update(tag).digest().readUInt32BE(0) % count;
}

/** A shell-style glob (`*`, `?`, `[abc]`) as an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      const body = glob
        .slice(i + 1, end)
        .replace(/\\/g, '\\\\')
        .replace(/^!/, '^');
      re += `[${body}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** What an attestation requirement accepts: names of cosign's --type, `sbom`, `model-card`, or a predicate type URI. */
export const REQUIREMENTS: Record<string, string[]> = {
  sbom: ['https://cyclonedx.org/bom', 'https://spdx.dev/Document'],
  cyclonedx: ['https://cyclonedx.org/bom'],
  spdx: ['https://spdx.dev/Document'],
  custom: ['https://cosign.sigstore.dev/attestation/v1'],
  'model-card': ['https://cosign.sigstore.dev/attestation/v1'],
  slsaprovenance: ['https://slsa.dev/provenance/v0.2', 'https://slsa.dev/provenance/v1'],
  vuln: ['https://cosign.sigstore.dev/attestation/vuln/v1'],
};

export function requirementTypes(req: string): string[] {
  const known = REQUIREMENTS[req];
  if (known) return known;
  if (/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(req)) return [req];
  throw new Error(
    `unknown attestation requirement ${JSON.stringify(req)}: use ${Object.keys(REQUIREMENTS).join(', ')}, or a predicate type URI`,
  );
}

export interface RepoScanOptions {
  tags?: string[];
  shard?: Shard;
  concurrency?: number;
  trust: RegistryTrust;
  /** Attestations each tag must carry (see REQUIREMENTS). */
  require?: string[];
  signal?: AbortSignal;
}

export interface TagResult {
  tag: string;
  digest?: string;
  signed: boolean;
  signers: string[];
  attestations: { predicateType: string; verified: boolean; signer?: string }[];
  missing: string[];
  ok: boolean;
  error?: string;
  findings: Finding[];
}

export interface RepoScanResult {
  repository: string;
  listed: number;
  selected: number;
  shard?: Shard;
  truncated: boolean;
  results: TagResult[];
  findings: Finding[];
}

function signerOf(a: AttachedResult): string {
  return a.identity ?? a.key ?? 'key';
}

/** Runs `fn` over `items` with at most `limit` at a time, keeping the order of results. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      signal?.throwIfAborted();
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

export async function scanRepository(
  client: RegistryClient,
  repo: Pick<Reference, 'registry' | 'repository'>,
  opts: RepoScanOptions,
): Promise<RepoScanResult> {
  const name = repositoryName(repo);
  const out: RepoScanResult = {
    repository: name,
    listed: 0,
    selected: 0,
    shard: opts.shard,
    truncated: false,
    results: [],
    findings: [],
  };
  let tags: string[];
  try {
    const listed = await client.listTags(repo.registry, repo.repository);
    tags = listed.tags;
    out.truncated = listed.truncated;
  } catch (e) {
    const kind = e instanceof RegistryError ? e.kind : 'network';
    out.findings.push({
      ruleId:
        kind === 'auth'
          ? 'registry/access-denied'
          : kind === 'not-found'
            ? 'registry/not-found'
            : 'registry/unreachable',
      severity: 'error',
      message: `${name}: cannot list tags: ${(e as Error).message}`,
      file: name,
    });
    return out;
  }
  if (out.truncated)
    out.findings.push({
      ruleId: 'registry/incomplete',
      severity: 'error',
      message: `${name}: more tags than the limit; only the first ${tags.length} were listed`,
      file: name,
    });
  const releases = tags.filter((t) => !isAttachmentTag(t));
  out.listed = releases.length;
  const globs = (opts.tags ?? []).map(globToRegExp);
  const selected = releases
    .filter((t) => globs.length === 0 || globs.some((g) => g.test(t)))
    .filter((t) => !opts.shard || shardOf(t, opts.shard.count) === opts.shard.index)
    .sort();
  out.selected = selected.length;
  const required = (opts.require ?? []).map((r) => ({ name: r, types: requirementTypes(r) }));
  const byDigest = new Map<string, Promise<AttachmentsReport>>();
  out.results = await mapLimit(
    selected,
    opts.concurrency ?? 8,
    async (tag): Promise<TagResult> => {
      const label = `${name}:${tag}`;
      const r: TagResult = { tag, signed: false, signers: [], attestations: [], missing: [], ok: false, findings: [] };
      let digest: string | undefined;
      try {
        const head = await client.headManifest(repo.registry, repo.repository, tag);
        if (!head) throw new RegistryError('not-found', `${label}: the tag disappeared while scanning`);
        digest = head.digest || (await client.getManifest(repo.registry, repo.repository, tag)).digest;
      } catch (e) {
        if (opts.signal?.aborted) throw e;
        r.error = (e as Error).message;
        r.findings.push({
          ruleId: e instanceof RegistryError && e.kind === 'not-found' ? 'registry/not-found' : 'registry/unreachable',
          severity: 'error',
          message: r.error,
          file: label,
        });
        return r;
      }
      r.digest = digest;
      let att = byDigest.get(digest);
      if (!att) {
        // Signatures are per digest: tags that share one are checked once.
        let manifestBytes: Buffer | undefined;
        att = (async () => {
          try {
            manifestBytes = (await client.getManifest(repo.registry, repo.repository, digest!)).bytes;
          } catch {
            /* only message-signature bundles need it */
          }
          return verifyAttachments(
            client,
            { registry: repo.registry, repository: repo.repository, digest: digest!, manifestBytes },
            opts.trust,
            { signal: opts.signal },
          );
        })();
        byDigest.set(digest, att);
      }
      let report: AttachmentsReport;
      try {
        report = await att;
      } catch (e) {
        if (opts.signal?.aborted) throw e;
        r.error = (e as Error).message;
        r.findings.push({
          ruleId: 'registry/unreachable',
          severity: 'error',
          message: `${label}: ${r.error}`,
          file: label,
        });
        return r;
      }
      const at = `${label}@${digest}`;
      for (const f of report.findings) if (f.severity !== 'info') r.findings.push({ ...f, file: at });
      for (const msg of report.incomplete)
        r.findings.push({ ruleId: 'registry/incomplete', severity: 'error', message: msg, file: at });
      const good = report.signatures.filter((s) => s.verified);
      r.signed = good.length > 0;
      r.signers = [...new Set(good.map(signerOf))];
      r.attestations = report.attestations.map((a) => ({
        predicateType: a.predicateType ?? '(unknown)',
        verified: a.verified,
        signer: a.verified ? signerOf(a) : undefined,
      }));
      if (!r.signed) {
        r.findings.push({
          ruleId: 'registry/unsigned',
          severity: 'error',
          message: report.signatures.length
            ? `${at}: none of its ${plural(report.signatures.length, 'signature')} verified against what you trust`
            : `${at}: no signature found`,
          file: at,
        });
      }
      for (const req of required) {
        if (!report.attestations.some((a) => a.verified && req.types.includes(a.predicateType ?? ''))) {
          r.missing.push(req.name);
          r.findings.push({
            ruleId: 'registry/attestation-missing',
            severity: 'error',
            message: `${at}: no verified ${req.name} attestation (${req.types.join(' or ')})`,
            file: at,
          });
        }
      }
      r.ok = r.signed && r.missing.length === 0 && !report.incomplete.length;
      if (r.ok)
        r.findings.push({
          ruleId: 'registry/tag-verified',
          severity: 'info',
          message: `${at}: signed by ${r.signers.join(', ')}${r.attestations.some((a) => a.verified) ? `; attested: ${[...new Set(r.attestations.filter((a) => a.verified).map((a) => a.predicateType))].join(', ')}` : ''}`,
          file: at,
        });
      return r;
    },
    opts.signal,
  );
  for (const r of out.results) out.findings.push(...r.findings);
  return out;
}

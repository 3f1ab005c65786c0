/**
 * A model in a registry on the command line: one inspection (inspectRemote) and the summary the
 * commands that take a reference print (`scan REF`, `inspect REF`, `verify REF`).
 */
import type { ParsedArgs } from './args.ts';
import type { CliIO, CommandResult } from './command.ts';
import { registryClient } from './registryFlags.ts';
import { table } from './table.ts';
import { sanitize } from '../core/output/text.ts';
import { describePackaging } from '../core/registry/packaging.ts';
import { inspectRemote, type RemoteInspectOptions, type RemoteModel } from '../core/registry/remote.ts';
import type { AttachedResult } from '../core/registry/signatures.ts';
import { plural } from '../core/messageText.ts';

export async function inspectReferenceArg(
  args: ParsedArgs,
  io: CliIO,
  ref: string,
  opts: RemoteInspectOptions,
): Promise<RemoteModel> {
  const client = await registryClient(args, io, ref);
  try {
    return await inspectRemote(client, ref, { ...opts, signal: io.signal });
  } finally {
    client.close();
  }
}

function verdictOf(findings: { severity: string }[], complete: boolean): string {
  if (findings.some((f) => f.severity === 'error')) return 'dangerous';
  if (!complete) return 'incomplete';
  if (findings.some((f) => f.severity === 'warning')) return 'review';
  return 'clean';
}

function describeAttached(a: AttachedResult): string {
  const who = a.identity ? `${a.identity}${a.issuer ? ` (${a.issuer})` : ''}` : (a.key ?? '');
  return `${a.verified ? 'VERIFIED' : 'NOT VERIFIED'} ${a.kind === 'attestation' ? `attestation ${a.predicateType ?? '(unknown type)'}` : 'signature'}${who ? ` by ${who}` : ''}${a.time ? ` at ${a.time}` : ''} [${a.source}]${a.failures.length ? `\n      ${a.failures.join('\n      ')}` : ''}`;
}

/** The text and JSON every reference command shares. */
export function remoteReport(m: RemoteModel): Pick<CommandResult, 'text' | 'json'> {
  const files = m.manifests.flatMap((im) =>
    im.layers.flatMap((l) =>
      l.files
        .filter((f) => f.scan)
        .map((f) => {
          const s = f.scan!;
          const count = { error: 0, warning: 0, info: 0 };
          for (const x of s.findings) count[x.severity]++;
          return {
            file: f.name,
            platform: im.platform ?? null,
            layer: l.plan.descriptor.digest,
            format: s.format,
            size: f.size,
            complete: s.complete,
            verdict: verdictOf(s.findings, s.complete),
            ...count,
          };
        }),
    ),
  );
  const lines: string[] = [];
  lines.push(
    `Model ${sanitize(m.pinned ?? m.input)}${m.fromTag ? ` (resolved from tag ${sanitize(m.reference?.tag ?? 'latest')})` : ''}`,
  );
  for (const im of m.manifests) {
    const read = im.layers.reduce((n, l) => n + l.bytes, 0);
    lines.push(
      `  ${im.platform ? `${im.platform}: ` : ''}${describePackaging(im.packaging)}${im.artifactType ? ` (${sanitize(im.artifactType)})` : ''}, ${plural(im.layers.length, 'layer')}, ${read} bytes read and checked against their digests`,
    );
  }
  if (files.length)
    lines.push(
      '',
      table(
        ['file', 'format', 'verdict', 'errors', 'warnings'],
        files.map((f) => [sanitize(f.file), f.format, f.verdict, String(f.error), String(f.warning)]),
      ),
    );
  if (m.attachments) {
    lines.push('', `Signatures and attestations (referrers: ${m.attachments.referrers})`);
    const all = [...m.attachments.signatures, ...m.attachments.attestations];
    if (!all.length) lines.push('  none found');
    for (const a of all) lines.push(`  ${sanitize(describeAttached(a))}`);
  }
  if (!m.complete)
    lines.push(
      '',
      'INCOMPLETE: part of the artifact could not be read or checked (see the registry/incomplete and registry/* findings).',
    );
  return {
    text: lines.join('\n'),
    json: {
      reference: m.input,
      pinned: m.pinned ?? null,
      digest: m.digest ?? null,
      fromTag: m.fromTag,
      complete: m.complete,
      bytes: m.bytes,
      manifests: m.manifests.map((im) => ({
        digest: im.digest,
        platform: im.platform ?? null,
        packaging: im.packaging,
        artifactType: im.artifactType ?? null,
        configMediaType: im.configMediaType,
        layers: im.layers.map((l) => ({
          digest: l.plan.descriptor.digest,
          mediaType: l.plan.descriptor.mediaType,
          size: l.plan.descriptor.size,
          title: l.plan.title ?? null,
          role: l.plan.role,
          found: l.found ?? null,
          verified: l.verified,
          failure: l.failure ?? null,
          files: l.files.length,
          notes: l.notes,
        })),
      })),
      files,
      ...(m.attachments
        ? {
            referrers: m.attachments.referrers,
            signatures: [...m.attachments.signatures, ...m.attachments.attestations].map((a) => ({
              kind: a.kind,
              source: a.source,
              signature: a.signatureFile,
              format: a.format,
              verified: a.verified,
              identity: a.identity ?? null,
              issuer: a.issuer ?? null,
              key: a.key ?? null,
              time: a.time ?? null,
              tlog: a.tlog ?? [],
              predicateType: a.predicateType ?? null,
              signedDigest: a.signedDigest ?? null,
              dockerReference: a.dockerReference ?? null,
              failures: a.failures,
              notes: a.notes,
            })),
            ignored: m.attachments.others,
          }
        : {}),
    },
  };
}

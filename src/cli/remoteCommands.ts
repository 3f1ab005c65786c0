/**
 * `verify REF`, `inspect REF` and `sbom REF`: the folder commands on a model in a registry. Loaded
 * only when an argument is a reference, so the folder commands stay as light as they were.
 */
import type { ParsedArgs } from './args.ts';
import type { CliIO, CommandResult } from './command.ts';
import { trustFromFlags } from './registryFlags.ts';
import { inspectReferenceArg, remoteReport } from './remote.ts';
import type { Finding } from '../core/findings.ts';
import { remoteMlBom } from '../core/registry/sbom.ts';
import { VERSION } from './version.ts';
import { terminalSafeJson } from '../core/output/json.ts';

/** True when the command's first argument is a registry reference (and not a local path). */
export async function isReference(arg: string, cwd: string): Promise<boolean> {
  return (await import('./registryFlags.ts')).isReferenceArgument(arg, cwd);
}

/** The expectations' origin and the policy's own problems, as every reference command reports them. */
function expectationNotes(r: Awaited<ReturnType<typeof trustFromFlags>>): { findings: Finding[]; notes: string[] } {
  return { findings: r.policy.findings, notes: [...r.expectations.notes, ...r.expectations.refused] };
}

/** Verifies the signatures and attestations attached to a reference: exit 0 when one signature verified, else 1. */
export async function verifyReference(args: ParsedArgs, io: CliIO, ref: string): Promise<CommandResult> {
  const t = await trustFromFlags(args, io);
  const m = await inspectReferenceArg(args, io, ref, { scan: false, trust: t.trust });
  const verified = Boolean(m.attachments?.signatures.some((s) => s.verified));
  const report = remoteReport(m);
  const x = expectationNotes(t);
  return {
    findings: [...x.findings, ...m.findings],
    text: [...x.notes, report.text].join('\n'),
    json: { ...report.json, verified, expectations: x.notes },
    exitCode: verified && m.complete ? 0 : 1,
  };
}

/** Everything about a reference: every layer through the scanner, and its signatures and attestations. */
export async function inspectReference(args: ParsedArgs, io: CliIO, ref: string): Promise<CommandResult> {
  const t = await trustFromFlags(args, io);
  const m = await inspectReferenceArg(args, io, ref, { scan: true, trust: t.trust });
  const report = remoteReport(m);
  const x = expectationNotes(t);
  return {
    findings: [...x.findings, ...m.findings],
    text: [...x.notes, report.text].join('\n'),
    json: { ...report.json, expectations: x.notes },
  };
}

/** A CycloneDX 1.6 ML-BOM for a reference (layers by digest, files inside archives, the attested card). */
export async function sbomReference(args: ParsedArgs, io: CliIO, ref: string): Promise<CommandResult> {
  const t = await trustFromFlags(args, io);
  const m = await inspectReferenceArg(args, io, ref, { scan: true, trust: t.trust });
  if (!m.digest) return { findings: m.findings, exitCode: 2, text: `could not read ${ref}` };
  const bom = remoteMlBom(m, { toolVersion: VERSION });
  return {
    findings: m.findings.filter((f) => f.severity !== 'info'),
    document: terminalSafeJson(bom) + '\n',
    json: { bom, reference: m.pinned },
    exitCode: m.complete ? 0 : 1,
  };
}

/**
 * `gate REF`: the promotion gate on a model in a registry, with the same policy file and the same
 * output as `gate DIR`. The policy comes from `--policy` or the nearest `.model-inspect.yaml` from
 * the working folder up (the user's repository: never from the registry); the signers it allows
 * (identities, issuers, keys) are what a signature must show.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError, type ParsedArgs } from './args.ts';
import type { CliIO, CommandResult } from './command.ts';
import { registryClient, trustFromFlags } from './registryFlags.ts';
import { remoteReport } from './remote.ts';
import { loadPolicy } from '../core/gate/policy.ts';
import { formatGateTable } from '../core/gate/table.ts';
import { displayPath } from '../core/output/paths.ts';
import { runRemoteGate } from '../core/registry/gate.ts';
import type { RegistryTrust } from '../core/registry/signatures.ts';
import { parsePublicKey } from '../core/signing/keys.ts';

export async function gateReference(args: ParsedArgs, io: CliIO, ref: string, now: Date): Promise<CommandResult> {
  const policyArg = args.get('policy');
  const policyFile = policyArg ? path.resolve(io.cwd, policyArg) : undefined;
  if (policyFile && !fs.existsSync(policyFile)) throw new UsageError(`no such policy file: ${policyArg}`);
  const policy = await loadPolicy(io.cwd, { file: policyFile });
  let trust: RegistryTrust = trustFromFlags(args, io);
  const flagged = trust.keys.length || Object.values(trust.identity).some(Boolean) || trust.caRoots;
  if (!flagged) {
    const s = policy.policy.signatures;
    const base = policy.file ? path.dirname(policy.file) : io.cwd;
    trust = {
      ...trust,
      keys: s.keys.map((k) => ({ key: parsePublicKey(fs.readFileSync(path.resolve(base, k), 'utf8')), label: k })),
      allowed: { identities: s.identities, issuers: s.issuers },
      requireIdentity: true,
    };
  }
  if (policy.policy.provenance.sourceRepository) trust.provenance = { ...trust.provenance, sourceRepository: policy.policy.provenance.sourceRepository };
  const client = await registryClient(args, io, ref);
  let run;
  try {
    run = await runRemoteGate(client, ref, { policy, trust, now, signal: io.signal });
  } finally {
    client.close();
  }
  const { verdict, evidence, model } = run;
  const where = policy.file ? `policy ${displayPath(policy.file, io.cwd)}` : 'default policy: no .model-inspect.yaml from the working folder up';
  const findings = [
    ...verdict.findings,
    ...policy.findings.filter((f) => f.severity !== 'error'),
    ...evidence.sbom.findings,
    ...model.findings.filter((f) => f.ruleId === 'registry/tag-reference'),
  ];
  const report = remoteReport(model);
  return {
    findings,
    exitCode: verdict.passed ? 0 : 1,
    text: formatGateTable(verdict, model.pinned ?? ref, where),
    json: {
      model: model.pinned ?? ref,
      reference: ref,
      digest: model.digest ?? null,
      policy: policy.file ? displayPath(policy.file, io.cwd) : null,
      verdict: verdict.passed ? 'approved' : 'blocked',
      checks: verdict.checks.map((c) => ({ id: c.id, title: c.title, status: c.status, reasons: c.reasons })),
      signatures: evidence.signatures.results.map((r) => ({ file: r.file, signatureFile: r.signatureFile, format: r.format, verified: r.verified, identity: r.identity ?? null, issuer: r.issuer ?? null, time: r.time ?? null, tlog: r.tlogEntry ?? null, key: r.key ?? null, failures: r.failures })),
      sboms: evidence.sbom.sboms.map((b) => ({ file: b.file, format: b.format, specVersion: b.specVersion, components: b.components.length })),
      vulnerabilities: evidence.vulnerabilities.vulnerabilities.map((v) => ({ id: v.id, severity: v.severity, package: v.package, version: v.version ?? null, fixedIn: v.fixedIn, scanner: v.scanner })),
      registry: report.json,
    },
  };
}

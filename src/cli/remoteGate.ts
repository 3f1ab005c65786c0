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
import { gateVerdictJson } from './gateJson.ts';
import { formatGateTable } from '../core/gate/table.ts';
import { displayPath } from '../core/output/paths.ts';
import { runRemoteGate } from '../core/registry/gate.ts';

export async function gateReference(args: ParsedArgs, io: CliIO, ref: string, now: Date): Promise<CommandResult> {
  const policyArg = args.get('policy');
  if (policyArg && !fs.existsSync(path.resolve(io.cwd, policyArg)))
    throw new UsageError(`no such policy file: ${policyArg}`);
  // Expectations as for a folder: the command line's signers, else the policy's (never the registry's).
  const { trust, expectations, policy } = await trustFromFlags(args, io);
  const client = await registryClient(args, io, ref);
  let run;
  try {
    run = await runRemoteGate(client, ref, { policy, trust, expectations, now, signal: io.signal });
  } finally {
    client.close();
  }
  const { verdict, evidence, model } = run;
  const where = policy.file
    ? `policy ${displayPath(policy.file, io.cwd)}`
    : 'default policy: no .model-inspect.yaml from the working folder up';
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
      ...gateVerdictJson(verdict, evidence, (file) => file),
      registry: report.json,
    },
  };
}

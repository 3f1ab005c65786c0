import fs from 'node:fs';
import path from 'node:path';
import { runGate } from '../../core/gate/index.ts';
import { formatGateTable } from '../../core/gate/table.ts';
import { displayPath } from '../../core/output/paths.ts';
import { UsageError } from '../args.ts';
import { gateVerdictJson } from '../gateJson.ts';
import type { Command } from '../command.ts';
import { PolicyInputError } from '../../core/signing/policy.ts';
import { commandLineLayer, EXPECTATION_FLAGS, policyFlag } from '../expectations.ts';
import { REGISTRY_FLAGS } from '../registryFlagSpecs.ts';

export const gateCommand: Command = {
  name: 'gate',
  summary:
    'promotion gate: signatures, provenance, pickle scan, SBOM, vulnerabilities and model card against .model-inspect.yaml (exit 1 when blocked)',
  usage:
    'gate DIR|REF [--policy FILE] [--key PUB…] [--certificate-identity ID --certificate-oidc-issuer ISS] [--run-tools] [--tool-timeout SECONDS] [--now DATE] [--format text|json|sarif] [registry flags: --registry-username U --registry-password-stdin …]',
  flags: {
    ...EXPECTATION_FLAGS,
    'run-tools': { description: 'run grype or trivy when installed (they may download their vulnerability database)' },
    'tool-timeout': {
      value: true,
      metavar: 'SECONDS',
      description: 'time limit for each external tool run (default 600)',
    },
    now: { value: true, metavar: 'DATE', description: 'judge freshness as of DATE (ISO 8601) instead of today' },
    ...REGISTRY_FLAGS,
  },
  positionals: { min: 1, max: 1, metavar: 'DIR|REF' },
  async run(args, io) {
    const dir = path.resolve(io.cwd, args.positionals[0]);
    const nowArg = args.get('now');
    const now = nowArg ? new Date(nowArg) : new Date();
    if (Number.isNaN(now.getTime())) throw new UsageError(`--now must be an ISO 8601 date, not '${nowArg}'`);
    if (!fs.existsSync(dir)) {
      // A model in a registry: the registry client loads only for a reference.
      if ((await import('../registryFlags.ts')).isReferenceArgument(args.positionals[0], io.cwd))
        return (await import('../remoteGate.ts')).gateReference(args, io, args.positionals[0], now);
      throw new Error(`no such file or folder: ${args.positionals[0]}`);
    }
    const timeoutArg = args.get('tool-timeout');
    const timeout = timeoutArg === undefined ? undefined : Number(timeoutArg);
    if (timeout !== undefined && !(timeout > 0))
      throw new UsageError('--tool-timeout must be a number of seconds above 0');
    const policyFile = policyFlag(args, io.cwd);
    const flags = commandLineLayer(args, io.cwd);
    let run;
    try {
      run = await runGate(dir, {
        now,
        signal: io.signal,
        policyFile,
        expectations: [flags],
        runTools: args.has('run-tools'),
        toolTimeoutMs: timeout !== undefined ? timeout * 1000 : undefined,
        tools: { pathEnv: io.env.PATH },
      });
    } catch (e) {
      if (e instanceof PolicyInputError) throw new UsageError(e.message);
      throw e;
    }
    const { verdict, evidence, policy } = run;
    return {
      findings: run.findings,
      suppressed: run.suppressed,
      exitCode: verdict.passed ? 0 : 1,
      text: formatGateTable(
        verdict,
        displayPath(evidence.root, io.cwd) || '.',
        policy.file
          ? `policy ${displayPath(policy.file, io.cwd)}`
          : 'default policy: no .model-inspect.yaml above the model folder',
      ),
      json: {
        model: displayPath(evidence.root, io.cwd) || '.',
        policy: policy.file ? displayPath(policy.file, io.cwd) : null,
        // The evidence behind the verdict, for CI logs and dashboards.
        ...gateVerdictJson(verdict, evidence, (file) => displayPath(file, io.cwd)),
        tools: evidence.vulnerabilities.tools.map((t) => ({ id: t.id, path: t.path ?? null })),
      },
    };
  },
};

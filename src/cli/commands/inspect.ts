import fs from 'node:fs';
import path from 'node:path';
import type { Finding } from '../../core/findings.ts';
import { loadPolicy } from '../../core/gate/policy.ts';
import { policyLayer } from '../../core/gate/index.ts';
import { resolveExpectations } from '../../core/signing/expectations.ts';
import { PolicyInputError } from '../../core/signing/policy.ts';
import { sanitizeLine } from '../../core/output/text.ts';
import { commandLineLayer, EXPECTATION_FLAGS, policyFlag } from '../expectations.ts';
import { inspectFolder } from '../../core/inspect/inspectFolder.ts';
import { displayPath } from '../../core/output/paths.ts';
import { UsageError, type ParsedArgs } from '../args.ts';
import type { Command } from '../command.ts';
import { REGISTRY_FLAGS } from '../registryFlagSpecs.ts';
import { table } from '../table.ts';
import { plural } from '../../core/messageText.ts';

export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'find everything inspectable in a folder, run every engine on it, print one summary',
  usage:
    'inspect DIR|REF [--key PUB…] [--certificate-identity ID --certificate-oidc-issuer ISS] [--policy FILE] [--now DATE] [--format text|json|sarif] [--fail-on error|warning|info]',
  flags: {
    ...EXPECTATION_FLAGS,
    'review-max-age-days': {
      value: true,
      metavar: 'N',
      description: 'a model card security review older than N days is stale (default 90)',
    },
    now: {
      value: true,
      metavar: 'DATE',
      description:
        'judge model card dates (the age of the security review) as of this RFC 3339 time or date instead of the current time (reproducible CI runs)',
    },
    ...REGISTRY_FLAGS,
  },
  positionals: { min: 1, max: 1, metavar: 'DIR|REF' },
  async run(args, io) {
    const dir = path.resolve(io.cwd, args.positionals[0]);
    if (!fs.existsSync(dir)) {
      const remote = await import('../remoteCommands.ts');
      if (await remote.isReference(args.positionals[0], io.cwd))
        return remote.inspectReference(args, io, args.positionals[0]);
    }
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`not a folder: ${args.positionals[0]}`);
    const nowText = args.get('now');
    const now = nowText !== undefined ? new Date(nowText) : new Date();
    if (Number.isNaN(now.getTime())) throw new UsageError(`--now must be an RFC 3339 time or a date, not '${nowText}'`);
    const report = await inspectFolder(dir, {
      now,
      signal: io.signal,
      options: await engineOptions(dir, args, io.cwd),
    });
    // The table counts the findings as shown (after rule settings and suppressions), as the list below it.
    const rows = (shown: readonly Finding[]) => {
      const counts = new Map<string, { error: number; warning: number; info: number }>();
      for (const f of shown) {
        const key = f.file ?? '';
        const c = counts.get(key) ?? { error: 0, warning: 0, info: 0 };
        c[f.severity]++;
        counts.set(key, c);
      }
      return report.files.map((f) => {
        const c = counts.get(f.path) ?? { error: 0, warning: 0, info: 0 };
        return {
          file: sanitizeLine(displayPath(f.path, io.cwd)),
          kind: f.kind,
          summary: sanitizeLine(f.summary ?? ''),
          ...c,
        };
      });
    };
    return {
      findings: report.findings,
      text: (shown) =>
        [
          `Inspected ${displayPath(dir, io.cwd)}: ${plural(report.files.length, 'file')} by ${plural(report.engines.length, 'engine')}`,
          '',
          table(
            ['file', 'kind', 'errors', 'warnings', 'info', 'summary'],
            rows(shown).map((r) => [r.file, r.kind, String(r.error), String(r.warning), String(r.info), r.summary]),
          ),
        ].join('\n'),
      json: (shown) => ({ root: displayPath(dir, io.cwd), files: rows(shown), engines: report.engines }),
    };
  },
};

/**
 * Expectations for the engines, resolved as `verify` and `gate` resolve them: the flags, else the
 * promotion policy above the folder (never one inside it, never the model card).
 */
async function engineOptions(dir: string, args: ParsedArgs, cwd: string): Promise<Record<string, unknown>> {
  const options: Record<string, unknown> = {};
  const loaded = await loadPolicy(dir, { file: policyFlag(args, cwd), inspected: dir });
  try {
    options['signing.expectations'] = resolveExpectations([commandLineLayer(args, cwd), policyLayer(loaded, dir)], {
      inspected: dir,
    });
  } catch (e) {
    if (e instanceof PolicyInputError) throw new UsageError(e.message);
    throw e;
  }
  const age = args.get('review-max-age-days');
  if (age !== undefined) {
    const n = Number(age);
    if (!Number.isInteger(n) || n <= 0)
      throw new UsageError(`--review-max-age-days must be a positive whole number, not '${age}'`);
    options['card.reviewMaxAgeDays'] = n;
  }
  return options;
}

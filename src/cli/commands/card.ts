import path from 'node:path';
import fs from 'node:fs';
import type { Finding } from '../../core/findings.ts';
import { DEFAULT_REVIEW_MAX_AGE_DAYS } from '../../core/modelcard/check.ts';
import { DEFAULT_MAX_HASH_BYTES, FileDigestCache } from '../../core/modelcard/fileDigests.ts';
import { checkModelCardFile } from '../../core/modelcard/inspector.ts';
import { UsageError } from '../args.ts';
import type { Command } from '../command.ts';

export const cardCommand: Command = {
  name: 'card',
  summary: 'validate model cards (model-card.yaml, or the front matter of a Hugging Face README.md)',
  usage:
    'card FILE… [--review-max-age-days N] [--now TIME] [--no-file-digests] [--max-hash-mib N] [--format text|json|sarif] [--fail-on error|warning|info]',
  flags: {
    'review-max-age-days': {
      value: true,
      metavar: 'N',
      description: `a security review older than N days is stale (default ${DEFAULT_REVIEW_MAX_AGE_DAYS})`,
    },
    now: {
      value: true,
      metavar: 'TIME',
      description: 'judge dates as of this RFC 3339 time or date instead of the current time (reproducible CI runs)',
    },
    'no-file-digests': { description: 'do not hash local files the card gives digests for' },
    'max-hash-mib': {
      value: true,
      metavar: 'N',
      description: `do not hash local files larger than N MiB (default ${DEFAULT_MAX_HASH_BYTES / 1024 ** 2})`,
    },
  },
  positionals: { min: 1, metavar: 'FILE' },
  async run(args, io) {
    const reviewMaxAgeDays = nonNegativeInt(args.get('review-max-age-days'), '--review-max-age-days');
    const maxHashMiB = nonNegativeInt(args.get('max-hash-mib'), '--max-hash-mib');
    const nowText = args.get('now');
    const now = nowText !== undefined ? new Date(nowText) : new Date();
    if (Number.isNaN(now.getTime())) throw new UsageError(`--now must be an RFC 3339 time or a date, not '${nowText}'`);
    const cache = new FileDigestCache();
    const findings: Finding[] = [];
    const files: { file: string; isCard: boolean }[] = [];
    for (const p of args.positionals) {
      const abs = path.resolve(io.cwd, p);
      if (!fs.existsSync(abs)) throw new Error(`no such file: ${p}`);
      const r = await checkModelCardFile(abs, {
        now,
        reviewMaxAgeDays,
        verifyLocalDigests: !args.has('no-file-digests'),
        maxHashBytes: maxHashMiB !== undefined ? maxHashMiB * 1024 ** 2 : undefined,
        cache,
        signal: io.signal,
      });
      files.push({ file: p, isCard: r.isCard });
      if (!r.isCard)
        findings.push({
          ruleId: 'yaml/syntax',
          severity: 'info',
          message:
            'no Hugging Face model metadata (YAML front matter with license, language, pipeline_tag, …): not a model card',
          file: abs,
        });
      findings.push(...r.findings);
    }
    return { findings, json: { files } };
  },
};

function nonNegativeInt(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`${flag} must be a whole number of at least 0, not '${v}'`);
  return Number(v);
}

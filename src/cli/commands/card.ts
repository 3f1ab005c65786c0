import path from 'node:path';
import fs from 'node:fs';
import type { Finding } from '../../core/findings.ts';
import { checkModelCardFile } from '../../core/modelcard/inspector.ts';
import type { Command } from '../command.ts';

export const cardCommand: Command = {
  name: 'card',
  summary: 'validate model cards (model-card.yaml, or the front matter of a Hugging Face README.md)',
  usage: 'card FILE… [--format text|json|sarif] [--fail-on error|warning|info]',
  flags: {},
  positionals: { min: 1, metavar: 'FILE' },
  async run(args, io) {
    const findings: Finding[] = [];
    const files: { file: string; isCard: boolean }[] = [];
    for (const p of args.positionals) {
      const abs = path.resolve(io.cwd, p);
      if (!fs.existsSync(abs)) throw new Error(`no such file: ${p}`);
      const r = await checkModelCardFile(abs);
      files.push({ file: p, isCard: r.isCard });
      if (!r.isCard) findings.push({ ruleId: 'yaml/syntax', severity: 'info', message: 'no YAML front matter: not a Hugging Face model card', file: abs });
      findings.push(...r.findings);
    }
    return { findings, json: { files } };
  },
};

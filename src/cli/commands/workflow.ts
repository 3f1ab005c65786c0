import fs from 'node:fs';
import path from 'node:path';
import type { Finding } from '../../core/findings.ts';
import { walk } from '../../core/fsutil/walk.ts';
import { displayPath } from '../../core/output/paths.ts';
import { isWorkflowPath } from '../../core/workflow/files.ts';
import { checkWorkflowFile } from '../../core/workflow/inspector.ts';
import type { Command } from '../command.ts';

/** Files named on the command line, and the `.github/workflows/*.{yml,yaml}` under named folders. */
async function workflowFiles(
  args: readonly string[],
  cwd: string,
): Promise<{ files: string[]; incomplete: Finding[] }> {
  const files: string[] = [];
  const incomplete: Finding[] = [];
  for (const p of args) {
    const abs = path.resolve(cwd, p);
    if (!fs.existsSync(abs)) throw new Error(`no such file or folder: ${p}`);
    if (!fs.statSync(abs).isDirectory()) {
      files.push(abs);
      continue;
    }
    const walked = await walk(abs);
    if (walked.truncated)
      incomplete.push({
        ruleId: 'gate/incomplete',
        severity: 'warning',
        message: `search incomplete: ${walked.truncated}`,
        file: abs,
      });
    const inWorkflowsDir = /(^|[\\/])\.github[\\/]workflows[\\/]?$/.test(abs);
    for (const f of walked.files) {
      if (isWorkflowPath(f.path) || (inWorkflowsDir && /^[^/]+\.ya?ml$/i.test(f.rel))) files.push(f.path);
    }
  }
  return { files: [...new Set(files)], incomplete };
}

export const workflowCommand: Command = {
  name: 'workflow',
  summary: 'check GitHub Actions workflows for signing, SBOM, provenance and supply-chain mistakes',
  usage: 'workflow FILE|DIR… [--repository-owner OWNER] [--format text|json|sarif] [--fail-on error|warning|info]',
  flags: {
    'repository-owner': {
      value: true,
      metavar: 'OWNER',
      description:
        'owner of the repository the workflows belong to (default: $GITHUB_REPOSITORY_OWNER); reusable workflows of other owners get every secret only with a warning',
    },
  },
  positionals: { min: 1, metavar: 'FILE|DIR' },
  async run(args, io) {
    const { files, incomplete } = await workflowFiles(args.positionals, io.cwd);
    const repositoryOwner = args.flags.get('repository-owner')?.at(-1) || io.env.GITHUB_REPOSITORY_OWNER || undefined;
    const findings: Finding[] = [...incomplete];
    const checked: { file: string; findings: number }[] = [];
    for (const file of files) {
      io.signal?.throwIfAborted();
      const f = await checkWorkflowFile(file, { repositoryOwner });
      findings.push(...f);
      checked.push({ file: displayPath(file, io.cwd), findings: f.length });
    }
    const text = files.length
      ? `Checked ${files.length} workflow file${files.length === 1 ? '' : 's'}`
      : 'No workflow files found (looked for .github/workflows/*.yml and *.yaml)';
    return { findings, text, json: { files: checked } };
  },
};

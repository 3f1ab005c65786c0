import fs from 'node:fs';
import path from 'node:path';
import type { Finding } from '../../core/findings.ts';
import { walk } from '../../core/fsutil/walk.ts';
import { candidateFiles, checkK8sFiles } from '../../core/k8s/files.ts';
import { displayPath } from '../../core/output/paths.ts';
import type { Command } from '../command.ts';
import { table } from '../table.ts';
import { plural } from '../../core/messageText.ts';

/** Files named on the command line, and the YAML files under named folders. */
export async function yamlFiles(
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
        ruleId: 'k8s/incomplete',
        severity: 'warning',
        message: `search incomplete: ${walked.truncated}`,
        file: abs,
      });
    for (const e of walked.errors)
      incomplete.push({
        ruleId: 'k8s/incomplete',
        severity: 'warning',
        message: `could not read ${e.path}: ${e.message}`,
        file: e.path,
      });
    files.push(...candidateFiles(walked.files));
  }
  return { files: [...new Set(files)], incomplete };
}

export const k8sCommand: Command = {
  name: 'k8s',
  summary:
    'check Kubernetes serving manifests (Pods, workloads, KServe, Seldon) and admission policies (Kyverno, Sigstore policy-controller)',
  usage: 'k8s FILE|DIR… [--format text|json|sarif] [--fail-on error|warning|info]',
  flags: {},
  positionals: { min: 1, metavar: 'FILE|DIR' },
  async run(args, io) {
    const { files, incomplete } = await yamlFiles(args.positionals, io.cwd);
    const set = await checkK8sFiles(files, io.signal);
    const rows = set.files
      .filter((f) => f.workloads || f.policies || f.findings)
      .map((f) => [displayPath(f.path, io.cwd), String(f.workloads), String(f.policies), String(f.findings)]);
    const text = rows.length
      ? `Checked ${plural(rows.length, 'Kubernetes file')}: ${plural(set.workloads.length, 'pod template')}, ${set.policies.length} admission polic${set.policies.length === 1 ? 'y' : 'ies'}\n\n${table(['file', 'workloads', 'policies', 'findings'], rows)}`
      : 'No Kubernetes manifests or admission policies found (looked for YAML with apiVersion and kind)';
    return {
      findings: [...incomplete, ...set.findings],
      text,
      json: { files: set.files.map((f) => ({ ...f, path: displayPath(f.path, io.cwd) })) },
    };
  },
};

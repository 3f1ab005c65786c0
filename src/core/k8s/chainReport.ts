import fs from 'node:fs/promises';
import path from 'node:path';
import type { Finding } from '../findings.ts';
import { walk } from '../fsutil/walk.ts';
import { checkChain } from './chain.ts';
import type { ChainReport } from './chainTypes.ts';

/** The chain as the report panel shows it for one model: the repository it belongs to, what was found, and the disagreements. */
export type { ChainReport } from './chainTypes.ts';

async function isDir(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/** The repository a model folder belongs to: the nearest folder with `.git` or `.github/workflows`, not above `stopAt`. */
export async function chainRoot(modelRoot: string, stopAt?: string): Promise<string> {
  let dir = path.resolve(modelRoot);
  const stop = stopAt ? path.resolve(stopAt) : undefined;
  // without a workspace folder to stop at, look a few levels up only
  for (let level = 0; stop || level < 4; level++) {
    if (
      (await isDir(path.join(dir, '.github', 'workflows'))) ||
      (await isDir(path.join(dir, '.git'))) ||
      (await fs.stat(path.join(dir, '.git')).then(
        () => true,
        () => false,
      ))
    )
      return dir;
    const parent = path.dirname(dir);
    if (dir === stop || parent === dir || (stop && !parent.startsWith(stop))) return stop ?? path.resolve(modelRoot);
    dir = parent;
  }
  return path.resolve(modelRoot);
}

export async function buildChainReport(modelRoot: string, stopAt?: string, signal?: AbortSignal): Promise<ChainReport> {
  const root = await chainRoot(modelRoot, stopAt);
  const walked = await walk(root, { maxFiles: 20_000 });
  const { findings, groups } = await checkChain(root, walked.files, signal);
  const model = path.resolve(modelRoot);
  const group = groups
    .filter((g) => model === g.root || model.startsWith(g.root + path.sep) || g.root === root)
    .sort((a, b) => b.root.length - a.root.length)[0];
  const inGroup = (f: Finding) =>
    !!group &&
    !!f.file &&
    (f.file === group.root ||
      f.file.startsWith(group.root + path.sep) ||
      group.workflows.some((w) => w.file === f.file) ||
      f.file === group.gate?.file);
  if (walked.truncated)
    findings.push({
      ruleId: 'chain/incomplete',
      severity: 'warning',
      message: `the repository was not read completely: ${walked.truncated}`,
      file: root,
    });
  return {
    root,
    links: {
      workflows: group?.workflows.filter((w) => w.signing.length || w.pushes.length).map((w) => w.file) ?? [],
      cards: group?.cards.map((c) => c.file) ?? [],
      gate: group?.gate?.file,
      policies: [...new Set(group?.policies.map((p) => p.object.file ?? '') ?? [])].filter(Boolean),
      manifests: [...new Set(group?.workloads.map((w) => w.object.file ?? '') ?? [])].filter(Boolean),
    },
    findings: findings.filter((f) => inGroup(f) || f.ruleId === 'chain/incomplete'),
  };
}

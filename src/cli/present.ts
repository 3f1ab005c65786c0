import fs from 'node:fs';
import path from 'node:path';
import { sortFindings, type Finding } from '../core/findings.ts';
import { dedupeFindings, presentFindings, readSourceFile, readSourceTexts, type Presented } from '../core/present.ts';
import type { ParsedArgs } from './args.ts';

/**
 * The findings step for the command line (src/core/present.ts), run by `runCli` on every
 * command's findings before any format renders them: the `rules:` of the trusted policy (found as
 * the gate finds it: `--policy`, else the nearest `.model-inspect.yaml` above each inspected path,
 * never one inside it), inline suppressions, de-duplication and order.
 */
export async function presentCliFindings(
  findings: readonly Finding[],
  args: ParsedArgs,
  cwd: string,
): Promise<Presented & { policies?: string[] }> {
  if (!findings.length) return { findings: [], suppressed: [] };
  // Loaded only when there is something to present: `--version` and a clean run read no policy.
  const { loadPolicyRules } = await import('../core/policyFile.ts');
  const { ruleInfo } = await import('../core/rules.ts');
  const isKnownRule = (id: string) => ruleInfo(id) !== undefined;
  const explicit = args.has('policy') ? path.resolve(cwd, args.get('policy')!) : undefined;
  // Each inspected path (a folder, or a file's folder) has the policy above it; a finding belongs
  // to the deepest inspected path that holds it.
  const roots = [
    ...new Set(
      args.positionals
        .map((p) => path.resolve(cwd, p))
        .filter((p) => fs.existsSync(p))
        .map((p) => (fs.statSync(p).isDirectory() ? p : path.dirname(p))),
    ),
  ].sort((a, b) => b.length - a.length);
  const groups = new Map<string | undefined, Finding[]>();
  const rootOf = (f: Finding) => {
    const abs = f.file ? path.resolve(cwd, f.file) : undefined;
    return (abs && roots.find((r) => abs === r || abs.startsWith(r + path.sep))) ?? roots.at(-1);
  };
  for (const f of findings) {
    const r = rootOf(f);
    groups.set(r, [...(groups.get(r) ?? []), f]);
  }
  const shown: Finding[] = [];
  const suppressed: Finding[] = [];
  const policyProblems: Finding[] = [];
  const policies = new Set<string>();
  for (const [root, group] of groups) {
    // Nothing inspected on disk (a registry reference): the policy from the working folder up, as
    // the reference commands find it (src/cli/registryFlags.ts).
    const policy = await loadPolicyRules(root ?? path.join(cwd, 'registry-reference'), {
      file: explicit,
      isKnownRule,
      inspected: root,
      // The working folder is the user's own, not a download's: searched up to the top even outside a repository.
      stopAt: root ? undefined : path.parse(path.resolve(cwd)).root,
    });
    policyProblems.push(...policy.findings);
    if (policy.file && policy.rules) policies.add(policy.file);
    const text = policy.inline ? await readSourceTexts(group, readSource, cwd) : undefined;
    const r = presentFindings(group, { rules: policy.rules ? [policy.rules] : [], inline: policy.inline, text });
    shown.push(...r.findings);
    suppressed.push(...r.suppressed);
  }
  return {
    findings: sortFindings(dedupeFindings([...shown, ...policyProblems])),
    suppressed: sortFindings(dedupeFindings(suppressed)),
    policies: [...policies],
  };
}

/** A file's text, or a notebook cell's (`member: "cell N"`, 1-based as Jupyter numbers them). */
async function readSource(file: string, member: string | undefined): Promise<string | undefined> {
  const cell = member !== undefined && /\.ipynb$/i.test(file) ? /^cell (\d+)$/.exec(member) : null;
  if (!cell) return readSourceFile(file, member);
  const json = await readSourceFile(file, undefined);
  if (json === undefined) return undefined;
  const { notebookCodeCells } = await import('../core/python/notebook.ts');
  const nb = notebookCodeCells(json);
  return 'cells' in nb ? nb.cells.find((c) => c.index + 1 === Number(cell[1]))?.source : undefined;
}

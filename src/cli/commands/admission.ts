import fs from 'node:fs';
import path from 'node:path';
import type { Finding } from '../../core/findings.ts';
import { walk } from '../../core/fsutil/walk.ts';
import { checkK8sFiles } from '../../core/k8s/files.ts';
import { checkAgainstGate, generateAdmissionPolicy, readGateExpectations } from '../../core/k8s/generate.ts';
import { loadExpressionLib } from '../../core/workflow/expressions.ts';
import { isWorkflowPath } from '../../core/workflow/files.ts';
import { workflowSupplyChain } from '../../core/workflow/supplyChain.ts';
import { parseImageRef } from '../../core/k8s/imageRef.ts';
import { displayPath } from '../../core/output/paths.ts';
import { UsageError } from '../args.ts';
import type { Command } from '../command.ts';
import { yamlFiles } from './k8s.ts';
import { plural } from '../../core/messageText.ts';

/** Registry repositories the workflows of the repository holding `file` push to (the policy's folder and below). */
async function pushedRepositories(dir: string): Promise<{ repos: string[]; from: string[] }> {
  const walked = await walk(dir);
  const lib = await loadExpressionLib();
  const repos = new Set<string>();
  const from: string[] = [];
  for (const f of walked.files) {
    if (!isWorkflowPath(f.rel) || f.size > 2 * 1024 * 1024) continue;
    const chain = workflowSupplyChain(fs.readFileSync(f.path, 'utf8'), f.path, lib);
    for (const p of chain.pushes) {
      const name = p.target.replace(/@.*$/, '');
      const slash = name.lastIndexOf('/');
      const colon = name.indexOf(':', slash + 1);
      const repo = parseImageRef(colon > 0 ? name.slice(0, colon) : name)?.name;
      if (repo && !repo.includes('$')) {
        repos.add(repo);
        from.push(f.path);
      }
    }
  }
  return { repos: [...repos], from: [...new Set(from)] };
}

export const admissionCommand: Command = {
  name: 'admission',
  summary:
    'generate the admission policy that enforces the promotion gate (generate), or compare existing ones with it (check)',
  usage:
    'admission generate --policy .model-inspect.yaml [--format kyverno|policy-controller] [--image-reference PATTERN]… [--output FILE]\n       admission check POLICY|DIR… --policy .model-inspect.yaml [--image-reference PATTERN]…',
  flags: {
    policy: {
      value: true,
      metavar: 'FILE',
      description:
        'the promotion policy (.model-inspect.yaml) whose signers, registry paths and attestations the cluster must enforce',
    },
    'image-reference': {
      value: true,
      repeat: true,
      metavar: 'PATTERN',
      description:
        'image pattern the policy must cover (default: admission.image_references, else the registry paths the workflows push to)',
    },
    name: { value: true, metavar: 'NAME', description: 'metadata.name of the generated policy' },
  },
  positionals: { min: 1, metavar: 'generate|check [POLICY|DIR…]' },
  documentFormats: ['kyverno', 'policy-controller'],
  async run(args, io) {
    const [sub, ...rest] = args.positionals;
    const policyArg = args.get('policy');
    if (!policyArg)
      throw new UsageError(
        '--policy FILE is required: the promotion policy to enforce (the cluster side takes its signers from it)',
      );
    const policyFile = path.resolve(io.cwd, policyArg);
    if (!fs.existsSync(policyFile)) throw new Error(`no such file: ${policyArg}`);
    const refsFlag = args.all('image-reference');
    const gate = await readGateExpectations(policyFile, refsFlag);
    const pushed = await pushedRepositories(path.dirname(policyFile));
    if (!gate.imageReferences.length)
      gate.imageReferences = pushed.repos.map((r) => ({ value: `${r}*`, source: 'workflows' }));
    if (sub === 'generate') {
      if (rest.length) throw new UsageError('admission generate takes no positional arguments besides generate');
      const format = args.get('format') === 'policy-controller' ? 'policy-controller' : 'kyverno';
      const g = generateAdmissionPolicy(gate, format, args.get('name') ?? undefined);
      const findings: Finding[] = g.problems.map((m) => ({
        ruleId: 'admission/gate-mismatch',
        severity: 'warning',
        message: m,
        file: policyFile,
      }));
      return { document: g.text, findings, json: { policy: g.text } };
    }
    if (sub === 'check') {
      if (!rest.length) throw new UsageError('admission check needs the admission policy files or folders to compare');
      const { files, incomplete } = await yamlFiles(rest, io.cwd);
      const set = await checkK8sFiles(files, io.signal);
      const findings = [
        ...incomplete,
        ...checkAgainstGate(
          set,
          gate,
          refsFlag.length || gate.imageReferences.some((r) => r.source !== 'workflows') ? [] : pushed.repos,
        ),
      ];
      if (!set.policies.length)
        findings.push({
          ruleId: 'admission/gate-mismatch',
          severity: 'error',
          message:
            'no admission policy (Kyverno ClusterPolicy/Policy/ImageValidatingPolicy, Sigstore ClusterImagePolicy) in the given files: nothing in the cluster enforces the gate',
          file: files[0] ?? policyFile,
        });
      const text = `Compared ${set.policies.length} admission polic${set.policies.length === 1 ? 'y' : 'ies'} with the promotion policy ${displayPath(policyFile, io.cwd)}: ${plural(findings.filter((f) => f.ruleId === 'admission/gate-mismatch').length, 'difference')}`;
      return {
        findings,
        text,
        json: {
          policies: set.policies.map((p) => ({
            name: p.name,
            kind: p.object.kind,
            file: p.object.file && displayPath(p.object.file, io.cwd),
          })),
        },
      };
    }
    throw new UsageError(`admission: unknown subcommand '${sub ?? ''}' (generate or check)`);
  },
};

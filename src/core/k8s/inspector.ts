import type { InspectResult, Inspector } from '../inspect/types.ts';
import { checkChain } from './chain.ts';
import { candidateFiles, checkK8sFiles } from './files.ts';

/** `inspect DIR`: the folder's serving manifests and admission policies, checked against each other. */
export const k8sInspector: Inspector = {
  id: 'k8s',
  title: 'Kubernetes manifests and admission policies',
  async inspect(ctx): Promise<InspectResult> {
    const set = await checkK8sFiles(candidateFiles(ctx.files), ctx.signal);
    const files = set.files
      .filter((f) => f.workloads || f.policies)
      .map((f) => ({
        path: f.path,
        kind:
          f.policies && !f.workloads
            ? 'admission policy'
            : f.workloads && !f.policies
              ? 'kubernetes manifest'
              : 'kubernetes manifest + policy',
        summary: `${f.workloads ? `${f.workloads} workload${f.workloads === 1 ? '' : 's'}` : ''}${f.workloads && f.policies ? ', ' : ''}${f.policies ? `${f.policies} polic${f.policies === 1 ? 'y' : 'ies'}` : ''}; ${f.findings ? `${f.findings} finding${f.findings === 1 ? '' : 's'}` : 'no findings'}`,
      }));
    return { findings: set.findings, files };
  },
};

/** `inspect DIR`: the chain of each repository in the folder (workflow, card, promotion policy, manifests, admission policy). */
export const chainInspector: Inspector = {
  id: 'chain',
  title: 'Chain: workflow, card, promotion policy and cluster agree',
  async inspect(ctx): Promise<InspectResult> {
    const { findings } = await checkChain(ctx.root, ctx.files, ctx.signal);
    return { findings, files: [] };
  },
};

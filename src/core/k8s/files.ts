import type { Finding } from '../findings.ts';
import type { WalkEntry } from '../fsutil/walk.ts';
import { checkAdmissionPolicy } from './admission.ts';
import { checkManifest, readManifestFileText } from './check.ts';
import { FindingSink } from './context.ts';
import { looksLikeKubernetes, readManifest, type ManifestFile } from './manifest.ts';
import { readAdmissionPolicy, type AdmissionPolicy } from './policies.ts';
import { loadSchemaValidators, schemaKeysFor } from './schema.ts';
import type { ImageScope } from './scope.ts';
import { isWorkloadKind, podTemplates, type PodTemplate } from './workloads.ts';

/**
 * Manifests and admission policies checked together: the images of the workloads against the
 * policies' image patterns, the policies' `match` against the workloads' namespaces and labels.
 * Used by `model-inspect k8s`, `inspect` and the editor (which passes the workspace's files).
 */

export interface K8sSet {
  manifests: ManifestFile[];
  policies: AdmissionPolicy[];
  workloads: PodTemplate[];
  /** Per file: the findings (raw: faces apply suppressions and rule settings through src/core/present.ts). */
  findings: Finding[];
  /** Files read, with what they hold. */
  files: { path: string; workloads: number; policies: number; findings: number }[];
}

/** JSON files that are never manifests (project and tool configuration). */
const NOT_MANIFEST_JSON =
  /(^|\/)(package(-lock)?|tsconfig[^/]*|jsconfig|composer|\.eslintrc|tokenizer(_config)?|special_tokens_map|vocab|generation_config|[^/]*\.index)\.json$/i;

/**
 * Files a folder walk should look at: YAML (not workflows, not model cards, not Helm templates'
 * values), and JSON, which `kubectl apply -f DIR` reads as well (a manifest written as JSON runs
 * just the same). Content decides afterwards (`looksLikeKubernetes`).
 */
export function isCandidateYaml(rel: string): boolean {
  if (/\.json$/i.test(rel)) return !NOT_MANIFEST_JSON.test(rel) && !/(^|\/)(node_modules|\.git)\//.test(rel);
  if (!/\.ya?ml$/i.test(rel)) return false;
  if (/(^|\/)\.github\/workflows\//.test(rel)) return false;
  if (/(^|\/)(model[-_]?card|\.model-inspect)\.ya?ml$/i.test(rel) || /\.model-card\.ya?ml$/i.test(rel)) return false;
  if (/(^|\/)(node_modules|\.git)\//.test(rel)) return false;
  return true;
}

export function policyScopes(policies: readonly AdmissionPolicy[]): ImageScope[] {
  return policies.flatMap((p) => p.rules.flatMap((r) => r.scopes));
}

/** Read texts (already in memory) into manifests, policies and workloads. */
export function collect(texts: readonly { path: string; text: string }[]): {
  manifests: ManifestFile[];
  policies: AdmissionPolicy[];
  workloads: PodTemplate[];
} {
  const manifests: ManifestFile[] = [];
  const policies: AdmissionPolicy[] = [];
  const workloads: PodTemplate[] = [];
  for (const t of texts) {
    if (!looksLikeKubernetes(t.text)) continue;
    const m = readManifest(t.text, t.path);
    manifests.push(m);
    for (const o of m.objects) {
      const p = readAdmissionPolicy(o, t.path);
      if (p) policies.push(p);
      else if (isWorkloadKind(o)) workloads.push(...podTemplates(o));
    }
  }
  return { manifests, policies, workloads };
}

/** Check every manifest and policy of a set of files against each other. */
export async function checkK8sTexts(
  texts: readonly { path: string; text: string }[],
  context: { policies?: readonly AdmissionPolicy[]; workloads?: readonly PodTemplate[] } = {},
): Promise<K8sSet> {
  const { manifests, policies, workloads } = collect(texts);
  await loadSchemaValidators(schemaKeysFor(manifests.flatMap((m) => m.objects)));
  const allPolicies = [...policies, ...(context.policies ?? [])];
  const allWorkloads = [...workloads, ...(context.workloads ?? [])];
  const scopes = policyScopes(allPolicies);
  const findings: Finding[] = [];
  const files: K8sSet['files'] = [];
  for (const m of manifests) {
    const result = checkManifest(m, { admissionScopes: scopes.length ? scopes : undefined });
    const sink = new FindingSink(m.file);
    let count = 0;
    for (const o of m.objects) {
      const p = policies.find((x) => x.object === o);
      if (!p) continue;
      count++;
      try {
        checkAdmissionPolicy(sink, p, { workloads: allWorkloads });
      } catch (e) {
        sink.add(
          'k8s/incomplete',
          o.doc,
          o.node,
          `${o.label} could not be checked completely: ${(e as Error)?.message ?? e}`,
        );
      }
    }
    // Inline suppressions are applied by the findings step of each face (src/core/present.ts), not here.
    const own = [...result.findings, ...sink.findings];
    findings.push(...own);
    files.push({ path: m.file ?? '', workloads: result.workloads, policies: count, findings: own.length });
  }
  return { manifests, policies, workloads, findings, files };
}

/** Read files (walk entries or paths) and check them as one set. */
export async function checkK8sFiles(
  paths: readonly string[],
  signal?: AbortSignal,
): Promise<K8sSet & { unread: Finding[] }> {
  const texts: { path: string; text: string }[] = [];
  const unread: Finding[] = [];
  for (const p of paths) {
    signal?.throwIfAborted();
    const t = await readManifestFileText(p);
    if (typeof t === 'string') texts.push({ path: p, text: t });
    else unread.push(t);
  }
  const set = await checkK8sTexts(texts);
  return { ...set, findings: [...unread, ...set.findings], unread };
}

export function candidateFiles(files: readonly WalkEntry[]): string[] {
  return files.filter((f) => isCandidateYaml(f.rel) && f.size <= 8 * 1024 * 1024).map((f) => f.path);
}

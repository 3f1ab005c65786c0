import type { YamlDocument, YamlNode } from '../yaml/document.ts';
import { metadataMap, type K8sObject } from './manifest.ts';
import { child, mapping, pairs, path, sequence, str, text } from './yamlView.ts';

/**
 * The pods a manifest makes, whatever wraps them: a Pod, the template of a Deployment, StatefulSet,
 * DaemonSet, ReplicaSet, Job, CronJob or Argo Rollout, the components of a KServe InferenceService
 * (whose pod fields sit inline in `predictor:`), a KServe ServingRuntime (containers only: the
 * pod-level fields come from the InferenceService), and the component specs of a Seldon
 * SeldonDeployment.
 */

export type ContainerKind = 'container' | 'initContainer' | 'ephemeralContainer' | 'modelServer';

export interface ContainerRef {
  node: YamlNode;
  kind: ContainerKind;
  name: string;
  /** Path for messages, e.g. `spec.template.spec.containers[0]`. */
  where: string;
}

export interface VolumeRef {
  name: string;
  node: YamlNode;
  /** The volume source key (`persistentVolumeClaim`, `hostPath`, `image`, `emptyDir`, …). */
  source?: string;
  sourceNode?: YamlNode;
}

export interface ModelUri {
  value: string;
  node: YamlNode;
  where: string;
}

export interface PodTemplate {
  object: K8sObject;
  doc: YamlDocument;
  /** The PodSpec mapping, or the mapping that stands for it (a KServe component, a ServingRuntime spec). */
  spec: YamlNode;
  /** The key whose value is the spec (`spec:`), for findings about the pod as a whole. */
  specKey?: YamlNode;
  where: string;
  /** Whether pod-level fields (securityContext, hostNetwork, volumes, …) belong here. */
  podLevel: boolean;
  containers: ContainerRef[];
  volumes: Map<string, VolumeRef>;
  /** The pod's labels (the template's, or the Pod's own). */
  labels: Map<string, string>;
  namespace?: string;
  modelUris: ModelUri[];
}

const TEMPLATE_KINDS: Record<string, { groups: readonly string[]; path: readonly string[] }> = {
  Deployment: { groups: ['apps', 'extensions'], path: ['spec', 'template'] },
  StatefulSet: { groups: ['apps'], path: ['spec', 'template'] },
  DaemonSet: { groups: ['apps', 'extensions'], path: ['spec', 'template'] },
  ReplicaSet: { groups: ['apps', 'extensions'], path: ['spec', 'template'] },
  ReplicationController: { groups: [''], path: ['spec', 'template'] },
  Job: { groups: ['batch'], path: ['spec', 'template'] },
  CronJob: { groups: ['batch'], path: ['spec', 'jobTemplate', 'spec', 'template'] },
  PodTemplate: { groups: [''], path: ['template'] },
  Rollout: { groups: ['argoproj.io'], path: ['spec', 'template'] },
};

/** KServe's predictor framework specs: each is a container (with `storageUri`) KServe fills in. */
export const KSERVE_FRAMEWORKS = [
  'model',
  'sklearn',
  'xgboost',
  'tensorflow',
  'pytorch',
  'triton',
  'onnx',
  'pmml',
  'lightgbm',
  'paddle',
  'huggingface',
];
const KSERVE_COMPONENTS = ['predictor', 'transformer', 'explainer'];

function isKnownWorkloadKind(obj: K8sObject): boolean {
  if (obj.kind === 'Pod' && obj.group === '') return true;
  const t = TEMPLATE_KINDS[obj.kind];
  if (t && t.groups.includes(obj.group)) return true;
  if (
    obj.group === 'serving.kserve.io' &&
    ['InferenceService', 'ServingRuntime', 'ClusterServingRuntime'].includes(obj.kind)
  )
    return true;
  return obj.group === 'machinelearning.seldon.io' && obj.kind === 'SeldonDeployment';
}

/** Groups whose objects hold pod-shaped patterns that are not pods (admission and policy engines). */
const POLICY_GROUP =
  /(^|\.)(kyverno\.io|sigstore\.dev|gatekeeper\.sh|admissionregistration\.k8s\.io|kubewarden\.io|openpolicyagent\.org)$/;

/**
 * Kinds whose pods this module can find: the serving workloads of the issue, and any other
 * resource (a custom one: Kubeflow's PyTorchJob, KubeRay, Knative, LeaderWorkerSet, …) that embeds
 * a pod spec, which its controller turns into pods just the same.
 */
export function isWorkloadKind(obj: K8sObject): boolean {
  return isKnownWorkloadKind(obj) || embeddedPodSpecs(obj).length > 0;
}

/** Most nodes walked looking for pod specs inside one custom resource. */
const MAX_EMBEDDED_WALK = 20_000;
const MAX_EMBEDDED_DEPTH = 16;

function isContainerList(doc: YamlDocument, n: YamlNode | undefined): boolean {
  const items = sequence(doc, n);
  return (
    items.length > 0 &&
    items.every((i) => {
      const m = mapping(doc, i);
      return m !== undefined && str(doc, m, 'image') !== undefined && str(doc, m, 'name') !== undefined;
    })
  );
}

/**
 * Mappings inside an object of an unknown kind that are pod specs: a `containers` list of
 * mappings with a `name` and an `image`. Not for the known kinds (read by their own paths) nor
 * for policy engines' objects, whose patterns look like pods.
 */
function embeddedPodSpecs(obj: K8sObject): { spec: YamlNode; where: string; labels: Map<string, string> }[] {
  if (isKnownWorkloadKind(obj) || POLICY_GROUP.test(obj.group) || (obj.group === '' && obj.kind !== 'PodTemplate'))
    return [];
  const doc = obj.doc;
  const out: { spec: YamlNode; where: string; labels: Map<string, string> }[] = [];
  const seen = new Set<YamlNode>();
  let budget = MAX_EMBEDDED_WALK;
  const walk = (n: YamlNode, where: string, parent: YamlNode | undefined, depth: number): void => {
    if (--budget < 0 || depth > MAX_EMBEDDED_DEPTH || seen.has(n)) return;
    seen.add(n);
    if (n.kind === 'mapping') {
      if (isContainerList(doc, child(doc, n, 'containers'))) {
        // `template: {metadata, spec}` around it gives the pod's labels
        out.push({ spec: n, where, labels: labelsAt(doc, child(doc, parent, 'metadata')) });
        return;
      }
      for (const p of pairs(doc, n)) {
        const v = p.value ? (mapping(doc, p.value) ?? doc.resolveAlias(p.value)) : null;
        if (v && v.kind !== 'scalar') walk(v, where ? `${where}.${p.keyText}` : p.keyText, n, depth + 1);
      }
    } else if (n.kind === 'sequence') {
      sequence(doc, n).forEach((i, k) => {
        if (i.kind !== 'scalar') walk(i, `${where}[${k}]`, undefined, depth + 1);
      });
    }
  };
  const spec = child(doc, obj.node, 'spec');
  if (spec) walk(spec, 'spec', obj.node, 0);
  const tpl = child(doc, obj.node, 'template');
  if (tpl) walk(tpl, 'template', obj.node, 0);
  return out;
}

function containersOf(doc: YamlDocument, spec: YamlNode, where: string): ContainerRef[] {
  const out: ContainerRef[] = [];
  const lists: [string, ContainerKind][] = [
    ['initContainers', 'initContainer'],
    ['containers', 'container'],
    ['ephemeralContainers', 'ephemeralContainer'],
  ];
  for (const [key, kind] of lists) {
    sequence(doc, child(doc, spec, key)).forEach((c, i) => {
      const m = mapping(doc, c);
      if (m) out.push({ node: m, kind, name: str(doc, m, 'name') || `#${i + 1}`, where: `${where}.${key}[${i}]` });
    });
  }
  return out;
}

function volumesOf(doc: YamlDocument, spec: YamlNode): Map<string, VolumeRef> {
  const out = new Map<string, VolumeRef>();
  for (const v of sequence(doc, child(doc, spec, 'volumes'))) {
    const m = mapping(doc, v);
    const name = m && str(doc, m, 'name');
    if (!m || !name) continue;
    const src = pairs(doc, m).find((p) => p.keyText !== 'name');
    out.set(name, {
      name,
      node: m,
      source: src?.keyText,
      sourceNode: src?.value ? (doc.resolveAlias(src.value) ?? undefined) : undefined,
    });
  }
  return out;
}

function keyFor(doc: YamlDocument, root: YamlNode, target: YamlNode): YamlNode | undefined {
  // the pair (anywhere under the object, at most a few levels down) whose value is the spec
  const stack: { n: YamlNode; d: number }[] = [{ n: root, d: 0 }];
  while (stack.length) {
    const { n, d } = stack.pop()!;
    for (const p of n.pairs ?? []) {
      const v = mapping(doc, p.value);
      if (v === target) return p.key;
      if (v && d < 8) stack.push({ n: v, d: d + 1 });
    }
    if (d < 8)
      for (const i of n.items ?? []) {
        const m = mapping(doc, i);
        if (m) stack.push({ n: m, d: d + 1 });
      }
  }
  return undefined;
}

function template(
  obj: K8sObject,
  spec: YamlNode,
  where: string,
  podLevel: boolean,
  labels: Map<string, string>,
): PodTemplate {
  return {
    object: obj,
    doc: obj.doc,
    spec,
    specKey: keyFor(obj.doc, obj.node, spec),
    where,
    podLevel,
    labels,
    namespace: obj.namespace,
    containers: containersOf(obj.doc, spec, where),
    volumes: podLevel || child(obj.doc, spec, 'volumes') ? volumesOf(obj.doc, spec) : new Map(),
    modelUris: [],
  };
}

function labelsAt(doc: YamlDocument, meta: YamlNode | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of pairs(doc, child(doc, meta, 'labels'))) {
    const v = text(doc, p.value);
    if (v !== undefined) out.set(p.keyText, v);
  }
  return out;
}

export function podTemplates(obj: K8sObject): PodTemplate[] {
  const doc = obj.doc;
  if (obj.kind === 'Pod' && obj.group === '') {
    const spec = mapping(doc, child(doc, obj.node, 'spec'));
    return spec ? [template(obj, spec, 'spec', true, metadataMap(obj, 'labels'))] : [];
  }
  const t = TEMPLATE_KINDS[obj.kind];
  if (t && t.groups.includes(obj.group)) {
    const tpl = path(doc, obj.node, t.path);
    const spec = mapping(doc, child(doc, tpl, 'spec'));
    return spec
      ? [template(obj, spec, [...t.path, 'spec'].join('.'), true, labelsAt(doc, child(doc, tpl, 'metadata')))]
      : [];
  }
  if (obj.group === 'serving.kserve.io') return kserve(obj);
  if (obj.group === 'machinelearning.seldon.io' && obj.kind === 'SeldonDeployment') return seldon(obj);
  return embeddedPodSpecs(obj).map((e) =>
    template(obj, e.spec, e.where, true, e.labels.size ? e.labels : metadataMap(obj, 'labels')),
  );
}

function kserve(obj: K8sObject): PodTemplate[] {
  const doc = obj.doc;
  const spec = mapping(doc, child(doc, obj.node, 'spec'));
  if (!spec) return [];
  if (obj.kind === 'ServingRuntime' || obj.kind === 'ClusterServingRuntime') {
    const out = [template(obj, spec, 'spec', false, metadataMap(obj, 'labels'))];
    const worker = mapping(doc, child(doc, spec, 'workerSpec'));
    if (worker) out.push(template(obj, worker, 'spec.workerSpec', false, metadataMap(obj, 'labels')));
    return out;
  }
  if (obj.kind !== 'InferenceService') return [];
  const out: PodTemplate[] = [];
  for (const component of KSERVE_COMPONENTS) {
    const c = mapping(doc, child(doc, spec, component));
    if (!c) continue;
    const where = `spec.${component}`;
    const t = template(obj, c, where, true, metadataMap(obj, 'labels'));
    for (const fw of KSERVE_FRAMEWORKS) {
      const m = mapping(doc, child(doc, c, fw));
      if (!m) continue;
      t.containers.unshift({
        node: m,
        kind: 'modelServer',
        name: fw === 'model' ? 'kserve-container' : `kserve-container (${fw})`,
        where: `${where}.${fw}`,
      });
      const uri = child(doc, m, 'storageUri');
      const v = text(doc, uri);
      if (uri && v) t.modelUris.push({ value: v, node: uri, where: `${where}.${fw}.storageUri` });
    }
    const uri = child(doc, c, 'storageUri');
    const v = text(doc, uri);
    if (uri && v) t.modelUris.push({ value: v, node: uri, where: `${where}.storageUri` });
    out.push(t);
    const worker = mapping(doc, child(doc, c, 'workerSpec'));
    if (worker) out.push(template(obj, worker, `${where}.workerSpec`, true, metadataMap(obj, 'labels')));
  }
  return out;
}

function seldon(obj: K8sObject): PodTemplate[] {
  const doc = obj.doc;
  const out: PodTemplate[] = [];
  sequence(doc, path(doc, obj.node, ['spec', 'predictors'])).forEach((pred, i) => {
    const uris: ModelUri[] = [];
    const graphUris = (node: YamlNode | undefined, where: string, depth: number): void => {
      if (!node || depth > 32) return;
      const uri = child(doc, node, 'modelUri');
      const v = text(doc, uri);
      if (uri && v) uris.push({ value: v, node: uri, where: `${where}.modelUri` });
      sequence(doc, child(doc, node, 'children')).forEach((c, k) =>
        graphUris(mapping(doc, c), `${where}.children[${k}]`, depth + 1),
      );
    };
    graphUris(mapping(doc, child(doc, pred, 'graph')), `spec.predictors[${i}].graph`, 0);
    const specs = sequence(doc, child(doc, pred, 'componentSpecs'));
    specs.forEach((cs, j) => {
      const spec = mapping(doc, child(doc, cs, 'spec'));
      if (!spec) return;
      const t = template(
        obj,
        spec,
        `spec.predictors[${i}].componentSpecs[${j}].spec`,
        true,
        labelsAt(doc, child(doc, cs, 'metadata')),
      );
      if (j === 0) t.modelUris.push(...uris);
      out.push(t);
    });
    if (!specs.length && uris.length) {
      // prepackaged servers only: Seldon builds the pod; the model URIs still count
      const predNode = mapping(doc, pred);
      if (predNode)
        out.push({
          ...template(obj, predNode, `spec.predictors[${i}]`, false, new Map()),
          containers: [],
          modelUris: uris,
        });
    }
  });
  return out;
}

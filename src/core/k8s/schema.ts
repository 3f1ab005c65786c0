import type { YamlDocument, YamlNode } from '../yaml/document.ts';
import type { FindingSink } from './context.ts';
import { fix } from './edits.ts';
import type { K8sObject } from './manifest.ts';
import type { PodTemplate } from './workloads.ts';
import { child, mapping, pairs, sequence } from './yamlView.ts';
import { replace } from '../workflow/edits.ts';

/**
 * Validation against the Kubernetes API schema. The validators are the ones `kubernetes-models`
 * precompiles from the Kubernetes OpenAPI document (ajv standalone code: nothing is compiled at
 * run time); they report wrong types, values outside enums, bad formats (quantities) and missing
 * required fields, each with its JSON pointer, which is mapped back to the YAML node.
 *
 * The OpenAPI document does not forbid unknown fields (the API server prunes them), so unknown
 * keys are checked here for the objects where a misspelt key silently undoes hardening.
 */

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

type SchemaData = typeof import('./schemaData.ts');
type ModelClass = SchemaData['MODELS'][string];

let data: SchemaData | undefined;

/** Load the schema data (async, once: the validators and CRD schemas live in a lazily loaded chunk). */
export async function loadSchemaData(): Promise<SchemaData> {
  data ??= await import('./schemaData.ts');
  return data;
}

/** The data when loaded, for the synchronous checks (`checkK8sTexts` loads it first). */
export function schemaData(): SchemaData | undefined {
  return data;
}

/** Load the validators the objects need; `validateSchema` then runs synchronously. */
export async function loadSchemaValidators(_keys: Iterable<string> = []): Promise<void> {
  await loadSchemaData();
}

const MODEL_KEYS = [
  'Pod@v1',
  'PodTemplate@v1',
  'ReplicationController@v1',
  'Deployment@apps/v1',
  'StatefulSet@apps/v1',
  'DaemonSet@apps/v1',
  'ReplicaSet@apps/v1',
  'Job@batch/v1',
  'CronJob@batch/v1',
];
const loaded = { get: (k: string): ModelClass | undefined => data?.MODELS[k] };

/** Apis removed from Kubernetes: the object is refused by any supported cluster. */
const REMOVED: Record<string, string> = {
  'extensions/v1beta1': 'apps/v1',
  'apps/v1beta1': 'apps/v1',
  'apps/v1beta2': 'apps/v1',
  'batch/v1beta1': 'batch/v1',
  'batch/v2alpha1': 'batch/v1',
};

export function schemaKeysFor(objects: readonly K8sObject[]): string[] {
  const keys = new Set<string>();
  for (const o of objects) {
    const k = `${o.kind}@${o.apiVersion}`;
    if (MODEL_KEYS.includes(k)) keys.add(k);
    if (o.group === 'serving.kserve.io') {
      keys.add('Container');
      keys.add('Volume');
    }
    if (o.group === 'machinelearning.seldon.io') keys.add('PodSpec');
  }
  return [...keys];
}

/** Plain data for the validator: dates back to strings (Kubernetes reads YAML timestamps as strings). */
function plain(v: unknown, depth = 0): unknown {
  if (depth > 200) return v;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? String(v) : v.toISOString();
  if (Array.isArray(v)) return v.map((x) => plain(x, depth + 1));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v))
      Object.defineProperty(out, k, {
        value: plain(x, depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return out;
  }
  return v;
}

function run(cls: ModelClass, data: unknown): AjvError[] {
  try {
    new cls(data).validate();
    return [];
  } catch (e) {
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors)) return errors as AjvError[];
    return [{ instancePath: '', keyword: 'error', params: {}, message: (e as Error)?.message ?? String(e) }];
  }
}

/** The node at a JSON pointer under `root`, and the key that holds it. */
function nodeAt(
  doc: YamlDocument,
  root: YamlNode,
  pointer: string,
): { node: YamlNode; key?: YamlNode; path: string[]; complete: boolean } {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let node = root;
  let key: YamlNode | undefined;
  const path: string[] = [];
  for (const part of parts) {
    const n = doc.resolveAlias(node);
    if (n?.kind === 'sequence' && /^\d+$/.test(part)) {
      const item = sequence(doc, n)[Number(part)];
      if (!item) return { node, key, path, complete: false };
      node = item;
      key = undefined;
      path.push(`[${part}]`);
      continue;
    }
    const p = mapping(doc, n)
      ?.pairs?.slice()
      .reverse()
      .find((x) => x.keyText === part);
    if (!p) return { node, key, path, complete: false };
    key = p.key;
    node = p.value ?? p.key;
    path.push(path.length ? `.${part}` : part);
  }
  return { node, key, path, complete: true };
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 39) + '…' : v)}`;
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${String(v)}`;
}

function report(
  sink: FindingSink,
  doc: YamlDocument,
  root: YamlNode,
  base: string,
  errors: readonly AjvError[],
  valueAt: (pointer: string) => unknown,
): void {
  const byPath = new Map<string, AjvError[]>();
  for (const e of errors) {
    const k = e.keyword === 'required' ? `${e.instancePath}#${String(e.params.missingProperty)}` : e.instancePath;
    if (!byPath.has(k)) byPath.set(k, []);
    byPath.get(k)!.push(e);
  }
  for (const list of byPath.values()) {
    const e =
      ['format', 'enum', 'type', 'required'].map((k) => list.find((x) => x.keyword === k)).find(Boolean) ?? list[0];
    if (e.keyword === 'oneOf' || e.keyword === 'anyOf') continue; // the branch errors say more
    const at = nodeAt(doc, root, e.instancePath);
    const where = [base, at.path.join('')].filter(Boolean).join('.').replace(/\.\[/g, '[');
    const value = valueAt(e.instancePath);
    let message: string;
    let fixes;
    if (e.keyword === 'required') {
      message = `${where || 'the object'} is missing the required field '${String(e.params.missingProperty)}'`;
      sink.add('k8s/schema', doc, at.key ?? at.node, message);
      continue;
    }
    if (e.keyword === 'type') {
      const want = String(e.params.type);
      message = `${where} must be ${want === 'integer' ? 'an integer' : want === 'object' ? 'a mapping' : want === 'array' ? 'a list' : `a ${want}`}, not ${describe(value)}`;
      if (
        want === 'string' &&
        (typeof value === 'number' || typeof value === 'boolean') &&
        at.node.kind === 'scalar' &&
        at.node.style === 'plain'
      ) {
        message += ' (YAML reads it unquoted as a ' + typeof value + ')';
        fixes = [
          fix('Quote the value', [replace(doc, at.node.start, at.node.end, JSON.stringify(doc.source(at.node)))]),
        ];
      } else if (
        (want === 'integer' || want === 'number') &&
        typeof value === 'string' &&
        /^-?\d+(\.\d+)?$/.test(value)
      ) {
        fixes = [fix('Unquote the number', [replace(doc, at.node.start, at.node.end, value)])];
      } else if (want === 'boolean' && typeof value === 'string' && /^(true|false)$/i.test(value)) {
        fixes = [
          fix(`Write ${value.toLowerCase()} without quotes`, [
            replace(doc, at.node.start, at.node.end, value.toLowerCase()),
          ]),
        ];
      }
    } else if (e.keyword === 'enum') {
      const allowed = (e.params.allowedValues as unknown[] | undefined) ?? [];
      const close =
        typeof value === 'string'
          ? allowed.find((a) => typeof a === 'string' && a.toLowerCase() === value.toLowerCase())
          : undefined;
      message = `${where} is ${describe(value)}; allowed: ${allowed.map(String).join(', ')}`;
      if (typeof close === 'string')
        fixes = [fix(`Change to ${close}`, [replace(doc, at.node.start, at.node.end, close)])];
    } else if (e.keyword === 'format') {
      const fmt = String(e.params.format);
      message =
        fmt === 'quantity'
          ? `${where} ${describe(value)} is not a Kubernetes quantity (e.g. 4Gi, 500Mi, 2, 250m)`
          : `${where} ${describe(value)} is not a valid ${fmt}`;
    } else {
      message = `${where} ${e.message ?? e.keyword}`;
    }
    sink.add('k8s/schema', doc, at.node, message, { fixes });
  }
}

function pointerValue(value: unknown, pointer: string): unknown {
  let v = value;
  for (const part of pointer.split('/').slice(1)) {
    if (v && typeof v === 'object') v = (v as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    else return undefined;
  }
  return v;
}

/**
 * Validate an object against the Kubernetes schema (the validators must be loaded). KServe and
 * Seldon objects are validated where they embed Kubernetes types (containers, volumes, pod specs).
 * Returns false when the object's value could not be built (an alias bomb): nothing was validated.
 */
export function validateSchema(sink: FindingSink, obj: K8sObject, templates: readonly PodTemplate[]): boolean {
  const doc = obj.doc;
  const removed = REMOVED[obj.apiVersion];
  if (removed && MODEL_KEYS.includes(`${obj.kind}@${removed}`)) {
    const at = child(doc, obj.node, 'apiVersion')!;
    sink.add('k8s/schema', doc, at, `${obj.kind} ${obj.apiVersion} was removed from Kubernetes; use ${removed}`, {
      fixes: [fix(`Change to ${removed}`, [replace(doc, at.start, at.end, removed)])],
    });
    return true;
  }
  const targets: { cls?: ModelClass; node: YamlNode; base: string; ignoreRequired?: boolean }[] = [];
  const main = loaded.get(`${obj.kind}@${obj.apiVersion}`);
  if (main) targets.push({ cls: main, node: obj.node, base: '' });
  else if (obj.group === 'serving.kserve.io') {
    for (const t of templates) {
      for (const c of t.containers)
        targets.push({
          cls: loaded.get('Container'),
          node: c.node,
          base: c.where,
          ignoreRequired: c.kind === 'modelServer',
        });
      for (const v of t.volumes.values())
        targets.push({ cls: loaded.get('Volume'), node: v.node, base: `${t.where}.volumes[${v.name}]` });
    }
  } else if (obj.group === 'machinelearning.seldon.io') {
    for (const t of templates)
      if (t.podLevel) targets.push({ cls: loaded.get('PodSpec'), node: t.spec, base: t.where });
  }
  for (const target of targets) {
    if (!target.cls) continue;
    const built = doc.toValue(target.node);
    if (!built.complete) {
      sink.add(
        'k8s/incomplete',
        doc,
        target.node,
        `${obj.label}: anchors and aliases expand into too many nodes; the object was not validated`,
      );
      return false;
    }
    const value = plain(built.value);
    let errors = run(target.cls, value);
    if (target.ignoreRequired) errors = errors.filter((e) => e.keyword !== 'required' || e.instancePath !== '');
    report(sink, doc, target.node, target.base, errors, (p) => pointerValue(value, p));
  }
  return true;
}

// ---- unknown fields where a typo silently undoes hardening ----

const KNOWN: Record<string, readonly string[]> = {
  container: [
    'args',
    'command',
    'env',
    'envFrom',
    'image',
    'imagePullPolicy',
    'lifecycle',
    'livenessProbe',
    'name',
    'ports',
    'readinessProbe',
    'resizePolicy',
    'resources',
    'restartPolicy',
    'securityContext',
    'startupProbe',
    'stdin',
    'stdinOnce',
    'terminationMessagePath',
    'terminationMessagePolicy',
    'tty',
    'volumeDevices',
    'volumeMounts',
    'workingDir',
  ],
  securityContext: [
    'allowPrivilegeEscalation',
    'appArmorProfile',
    'capabilities',
    'privileged',
    'procMount',
    'readOnlyRootFilesystem',
    'runAsGroup',
    'runAsNonRoot',
    'runAsUser',
    'seLinuxOptions',
    'seccompProfile',
    'windowsOptions',
  ],
  podSecurityContext: [
    'appArmorProfile',
    'fsGroup',
    'fsGroupChangePolicy',
    'runAsGroup',
    'runAsNonRoot',
    'runAsUser',
    'seLinuxChangePolicy',
    'seLinuxOptions',
    'seccompProfile',
    'supplementalGroups',
    'supplementalGroupsPolicy',
    'sysctls',
    'windowsOptions',
  ],
  volumeMount: ['mountPath', 'mountPropagation', 'name', 'readOnly', 'recursiveReadOnly', 'subPath', 'subPathExpr'],
  podSpec: [
    'activeDeadlineSeconds',
    'affinity',
    'automountServiceAccountToken',
    'containers',
    'dnsConfig',
    'dnsPolicy',
    'enableServiceLinks',
    'ephemeralContainers',
    'hostAliases',
    'hostIPC',
    'hostNetwork',
    'hostPID',
    'hostUsers',
    'hostname',
    'imagePullSecrets',
    'initContainers',
    'nodeName',
    'nodeSelector',
    'os',
    'overhead',
    'preemptionPolicy',
    'priority',
    'priorityClassName',
    'readinessGates',
    'resourceClaims',
    'resources',
    'restartPolicy',
    'runtimeClassName',
    'schedulerName',
    'schedulingGates',
    'securityContext',
    'serviceAccount',
    'serviceAccountName',
    'setHostnameAsFQDN',
    'shareProcessNamespace',
    'subdomain',
    'terminationGracePeriodSeconds',
    'tolerations',
    'topologySpreadConstraints',
    'volumes',
  ],
  capabilities: ['add', 'drop'],
  seccompProfile: ['localhostProfile', 'type'],
  volume: [
    'awsElasticBlockStore',
    'azureDisk',
    'azureFile',
    'cephfs',
    'cinder',
    'configMap',
    'csi',
    'downwardAPI',
    'emptyDir',
    'ephemeral',
    'fc',
    'flexVolume',
    'flocker',
    'gcePersistentDisk',
    'gitRepo',
    'glusterfs',
    'hostPath',
    'image',
    'iscsi',
    'name',
    'nfs',
    'persistentVolumeClaim',
    'photonPersistentDisk',
    'portworxVolume',
    'projected',
    'quobyte',
    'rbd',
    'scaleIO',
    'secret',
    'storageos',
    'vsphereVolume',
  ],
  resources: ['claims', 'limits', 'requests'],
  persistentVolumeClaim: ['claimName', 'readOnly'],
  imageVolume: ['pullPolicy', 'reference'],
};

/** The known-key tables, for the test that compares them with kubernetes-models' type declarations. */
export const KNOWN_FIELDS: Readonly<Record<string, readonly string[]>> = KNOWN;

function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length];
}

export function closest(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  const exact = known.find((k) => k.toLowerCase() === lower);
  if (exact) return exact;
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(name.length / 4)) + 1;
  for (const k of known) {
    const d = distance(lower, k.toLowerCase());
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return best;
}

function unknownKeys(
  sink: FindingSink,
  doc: YamlDocument,
  node: YamlNode | undefined,
  table: keyof typeof KNOWN,
  where: string,
): void {
  const known = KNOWN[table];
  for (const p of pairs(doc, node)) {
    if (known.includes(p.keyText) || p.keyText === '<<') continue;
    const guess = closest(p.keyText, known);
    sink.add(
      'k8s/unknown-field',
      doc,
      p.key,
      `${where} has no field '${p.keyText}'${guess ? ` (did you mean '${guess}'?)` : ''}: Kubernetes drops unknown fields, so this setting has no effect`,
      {
        fixes: guess ? [fix(`Rename to ${guess}`, [replace(doc, p.key.start, p.key.end, guess)])] : [],
      },
    );
  }
}

export function unknownFields(sink: FindingSink, t: PodTemplate): void {
  const doc = t.doc;
  const kserveComponent = t.object.group === 'serving.kserve.io';
  if (t.podLevel && !kserveComponent) unknownKeys(sink, doc, t.spec, 'podSpec', t.where);
  if (t.podLevel) {
    const psc = child(doc, t.spec, 'securityContext');
    unknownKeys(sink, doc, psc, 'podSecurityContext', `${t.where}.securityContext`);
    unknownKeys(
      sink,
      doc,
      child(doc, psc, 'seccompProfile'),
      'seccompProfile',
      `${t.where}.securityContext.seccompProfile`,
    );
  }
  for (const c of t.containers) {
    if (c.kind !== 'modelServer') unknownKeys(sink, doc, c.node, 'container', c.where);
    const sc = child(doc, c.node, 'securityContext');
    unknownKeys(sink, doc, sc, 'securityContext', `${c.where}.securityContext`);
    unknownKeys(sink, doc, child(doc, sc, 'capabilities'), 'capabilities', `${c.where}.securityContext.capabilities`);
    unknownKeys(
      sink,
      doc,
      child(doc, sc, 'seccompProfile'),
      'seccompProfile',
      `${c.where}.securityContext.seccompProfile`,
    );
    unknownKeys(sink, doc, child(doc, c.node, 'resources'), 'resources', `${c.where}.resources`);
    sequence(doc, child(doc, c.node, 'volumeMounts')).forEach((m, i) =>
      unknownKeys(sink, doc, m, 'volumeMount', `${c.where}.volumeMounts[${i}]`),
    );
  }
  for (const v of t.volumes.values()) {
    unknownKeys(sink, doc, v.node, 'volume', `volume '${v.name}'`);
    if (v.source === 'persistentVolumeClaim')
      unknownKeys(sink, doc, v.sourceNode, 'persistentVolumeClaim', `volume '${v.name}'.persistentVolumeClaim`);
    if (v.source === 'image') unknownKeys(sink, doc, v.sourceNode, 'imageVolume', `volume '${v.name}'.image`);
  }
}

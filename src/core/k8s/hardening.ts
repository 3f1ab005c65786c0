import type { YamlDocument, YamlNode } from '../yaml/document.ts';
import type { FindingSink } from './context.ts';
import { fix, setField } from './edits.ts';
import type { ContainerRef, PodTemplate } from './workloads.ts';
import { bool, child, keyOf, pair, pairs, str, strings, text } from './yamlView.ts';

/**
 * Pod and container hardening, with the effective value of each setting computed as the kubelet
 * does: a container's `securityContext` field overrides the pod's; fields that exist only on the
 * container (`readOnlyRootFilesystem`, `allowPrivilegeEscalation`, `capabilities`, `privileged`)
 * are read there only. Findings sit where the value is set, or on the container when it is missing.
 */

export const DANGEROUS_CAPABILITIES = new Set([
  'ALL',
  'SYS_ADMIN',
  'NET_ADMIN',
  'SYS_PTRACE',
  'SYS_MODULE',
  'DAC_READ_SEARCH',
  'DAC_OVERRIDE',
  'SYS_RAWIO',
  'SYS_BOOT',
  'SYS_TIME',
  'BPF',
  'PERFMON',
  'MAC_ADMIN',
  'MAC_OVERRIDE',
  'SYSLOG',
  'SETFCAP',
  'LINUX_IMMUTABLE',
  'SYS_CHROOT',
  'NET_RAW',
  'MKNOD',
  'AUDIT_CONTROL',
]);

const GPU_RESOURCE =
  /(^|\/)gpu$|^nvidia\.com\/|^amd\.com\/gpu|^gpu\.intel\.com\/|^habana\.ai\/|^aws\.amazon\.com\/neuron/;

interface Effective {
  node?: YamlNode;
  /** Where it was set. */
  from?: 'container' | 'pod';
}

/** A container's `securityContext` field, else the pod's (only for fields both levels have). */
function effective(doc: YamlDocument, t: PodTemplate, c: ContainerRef, keys: readonly string[]): Effective {
  let n: YamlNode | undefined = child(doc, c.node, 'securityContext');
  for (const k of keys) n = n && child(doc, n, k);
  if (n) return { node: n, from: 'container' };
  if (!t.podLevel) return {};
  let p: YamlNode | undefined = child(doc, t.spec, 'securityContext');
  for (const k of keys) p = p && child(doc, p, k);
  return p ? { node: p, from: 'pod' } : {};
}

/** Where to report something missing on a container: its `name` value, else its first key. */
export function containerAnchor(doc: YamlDocument, c: ContainerRef): YamlNode {
  return child(doc, c.node, 'name') ?? keyOf(doc, c.node, 'image') ?? c.node.pairs?.[0]?.key ?? c.node;
}

function where(c: ContainerRef): string {
  const what = c.kind === 'initContainer' ? 'init container' : c.kind === 'modelServer' ? 'model server' : 'container';
  return `${what} '${c.name}'`;
}

/** The key of a field if present, else the container anchor. */
function keyOrAnchor(doc: YamlDocument, c: ContainerRef, keys: readonly string[]): YamlNode {
  let m: YamlNode | undefined = c.node;
  let last: YamlNode | undefined;
  for (const k of keys) {
    const p = pair(doc, m, k);
    if (!p) break;
    last = p.key;
    m = doc.resolveAlias(p.value) ?? undefined;
  }
  return last ?? containerAnchor(doc, c);
}

export function hardening(sink: FindingSink, t: PodTemplate): void {
  const doc = t.doc;
  const podAnchor = t.specKey ?? t.spec;
  const containers = t.containers.filter((c) => c.kind !== 'ephemeralContainer');

  // pod level: host namespaces, service account token
  if (t.podLevel) {
    for (const key of ['hostNetwork', 'hostPID', 'hostIPC']) {
      if (bool(doc, t.spec, key) === true) {
        const p = pair(doc, t.spec, key)!;
        sink.add(
          'k8s/host-namespace',
          doc,
          p.value ?? p.key,
          `${key}: true shares the node's ${key === 'hostNetwork' ? 'network stack' : key === 'hostPID' ? 'process table' : 'IPC namespace and shared memory'} with ${t.object.label}`,
          {
            fixes: [fix(`Remove ${key}: true`, [setField(doc, t.spec, [key], 'false')])],
          },
        );
      }
    }
    if (bool(doc, t.spec, 'automountServiceAccountToken') !== false && t.object.group !== 'machinelearning.seldon.io') {
      const p = pair(doc, t.spec, 'automountServiceAccountToken');
      sink.add(
        'k8s/service-account-token',
        doc,
        p?.value ?? podAnchor,
        `${t.object.label}: the service account token is mounted into every container (automountServiceAccountToken is not false)`,
        {
          fixes: [
            fix(
              'Set automountServiceAccountToken: false',
              [setField(doc, t.spec, ['automountServiceAccountToken'], 'false')],
              false,
            ),
          ],
        },
      );
    }
  }

  for (const c of containers) {
    const sc = child(doc, c.node, 'securityContext');
    const scLabel = where(c);

    // privileged
    if (bool(doc, sc, 'privileged') === true) {
      const p = pair(doc, sc, 'privileged')!;
      sink.add('k8s/privileged', doc, p.value ?? p.key, `${scLabel} is privileged: root on the node`, {
        fixes: [fix('Set privileged: false', [setField(doc, c.node, ['securityContext', 'privileged'], 'false')])],
      });
    }

    // run as root
    const user = effective(doc, t, c, ['runAsUser']);
    const nonRoot = effective(doc, t, c, ['runAsNonRoot']);
    const uid = user.node?.kind === 'scalar' ? user.node.value : undefined;
    const nr = nonRoot.node?.kind === 'scalar' ? nonRoot.node.value : undefined;
    if (uid === 0) {
      sink.add(
        'k8s/run-as-root',
        doc,
        user.node!,
        `${scLabel} runs as root (runAsUser: 0${user.from === 'pod' ? ' from the pod securityContext' : ''})${nr === true ? '; with runAsNonRoot: true the kubelet refuses to start it' : ''}`,
      );
    } else if (uid === undefined || uid === null) {
      if (nr === false) {
        sink.add(
          'k8s/run-as-root',
          doc,
          nonRoot.node!,
          `${scLabel} allows root (runAsNonRoot: false${nonRoot.from === 'pod' ? ' from the pod' : ''}) and sets no runAsUser: the image's USER decides`,
        );
      } else if (nr !== true) {
        const target = t.podLevel ? t.spec : c.node;
        sink.add(
          'k8s/run-as-non-root',
          doc,
          containerAnchor(doc, c),
          `${scLabel} may run as root: neither it nor the pod sets runAsNonRoot: true or a non-zero runAsUser`,
          {
            fixes: [
              fix(`Add runAsNonRoot: true to the ${target === t.spec ? 'pod' : 'container'} securityContext`, [
                setField(doc, target, ['securityContext', 'runAsNonRoot'], 'true'),
              ]),
            ],
          },
        );
      }
    }

    // read-only root filesystem (container only)
    const ro = bool(doc, sc, 'readOnlyRootFilesystem');
    if (ro !== true) {
      sink.add(
        'k8s/writable-root-filesystem',
        doc,
        ro === false ? child(doc, sc, 'readOnlyRootFilesystem')! : keyOrAnchor(doc, c, ['securityContext']),
        `${scLabel} has a writable root filesystem (readOnlyRootFilesystem is ${ro === false ? 'false' : 'not set'})`,
        {
          fixes: [
            fix('Set readOnlyRootFilesystem: true', [
              setField(doc, c.node, ['securityContext', 'readOnlyRootFilesystem'], 'true'),
            ]),
          ],
        },
      );
    }

    // privilege escalation (container only)
    const ape = bool(doc, sc, 'allowPrivilegeEscalation');
    if (ape !== false) {
      sink.add(
        'k8s/privilege-escalation',
        doc,
        ape === true ? child(doc, sc, 'allowPrivilegeEscalation')! : keyOrAnchor(doc, c, ['securityContext']),
        `${scLabel} allows privilege escalation (allowPrivilegeEscalation is ${ape === true ? 'true' : 'not set, which means true'})`,
        {
          fixes: [
            fix('Set allowPrivilegeEscalation: false', [
              setField(doc, c.node, ['securityContext', 'allowPrivilegeEscalation'], 'false'),
            ]),
          ],
        },
      );
    }

    // capabilities (container only)
    const caps = child(doc, sc, 'capabilities');
    const drop = strings(doc, child(doc, caps, 'drop'));
    if (!drop.some((d) => d.value === 'ALL')) {
      const lower = drop.find((d) => d.value.toUpperCase() === 'ALL');
      sink.add(
        'k8s/capabilities-not-dropped',
        doc,
        lower?.node ?? keyOrAnchor(doc, c, ['securityContext', 'capabilities', 'drop']),
        lower
          ? `${scLabel} drops '${lower.value}'; capability names are upper case: write "ALL"`
          : `${scLabel} keeps the runtime's default Linux capabilities (capabilities.drop does not include ALL)`,
        {
          fixes: [
            fix('Drop all capabilities (drop: ["ALL"])', [
              setField(doc, c.node, ['securityContext', 'capabilities', 'drop'], '["ALL"]'),
            ]),
          ],
        },
      );
    }
    for (const a of strings(doc, child(doc, caps, 'add'))) {
      const name = a.value.toUpperCase().replace(/^CAP_/, '');
      if (DANGEROUS_CAPABILITIES.has(name))
        sink.add(
          'k8s/dangerous-capability',
          doc,
          a.node,
          `${scLabel} adds ${a.value}${name === 'ALL' ? ' (every capability)' : ''}`,
        );
    }

    // seccomp (container over pod)
    const seccomp = effective(doc, t, c, ['seccompProfile', 'type']);
    const st = text(doc, seccomp.node);
    if (st === 'Unconfined') {
      sink.add(
        'k8s/seccomp',
        doc,
        seccomp.node!,
        `${scLabel} runs without seccomp (seccompProfile Unconfined${seccomp.from === 'pod' ? ' from the pod' : ''})`,
        { severity: 'error' },
      );
    } else if (st !== 'RuntimeDefault' && st !== 'Localhost') {
      const target = t.podLevel ? t.spec : c.node;
      sink.add(
        'k8s/seccomp',
        doc,
        seccomp.node ?? containerAnchor(doc, c),
        `${scLabel} has no seccomp profile (seccompProfile.type is ${st ? `'${st}'` : 'not set'} on the container and the pod)`,
        {
          fixes: [
            fix(`Set seccompProfile type RuntimeDefault on the ${target === t.spec ? 'pod' : 'container'}`, [
              setField(doc, target, ['securityContext', 'seccompProfile', 'type'], 'RuntimeDefault'),
            ]),
          ],
        },
      );
    }

    // resources
    if (c.kind !== 'initContainer') resources(sink, doc, c, scLabel);
  }
}

function resources(sink: FindingSink, doc: YamlDocument, c: ContainerRef, label: string): void {
  const res = child(doc, c.node, 'resources');
  const limits = child(doc, res, 'limits');
  const requests = child(doc, res, 'requests');
  const memory = str(doc, limits, 'memory');
  if (!memory) {
    sink.add('k8s/resource-limits', doc, keyOrAnchor(doc, c, ['resources', 'limits']), `${label} has no memory limit`);
  }
  for (const p of pairs(doc, requests)) {
    if (!GPU_RESOURCE.test(p.keyText)) continue;
    const req = text(doc, p.value);
    const lim = str(doc, limits, p.keyText);
    if (lim === undefined) {
      sink.add(
        'k8s/gpu-limit',
        doc,
        p.key,
        `${label} requests ${p.keyText}: ${req} without a limit; the API server rejects extended resources requested without an equal limit`,
        {
          fixes: [
            fix(`Add ${p.keyText}: ${req} to resources.limits`, [
              setField(doc, c.node, ['resources', 'limits', p.keyText], JSON.stringify(req ?? '1')),
            ]),
          ],
        },
      );
    } else if (req !== undefined && lim !== req && Number(lim) !== Number(req)) {
      sink.add(
        'k8s/gpu-limit',
        doc,
        p.value ?? p.key,
        `${label} requests ${p.keyText}: ${req} but its limit is ${lim}; extended resources must have requests equal to limits`,
      );
    }
  }
}

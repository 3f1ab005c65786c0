import type { Fix } from '../findings.ts';
import type { YamlDocument, YamlNode } from '../yaml/document.ts';
import { mappedScalar } from '../workflow/text.ts';
import type { FindingSink } from './context.ts';
import { fix, setField } from './edits.ts';
import { isPlaceholder, parseImageRef } from './imageRef.ts';
import { scopeMatches, type ImageScope } from './scope.ts';
import type { ContainerRef, PodTemplate, VolumeRef } from './workloads.ts';
import { bool, child, mapping, pair, sequence, str, text } from './yamlView.ts';

/**
 * What only a model-serving manifest gets wrong: the model volume, where the weights come from
 * (hostPath, an unverified download, an OCI reference by tag), and images by tag or outside the
 * admission policy's reach.
 */

/** Command id of the online "pin this image to its digest" quick fix (the extension runs it). */
export const PIN_IMAGE_COMMAND = 'modelInspect.k8s.pinImageDigest';

export interface PinImageArgs {
  file: string;
  /** Range of the image reference text in the file. */
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  image: string;
}

const MODEL_WORDS =
  /model|weight|checkpoint|ckpt|safetensors|gguf|huggingface|(^|[-_/])hf([-_/]|$)|\/mnt\/models|llm|lora|adapter|onnx|triton|tensorrt/i;

/** A volume that holds the model: an `image` volume, or one whose name, claim or mount path says so. */
export function isModelVolume(doc: YamlDocument, volume: VolumeRef | undefined, mountPath?: string): boolean {
  if (volume?.source === 'image') return true;
  return (
    MODEL_WORDS.test(volume?.name ?? '') ||
    MODEL_WORDS.test(mountPath ?? '') ||
    MODEL_WORDS.test(str(doc, volume?.sourceNode, 'claimName') ?? '')
  );
}

/**
 * Paths the container is told to load a model from: the value after a model flag in its command or
 * args (`--model /data/model`, `--model-dir=/mnt/models`, `--checkpoint …`), and absolute paths in
 * environment variables whose name says model/weights/checkpoint (`MODEL_PATH=/models/x`).
 */
export function modelPaths(doc: YamlDocument, c: ContainerRef): string[] {
  const words: string[] = [];
  for (const key of ['command', 'args']) {
    for (const n of sequence(doc, child(doc, c.node, key))) words.push(...(text(doc, n) ?? '').split(/\s+/));
  }
  const out: string[] = [];
  words.forEach((w, i) => {
    const eq = /^--?[\w-]*(model|weight|checkpoint|ckpt)[\w-]*=(\/\S+)$/i.exec(w);
    if (eq) out.push(eq[2]);
    else if (/^--?[\w-]*(model|weight|checkpoint|ckpt)[\w-]*$/i.test(w) && words[i + 1]?.startsWith('/'))
      out.push(words[i + 1]);
  });
  for (const e of sequence(doc, child(doc, c.node, 'env'))) {
    const name = str(doc, e, 'name') ?? '';
    const value = str(doc, e, 'value') ?? '';
    if (/MODEL|WEIGHT|CHECKPOINT|CKPT/i.test(name) && !/CACHE|HOME/i.test(name) && value.startsWith('/'))
      out.push(value);
  }
  return out;
}

function under(mountPath: string | undefined, paths: readonly string[]): boolean {
  if (!mountPath) return false;
  const m = mountPath.replace(/\/+$/, '') || '/';
  return paths.some((p) => p === m || p.startsWith(m === '/' ? '/' : m + '/'));
}

/** Sources Kubernetes always mounts read-only, or whose own `readOnly` says so. */
function sourceReadOnly(doc: YamlDocument, v: VolumeRef): boolean {
  if (!v.source) return false;
  if (['image', 'configMap', 'secret', 'downwardAPI', 'projected'].includes(v.source)) return true;
  return bool(doc, v.sourceNode, 'readOnly') === true;
}

export function modelChecks(sink: FindingSink, t: PodTemplate, scopes: readonly ImageScope[] | undefined): void {
  const doc = t.doc;
  const reportedHostPath = new Set<string>();
  const initWriters = new Set<string>();
  for (const c of t.containers) {
    if (c.kind !== 'initContainer') continue;
    for (const m of sequence(doc, child(doc, c.node, 'volumeMounts'))) {
      const name = str(doc, m, 'name');
      if (name && bool(doc, m, 'readOnly') !== true) initWriters.add(name);
    }
  }

  // hostPath volumes: the model one gets its own message
  for (const v of t.volumes.values()) {
    if (v.source !== 'hostPath') continue;
    const mountPaths = t.containers.flatMap((c) =>
      sequence(doc, child(doc, c.node, 'volumeMounts'))
        .filter((m) => str(doc, m, 'name') === v.name)
        .map((m) => str(doc, m, 'mountPath') ?? ''),
    );
    const path = str(doc, v.sourceNode, 'path') ?? '';
    const isModel = isModelVolume(doc, v) || mountPaths.some((p) => MODEL_WORDS.test(p)) || MODEL_WORDS.test(path);
    const at = pair(doc, v.node, 'hostPath')?.key ?? v.node;
    reportedHostPath.add(v.name);
    if (isModel)
      sink.add(
        'k8s/host-path-model',
        doc,
        at,
        `the model volume '${v.name}' is the node's ${path || 'hostPath'}: the weights are whatever that node's disk holds, unverified and shared`,
      );
    else
      sink.add(
        'k8s/host-path',
        doc,
        at,
        `volume '${v.name}' mounts the node's ${path || 'path'} into ${t.object.label}`,
      );
  }

  for (const c of t.containers) {
    if (c.kind === 'ephemeralContainer') continue;
    // model volumes mounted read-only
    if (c.kind !== 'initContainer') {
      const loads = modelPaths(doc, c);
      for (const m of sequence(doc, child(doc, c.node, 'volumeMounts'))) {
        const mm = mapping(doc, m);
        const name = str(doc, mm, 'name');
        const mountPath = str(doc, mm, 'mountPath');
        if (!mm || !name) continue;
        const v = t.volumes.get(name);
        if (!(isModelVolume(doc, v, mountPath) || under(mountPath, loads)) || v?.source === 'hostPath') continue;
        const mountRo = bool(doc, mm, 'readOnly') === true;
        const srcRo = v ? sourceReadOnly(doc, v) : false;
        if (!mountRo && !srcRo) {
          const edits = [setField(doc, mm, ['readOnly'], 'true')];
          if (v?.source === 'persistentVolumeClaim' && v.sourceNode && !initWriters.has(name))
            edits.push(setField(doc, v.sourceNode, ['readOnly'], 'true'));
          const ro = pair(doc, mm, 'readOnly');
          sink.add(
            'k8s/model-volume-writable',
            doc,
            ro?.value ?? child(doc, mm, 'name')!,
            `the model volume '${name}' is mounted writable at ${mountPath ?? '?'} in ${c.kind === 'modelServer' ? 'the model server' : `container '${c.name}'`}${v?.source === 'persistentVolumeClaim' ? ' (and the PersistentVolumeClaim source is not read-only)' : ''}`,
            {
              fixes: [
                fix(
                  edits.length > 1
                    ? 'Mount the model volume read-only (mount and claim)'
                    : 'Mount the model volume read-only',
                  edits,
                ),
              ],
            },
          );
        }
      }
    }
    images(sink, doc, c, scopes);
    downloads(sink, doc, c);
  }

  // PVC sources of model volumes that are not read-only themselves (the mounts are)
  for (const v of t.volumes.values()) {
    if (v.source !== 'persistentVolumeClaim' || !v.sourceNode || initWriters.has(v.name)) continue;
    const mounts = t.containers
      .filter((c) => c.kind !== 'initContainer' && c.kind !== 'ephemeralContainer')
      .flatMap((c) => sequence(doc, child(doc, c.node, 'volumeMounts')).filter((m) => str(doc, m, 'name') === v.name));
    if (!mounts.length) continue;
    const isModel = isModelVolume(doc, v) || mounts.some((m) => MODEL_WORDS.test(str(doc, m, 'mountPath') ?? ''));
    if (!isModel || bool(doc, v.sourceNode, 'readOnly') === true) continue;
    if (!mounts.every((m) => bool(doc, m, 'readOnly') === true)) continue; // reported on the mount already
    const at = pair(doc, v.node, 'persistentVolumeClaim')?.key ?? v.node;
    sink.add(
      'k8s/model-pvc-writable',
      doc,
      at,
      `the model PersistentVolumeClaim '${str(doc, v.sourceNode, 'claimName') ?? v.name}' is not marked readOnly in the volume source`,
      {
        fixes: [fix('Set persistentVolumeClaim.readOnly: true', [setField(doc, v.sourceNode, ['readOnly'], 'true')])],
      },
    );
  }

  // image volumes (Kubernetes 1.31+): the model as an OCI artifact
  for (const v of t.volumes.values()) {
    if (v.source !== 'image') continue;
    const refNode = child(doc, v.sourceNode, 'reference');
    const ref = text(doc, refNode);
    if (!refNode || !ref || isPlaceholder(ref)) continue;
    modelReference(sink, doc, refNode, ref, `image volume '${v.name}'`);
    admitted(sink, doc, refNode, ref, scopes, `the image volume '${v.name}'`);
  }
  for (const u of t.modelUris) {
    const m = /^oci:\/\/(.+)$/i.exec(u.value);
    if (m && !isPlaceholder(m[1])) {
      modelReference(sink, doc, u.node, m[1], u.where, u.value.length - m[1].length);
      admitted(sink, doc, u.node, m[1], scopes, u.where);
    }
  }
}

function pinFix(doc: YamlDocument, sink: FindingSink, node: YamlNode, image: string, offset = 0): Fix | undefined {
  if (!sink.file || node.kind !== 'scalar') return undefined;
  const inner = node.style === 'single' || node.style === 'double' ? node.start + 1 : node.start;
  const start = inner + offset;
  const args: PinImageArgs = { file: sink.file, range: doc.range({ start, end: start + image.length }), image };
  return {
    kind: 'command',
    title: `Pin ${image} to its digest (online: asks the registry)`,
    command: PIN_IMAGE_COMMAND,
    args: [args],
  };
}

function modelReference(
  sink: FindingSink,
  doc: YamlDocument,
  node: YamlNode,
  ref: string,
  what: string,
  offset = 0,
): void {
  const parsed = parseImageRef(ref);
  if (!parsed || parsed.digest) return;
  sink.add(
    'k8s/model-image-not-pinned',
    doc,
    node,
    `the model comes from ${ref} by ${parsed.implicitLatest ? 'the implicit latest tag' : `tag '${parsed.tag}'`} (${what}): whoever moves the tag chooses the weights; pin it by digest`,
    {
      fixes: [pinFix(doc, sink, node, ref, offset)],
    },
  );
}

function admitted(
  sink: FindingSink,
  doc: YamlDocument,
  node: YamlNode,
  image: string,
  scopes: readonly ImageScope[] | undefined,
  what: string,
): void {
  if (!scopes?.length || scopes.some((s) => scopeMatches(s, image))) return;
  const names = [...new Set(scopes.map((s) => s.policy))];
  sink.add(
    'k8s/image-outside-admission',
    doc,
    node,
    `${image} (${what}) is outside every image pattern of ${names.length === 1 ? `the admission policy ${names[0]}` : `the admission policies ${names.join(', ')}`} (${scopes.map((s) => s.pattern).join(', ')}): the cluster admits it without a signature check`,
    {
      related: scopes
        .filter((s) => s.range)
        .slice(0, 5)
        .map((s) => ({ message: `${s.policy} covers ${s.pattern}`, file: s.file, range: s.range })),
    },
  );
}

function images(
  sink: FindingSink,
  doc: YamlDocument,
  c: ContainerRef,
  scopes: readonly ImageScope[] | undefined,
): void {
  const node = child(doc, c.node, 'image');
  const image = text(doc, node);
  if (!node || !image || isPlaceholder(image)) return;
  const ref = parseImageRef(image);
  const label =
    c.kind === 'initContainer'
      ? `init container '${c.name}'`
      : c.kind === 'modelServer'
        ? 'the model server'
        : `container '${c.name}'`;
  admitted(sink, doc, node, image, scopes, label);
  if (!ref || ref.digest) return;
  const pin = pinFix(doc, sink, node, image);
  if (ref.implicitLatest || ref.tag === 'latest') {
    sink.add(
      'k8s/image-latest',
      doc,
      node,
      `${label} runs ${image}${ref.implicitLatest ? ' with no tag, which means latest' : ''}: whatever was pushed last`,
      { fixes: [pin] },
    );
  } else {
    sink.add('k8s/image-not-pinned', doc, node, `${label} runs ${image} by tag '${ref.tag}', not by digest`, {
      fixes: [pin],
    });
  }
  const policy = child(doc, c.node, 'imagePullPolicy');
  const pv = text(doc, policy);
  if (policy && (pv === 'IfNotPresent' || pv === 'Never') && !ref.implicitLatest && ref.tag !== 'latest') {
    sink.add(
      'k8s/pull-policy-with-tag',
      doc,
      policy,
      `imagePullPolicy: ${pv} with the tag '${ref.tag}': each node keeps whatever the tag pointed at when it first pulled it`,
      {
        fixes: [fix('Set imagePullPolicy: Always', [setField(doc, c.node, ['imagePullPolicy'], 'Always')], false)],
      },
    );
  }
}

const DOWNLOADERS: readonly { re: RegExp; what: string }[] = [
  { re: /(?:^|[\s;&|(`'"])(curl|wget)(?=\s)/g, what: '$1' },
  { re: /(?:^|[\s;&|(`'"])((?:huggingface-cli|hf)\s+download)\b/g, what: '$1' },
  { re: /(?:^|[\s;&|(`'"])(aws\s+s3\s+(?:cp|sync))\b/g, what: '$1' },
  { re: /(?:^|[\s;&|(`'"])(gsutil(?:\s+-m)?\s+(?:cp|rsync)|gcloud\s+storage\s+(?:cp|rsync))\b/g, what: '$1' },
  { re: /(?:^|[\s;&|(`'"])(azcopy\s+(?:cp|copy|sync)|s5cmd\s+(?:cp|sync)|rclone\s+(?:copy|sync))\b/g, what: '$1' },
  { re: /(?:^|[\s;&|(`'"])(git\s+clone|git\s+lfs\s+pull)\b/g, what: '$1' },
  { re: /\b(snapshot_download|hf_hub_download)\s*\(/g, what: '$1' },
];

/** Something in the same command checks a digest or a signature of what was downloaded. */
const VERIFIES =
  /\b(sha256sum|sha512sum|shasum|b2sum|b3sum|md5sum\s+-c|openssl\s+dgst|cosign\s+verify|model_signing\s+verify|model-inspect\s+verify|gpg\s+--verify|minisign\s+-V)\b|--checksum|--expected-sha|--sha256|@sha256:|revision[=\s'"(:]+[0-9a-f]{40}\b|--revision\s+[0-9a-f]{40}\b/;

function downloads(sink: FindingSink, doc: YamlDocument, c: ContainerRef): void {
  const parts: YamlNode[] = [];
  for (const key of ['command', 'args']) {
    const n = child(doc, c.node, key);
    if (n?.kind === 'sequence') parts.push(...sequence(doc, n).filter((i) => i.kind === 'scalar'));
    else if (n?.kind === 'scalar') parts.push(n);
  }
  if (!parts.length) return;
  const whole = parts.map((p) => text(doc, p) ?? '').join(' ');
  if (VERIFIES.test(whole)) return;
  // in a regular container, only downloads that visibly fetch a model count (a health probe's curl does not)
  if (c.kind !== 'initContainer' && !MODEL_WORDS.test(whole) && !/s3:\/\/|gs:\/\/|hf\.co|huggingface\.co/.test(whole))
    return;
  for (const p of parts) {
    const mt = mappedScalar(doc, p);
    if (!mt) continue;
    for (const d of DOWNLOADERS) {
      d.re.lastIndex = 0;
      const m = d.re.exec(mt.text);
      if (!m) continue;
      const i = m.index + m[0].indexOf(m[1]);
      const at = mt.span(i, i + m[1].length);
      sink.add(
        'k8s/unverified-model-download',
        doc,
        at,
        `${c.kind === 'initContainer' ? 'init container' : 'container'} '${c.name}' downloads with ${m[1].replace(/\s+/g, ' ')} and checks no digest or signature of what it got: whatever the source serves becomes the model`,
      );
      return;
    }
  }
}

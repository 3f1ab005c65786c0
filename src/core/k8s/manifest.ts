import type { Finding } from '../findings.ts';
import type { YamlDocument, YamlNode } from '../yaml/document.ts';
import { yamlProblemFindings } from '../yaml/findings.ts';
import { LineIndex } from '../yaml/lines.ts';
import { parseYamlStream, type YamlStream } from '../yaml/stream.ts';
import { child, mapping, sequence, str, text } from './yamlView.ts';

/**
 * Kubernetes objects in a YAML file, recognised by content (`apiVersion` and `kind`), in every
 * document of a multi-document file and inside `List`s (`kind: List` or any `…List` with `items`).
 */
export interface K8sObject {
  doc: YamlDocument;
  /** The object's mapping node. */
  node: YamlNode;
  apiVersion: string;
  kind: string;
  /** API group ('' for the core group) and version of `apiVersion`. */
  group: string;
  version: string;
  name?: string;
  namespace?: string;
  /** A readable label for messages: `Deployment model-serving`. */
  label: string;
  /** Index in the enclosing List's `items`, when the object came from a List. */
  listItem?: number;
  /** The file the object is in. */
  file?: string;
}

export interface ManifestFile {
  file?: string;
  text: string;
  stream: YamlStream;
  objects: K8sObject[];
  /** YAML problems (syntax, duplicate keys) and limits, as findings. */
  findings: Finding[];
}

/** Text over this size is not parsed (a manifest bundle of this size is a build output, not an edit). */
export const MAX_MANIFEST_CHARS = 8 * 1024 * 1024;
/** Objects in one List read at most. */
const MAX_LIST_ITEMS = 5000;
/** Lists inside Lists followed at most. */
const MAX_LIST_DEPTH = 8;

/**
 * Cheap test, without parsing, for "this YAML text may hold Kubernetes objects": an `apiVersion`
 * key and a `kind` key, however they are written (block or flow style, quoted, JSON: kubectl
 * applies them all). Files such as Helm templates (`{{ … }}` outside comments) are not plain
 * manifests and are left alone.
 */
export function looksLikeKubernetes(text: string): boolean {
  const head = text.length > 65536 ? text.slice(0, 65536) : text;
  return (
    /(?:^|[\s{,])(?:apiVersion|"apiVersion"|'apiVersion')[ \t]*:/m.test(head) &&
    /(?:^|[\s{,])(?:kind|"kind"|'kind')[ \t]*:/m.test(head) &&
    !isTemplate(head)
  );
}

/**
 * Go/Helm templates are not YAML until rendered: a line that starts with `{{`, a value that is an
 * unquoted `{{`, or Helm's own functions. `{{.Name}}` inside a quoted string (KServe runtimes,
 * Kyverno variables) is plain YAML and does not count.
 */
export function isTemplate(text: string): boolean {
  return /^\s*(?:-\s+)?\{\{|:[ \t]+\{\{|\{\{-?\s*(?:\.Values|\.Release|\.Chart|include|template|toYaml|tpl)\b/m.test(
    text,
  );
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

function objectAt(
  doc: YamlDocument,
  node: YamlNode,
  file: string | undefined,
  listItem?: number,
): K8sObject | undefined {
  const m = mapping(doc, node);
  if (!m) return undefined;
  const apiVersion = str(doc, m, 'apiVersion');
  const kind = str(doc, m, 'kind');
  if (!apiVersion || !kind) return undefined;
  const meta = child(doc, m, 'metadata');
  const name = str(doc, meta, 'name') || undefined;
  const namespace = str(doc, meta, 'namespace') || undefined;
  return {
    doc,
    node: m,
    apiVersion,
    kind,
    ...splitApiVersion(apiVersion),
    name,
    namespace,
    listItem,
    file,
    label: `${kind}${name ? ` ${name}` : ''}`,
  };
}

/** Parse a manifest file's text into its Kubernetes objects. Never throws. */
export function readManifest(text: string, file?: string): ManifestFile {
  if (text.length > MAX_MANIFEST_CHARS) {
    return {
      file,
      text,
      stream: { documents: [], lines: new LineIndex('') },
      objects: [],
      findings: [
        {
          ruleId: 'yaml/too-large',
          severity: 'warning',
          message: `${text.length} characters is over the ${MAX_MANIFEST_CHARS}-character limit for a manifest file; not checked`,
          file,
        },
      ],
    };
  }
  const stream = parseYamlStream(text);
  const findings: Finding[] = [];
  const objects: K8sObject[] = [];
  if (stream.truncated) {
    findings.push({
      ruleId: 'k8s/incomplete',
      severity: 'warning',
      message: `the file holds more than ${stream.documents.length} YAML documents; the rest were not checked`,
      file,
      range: stream.documents[0]?.doc.range({
        start: stream.truncated.at - stream.documents[0].start,
        end: stream.truncated.at - stream.documents[0].start,
      }),
    });
  }
  for (const d of stream.documents) {
    findings.push(...yamlProblemFindings(d.doc, file).filter((f) => f.ruleId !== 'yaml/multiple-documents'));
    if (!d.doc.root) continue;
    const obj = objectAt(d.doc, d.doc.root, file);
    if (!obj) continue;
    // kubectl flattens Lists inside Lists (its FlattenListVisitor), so their objects are created too.
    let budget = MAX_LIST_ITEMS;
    const flatten = (o: K8sObject, depth: number): void => {
      const items = /List$/.test(o.kind) ? child(d.doc, o.node, 'items') : undefined;
      if (!items || items.kind !== 'sequence') {
        objects.push(o);
        return;
      }
      const list = sequence(d.doc, items);
      if (depth > MAX_LIST_DEPTH || list.length > budget) {
        findings.push({
          ruleId: 'k8s/incomplete',
          severity: 'warning',
          message:
            depth > MAX_LIST_DEPTH
              ? `${o.kind} nested more than ${MAX_LIST_DEPTH} Lists deep; its items were not checked`
              : `${o.kind} holds ${list.length} items; only the first ${budget} were checked (at most ${MAX_LIST_ITEMS} per document)`,
          file,
          range: d.doc.range(items),
        });
        if (depth > MAX_LIST_DEPTH) return;
      }
      list.slice(0, Math.max(0, budget)).forEach((item, i) => {
        const inner = objectAt(d.doc, item, file, depth === 0 ? i : o.listItem);
        budget--;
        if (inner) flatten(inner, depth + 1);
      });
    };
    flatten(obj, 0);
  }
  return { file, text, stream, objects, findings };
}

/** The scalar text at a key of an object's metadata (labels, annotations). */
export function metadataMap(obj: K8sObject, key: 'labels' | 'annotations'): Map<string, string> {
  const out = new Map<string, string>();
  const m = child(obj.doc, child(obj.doc, obj.node, 'metadata'), key);
  for (const p of mapping(obj.doc, m)?.pairs ?? []) {
    const v = text(obj.doc, p.value);
    if (v !== undefined) out.set(p.keyText, v);
  }
  return out;
}

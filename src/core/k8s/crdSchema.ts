import type { YamlDocument, YamlNode } from '../yaml/document.ts';
import { replace } from '../workflow/edits.ts';
import type { FindingSink } from './context.ts';
import { fix } from './edits.ts';
import type { K8sObject } from './manifest.ts';
import { closest, schemaData } from './schema.ts';
import { mapping, sequence, unwrapFlowItem } from './yamlView.ts';

/**
 * Validation of admission policies against their CRDs' structural schemas (shipped reduced in
 * `schemas/k8s/admission-crds.json`, see scripts/generate-crd-schemas.ts). The walk is over the
 * source-mapped YAML tree, so every problem sits on its key or value; the API server's own rules
 * are followed: unknown fields (which it prunes silently) unless `x-kubernetes-preserve-unknown-fields`,
 * types (with `x-kubernetes-int-or-string` and `nullable`), enums and required fields.
 */

interface CrdSchema {
  type?: string;
  properties?: Record<string, CrdSchema>;
  items?: CrdSchema;
  required?: string[];
  enum?: unknown[];
  additionalProperties?: boolean | CrdSchema;
  nullable?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
}

type Crds = { kinds: Record<string, string>; schemas: Record<string, CrdSchema> };
const EMPTY: Crds = { kinds: {}, schemas: {} };

/** The CRD schemas (loaded with the schema data; `checkK8sTexts` loads it before checking). */
function crds(): Crds {
  return (schemaData()?.CRDS as Crds | undefined) ?? EMPTY;
}

export function crdSchemaFor(obj: K8sObject): CrdSchema | undefined {
  const id = crds().kinds[`${obj.group}/${obj.version}/${obj.kind}`];
  return id ? crds().schemas[id] : undefined;
}

/** The CRD versions known for a kind, for "unknown version" messages. */
export function crdVersionsOf(group: string, kind: string): string[] {
  return Object.keys(crds().kinds)
    .filter((k) => k.startsWith(`${group}/`) && k.endsWith(`/${kind}`))
    .map((k) => k.split('/')[1]);
}

const MAX_NODES = 200_000;

function typeOf(n: YamlNode): string {
  if (n.kind === 'mapping') return 'object';
  if (n.kind === 'sequence') return 'array';
  const v = n.value;
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'boolean') return 'boolean';
  return 'string';
}

const KIND_WORD: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  null: 'empty',
};

/** Validate `obj` against its CRD schema. Returns false when the kind/version has no known schema. */
export function validateCrd(sink: FindingSink, obj: K8sObject): boolean {
  const schema = crdSchemaFor(obj);
  if (!schema) return false;
  const doc = obj.doc;
  let budget = MAX_NODES;
  const walk = (
    raw: YamlNode | null,
    s: CrdSchema,
    where: string,
    keyNode: YamlNode | undefined,
    depth: number,
  ): void => {
    if (--budget < 0 || depth > 100) return;
    const node = unwrapFlowItem(doc.resolveAlias(raw));
    if (!node) return;
    const t = typeOf(node);
    if (t === 'null') return; // an empty value is dropped like an absent one
    if (s['x-kubernetes-int-or-string']) {
      if (t !== 'integer' && t !== 'string')
        sink.add('admission/schema', doc, node, `${where} must be an integer or a string, not ${KIND_WORD[t]}`);
      return;
    }
    if (s.type && s.type !== t && !(s.type === 'number' && t === 'integer')) {
      const quoted =
        s.type === 'string' &&
        node.kind === 'scalar' &&
        node.style === 'plain' &&
        (t === 'boolean' || t === 'integer' || t === 'number');
      sink.add(
        'admission/schema',
        doc,
        node,
        `${where} must be ${KIND_WORD[s.type] ?? s.type}, not ${KIND_WORD[t] ?? t}${quoted ? ' (quote it: YAML reads it unquoted as ' + KIND_WORD[t] + ')' : ''}`,
        {
          fixes: quoted
            ? [fix('Quote the value', [replace(doc, node.start, node.end, JSON.stringify(doc.source(node)))])]
            : [],
        },
      );
      return;
    }
    if (s.enum && node.kind === 'scalar' && !s.enum.some((e) => e === node.value)) {
      const close =
        typeof node.value === 'string'
          ? s.enum.find((e) => typeof e === 'string' && e.toLowerCase() === String(node.value).toLowerCase())
          : undefined;
      sink.add(
        'admission/schema',
        doc,
        node,
        `${where} is ${JSON.stringify(node.value)}; allowed: ${s.enum.map(String).join(', ')}`,
        {
          fixes:
            typeof close === 'string' ? [fix(`Change to ${close}`, [replace(doc, node.start, node.end, close)])] : [],
        },
      );
    }
    if (node.kind === 'mapping') {
      const present = new Set((node.pairs ?? []).map((p) => p.keyText));
      for (const r of s.required ?? []) {
        if (!present.has(r))
          sink.add(
            'admission/schema',
            doc,
            keyNode ?? node,
            `${where || obj.kind} is missing the required field '${r}'`,
          );
      }
      for (const p of node.pairs ?? []) {
        if (p.keyText === '<<' || (depth === 0 && ['apiVersion', 'kind', 'metadata', 'status'].includes(p.keyText)))
          continue;
        const sub = s.properties?.[p.keyText];
        const childWhere = where ? `${where}.${p.keyText}` : p.keyText;
        if (sub) {
          walk(p.value, sub, childWhere, p.key, depth + 1);
          continue;
        }
        if (typeof s.additionalProperties === 'object') {
          walk(p.value, s.additionalProperties, childWhere, p.key, depth + 1);
          continue;
        }
        if (s.additionalProperties === true || s['x-kubernetes-preserve-unknown-fields'] || !s.properties) continue;
        const known = Object.keys(s.properties);
        const guess = closest(p.keyText, known);
        sink.add(
          'admission/schema',
          doc,
          p.key,
          `${where || obj.kind} has no field '${p.keyText}'${guess ? ` (did you mean '${guess}'?)` : ''}: the API server drops unknown fields, so it has no effect`,
          {
            fixes: guess ? [fix(`Rename to ${guess}`, [replace(doc, p.key.start, p.key.end, guess)])] : [],
          },
        );
      }
    } else if (node.kind === 'sequence' && s.items) {
      sequence(doc, node).forEach((item, i) => walk(item, s.items!, `${where}[${i}]`, undefined, depth + 1));
    }
  };
  const root = mapping(doc, obj.node);
  if (root) walk(root, schema, '', undefined, 0);
  if (budget < 0)
    sink.add('k8s/incomplete', doc, obj.node, `${obj.label} is too large to validate completely against its CRD`);
  return true;
}

/** Check a node value is an expected type without reporting (for the mistake rules' own reads). */
export function isType(doc: YamlDocument, node: YamlNode | undefined, type: string): boolean {
  const n = node && doc.resolveAlias(node);
  return !!n && typeOf(n) === type;
}

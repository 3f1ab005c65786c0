import cardSchemaJson from '../../../schemas/model-card.schema.json';
import hfSchemaJson from '../../../schemas/hf-model-card.schema.json';

/**
 * The JSON Schemas the package ships (`schemas/*.schema.json`, also contributed to vscode-yaml
 * through `yamlValidation`) are the one source of truth: this engine interprets them directly.
 * It understands the draft-07 subset they use: type (incl. type lists), properties, required,
 * additionalProperties, items, enum, const, pattern, format, minimum/maximum (exclusive too),
 * minLength, minItems, if/then/else, anyOf (branches told apart by type), $ref to #/definitions,
 * description, default; plus two
 * annotations of ours, `x-role` (which semantic rule checks the field) and `x-known` (values to
 * suggest for an open-ended string).
 */

export type JsonType = 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean' | 'null';

/** What a semantic rule does with a field (see semantic.ts). */
export type FieldRole =
  | 'digest'
  | 'commit'
  | 'source'
  | 'oci-ref'
  | 'path'
  | 'link-or-path'
  | 'model-name'
  | 'model-version'
  | 'license'
  | 'hf-license'
  | 'language'
  | 'build-time'
  | 'review-date'
  | 'past-date'
  | 'scan-status';

export interface SchemaNode {
  $ref?: string;
  type?: JsonType | JsonType[];
  title?: string;
  description?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  required?: string[];
  items?: SchemaNode;
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  minItems?: number;
  default?: unknown;
  examples?: unknown[];
  /** The node must match one of these; our engine picks the branch by the value's YAML type. */
  anyOf?: SchemaNode[];
  if?: SchemaNode;
  then?: SchemaNode;
  else?: SchemaNode;
  /** Draft-07 property dependencies, array form only: when the key is present, these must be too. */
  dependencies?: Record<string, string[]>;
  definitions?: Record<string, SchemaNode>;
  'x-role'?: FieldRole;
  'x-known'?: string[];
}

export type CardDialect = 'card-yaml' | 'hf-readme';

const SCHEMAS: Record<CardDialect, SchemaNode> = {
  'card-yaml': cardSchemaJson as SchemaNode,
  'hf-readme': hfSchemaJson as SchemaNode,
};

export function schemaFor(dialect: CardDialect): SchemaNode {
  return SCHEMAS[dialect];
}

/** Follow a `$ref` (only local `#/definitions/…` references are used by our schemas). */
export function resolveRef(root: SchemaNode, s: SchemaNode): SchemaNode {
  let cur = s;
  for (let hops = 0; cur.$ref && hops < 16; hops++) {
    const m = /^#\/definitions\/(.+)$/.exec(cur.$ref);
    const next = m ? root.definitions?.[m[1]] : undefined;
    if (!next) return {};
    cur = next;
  }
  return cur;
}

export function typesOf(s: SchemaNode): JsonType[] {
  if (s.type === undefined) return [];
  return Array.isArray(s.type) ? s.type : [s.type];
}

/** The branch of an `anyOf` for a value of this type (the node itself when it has no anyOf). */
export function branchFor(root: SchemaNode, s: SchemaNode, type: JsonType): SchemaNode | undefined {
  const r = resolveRef(root, s);
  if (!r.anyOf) return r;
  for (const b of r.anyOf) {
    const br = resolveRef(root, b);
    const ts = typesOf(br);
    if (!ts.length || ts.includes(type) || (type === 'integer' && ts.includes('number'))) {
      // the branch inherits the outer annotations (description, default) it does not override
      const { anyOf: _omit, ...outer } = r;
      return { ...outer, ...br };
    }
  }
  return undefined;
}

/** The schema of a property of an object schema: a declared property, or the additionalProperties schema. */
export function propertySchema(root: SchemaNode, s: SchemaNode, key: string): SchemaNode | undefined {
  const r = branchFor(root, s, 'object') ?? resolveRef(root, s);
  const p = r.properties && Object.prototype.hasOwnProperty.call(r.properties, key) ? r.properties[key] : undefined;
  if (p) return resolveRef(root, p);
  if (r.additionalProperties && typeof r.additionalProperties === 'object')
    return resolveRef(root, r.additionalProperties);
  return undefined;
}

/** Walk a path of keys and sequence steps ('*' or a number) through a schema. */
export function schemaAtPath(root: SchemaNode, path: readonly (string | number)[]): SchemaNode | undefined {
  let s: SchemaNode | undefined = root;
  for (const step of path) {
    if (!s) return undefined;
    s = resolveRef(root, s);
    if (typeof step === 'number' || step === '*') {
      const arr = branchFor(root, s, 'array') ?? s;
      s = arr.items ? resolveRef(root, arr.items) : undefined;
    } else s = propertySchema(root, s, step);
  }
  return s ? resolveRef(root, s) : undefined;
}

/** Human label for a type list: "a string", "a number or a string". */
export function describeTypes(types: readonly string[]): string {
  const words: Record<string, string> = {
    object: 'a mapping',
    array: 'a list',
    string: 'a string',
    number: 'a number',
    integer: 'a whole number',
    boolean: 'true or false',
    null: 'empty',
  };
  const ws = types.map((t) => words[t] ?? t);
  return ws.length <= 1 ? (ws[0] ?? 'a value') : `${ws.slice(0, -1).join(', ')} or ${ws[ws.length - 1]}`;
}

import type { Fix } from '../findings.ts';
import type { YamlNode, YamlPair } from '../yaml/document.ts';
import { CardContext, pathLabel } from './context.ts';
import { formatProblem } from './formats.ts';
import { branchFor, describeTypes, resolveRef, typesOf, type JsonType, type SchemaNode } from './schema.ts';
import { closest } from './suggest.ts';
import { joinTemplate, templateInsertion, templateLines } from './template.ts';

/** What YAML made of a node, in JSON Schema terms (plus `timestamp`, which JSON has no word for). */
type YamlType = JsonType | 'timestamp';

function yamlType(n: YamlNode): YamlType {
  if (n.kind === 'mapping') return 'object';
  if (n.kind === 'sequence') return 'array';
  const v = n.value;
  if (v === null || v === undefined) return 'null';
  if (v instanceof Date) return 'timestamp';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'boolean') return 'boolean';
  return 'string';
}

function accepts(types: readonly JsonType[], t: YamlType): boolean {
  if (types.length === 0) return true;
  if (t === 'timestamp') return false;
  if (t === 'integer') return types.includes('integer') || types.includes('number');
  return types.includes(t);
}

/** Words YAML 1.1 readers (PyYAML) take as booleans although YAML 1.2 (js-yaml) reads strings. */
const YAML11_BOOL = /^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;

const MAX_DEPTH = 64;

/** Roles whose checks compare fields with each other: still useful on a value reported as a YAML trap. */
const CROSS_FIELD_ROLES: ReadonlySet<string> = new Set([
  'model-name',
  'model-version',
  'build-time',
  'review-date',
  'past-date',
]);

/**
 * Validates a YAML document against one of our schemas, placing every problem on the exact key
 * or value. Aliases are validated once at their anchor (a finding there is the alias's finding
 * too), which bounds the work by the document's size whatever the aliases would expand to.
 */
export class SchemaValidator {
  private readonly visited = new Map<YamlNode, Set<SchemaNode>>();

  constructor(
    private readonly ctx: CardContext,
    private readonly root: SchemaNode,
    private readonly stats?: { schemaChecks: number },
  ) {}

  validateDocument(): void {
    const rootNode = this.ctx.doc.root;
    if (!rootNode || (rootNode.kind === 'scalar' && rootNode.value === null)) {
      this.missingAtTop(this.root);
      return;
    }
    this.validate(rootNode, this.root, [], null, null, 0);
  }

  /** An empty document: every required top-level field is missing; report once at the top. */
  private missingAtTop(schema: SchemaNode): void {
    const r = resolveRef(this.root, schema);
    const req = r.required ?? [];
    if (!req.length) return;
    // the fix writes every required section from its template after whatever (comments) is there
    const text = this.ctx.doc.text;
    const stops = { n: 0 };
    const lines = req.flatMap((k) => templateLines(k, r.properties?.[k] ?? {}, this.root, 0, stops));
    const end = text.length;
    const lead = end > 0 && !text.endsWith('\n') ? '\n' : '';
    const fix: Fix = {
      kind: 'edit',
      title: 'Fill in the card from the template',
      isPreferred: true,
      edits: [
        {
          file: this.ctx.file,
          range: this.ctx.doc.range({ start: end, end }),
          ...joinTemplate(lines, lead, '\n', '\n'),
        },
      ],
    };
    this.ctx.report(
      'card/missing-field',
      { start: 0, end: 0 },
      `the card is empty: ${req.map((k) => `\`${k}\``).join(', ')} ${req.length === 1 ? 'is' : 'are'} required`,
      { fixes: [fix] },
    );
  }

  private validate(
    raw: YamlNode | null,
    schemaIn: SchemaNode,
    path: (string | number)[],
    pair: YamlPair | null,
    parent: YamlNode | null,
    depth: number,
  ): void {
    if (depth > MAX_DEPTH) return;
    let schema = resolveRef(this.root, schemaIn);
    let node = raw;
    if (node && node.kind === 'alias') {
      node = this.ctx.doc.resolveAlias(node);
      if (!node) return; // an unknown anchor is a YAML error, reported by the parser
    }
    const at: YamlNode | null = node && node.end > node.start ? node : (pair?.key ?? node);
    if (!node || !at) return;
    // Once per (node, schema): an alias bomb cannot multiply the work, whatever it expands to.
    let seen = this.visited.get(node);
    if (!seen) this.visited.set(node, (seen = new Set()));
    if (seen.has(schema)) return;
    seen.add(schema);
    if (this.stats) this.stats.schemaChecks++;

    const label = new Label(path);
    let actual = yamlType(node);
    if (schema.anyOf) {
      const branch =
        actual === 'timestamp' ? branchFor(this.root, schema, 'string') : branchFor(this.root, schema, actual);
      if (!branch) {
        const all = schema.anyOf.flatMap((b) => typesOf(resolveRef(this.root, b)));
        if (actual === 'null')
          this.ctx.report('card/empty-value', at, `${label} is empty; ${describeTypes(all)} is expected`);
        else
          this.ctx.report(
            'card/wrong-type',
            at,
            `${label} must be ${describeTypes(all)}, not ${describeTypes([actual])}`,
          );
        return;
      }
      schema = branch;
    }
    const types = typesOf(schema);
    let text: string | undefined = typeof node.value === 'string' ? node.value : undefined;
    let coerced = false;

    if (!accepts(types, actual)) {
      const asText = this.typeProblem(node, at, actual, types, label, schema);
      if (asText === undefined) return;
      actual = 'string';
      text = asText;
      coerced = true;
    } else if (
      actual === 'string' &&
      node.kind === 'scalar' &&
      node.style === 'plain' &&
      YAML11_BOOL.test(text ?? '') &&
      types.includes('string') &&
      !types.includes('boolean')
    ) {
      this.ctx.report(
        'card/ambiguous-boolean',
        at,
        `${label}: unquoted \`${text}\` is a string here but the boolean ${/^(y|yes|on)$/i.test(text!) ? 'true' : 'false'} to YAML 1.1 readers such as PyYAML; quote it`,
        {
          fixes: [this.ctx.replace(`Quote ${JSON.stringify(text)}`, node, JSON.stringify(text))],
        },
      );
    }

    if (
      actual === 'string' &&
      text === '' &&
      (schema.enum || schema.minLength || schema.pattern || schema.format || schema['x-role'])
    ) {
      this.ctx.report('card/empty-value', at, `${label} is empty`);
      return;
    }
    if (schema.enum && !coerced && !this.checkEnum(node, at, actual === 'string' ? text : node.value, schema, label))
      return;
    if (schema.const !== undefined && node.value !== schema.const && actual !== 'object' && actual !== 'array') {
      this.ctx.report('card/invalid-value', at, `${label} must be ${JSON.stringify(schema.const)}`);
    }

    switch (actual) {
      case 'string':
        // a number or boolean already reported as a YAML trap is not reported again for its form;
        // an unquoted date still is (`2025-01-15` where a timestamp is expected)
        if (!coerced || yamlType(node) === 'timestamp') this.checkString(node, at, text ?? '', schema, label);
        break;
      case 'integer':
      case 'number':
        this.checkNumber(node, at, node.value as number, schema, label);
        break;
      case 'array':
        this.checkArray(node, schema, path, pair, depth);
        break;
      case 'object':
        this.checkObject(node, schema, path, pair, depth);
        break;
      default:
        break;
    }
    const role = schema['x-role'];
    if (role && actual === 'string' && (!coerced || CROSS_FIELD_ROLES.has(role)))
      this.ctx.roles.push({ role, node, text: text ?? '', path, parent, schema });
  }

  /**
   * Reports a value whose YAML type is not the schema's. Returns the text to go on checking as a
   * string when the value is a YAML trap for a string (a number, boolean or date written unquoted).
   */
  private typeProblem(
    node: YamlNode,
    at: YamlNode,
    actual: YamlType,
    types: JsonType[],
    label: Label,
    schema: SchemaNode,
  ): string | undefined {
    const src = this.ctx.doc.source(node);
    const wantsString = types.includes('string');
    if (actual === 'null') {
      const what = types.includes('object') ? 'a mapping' : types.includes('array') ? 'a list' : describeTypes(types);
      this.ctx.report('card/empty-value', at, `${label} is empty; ${what} is expected`);
      return undefined;
    }
    if (wantsString && node.kind === 'scalar' && node.style === 'plain') {
      const quote = this.ctx.replace(`Quote ${JSON.stringify(src)}`, node, JSON.stringify(src));
      if (actual === 'timestamp') {
        this.ctx.report(
          'card/unquoted-date',
          at,
          `${label}: unquoted \`${src}\` is read as a ${/[Tt ]\d/.test(src) ? 'timestamp' : 'date'} object, not a string; quote it`,
          { fixes: [quote] },
        );
        return src;
      }
      if (actual === 'number' || actual === 'integer') {
        const shown = String(node.value);
        const trap =
          shown !== src ? ` YAML reads \`${src}\` as the number ${shown}, so the value is silently changed.` : '';
        this.ctx.report(
          'card/wrong-type',
          at,
          `${label} must be a string, not the number ${shown}.${trap} Quote it: "${src}"`,
          { fixes: [quote] },
        );
        return src;
      }
      if (actual === 'boolean') {
        this.ctx.report(
          'card/wrong-type',
          at,
          `${label} must be a string, not the boolean ${String(node.value)}; quote it if the text is meant`,
          { fixes: [quote] },
        );
        return undefined;
      }
    }
    const fixes: Fix[] = [];
    let hint = '';
    if (actual === 'string' && node.kind === 'scalar' && typeof node.value === 'string') {
      const s = node.value.trim();
      if (
        node.style !== 'plain' &&
        (types.includes('number') || types.includes('integer')) &&
        /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s) &&
        (!types.includes('integer') || types.includes('number') || Number.isInteger(Number(s)))
      ) {
        hint = ` (it is written in quotes; write ${s} without them)`;
        fixes.push(this.ctx.replace(`Write the number ${s}`, node, s));
      } else if (types.includes('boolean') && /^(true|false|yes|no|on|off)$/i.test(s)) {
        const b = /^(true|yes|on)$/i.test(s) ? 'true' : 'false';
        hint = ` (write ${b} without quotes)`;
        fixes.push(this.ctx.replace(`Write ${b}`, node, b));
      }
    }
    if (actual === 'number' && types.includes('integer') && !types.includes('number')) {
      this.ctx.report('card/wrong-type', at, `${label} must be a whole number, not ${String(node.value)}`);
      return undefined;
    }
    const got = actual === 'timestamp' ? 'a date' : describeTypes([actual]);
    this.ctx.report('card/wrong-type', at, `${label} must be ${describeTypes(types)}, not ${got}${hint}`, {
      fixes,
      data: { expected: typesOf(schema).join('|'), actual },
    });
    return undefined;
  }

  private checkEnum(node: YamlNode, at: YamlNode, value: unknown, schema: SchemaNode, label: Label): boolean {
    const allowed = schema.enum!;
    if (allowed.some((a) => a === value)) return true;
    const role = schema['x-role'];
    if (role === 'hf-license') return true; // the license rule explains this one (semantic.ts)
    const strings = allowed.filter((a): a is string => typeof a === 'string');
    const prefixed = (v: string) => {
      const hits = strings.filter((s) => s.startsWith(`${v.toLowerCase()}-`));
      return hits.length === 1 ? hits[0] : undefined;
    };
    const guess =
      typeof value === 'string'
        ? (strings.find((s) => s.toLowerCase() === value.toLowerCase()) ?? closest(value, strings) ?? prefixed(value))
        : undefined;
    const list =
      strings.length > 12
        ? `${strings
            .slice(0, 12)
            .map((s) => `\`${s}\``)
            .join(', ')}, …`
        : strings.map((s) => `\`${s}\``).join(', ');
    const fixes =
      guess && node.kind === 'scalar'
        ? [this.ctx.replace(`Change to '${guess}'`, node, this.ctx.styled(node, guess))]
        : [];
    this.ctx.report(
      'card/invalid-value',
      at,
      `${label}: ${JSON.stringify(value)} is not an allowed value${guess ? `; did you mean \`${guess}\`?` : '.'} Allowed: ${list}`,
      { fixes },
    );
    return false;
  }

  private checkString(node: YamlNode, at: YamlNode, text: string, schema: SchemaNode, label: Label): void {
    if (schema.minLength !== undefined && text.length < schema.minLength) {
      this.ctx.report('card/empty-value', at, `${label} is empty`);
      return;
    }
    if (text.length === 0 && (schema['x-role'] === 'digest' || schema['x-role'] === 'commit')) {
      this.ctx.report('card/empty-value', at, `${label} is empty`);
      return;
    }
    if (schema.format) {
      const problem = formatProblem(schema.format, text);
      if (problem) {
        this.ctx.report('card/bad-format', at, `${label}: ${JSON.stringify(text)} is not valid: ${problem}`);
        return;
      }
    }
    if (
      schema.format === 'uri' &&
      /^http:\/\//i.test(text) &&
      !/^http:\/\/(localhost|127\.0\.0\.1)([:/]|$)/i.test(text)
    ) {
      this.ctx.report('card/insecure-transport', at, `${label}: \`http://\` is unauthenticated; use \`https://\``, {
        severity: 'warning',
      });
    }
    if (schema.pattern && !safeRegExp(schema.pattern).test(text)) {
      this.ctx.report(
        'card/bad-format',
        at,
        `${label}: ${JSON.stringify(text)} does not have the expected form. ${firstSentence(schema.description)}`.trim(),
      );
    }
    const known = schema['x-known'];
    if (known && !known.includes(text)) {
      const guess = known.find((k) => k.toLowerCase() === text.toLowerCase()) ?? closest(text, known);
      if (guess && guess !== text) {
        this.ctx.report(
          'card/invalid-value',
          at,
          `${label}: \`${text}\` is not a known value; did you mean \`${guess}\`?`,
          {
            severity: 'warning',
            fixes: [this.ctx.replace(`Change to '${guess}'`, node, this.ctx.styled(node, guess))],
          },
        );
      }
    }
  }

  private checkNumber(_node: YamlNode, at: YamlNode, v: number, schema: SchemaNode, label: Label): void {
    const bounds: string[] = [];
    if (schema.minimum !== undefined && v < schema.minimum) bounds.push(`at least ${schema.minimum}`);
    if (schema.exclusiveMinimum !== undefined && v <= schema.exclusiveMinimum)
      bounds.push(`greater than ${schema.exclusiveMinimum}`);
    if (schema.maximum !== undefined && v > schema.maximum) bounds.push(`at most ${schema.maximum}`);
    if (schema.exclusiveMaximum !== undefined && v >= schema.exclusiveMaximum)
      bounds.push(`less than ${schema.exclusiveMaximum}`);
    if (!bounds.length) return;
    const lo = schema.minimum ?? schema.exclusiveMinimum;
    const hi = schema.maximum ?? schema.exclusiveMaximum;
    const range =
      lo !== undefined && hi !== undefined
        ? ` (the range is ${schema.minimum !== undefined ? '[' : '('}${lo}, ${hi}${schema.maximum !== undefined ? ']' : ')'})`
        : '';
    const pct = hi === 1 && v > 1 && v <= 100 ? `; it looks like a percentage: write ${+(v / 100).toFixed(6)}` : '';
    this.ctx.report('card/out-of-range', at, `${label} is ${v}; it must be ${bounds.join(' and ')}${range}${pct}`);
  }

  private checkArray(
    node: YamlNode,
    schema: SchemaNode,
    path: (string | number)[],
    pair: YamlPair | null,
    depth: number,
  ): void {
    const items = node.items ?? [];
    if (schema.minItems !== undefined && items.length < schema.minItems) {
      this.ctx.report(
        'card/empty-value',
        node.end > node.start ? node : (pair?.key ?? node),
        `\`${pathLabel(path)}\` needs at least ${schema.minItems} item${schema.minItems === 1 ? '' : 's'}`,
      );
    }
    if (!schema.items) return;
    items.forEach((item, i) => this.validate(item, schema.items!, [...path, i], null, node, depth + 1));
  }

  private checkObject(
    node: YamlNode,
    schema: SchemaNode,
    path: (string | number)[],
    pair: YamlPair | null,
    depth: number,
  ): void {
    const pairs = node.pairs ?? [];
    const present = new Set(pairs.map((p) => p.keyText));
    // keys merged in with `<<: *anchor` are present too (their values are checked at the anchor's own place)
    for (const p of pairs) {
      if (p.keyText !== '<<') continue;
      const merged = this.ctx.doc.resolveAlias(p.value);
      const sources =
        merged?.kind === 'sequence' ? (merged.items ?? []).map((i) => this.ctx.doc.resolveAlias(i)) : [merged];
      for (const src of sources) for (const mp of src?.pairs ?? []) present.add(mp.keyText);
    }
    const props = schema.properties ?? {};
    const known = Object.keys(props);
    const absent = known.filter((k) => !present.has(k));
    for (const p of pairs) {
      if (p.keyText === '<<') continue;
      const sub = Object.prototype.hasOwnProperty.call(props, p.keyText) ? props[p.keyText] : undefined;
      if (sub) {
        this.validate(p.value, sub, [...path, p.keyText], p, node, depth + 1);
        continue;
      }
      const guess = closest(p.keyText, absent, { strict: schema.additionalProperties !== false });
      const where = path.length ? ` in \`${pathLabel(path)}\`` : ' at the top level';
      if (schema.additionalProperties === false) {
        const fixes = guess ? [this.ctx.replace(`Rename to '${guess}'`, p.key, guess)] : [];
        const home = guess
          ? undefined
          : this.homeOf(
              p.keyText,
              schema,
              path,
              pairs.slice(0, pairs.indexOf(p)).map((x) => x.keyText),
            );
        const expected = known.length <= 8 ? ` Known keys: ${known.map((k) => `\`${k}\``).join(', ')}.` : '';
        const tail = guess
          ? `; did you mean \`${guess}\`?`
          : home
            ? `; it is a field of \`${home}\` (is it indented under it?)`
            : `.${expected}`;
        this.ctx.report('card/unknown-key', p.key, `unknown key \`${p.keyText}\`${where}${tail}`, { fixes });
        continue;
      }
      if (guess) {
        this.ctx.report(
          'card/unknown-key',
          p.key,
          `\`${p.keyText}\`${where} is not a known key; did you mean \`${guess}\`?`,
          { fixes: [this.ctx.replace(`Rename to '${guess}'`, p.key, guess)] },
        );
      }
      if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
        this.validate(p.value, schema.additionalProperties, [...path, p.keyText], p, node, depth + 1);
      }
    }
    this.checkRequired(node, schema.required ?? [], present, schema, path, pair);
    if (schema.if && this.matches(node, resolveRef(this.root, schema.if))) {
      const then = schema.then && resolveRef(this.root, schema.then);
      if (then?.required) this.checkRequired(node, then.required, present, schema, path, pair, schema.if);
    }
    // draft-07 property dependencies: `base_model_relation` needs `base_model`
    for (const [key, needs] of Object.entries(schema.dependencies ?? {})) {
      if (present.has(key)) this.checkRequired(node, needs, present, schema, path, pair, { properties: { [key]: {} } });
    }
  }

  /**
   * Where in the schema a key that is unknown here belongs (a section nested below this level),
   * for keys that lost their indentation. Of several homes, the one named by the nearest key
   * before it wins (`hash` after `training_data:` belongs to `provenance.training_data`).
   */
  private homeOf(
    key: string,
    schema: SchemaNode,
    path: (string | number)[],
    before: readonly string[],
  ): string | undefined {
    const homes: string[][] = [];
    const queue: { s: SchemaNode; at: string[] }[] = Object.entries(schema.properties ?? {}).map(([k, v]) => ({
      s: resolveRef(this.root, v),
      at: [k],
    }));
    for (let i = 0; i < queue.length && i < 300; i++) {
      const { s, at } = queue[i];
      const inner = s.items ? resolveRef(this.root, s.items) : s;
      if (inner.properties && Object.prototype.hasOwnProperty.call(inner.properties, key)) homes.push(at);
      if (at.length < 3)
        for (const [k, v] of Object.entries(inner.properties ?? {}))
          queue.push({ s: resolveRef(this.root, v), at: [...at, k] });
    }
    if (!homes.length) return undefined;
    for (let i = before.length - 1; i >= 0; i--) {
      const hit = homes.find((h) => h[h.length - 1] === before[i]);
      if (hit) return pathLabel([...path, ...hit]);
    }
    return pathLabel([...path, ...homes[0]]);
  }

  private checkRequired(
    node: YamlNode,
    required: readonly string[],
    present: Set<string>,
    schema: SchemaNode,
    path: (string | number)[],
    pair: YamlPair | null,
    because?: SchemaNode,
  ): void {
    const missing = required.filter((r) => !present.has(r));
    if (!missing.length) return;
    // A field another key requires (`license: other` needs `license_name`) is reported on that key;
    // otherwise on the parent key (yaml-language-server does the same), at the top level on the first key.
    const needer = because?.properties
      ? node.pairs?.find((p) => Object.prototype.hasOwnProperty.call(because.properties, p.keyText))
      : undefined;
    const anchor = needer?.key ?? pair?.key ?? node.pairs?.[0]?.key ?? node;
    const where = path.length ? `\`${pathLabel(path)}\`` : 'the card';
    const cond = because?.properties
      ? ` when ${Object.entries(because.properties)
          .map(([k, v]) =>
            (v.const ?? v.enum) === undefined ? `\`${k}\` is set` : `\`${k}\` is ${JSON.stringify(v.const ?? v.enum)}`,
          )
          .join(' and ')}`
      : '';
    for (const m of missing) {
      const sub = resolveRef(this.root, schema.properties?.[m] ?? {});
      const fix = templateInsertion(this.ctx, node, m, sub, this.root);
      this.ctx.report(
        'card/missing-field',
        anchor,
        `${where} is missing the required field \`${m}\`${cond}${sub.description ? `: ${firstSentence(sub.description)}` : ''}`,
        { fixes: fix ? [fix] : [], data: { field: m } },
      );
    }
  }

  /** The small part of `if` we use: required keys and const/enum values of properties. */
  private matches(node: YamlNode, cond: SchemaNode): boolean {
    for (const r of cond.required ?? []) if (!this.ctx.doc.pair(node, r)) return false;
    for (const [k, s] of Object.entries(cond.properties ?? {})) {
      const v = this.ctx.doc.pair(node, k)?.value;
      if (!v) continue;
      const value = this.ctx.doc.resolveAlias(v)?.value;
      if (s.const !== undefined && value !== s.const) return false;
      if (s.enum && !s.enum.includes(value)) return false;
    }
    return true;
  }
}

/** A field's name for messages, built only when a message is (most values have nothing to report). */
class Label {
  constructor(private readonly path: readonly (string | number)[]) {}
  toString(): string {
    return `\`${pathLabel(this.path)}\``;
  }
}

const REGEX_CACHE = new Map<string, RegExp>();
function safeRegExp(src: string): RegExp {
  let r = REGEX_CACHE.get(src);
  if (!r) {
    try {
      r = new RegExp(src, 'u');
    } catch {
      r = /(?:)/;
    }
    REGEX_CACHE.set(src, r);
  }
  return r;
}

export function firstSentence(s: string | undefined): string {
  if (!s) return '';
  // "e.g." and "i.e." do not end a sentence
  const m = /^(.*?(?<!\b[ei]\.[gei])[.!?])(\s|$)/s.exec(s);
  return (m ? m[1] : s).trim();
}

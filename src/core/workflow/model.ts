import type { YamlDocument, YamlNode, YamlPair } from '../yaml/document.ts';
import { mappedScalar, type MappedText } from './text.ts';

/**
 * A typed view of a GitHub Actions workflow over the source-mapped YAML tree. Every field keeps
 * its nodes so a rule can place a finding on the exact key or value. Anything malformed is simply
 * absent from the model: schema errors are the GitHub Actions extension's and actionlint's job.
 */

export interface ScalarField {
  /** The scalar as a string ('' for null). */
  text: string;
  key: YamlNode;
  node: YamlNode;
}

export interface MapEntry {
  name: string;
  key: YamlNode;
  value: YamlNode | null;
  /** The value when it is a scalar, as a string. */
  text?: string;
}

export interface Permissions {
  /** The `permissions` key. */
  key: YamlNode;
  node: YamlNode;
  /** 'map' for a mapping of scopes; otherwise the shorthand. */
  kind: 'map' | 'read-all' | 'write-all' | 'other';
  scopes: Map<string, MapEntry>;
}

export interface RunScript {
  node: YamlNode;
  script: MappedText;
}

export interface Step {
  index: number;
  node: YamlNode;
  id?: ScalarField;
  name?: ScalarField;
  uses?: ScalarField;
  run?: RunScript;
  shell?: string;
  with: Map<string, MapEntry>;
  withKey?: YamlNode;
  withNode?: YamlNode;
  env: Map<string, MapEntry>;
  envNode?: YamlNode;
  continueOnError?: ScalarField;
  if?: ScalarField;
}

export interface Job {
  id: string;
  key: YamlNode;
  node: YamlNode;
  name?: ScalarField;
  /** A reusable-workflow call (`jobs.<id>.uses`). */
  uses?: ScalarField;
  with: Map<string, MapEntry>;
  secrets?: ScalarField;
  needs: { name: string; node: YamlNode }[];
  needsNode?: YamlNode;
  outputs: Map<string, MapEntry>;
  outputsNode?: YamlNode;
  permissions?: Permissions;
  runsOn?: YamlNode;
  container?: YamlNode;
  services?: YamlNode;
  matrix?: YamlNode;
  env: Map<string, MapEntry>;
  steps: Step[];
  stepsNode?: YamlNode;
  defaultShell?: string;
  if?: ScalarField;
  /** `environment:` (a deployment environment may require a reviewer's approval). */
  environment?: YamlNode;
}

export interface Workflow {
  doc: YamlDocument;
  root: YamlNode;
  /** Event name -> its key node (`on: push` or `on: [push]` or `on: {push: …}`). */
  triggers: Map<string, YamlNode>;
  onKey?: YamlNode;
  permissions?: Permissions;
  env: Map<string, MapEntry>;
  jobs: Job[];
  jobsKey?: YamlNode;
  jobsNode?: YamlNode;
}

export function scalarText(doc: YamlDocument, node: YamlNode | null | undefined): string | undefined {
  const n = doc.resolveAlias(node);
  if (!n || n.kind !== 'scalar') return undefined;
  if (n.value === null || n.value === undefined) return '';
  return n.value instanceof Date ? n.value.toISOString() : String(n.value);
}

function field(doc: YamlDocument, mapping: YamlNode, key: string): ScalarField | undefined {
  const p = doc.pair(mapping, key);
  if (!p?.value) return undefined;
  const text = scalarText(doc, p.value);
  return text === undefined ? undefined : { text, key: p.key, node: doc.resolveAlias(p.value) ?? p.value };
}

function entries(doc: YamlDocument, node: YamlNode | null | undefined): Map<string, MapEntry> {
  const out = new Map<string, MapEntry>();
  const m = doc.resolveAlias(node);
  if (!m || m.kind !== 'mapping') return out;
  for (const p of m.pairs ?? []) {
    const value = doc.resolveAlias(p.value);
    out.set(p.keyText, { name: p.keyText, key: p.key, value, text: scalarText(doc, value) });
  }
  return out;
}

function mappingValue(doc: YamlDocument, p: YamlPair | undefined): YamlNode | undefined {
  const v = doc.resolveAlias(p?.value);
  return v && v.kind === 'mapping' ? v : undefined;
}

function permissions(doc: YamlDocument, mapping: YamlNode): Permissions | undefined {
  const p = doc.pair(mapping, 'permissions');
  if (!p) return undefined;
  const node = doc.resolveAlias(p.value) ?? p.key;
  if (node.kind === 'mapping') return { key: p.key, node, kind: 'map', scopes: entries(doc, node) };
  const text = scalarText(doc, node);
  // `permissions: {}` parses as an empty mapping above; `permissions:` (null) grants nothing too
  if (text === '' && node.kind === 'scalar') return { key: p.key, node, kind: 'map', scopes: new Map() };
  return { key: p.key, node, kind: text === 'read-all' || text === 'write-all' ? text : 'other', scopes: new Map() };
}

function step(doc: YamlDocument, node: YamlNode, index: number): Step {
  const runPair = doc.pair(node, 'run');
  const runNode = doc.resolveAlias(runPair?.value);
  const script = runNode ? mappedScalar(doc, runNode) : undefined;
  const withPair = doc.pair(node, 'with');
  const envPair = doc.pair(node, 'env');
  return {
    index,
    node,
    id: field(doc, node, 'id'),
    name: field(doc, node, 'name'),
    uses: field(doc, node, 'uses'),
    run: runNode && script ? { node: runNode, script } : undefined,
    shell: field(doc, node, 'shell')?.text,
    with: entries(doc, withPair?.value),
    withKey: withPair?.key,
    withNode: mappingValue(doc, withPair),
    env: entries(doc, envPair?.value),
    envNode: mappingValue(doc, envPair),
    continueOnError: field(doc, node, 'continue-on-error'),
    if: field(doc, node, 'if'),
  };
}

/**
 * The house YAML reader returns a flow mapping written as a block-sequence item (`- {uses: x}`)
 * as a mapping whose only key is that flow mapping; unwrap it so such steps are read too.
 */
function flowItem(node: YamlNode | null): YamlNode | null {
  const only = node?.kind === 'mapping' && node.pairs?.length === 1 ? node.pairs[0] : undefined;
  return only && only.value === null && only.key.kind === 'mapping' ? only.key : node;
}

function job(doc: YamlDocument, pair: YamlPair): Job | undefined {
  const node = doc.resolveAlias(pair.value);
  if (!node || node.kind !== 'mapping') return undefined;
  const needsPair = doc.pair(node, 'needs');
  const needsNode = doc.resolveAlias(needsPair?.value) ?? undefined;
  const needs: Job['needs'] = [];
  if (needsNode?.kind === 'scalar') needs.push({ name: scalarText(doc, needsNode) ?? '', node: needsNode });
  else if (needsNode?.kind === 'sequence') {
    for (const item of needsNode.items ?? []) {
      const t = scalarText(doc, item);
      if (t !== undefined) needs.push({ name: t, node: item });
    }
  }
  const outputsPair = doc.pair(node, 'outputs');
  const stepsPair = doc.pair(node, 'steps');
  const stepsNode = doc.resolveAlias(stepsPair?.value) ?? undefined;
  const steps: Step[] = [];
  if (stepsNode?.kind === 'sequence') {
    (stepsNode.items ?? []).forEach((item) => {
      const s = flowItem(doc.resolveAlias(item));
      if (s?.kind === 'mapping') steps.push(step(doc, s, steps.length));
    });
  }
  const strategy = doc.resolveAlias(doc.pair(node, 'strategy')?.value);
  return {
    id: pair.keyText,
    key: pair.key,
    node,
    name: field(doc, node, 'name'),
    uses: field(doc, node, 'uses'),
    with: entries(doc, doc.pair(node, 'with')?.value),
    secrets: field(doc, node, 'secrets'),
    needs,
    needsNode,
    outputs: entries(doc, outputsPair?.value),
    outputsNode: mappingValue(doc, outputsPair),
    permissions: permissions(doc, node),
    runsOn: doc.resolveAlias(doc.pair(node, 'runs-on')?.value) ?? undefined,
    container: doc.resolveAlias(doc.pair(node, 'container')?.value) ?? undefined,
    services: doc.resolveAlias(doc.pair(node, 'services')?.value) ?? undefined,
    matrix: doc.resolveAlias(doc.pair(strategy, 'matrix')?.value) ?? undefined,
    env: entries(doc, doc.pair(node, 'env')?.value),
    steps,
    stepsNode,
    defaultShell: scalarText(doc, doc.at(['jobs', pair.keyText, 'defaults', 'run', 'shell'])),
    if: field(doc, node, 'if'),
    environment: doc.resolveAlias(doc.pair(node, 'environment')?.value) ?? undefined,
  };
}

function triggers(doc: YamlDocument, root: YamlNode): { onKey?: YamlNode; triggers: Map<string, YamlNode> } {
  const out = new Map<string, YamlNode>();
  // YAML 1.1 readers turn a bare `on` key into `true`; js-yaml (1.2) keeps 'on'. Accept both.
  const p = doc.pair(root, 'on') ?? doc.pair(root, 'true');
  if (!p) return { triggers: out };
  const v = doc.resolveAlias(p.value);
  if (v?.kind === 'scalar') {
    const t = scalarText(doc, v);
    if (t) out.set(t, v);
  } else if (v?.kind === 'sequence') {
    for (const item of v.items ?? []) {
      const t = scalarText(doc, item);
      if (t) out.set(t, item);
    }
  } else if (v?.kind === 'mapping') {
    for (const e of v.pairs ?? []) out.set(e.keyText, e.key);
  }
  return { onKey: p.key, triggers: out };
}

/** The workflow model, or undefined when the document is not a mapping at all. */
export function buildWorkflow(doc: YamlDocument): Workflow | undefined {
  const root = doc.resolveAlias(doc.root);
  if (!root || root.kind !== 'mapping') return undefined;
  const jobsPair = doc.pair(root, 'jobs');
  const jobsNode = mappingValue(doc, jobsPair);
  const jobs: Job[] = [];
  for (const p of jobsNode?.pairs ?? []) {
    const j = job(doc, p);
    if (j) jobs.push(j);
  }
  const t = triggers(doc, root);
  return {
    doc,
    root,
    triggers: t.triggers,
    onKey: t.onKey,
    permissions: permissions(doc, root),
    env: entries(doc, doc.pair(root, 'env')?.value),
    jobs,
    jobsKey: jobsPair?.key,
    jobsNode,
  };
}

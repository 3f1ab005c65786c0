import fs from 'node:fs/promises';
import { frontMatter, modelCardKind } from './files.ts';
import type { CardFacts } from './types.ts';
import { parseYaml, type YamlDocument, type YamlNode } from '../yaml/document.ts';
import { decodeUtf8 } from '../yaml/decode.ts';
import { LineIndex } from '../yaml/lines.ts';

/** Where each fact lives, in our model-card.yaml layout and in Hugging Face front matter. */
const FACTS: readonly [string, string][] = [
  ['model_details.name', 'Name'],
  ['model_details.version', 'Version'],
  ['model_details.type', 'Task'],
  ['model_details.framework', 'Framework'],
  ['model_details.license', 'License'],
  ['license', 'License'],
  ['pipeline_tag', 'Task'],
  ['library_name', 'Framework'],
  ['base_model', 'Base model'],
  ['provenance.training_data.source', 'Training data'],
  ['provenance.training_data.hash', 'Training data hash'],
  ['provenance.training_config.source', 'Training source'],
  ['provenance.source_repository', 'Source repository'],
  ['provenance.build_environment.builder', 'Builder'],
  ['provenance.build_environment.commit_sha', 'Commit'],
  ['provenance.build_environment.build_timestamp', 'Built'],
  ['provenance.build_environment.signed_by', 'Signed by (claimed)'],
  ['performance.evaluation_dataset', 'Evaluation data'],
  ['security.vulnerability_scan', 'Vulnerability scan (claimed)'],
  ['security.sbom_ref', 'SBOM'],
  ['security.last_security_review', 'Last security review'],
];

/**
 * Reads the key facts of a model card (`CardFacts`, types.ts) for the gate, the ML-BOM and the
 * report: values only; validating the card is this area's checks' job.
 */
const MAX_CARD_BYTES = 5 * 1024 * 1024;

export async function readCardFacts(file: string): Promise<CardFacts | undefined> {
  try {
    const st = await fs.stat(file);
    if (st.size > MAX_CARD_BYTES) return undefined;
    const text = decodeUtf8(await fs.readFile(file)).text;
    return cardFactsFromText(text, file);
  } catch {
    return undefined;
  }
}

export function cardFactsFromText(text: string, file: string): CardFacts | undefined {
  let doc: YamlDocument;
  if (modelCardKind(file) === 'hf-readme') {
    const fm = frontMatter(text);
    if (!fm) return undefined;
    doc = parseYaml(fm.text, { baseOffset: fm.offset }, new LineIndex(text));
  } else doc = parseYaml(text);
  const out: CardFacts = { file, facts: [], datasets: [], metrics: [], limitations: [], sourceRepositories: [] };
  for (const [key, label] of FACTS) {
    const node = doc.at(key.split('.'));
    const value = scalarText(node);
    if (value === undefined || !node) continue;
    const fact = { key, label, value, range: doc.range(node) };
    out.facts.push(fact);
  }
  const get = (...keys: string[]) => out.facts.find((f) => keys.includes(f.key));
  out.name = get('model_details.name')?.value;
  out.version = get('model_details.version')?.value;
  out.task = get('model_details.type', 'pipeline_tag')?.value;
  out.framework = get('model_details.framework', 'library_name')?.value;
  out.license = get('model_details.license', 'license')?.value;
  const data = get('provenance.training_data.source');
  if (data) out.datasets.push({ name: data.value, url: data.value });
  const hfDatasets = doc.at(['datasets']);
  if (hfDatasets?.kind === 'sequence')
    for (const item of hfDatasets.items ?? []) {
      const v = scalarText(doc.resolveAlias(item));
      if (v) out.datasets.push({ name: v });
    }
  const perf = doc.at(['performance']);
  for (const p of perf?.kind === 'mapping' ? (perf.pairs ?? []) : []) {
    const v =
      p.value && p.value.kind === 'scalar' && typeof p.value.value === 'number' ? String(p.value.value) : undefined;
    if (v !== undefined) out.metrics.push({ type: p.keyText, value: v });
  }
  const lim = doc.at(['known_limitations']);
  if (lim?.kind === 'sequence')
    for (const item of lim.items ?? []) {
      const v = scalarText(doc.resolveAlias(item));
      if (v) out.limitations.push(v);
    }
  out.sourceRepositories = out.facts.filter(
    (f) => f.key === 'provenance.training_config.source' || f.key === 'provenance.source_repository',
  );
  out.sbomRef = get('security.sbom_ref');
  for (const f of out.facts.filter(
    (x) => x.key === 'security.last_security_review' || x.key === 'provenance.build_environment.build_timestamp',
  )) {
    const d = parseDate(f.value);
    if (d && (!out.reviewed || d.toISOString() > out.reviewed.date)) out.reviewed = { date: d.toISOString(), fact: f };
  }
  return out;
}

function scalarText(node: YamlNode | null | undefined): string | undefined {
  if (!node || node.kind !== 'scalar' || node.value === null || node.value === undefined) return undefined;
  const v = node.value;
  if (v instanceof Date) return v.toISOString().slice(0, v.getUTCHours() || v.getUTCMinutes() ? 19 : 10);
  return String(v);
}

function parseDate(s: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}/.test(s)) return undefined;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

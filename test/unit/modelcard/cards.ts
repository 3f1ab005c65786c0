import type { Finding } from '../../../src/core/findings.ts';
import { analyzeModelCard, type CardCheckOptions } from '../../../src/core/modelcard/check.ts';

/** A fixed "now" for every date rule in the tests. */
export const NOW = new Date('2025-02-01T12:00:00Z');

/** A card with nothing wrong in it: each test changes one thing and expects exactly that finding. */
export const VALID_CARD = `model_details:
  name: "sentiment-classifier-v2.1.0"
  version: "2.1.0"
  type: "text-classification"
  framework: "pytorch"
  license: "Apache-2.0"
provenance:
  training_data:
    source: "s3://acme-datasets/sentiment-v3/"
    hash: "sha256:${'a1'.repeat(32)}"
    data_card_ref: "https://internal.acme.com/data-cards/sentiment-v3"
  training_config:
    source: "git+https://github.com/acme/ml-models@${'0123456789abcdef0123'.repeat(2)}"
    hyperparameters:
      learning_rate: 0.00005
      epochs: 10
      batch_size: 32
  build_environment:
    builder: "github-actions"
    runner: "ubuntu-22.04"
    python: "3.11.7"
    torch: "2.1.2"
    cuda: "12.1"
    build_id: "gh-actions-12345"
    commit_sha: "${'abcdef0123456789abcd'.repeat(2)}"
    build_timestamp: "2025-01-15T10:30:00Z"
    signed_by: "ml-team@acme.com"
performance:
  accuracy: 0.94
  f1_score: 0.93
  evaluation_dataset: "s3://acme-datasets/sentiment-eval-v3/"
  evaluation_hash: "sha256:${'b2'.repeat(32)}"
security:
  vulnerability_scan: "clean"
  scanner: "trivy 0.50.1"
  scan_date: "2025-01-16"
  scan_report: "ghcr.io/acme/ml-models/sentiment@sha256:${'c3'.repeat(32)}"
  sbom_ref: "ghcr.io/acme/ml-models/sentiment@sha256:${'d4'.repeat(32)}"
  last_security_review: "2025-01-20"
known_limitations:
  - "May produce biased outputs for underrepresented languages"
`;

export function check(text: string, file = 'model-card.yaml', options: CardCheckOptions = {}): Finding[] {
  return analyzeModelCard(text, file, { now: NOW, ...options }).findings;
}

export function ids(findings: readonly Finding[]): string[] {
  return findings.map((f) => f.ruleId).sort();
}

/** Replace the first occurrence of `from` in the valid card (fails loudly when the text is not there). */
export function mutate(from: string, to: string, base = VALID_CARD): string {
  if (!base.includes(from)) throw new Error(`test card does not contain ${JSON.stringify(from)}`);
  return base.replace(from, to);
}

/** The text a finding's range covers in `text`. */
export function covered(text: string, f: Finding): string {
  const lines = text.split('\n');
  const r = f.range!;
  if (r.start.line === r.end.line) return lines[r.start.line].slice(r.start.character, r.end.character);
  return [
    lines[r.start.line].slice(r.start.character),
    ...lines.slice(r.start.line + 1, r.end.line),
    lines[r.end.line].slice(0, r.end.character),
  ].join('\n');
}

/** Apply a finding's first edit fix to `text`. */
export function applyFix(text: string, f: Finding, index = 0): string {
  const fix = f.fixes?.[index];
  if (!fix || fix.kind !== 'edit') throw new Error(`no edit fix on ${f.ruleId}: ${f.message}`);
  const lines = text.split('\n');
  const offset = (p: { line: number; character: number }) =>
    lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
  const edits = [...fix.edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  let out = text;
  for (const e of edits) out = out.slice(0, offset(e.range.start)) + e.newText + out.slice(offset(e.range.end));
  return out;
}

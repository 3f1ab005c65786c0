import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { analyzeModelCard } from '../../src/core/modelcard/check.ts';
import type { Benchmark } from '../bench.ts';

const REPO = path.resolve(import.meta.dirname, '..', '..');

/** The seed card (../shared), else the example card shipped in the repo. */
function seedCard(): string {
  for (const p of [
    path.join(REPO, '..', 'shared', 'seed', 'examples', 'model-card.yaml'),
    path.join(REPO, 'examples', 'sentiment-classifier', 'model-card.yaml'),
  ]) {
    if (fs.existsSync(p)) return fs.readFileSync(p, 'utf8');
  }
  throw new Error('no model card to benchmark (examples/sentiment-classifier/model-card.yaml is missing)');
}

/**
 * A model card of about `lines` lines: the seed sections plus many artifacts, hyperparameters and
 * limitations, with a defect every few entries so the rules have work to do.
 */
export function generateLargeCard(lines: number): string {
  const out: string[] = [
    'model_details:',
    '  name: "big-model-v1.0.0"',
    '  version: "1.0.0"',
    '  framework: "pytorch"',
    '  license: "Apache-2.0"',
    'provenance:',
    '  training_data:',
    '    source: "s3://bucket/data/"',
    `    hash: "sha256:${'ab'.repeat(32)}"`,
    '  training_config:',
    `    source: "git+https://github.com/acme/m@${'0123456789'.repeat(4)}"`,
    '    hyperparameters:',
  ];
  for (let i = 0; out.length < lines * 0.2; i++) out.push(`      param_${i}: ${i % 7 === 0 ? '"0.5"' : i * 0.001}`);
  out.push(
    '  build_environment:',
    '    builder: "github-actions"',
    `    commit_sha: "${'a'.repeat(40)}"`,
    '    build_timestamp: "2025-01-15T10:30:00Z"',
  );
  out.push(
    'security:',
    '  vulnerability_scan: "clean"',
    '  sbom_ref: "ghcr.io/acme/m:v1"',
    '  last_security_review: "2025-01-20"',
  );
  out.push('artifacts:');
  for (let i = 0; out.length < lines * 0.8; i++) {
    out.push(`  - path: "shards/model-${String(i).padStart(5, '0')}.safetensors"`);
    out.push(`    hash: "${i % 5 === 0 ? 'sha256:abc123...' : `sha256:${i.toString(16).padStart(64, '0')}`}"`);
    out.push(`    size: ${1000 + i}`);
  }
  out.push('known_limitations:');
  for (let i = 0; out.length < lines; i++) out.push(`  - "limitation ${i}: the model may be wrong about case ${i}"`);
  return out.join('\n') + '\n';
}

export function modelCardBenchmarks(): Benchmark[] {
  const seed = seedCard();
  const big = generateLargeCard(5000);
  const now = new Date('2025-06-01T00:00:00Z');
  return [
    {
      name: 'model card: validate the seed card (one keystroke)',
      baseline: { name: 'js-yaml load of the same text', run: () => yaml.load(seed) },
      run: () => analyzeModelCard(seed, 'model-card.yaml', { now }),
      budgetMs: 5,
    },
    {
      name: 'model card: validate a generated 5,000-line card',
      baseline: { name: 'js-yaml load of the same text', run: () => yaml.load(big) },
      run: () => analyzeModelCard(big, 'model-card.yaml', { now }),
    },
  ];
}

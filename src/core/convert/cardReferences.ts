import fs from 'node:fs';
import path from 'node:path';
import type { Finding } from '../findings.ts';
import { LineIndex } from '../yaml/lines.ts';
import { convertFix } from './fix.ts';

/**
 * Model cards (README.md, model-card.yaml) that point readers at pickle weights (`pytorch_model.bin`,
 * `model.pt`, `clf.pkl`) when a safetensors file sits next to them: the reader should be sent to
 * the file that cannot run code. Card text is prose and examples, so names are found as tokens.
 */

/** A weight-file name in prose or code: a relative path ending in a pickle weight extension. */
const REFERENCE =
  /(?<![\w./\\:-])((?:[\w.-]+\/)*[\w.-]+?)(\.(?:bin|pt|pth|ckpt|pkl|pickle))(\.index\.json)?(?![\w-]|\.\w)/g;

export interface CardReferenceOptions {
  /** Whether a file exists (injectable for tests and for editors with unsaved state). */
  exists?: (file: string) => boolean;
}

/** The safetensors names that would hold the same weights as `stem+ext`, by the conventions tools follow. */
export function safetensorsCandidates(stem: string, indexSuffix: string): string[] {
  const dir = stem.includes('/') ? stem.slice(0, stem.lastIndexOf('/') + 1) : '';
  const base = stem.slice(dir.length);
  const names = new Set<string>([`${base}.safetensors`]);
  // transformers: pytorch_model.bin ↔ model.safetensors, shards pytorch_model-00001-of-00002.bin ↔ model-00001-of-00002.safetensors
  const hf = /^pytorch_model(-\d{5}-of-\d{5})?$/.exec(base);
  if (hf) names.add(`model${hf[1] ?? ''}.safetensors`);
  return [...names].map((n) => dir + n + indexSuffix);
}

export function checkCardWeightReferences(
  text: string,
  cardFile: string,
  options: CardReferenceOptions = {},
): Finding[] {
  const exists = options.exists ?? ((f: string) => fs.existsSync(f));
  const dir = path.dirname(cardFile);
  const lines = new LineIndex(text);
  const findings: Finding[] = [];
  for (const m of text.matchAll(REFERENCE)) {
    const [whole, stem, ext, index = ''] = m;
    if (path.isAbsolute(stem) || stem.split('/').includes('..')) continue;
    const start = m.index;
    const range = { start: lines.position(start), end: lines.position(start + whole.length) };
    const alternative = safetensorsCandidates(stem, index).find((c) => exists(path.join(dir, c)));
    if (alternative) {
      findings.push({
        ruleId: 'convert/card-pickle-reference',
        severity: 'info',
        file: cardFile,
        range,
        message: `'${whole}' is a pickle; '${alternative}' is next to it and holds tensors without code. Point readers at the safetensors file.`,
        fixes: [
          {
            kind: 'edit',
            title: `Refer to ${alternative}`,
            isPreferred: true,
            edits: [{ range, newText: alternative }],
          },
        ],
        data: { reference: whole, alternative },
      });
      continue;
    }
    const target = path.join(dir, stem + ext);
    if (!index && ext !== '.pkl' && ext !== '.pickle' && exists(target)) {
      const fix = convertFix(target);
      findings.push({
        ruleId: 'convert/card-pickle-reference',
        severity: 'info',
        file: cardFile,
        range,
        message: `'${whole}' is a pickle and has no safetensors copy next to it; convert it and point readers at the result.`,
        fixes: [fix],
        data: { reference: whole },
      });
    }
  }
  return findings;
}

import type { Finding } from '../findings.ts';
import { parseYaml } from '../yaml/document.ts';
import { yamlProblemFindings } from '../yaml/findings.ts';
import { frontMatter, modelCardKind } from './files.ts';
import { LineIndex } from '../yaml/lines.ts';

export interface CardCheckOptions {
  now?: Date;
}

/** Check a model card's text. `file` decides the dialect (our model-card.yaml or a Hugging Face README.md). */
export function checkModelCardText(text: string, file: string, _options: CardCheckOptions = {}): Finding[] {
  if (modelCardKind(file) === 'hf-readme') {
    const fm = frontMatter(text);
    if (!fm) return [];
    const doc = parseYaml(fm.text, { baseOffset: fm.offset }, new LineIndex(text));
    return yamlProblemFindings(doc, file);
  }
  const doc = parseYaml(text);
  return yamlProblemFindings(doc, file);
}

import path from 'node:path';

import { nameMatches } from '../area.ts';
import { modelCardArea } from './area.ts';

/** Model cards in our format (YAML), by name (the area's descriptor); matched case-insensitively. */
const CARD_YAML = modelCardArea.files.find((k) => k.id === 'model-card')!;

export type CardFileKind = 'card-yaml' | 'hf-readme';

/** Which kind of model card a path names, by its name alone (content decides for README.md). */
export function modelCardKind(filePath: string): CardFileKind | undefined {
  const base = path.basename(filePath).toLowerCase();
  if (nameMatches(CARD_YAML, base)) return 'card-yaml';
  if (base === 'readme.md') return 'hf-readme';
  return undefined;
}

// Front matter is read by the policy search's model boundary too (a foundation): it lives in yaml/.
export { frontMatter, looksLikeHfMetadata } from '../yaml/frontMatter.ts';

import fs from 'node:fs/promises';
import path from 'node:path';
import type { InspectResult, Inspector } from '../inspect/types.ts';
import { modelCardKind } from '../modelcard/files.ts';
import { decodeUtf8 } from '../yaml/decode.ts';
import { checkCardWeightReferences } from './cardReferences.ts';

const MAX_CARD_BYTES = 5 * 1024 * 1024;

/** `inspect DIR`: model cards that send readers to pickle weights when safetensors exist beside them. */
export const cardWeightReferencesInspector: Inspector = {
  id: 'convert',
  title: 'Pickle weights referenced by model cards',
  async inspect(ctx): Promise<InspectResult> {
    const result: InspectResult = { findings: [], files: [] };
    const present = new Set(ctx.files.map((f) => path.resolve(f.path)));
    for (const f of ctx.files) {
      if (!modelCardKind(f.path) || f.size > MAX_CARD_BYTES) continue;
      const text = decodeUtf8(await fs.readFile(f.path)).text;
      result.findings.push(...checkCardWeightReferences(text, f.path, { exists: (p) => present.has(path.resolve(p)) }));
    }
    return result;
  },
};

import fs from 'node:fs/promises';
import type { Finding } from '../findings.ts';
import type { InspectResult, Inspector } from '../inspect/types.ts';
import { decodeUtf8 } from '../yaml/decode.ts';
import { checkModelCardText } from './check.ts';
import { frontMatter, modelCardKind } from './files.ts';

const MAX_CARD_BYTES = 5 * 1024 * 1024;

/** Read and check one model card file; I/O and encoding problems become findings. */
export async function checkModelCardFile(file: string, now = new Date()): Promise<{ findings: Finding[]; isCard: boolean }> {
  let bytes: Buffer;
  try {
    const st = await fs.stat(file);
    if (st.size > MAX_CARD_BYTES) {
      return { isCard: true, findings: [{ ruleId: 'yaml/too-large', severity: 'warning', message: `${st.size} bytes is over the ${MAX_CARD_BYTES}-byte limit for a model card; not validated`, file }] };
    }
    bytes = await fs.readFile(file);
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as Error).message}`);
  }
  const decoded = decodeUtf8(bytes);
  const findings: Finding[] = [];
  if (decoded.problem) findings.push({ ruleId: 'yaml/encoding', severity: 'error', message: decoded.problem.message, file, offset: decoded.problem.offset });
  if (modelCardKind(file) === 'hf-readme' && !frontMatter(decoded.text)) return { findings, isCard: false };
  findings.push(...checkModelCardText(decoded.text, file, { now }));
  return { findings, isCard: true };
}

export const modelCardInspector: Inspector = {
  id: 'card',
  title: 'Model card',
  async inspect(ctx): Promise<InspectResult> {
    const result: InspectResult = { findings: [], files: [] };
    for (const f of ctx.files) {
      if (!modelCardKind(f.path)) continue;
      const { findings, isCard } = await checkModelCardFile(f.path, ctx.now);
      if (!isCard) continue;
      result.findings.push(...findings);
      result.files.push({ path: f.path, kind: modelCardKind(f.path) === 'hf-readme' ? 'model card (Hugging Face README)' : 'model card' });
    }
    return result;
  },
};

import fs from 'node:fs/promises';
import path from 'node:path';
import { decodeUtf8 } from '../yaml/decode.ts';
import { parseYaml } from '../yaml/document.ts';
import { normalizeRepo } from './provenance.ts';

/**
 * What a model card says the signatures should show: `provenance.build_environment.signed_by`
 * (the signer identity) and `provenance.training_config.source` (the source repository). Used
 * only when the user gave no expectation of their own; the verifier's report says so.
 */

export interface CardExpectations {
  card: string;
  certificateIdentity?: string;
  /** Implied by the identity's form (GitHub workflow identities come from GitHub's OIDC issuer). */
  certificateOidcIssuer?: string;
  sourceRepository?: string;
}

const CARD_NAMES = ['model-card.yaml', 'model-card.yml'];
const MAX_CARD_BYTES = 1024 * 1024;

function get(v: unknown, ...keys: string[]): unknown {
  let cur = v;
  for (const k of keys) cur = typeof cur === 'object' && cur !== null ? (cur as Record<string, unknown>)[k] : undefined;
  return cur;
}

/** Reads the model card of a model folder (or of a weight file's folder), if there is one. */
export async function cardExpectations(target: string): Promise<CardExpectations | undefined> {
  let dir = path.resolve(target);
  try { if (!(await fs.stat(dir)).isDirectory()) dir = path.dirname(dir); } catch { return undefined; }
  for (const name of CARD_NAMES) {
    const file = path.join(dir, name);
    let bytes: Buffer;
    try {
      const st = await fs.stat(file);
      if (!st.isFile() || st.size > MAX_CARD_BYTES) continue;
      bytes = await fs.readFile(file);
    } catch { continue; }
    const doc = parseYaml(decodeUtf8(bytes).text);
    const { value } = doc.toValue(doc.root);
    const signedBy = get(value, 'provenance', 'build_environment', 'signed_by');
    const source = get(value, 'provenance', 'training_config', 'source');
    const out: CardExpectations = { card: file };
    if (typeof signedBy === 'string' && signedBy) {
      out.certificateIdentity = signedBy;
      if (signedBy.startsWith('https://github.com/')) out.certificateOidcIssuer = 'https://token.actions.githubusercontent.com';
    }
    if (typeof source === 'string' && /^(git\+)?https:\/\//.test(source)) out.sourceRepository = normalizeRepo(source);
    return out;
  }
  return undefined;
}

import { FileTooLargeError, NotRegularFileError, readRegularFile } from '../fsutil/read.ts';
import type { Finding } from '../findings.ts';
import type { InspectResult, Inspector } from '../inspect/types.ts';
import { decodeUtf8 } from '../yaml/decode.ts';
import { analyzeModelCard, type CardCheckOptions } from './check.ts';
import { FileDigestCache, filesToCheck, localFileFindings, type FileDigestOptions } from './fileDigests.ts';
import { frontMatter, looksLikeHfMetadata, modelCardKind } from './files.ts';

const MAX_CARD_BYTES = 5 * 1024 * 1024;

export interface CardFileOptions extends CardCheckOptions, FileDigestOptions {
  /** Check digests of local files the card names against the files (default true). */
  verifyLocalDigests?: boolean;
  /** Local paths may not climb above this folder. */
  root?: string;
  cache?: FileDigestCache;
}

/** Read and check one model card file, including its local files' digests; I/O and encoding problems become findings. */
export interface CardFileResult {
  findings: Finding[];
  isCard: boolean;
  /** Local files whose digest was compared with the card's. */
  digestsChecked?: number;
}

export async function checkModelCardFile(file: string, options: CardFileOptions | Date = {}): Promise<CardFileResult> {
  const opts: CardFileOptions = options instanceof Date ? { now: options } : options;
  let bytes: Buffer;
  try {
    bytes = await readRegularFile(file, MAX_CARD_BYTES);
  } catch (e) {
    if (e instanceof FileTooLargeError) {
      return {
        isCard: true,
        findings: [
          {
            ruleId: 'yaml/too-large',
            severity: 'error',
            message: `${e.size} bytes is over the ${MAX_CARD_BYTES}-byte limit for a model card; not validated, so not known to be valid`,
            file,
          },
        ],
      };
    }
    if (e instanceof NotRegularFileError) throw e;
    throw new Error(`cannot read ${file}: ${(e as Error).message}`);
  }
  const decoded = decodeUtf8(bytes);
  const findings: Finding[] = [];
  if (decoded.problem)
    findings.push({
      ruleId: 'yaml/encoding',
      severity: 'error',
      message: decoded.problem.message,
      file,
      offset: decoded.problem.offset,
    });
  if (modelCardKind(file) === 'hf-readme') {
    const fm = frontMatter(decoded.text);
    if (!fm || !looksLikeHfMetadata(fm.text)) return { findings, isCard: false };
  }
  const analysis = analyzeModelCard(decoded.text, file, opts);
  findings.push(...analysis.findings);
  if (opts.verifyLocalDigests !== false && analysis.doc && (analysis.claims.length || analysis.paths.length)) {
    const cache = opts.cache ?? new FileDigestCache();
    const files = filesToCheck(file, analysis, opts.root);
    await cache.refresh(files, opts);
    findings.push(...localFileFindings(analysis.doc, file, analysis, (p) => cache.peek(p), opts.root));
    const hashed = files.filter((f) => {
      const st = f.hash ? cache.peek(f.abs) : undefined;
      return st?.kind === 'file' && st.sha256;
    }).length;
    return { findings, isCard: true, digestsChecked: hashed };
  }
  return { findings, isCard: true, digestsChecked: 0 };
}

export const modelCardInspector: Inspector = {
  id: 'card',
  title: 'Model card',
  async inspect(ctx): Promise<InspectResult> {
    const result: InspectResult = { findings: [], files: [] };
    const maxAge = ctx.options['card.reviewMaxAgeDays'];
    const cache = new FileDigestCache();
    for (const f of ctx.files) {
      if (!modelCardKind(f.path)) continue;
      ctx.signal?.throwIfAborted();
      const { findings, isCard, digestsChecked } = await checkModelCardFile(f.path, {
        now: ctx.now,
        reviewMaxAgeDays: typeof maxAge === 'number' ? maxAge : undefined,
        root: ctx.root,
        cache,
        signal: ctx.signal,
      });
      if (!isCard) continue;
      result.findings.push(...findings);
      const n = findings.length;
      const summary = `${n === 0 ? 'valid' : `${n} finding${n === 1 ? '' : 's'}`}${digestsChecked ? `, ${digestsChecked} local file digest${digestsChecked === 1 ? '' : 's'} checked` : ''}`;
      result.files.push({
        path: f.path,
        kind: modelCardKind(f.path) === 'hf-readme' ? 'model card (Hugging Face README)' : 'model card',
        summary,
      });
    }
    return result;
  },
};

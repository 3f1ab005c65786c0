import path from 'node:path';
import * as vscode from 'vscode';
import type { Finding } from '../core/findings.ts';
import { analyzeModelCard, DEFAULT_REVIEW_MAX_AGE_DAYS } from '../core/modelcard/check.ts';
import {
  DEFAULT_MAX_HASH_BYTES,
  FileDigestCache,
  filesToCheck,
  localFileFindings,
} from '../core/modelcard/fileDigests.ts';
import { frontMatter, looksLikeHfMetadata, modelCardKind } from '../core/modelcard/files.ts';
import type { Services } from './services.ts';
import { setting, trustedSetting } from './settings.ts';

/**
 * Model cards (model-card.yaml and Hugging Face README.md front matter): live validation with
 * the schema and supply-chain rules, plus the local-file digest check.
 *
 * The digest check reads files, so it never runs inside a keystroke's validation: validation
 * publishes the synchronous findings together with whatever the digest cache already knows, then
 * refreshes the cache in the background (stat, and a streamed SHA-256 only when size or mtime
 * changed) and re-validates the document once if anything changed.
 */
export function registerModelCard(s: Services): void {
  const cache = new FileDigestCache();
  const refreshing = new Map<string, AbortController>();

  const refreshFiles = (doc: vscode.TextDocument, files: { abs: string; hash: boolean }[]) => {
    // One controller per open document, aborted only when it closes: a keystroke must not restart
    // the hashing of a large file (concurrent refreshes share the in-flight hash in the cache).
    const key = doc.uri.toString();
    let ac = refreshing.get(key);
    if (!ac) refreshing.set(key, (ac = new AbortController()));
    const signal = ac.signal;
    const maxMiB = trustedSetting<number>('modelCard.maxHashMiB', DEFAULT_MAX_HASH_BYTES / 1024 ** 2, doc.uri);
    const started = performance.now();
    cache.refresh(files, { maxHashBytes: maxMiB * 1024 ** 2, signal }).then(
      (changed) => {
        if (changed)
          s.log.debug(
            `model card: checked ${files.length} local file(s) for ${doc.uri.fsPath} in ${Math.round(performance.now() - started)} ms`,
          );
        if (changed && !doc.isClosed && !signal.aborted) void s.live.validateNow(doc);
      },
      (e: unknown) => {
        if (!signal.aborted)
          s.log.warn(`model card: local file check failed for ${doc.uri.fsPath}: ${(e as Error)?.message ?? e}`);
      },
    );
  };

  s.context.subscriptions.push(
    s.live.add({
      id: 'model card',
      matches: (doc) => isModelCardDocument(doc),
      validate: (doc) => validateCard(doc, cache, refreshFiles),
    }),
    {
      dispose: () => {
        for (const ac of refreshing.values()) ac.abort();
        refreshing.clear();
      },
    },
    vscode.workspace.onDidCloseTextDocument((doc) => {
      refreshing.get(doc.uri.toString())?.abort();
      refreshing.delete(doc.uri.toString());
    }),
  );
}

function validateCard(
  doc: vscode.TextDocument,
  cache: FileDigestCache,
  refreshFiles: (doc: vscode.TextDocument, files: { abs: string; hash: boolean }[]) => void,
): Finding[] {
  const file = doc.uri.fsPath;
  const analysis = analyzeModelCard(doc.getText(), doc.uri.scheme === 'untitled' ? doc.uri.path : file, {
    now: new Date(),
    reviewMaxAgeDays: setting<number>('modelCard.reviewMaxAgeDays', DEFAULT_REVIEW_MAX_AGE_DAYS, doc.uri),
  });
  const findings = [...analysis.findings];
  const local = doc.uri.scheme === 'file' && trustedSetting<boolean>('modelCard.verifyLocalDigests', true, doc.uri);
  if (local && analysis.doc && (analysis.claims.length || analysis.paths.length)) {
    // The card's folder is its model: references outside it are not read (see resolveCardPath).
    const root = path.dirname(file);
    findings.push(...localFileFindings(analysis.doc, file, analysis, (p) => cache.peek(p), root));
    refreshFiles(doc, filesToCheck(file, analysis, root));
  }
  return findings;
}

export function isModelCardDocument(doc: vscode.TextDocument): boolean {
  if (doc.uri.scheme !== 'file' && doc.uri.scheme !== 'untitled' && doc.uri.scheme !== 'vscode-remote') return false;
  const kind = modelCardKind(doc.uri.path);
  if (kind === 'card-yaml') return true;
  if (kind !== 'hf-readme') return false;
  const fm = frontMatter(doc.getText(new vscode.Range(0, 0, 200, 0)));
  return fm !== undefined && looksLikeHfMetadata(fm.text);
}

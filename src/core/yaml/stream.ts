import { parseYaml, type YamlDocument } from './document.ts';
import { LineIndex } from './lines.ts';

/**
 * A YAML stream (several documents separated by `---`), as Kubernetes manifests are written.
 *
 * Each document is parsed on its own by the house reader (`parseYaml`) with its offset in the file,
 * so every node's range is a range in the whole file. A line that starts with `---` or `...` is a
 * document marker wherever it appears (YAML 1.2 forbids such a line inside a scalar), so cutting
 * the text at those lines gives the same documents a streaming parser would.
 */
export interface YamlStreamDocument {
  doc: YamlDocument;
  /** Offset of the document's text in the file. */
  start: number;
  end: number;
  /** 0-based position in the stream (empty documents are skipped but counted). */
  index: number;
}

export interface YamlStream {
  documents: YamlStreamDocument[];
  lines: LineIndex;
  /** Set when the stream holds more documents than `maxDocuments`; the rest were not read. */
  truncated?: { at: number; documents: number };
}

export interface StreamOptions {
  /** Documents read at most (default 1000); the rest make the stream `truncated`. */
  maxDocuments?: number;
}

const MARKER = /^(?:---|\.\.\.)(?=[ \t\r\n]|$)/gm;

export function parseYamlStream(text: string, options: StreamOptions = {}): YamlStream {
  const max = options.maxDocuments ?? 1000;
  const lines = new LineIndex(text);
  const documents: YamlStreamDocument[] = [];
  const cuts: { at: number; kind: 'start' | 'end' }[] = [];
  MARKER.lastIndex = 0;
  for (let m = MARKER.exec(text); m; m = MARKER.exec(text))
    cuts.push({ at: m.index, kind: m[0] === '---' ? 'start' : 'end' });
  // Segments: [0, first cut), then each `---` starts one that runs to the next cut; `...` ends one.
  const segments: { start: number; end: number }[] = [];
  let from = 0;
  let open = true;
  for (const c of cuts) {
    if (open && c.at >= from) segments.push({ start: from, end: c.at });
    if (c.kind === 'start') {
      from = c.at;
      open = true;
    } else {
      from = lineEnd(text, c.at);
      open = false;
    }
  }
  if (open) segments.push({ start: from, end: text.length });
  else if (/\S/.test(stripComments(text.slice(from)))) segments.push({ start: from, end: text.length });

  let truncated: YamlStream['truncated'];
  for (let index = 0; index < segments.length; index++) {
    const s = segments[index];
    const slice = text.slice(s.start, s.end);
    // a bare `---` line opens a document; `--- value` carries content of its own
    const body = /^---[ \t]*(?:#[^\n]*)?(?:\r?\n|$)/.test(slice) ? slice.replace(/^---[^\n]*\n?/, '') : slice;
    if (!/\S/.test(stripComments(body))) continue;
    if (documents.length >= max) {
      truncated = { at: s.start, documents: segments.length };
      break;
    }
    documents.push({ doc: parseYaml(slice, { baseOffset: s.start }, lines), start: s.start, end: s.end, index });
  }
  return { documents, lines, truncated };
}

function lineEnd(text: string, at: number): number {
  const nl = text.indexOf('\n', at);
  return nl < 0 ? text.length : nl + 1;
}

function stripComments(text: string): string {
  return text.replace(/(^|[ \t])#[^\n]*/g, '$1').replace(/^%[^\n]*/gm, '');
}

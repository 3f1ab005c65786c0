import type { YamlDocument, YamlNode } from '../yaml/document.ts';

/**
 * The value of a YAML scalar together with where each of its characters sits in the file.
 *
 * A `run:` script is usually a literal block (`|`): its value has the block's indentation removed,
 * so positions in the value are not positions in the file. Shell and expression analysis work on
 * the value; findings must point into the file. `offsets[i]` is the document offset of `text[i]`
 * (and `offsets[text.length]` the offset just past the last character).
 */
export class MappedText {
  constructor(
    readonly text: string,
    readonly offsets: readonly number[],
  ) {}

  /** Document offset of a position in `text` (clamped). */
  at(i: number): number {
    return this.offsets[Math.max(0, Math.min(i, this.offsets.length - 1))];
  }

  /** Document [start, end) of a span [i, j) of `text`. */
  span(i: number, j: number): { start: number; end: number } {
    if (j <= i) return { start: this.at(i), end: this.at(i) };
    return { start: this.at(i), end: this.at(j - 1) + 1 };
  }
}

/** The text of a scalar node, mapped back to the document. Non-scalars give undefined. */
export function mappedScalar(doc: YamlDocument, node: YamlNode | null | undefined): MappedText | undefined {
  const n = doc.resolveAlias(node);
  if (!n || n.kind !== 'scalar') return undefined;
  const value =
    n.value === null || n.value === undefined ? '' : typeof n.value === 'string' ? n.value : String(n.value);
  if (n.style === 'literal' || n.style === 'folded')
    return blockScalar(doc.text, n.start, n.style === 'folded') ?? align(value, doc.text, n.start, n.end);
  return align(value, doc.text, n.start, n.end);
}

/**
 * Block scalars are re-read from the source: the header line (`|`, `|-`, `>2`…) then every line
 * indented at least as much as the first content line. Literal blocks keep their newlines; folded
 * blocks join adjacent non-empty lines with a space, as YAML does.
 */
function blockScalar(src: string, start: number, folded: boolean): MappedText | undefined {
  const headerEnd = src.indexOf('\n', start);
  if (headerEnd < 0) return new MappedText('', [start]);
  const header = src.slice(start, headerEnd).replace(/\s+#.*$/, '');
  const explicit = /[1-9]/.exec(header);
  const chomp = header.includes('-') ? 'strip' : header.includes('+') ? 'keep' : 'clip';
  const lines: { from: number; to: number }[] = [];
  let pos = headerEnd + 1;
  let indent = -1;
  let parentIndent = 0;
  {
    const ls = src.lastIndexOf('\n', start - 1) + 1;
    parentIndent = /^ */.exec(src.slice(ls, start))![0].length;
  }
  if (explicit) indent = parentIndent + Number(explicit[0]);
  while (pos <= src.length) {
    let eol = src.indexOf('\n', pos);
    if (eol < 0) eol = src.length;
    const lineEnd = eol > pos && src[eol - 1] === '\r' ? eol - 1 : eol;
    const line = src.slice(pos, lineEnd);
    const spaces = /^ */.exec(line)![0].length;
    const blank = line.trim() === '';
    if (!blank) {
      if (indent < 0) {
        if (spaces <= parentIndent) break;
        indent = spaces;
      }
      if (spaces < indent) break;
    }
    lines.push({ from: pos, to: lineEnd });
    if (eol >= src.length) break;
    pos = eol + 1;
  }
  if (indent < 0) indent = 0;
  // trailing blank lines are not content (chomping decides only the final newline)
  while (lines.length && src.slice(lines[lines.length - 1].from, lines[lines.length - 1].to).trim() === '') lines.pop();
  // Pieces joined once (a character at a time, a 1 MB script built a rope of a million strings).
  const pieces: string[] = [];
  const offsets: number[] = [];
  let prevText = '';
  lines.forEach((l, k) => {
    const content = l.from + Math.min(indent, l.to - l.from);
    const curText = src.slice(content, l.to);
    if (k > 0) {
      const join =
        folded && prevText !== '' && curText !== '' && !/^[ \t]/.test(prevText) && !/^[ \t]/.test(curText) ? ' ' : '\n';
      pieces.push(join);
      offsets.push(lines[k - 1].to);
    }
    pieces.push(curText);
    for (let i = content; i < l.to; i++) offsets.push(i);
    prevText = curText;
  });
  const end = lines.length ? lines[lines.length - 1].to : headerEnd;
  if (chomp !== 'strip' && lines.length) {
    pieces.push('\n');
    offsets.push(end);
  }
  offsets.push(end);
  return new MappedText(pieces.join(''), offsets);
}

/**
 * Flow scalars (plain, quoted) map by walking value and source together: equal characters pair up,
 * source characters the value lacks (quotes, escapes, folded line breaks) are skipped.
 */
function align(value: string, src: string, start: number, end: number): MappedText {
  const offsets: number[] = [];
  let j = start;
  for (let i = 0; i < value.length; i++) {
    let k = j;
    while (k < end && src[k] !== value[i]) k++;
    if (k < end) {
      offsets.push(k);
      j = k + 1;
    } else offsets.push(Math.max(start, Math.min(j, end - 1)));
  }
  offsets.push(Math.max(j, start));
  return new MappedText(value, offsets);
}

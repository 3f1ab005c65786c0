import type { TextPosition } from '../findings.ts';

/** Offsets (UTF-16 code units, as JavaScript strings and VS Code count) to 0-based line/character and back. */
export class LineIndex {
  private starts: number[] = [0];
  private length = 0;

  constructor(text?: string) {
    if (text !== undefined) this.reset(text);
  }

  reset(text: string): this {
    const starts = [0];
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x0a) starts.push(i + 1);
      else if (c === 0x0d) {
        if (text.charCodeAt(i + 1) === 0x0a) i++;
        starts.push(i + 1);
      }
    }
    this.starts = starts;
    this.length = text.length;
    return this;
  }

  get lineCount(): number {
    return this.starts.length;
  }

  lineStart(line: number): number {
    return this.starts[Math.max(0, Math.min(line, this.starts.length - 1))];
  }

  position(offset: number): TextPosition {
    const o = Math.max(0, Math.min(offset, this.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: o - this.starts[lo] };
  }

  offset(pos: TextPosition): number {
    if (pos.line >= this.starts.length) return this.length;
    return Math.min(this.length, this.starts[Math.max(0, pos.line)] + Math.max(0, pos.character));
  }
}

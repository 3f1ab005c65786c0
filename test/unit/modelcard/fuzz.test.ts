import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { analyzeModelCard } from '../../../src/core/modelcard/check.ts';
import { completionsAt, hoverAt } from '../../../src/core/modelcard/editor.ts';
import { NOW, VALID_CARD } from './cards.ts';

/** Text as it is mid-edit: the valid card with characters inserted and deleted at random places. */
const edited = fc
  .array(
    fc.record({
      at: fc.nat(),
      del: fc.nat({ max: 6 }),
      ins: fc.string({
        unit: fc.constantFrom(
          ' ',
          '\n',
          ':',
          '-',
          '"',
          "'",
          '&',
          '*',
          '[',
          ']',
          '{',
          '}',
          '#',
          'a',
          '1',
          '.',
          '\t',
          '|',
          '>',
          '!',
          '?',
        ),
        maxLength: 6,
      }),
    }),
    { maxLength: 8 },
  )
  .map((edits) =>
    edits.reduce((t, e) => {
      const at = e.at % (t.length + 1);
      return t.slice(0, at) + e.ins + t.slice(at + e.del);
    }, VALID_CARD),
  );

test('whatever the edit, validation, hover and completion never throw and every range lies inside the text', () => {
  fc.assert(
    fc.property(edited, fc.nat(), (text, p) => {
      const lines = text.split(/\r\n|\r|\n/);
      for (const file of ['model-card.yaml', 'README.md']) {
        const body = file === 'README.md' ? `---\n${text}---\n` : text;
        const bodyLines = body.split(/\r\n|\r|\n/);
        for (const f of analyzeModelCard(body, file, { now: NOW }).findings) {
          if (!f.range) continue;
          for (const pos of [f.range.start, f.range.end]) {
            assert.ok(
              pos.line < bodyLines.length && pos.character <= bodyLines[pos.line].length,
              `${f.ruleId} at ${JSON.stringify(pos)}`,
            );
          }
        }
        const line = p % lines.length;
        const pos = { line, character: p % (lines[line].length + 1) };
        hoverAt(body, file, pos);
        completionsAt(body, file, pos);
      }
    }),
    { numRuns: 150, seed: 20251125 },
  );
});

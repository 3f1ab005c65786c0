import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { convertCheckpoint, ConvertError } from '../../../src/core/convert/convert.ts';
import { validateSafetensors } from '../../../src/core/scan/formats/safetensors.ts';
import { FileAccess } from '../../../src/core/scan/io/source.ts';
import { REPO } from '../helpers.ts';

const FIXTURES = path.join(REPO, 'test', 'fixtures', 'convert');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-convert-fuzz-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

for (const name of ['views.pt', 'legacy.pt', 'nested.pt']) {
  test(`${name} with random bytes changed or cut: a finding or a valid file, never a crash, a hang or a stray file`, async () => {
    const original = fs.readFileSync(path.join(FIXTURES, name));
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ at: fc.nat({ max: original.length - 1 }), value: fc.integer({ min: 0, max: 255 }) }), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.option(fc.nat({ max: original.length }), { nil: undefined }),
        async (flips, cut) => {
          const bytes = Buffer.from(original);
          for (const f of flips) bytes[f.at] = f.value;
          const input = path.join(tmp, `${name}.${n}.pt`);
          const output = path.join(tmp, `${name}.${n++}.safetensors`);
          fs.writeFileSync(input, cut === undefined ? bytes : bytes.subarray(0, cut));
          try {
            const r = await convertCheckpoint(input, { output });
            if (r.ok) {
              const fa = await FileAccess.open(output);
              try {
                assert.deepEqual(
                  (await validateSafetensors(fa)).problems.filter((p) => p.rule !== 'scan/safetensors-metadata'),
                  [],
                );
              } finally {
                await fa.close();
              }
            } else {
              assert.ok(r.findings.some((f) => f.severity === 'error'));
              assert.equal(fs.existsSync(output), false);
            }
          } catch (e) {
            assert.ok(e instanceof ConvertError, `unexpected ${(e as Error).stack}`);
          }
          assert.deepEqual(
            fs.readdirSync(tmp).filter((f) => f.endsWith('.partial')),
            [],
          );
        },
      ),
      {
        numRuns: Number(process.env.MODEL_INSPECT_FUZZ_RUNS) || 150,
        seed: Number(process.env.MODEL_INSPECT_FUZZ_SEED) || 7,
      },
    );
  });
}

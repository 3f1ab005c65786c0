import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { cli } from '../helpers.ts';

test('model-inspect python: .py files and notebook cells (imports carry across cells), JSON with cell members', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-pycli-'));
  try {
    fs.writeFileSync(
      path.join(dir, 'load.py'),
      'import torch as t\nsd = t.load("m.pt")\nok = t.load("mine.pt")  # model-inspect-disable-line python/torch-load-unsafe\n',
    );
    fs.writeFileSync(
      path.join(dir, 'nb.ipynb'),
      JSON.stringify({
        nbformat: 4,
        nbformat_minor: 5,
        metadata: { kernelspec: { language: 'python', name: 'python3' } },
        cells: [
          { cell_type: 'markdown', source: ['# notes'], metadata: {} },
          { cell_type: 'code', source: ['%pip install torch\n', 'import numpy as np\n'], metadata: {}, outputs: [] },
          { cell_type: 'code', source: 'x = np.load("a.npy", allow_pickle=True)\n', metadata: {}, outputs: [] },
        ],
      }),
    );
    const r = cli(['python', dir, '--format', 'json', '--fail-on', 'warning']);
    assert.equal(r.status, 1, r.stderr);
    const report = JSON.parse(r.stdout) as {
      findings: { ruleId: string; file: string; member?: string; range: { start: { line: number } } }[];
    };
    assert.deepEqual(
      report.findings.map((f) => [path.basename(f.file), f.member ?? '', f.ruleId, f.range.start.line]).sort(),
      [
        ['load.py', '', 'python/torch-load-unsafe', 2],
        ['nb.ipynb', 'cell 3', 'python/numpy-allow-pickle', 1],
      ],
    );
    assert.equal(cli(['python', path.join(dir, 'missing.py')]).status, 2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

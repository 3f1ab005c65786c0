import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { cli, REPO } from '../helpers.ts';

const FIXTURES = path.join(REPO, 'test', 'fixtures', 'convert');

test('model-inspect convert: exit 0 with a JSON conversion report; 1 when refused; 2 when the output exists', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-convert-cli-'));
  try {
    fs.copyFileSync(path.join(FIXTURES, 'nested.pt'), path.join(dir, 'ckpt.pt'));
    const ok = cli(['convert', 'ckpt.pt', '--format', 'json'], { cwd: dir });
    assert.equal(ok.status, 0, ok.stderr);
    const report = JSON.parse(ok.stdout) as {
      conversion: {
        ok: boolean;
        output: string;
        tensors: number;
        metadata: Record<string, string>;
        dropped: { name: string }[];
      };
      findings: { ruleId: string }[];
    };
    assert.equal(report.conversion.ok, true);
    assert.equal(report.conversion.output, 'ckpt.safetensors');
    assert.equal(report.conversion.tensors, 4);
    assert.equal(report.conversion.metadata.epoch, '3');
    assert.deepEqual(
      report.findings.map((f) => f.ruleId),
      ['convert/dropped-value'],
    );
    assert.ok(fs.existsSync(path.join(dir, 'ckpt.safetensors')));

    const again = cli(['convert', 'ckpt.pt'], { cwd: dir });
    assert.equal(again.status, 2);
    assert.match(again.stderr, /already exists; not overwritten/);

    fs.copyFileSync(path.join(FIXTURES, 'hostile_os_system.pt'), path.join(dir, 'evil.pt'));
    const refused = cli(['convert', 'evil.pt', 'out.safetensors'], { cwd: dir });
    assert.equal(refused.status, 1);
    assert.match(refused.stdout, /convert\/refused .*system/);
    assert.equal(fs.existsSync(path.join(dir, 'out.safetensors')), false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('model-inspect inspect: Python checks and model-card pickle references are part of a folder inspection', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-convert-inspect-'));
  try {
    fs.writeFileSync(path.join(dir, 'README.md'), '---\nlicense: mit\n---\n# M\n\nWeights: pytorch_model.bin\n');
    fs.writeFileSync(path.join(dir, 'pytorch_model.bin'), 'x');
    fs.writeFileSync(path.join(dir, 'model.safetensors'), 'x');
    fs.writeFileSync(path.join(dir, 'infer.py'), 'import torch\nm = torch.load("pytorch_model.bin")\n');
    const r = cli(['inspect', dir, '--format', 'json', '--fail-on', 'never']);
    assert.equal(r.status, 0, r.stderr);
    const ids = (JSON.parse(r.stdout) as { findings: { ruleId: string }[] }).findings.map((f) => f.ruleId);
    assert.ok(ids.includes('python/torch-load-unsafe'), ids.join(' '));
    assert.ok(ids.includes('convert/card-pickle-reference'), ids.join(' '));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

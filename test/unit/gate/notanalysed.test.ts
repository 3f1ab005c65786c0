import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { scanModel } from '../../../src/core/gate/engines.ts';
import { evaluateGate } from '../../../src/core/gate/evaluate.ts';
import type { Evidence } from '../../../src/core/gate/evidence.ts';
import { parsePolicy } from '../../../src/core/gate/policy.ts';
import { modelTarget } from '../../../src/core/model/target.ts';

/** Only the scan check matters here; the rest of the evidence is empty. */
function evidence(root: string, scan: Evidence['scan']): Evidence {
  return {
    root,
    name: 'm',
    weightFiles: [],
    files: [],
    skipped: [],
    scan,
    incomplete: [],
    provenance: [],
    signatures: { available: true, results: [], findings: [] },
    card: { findings: [] },
    sbom: { sboms: [], findings: [] },
    vulnerabilities: { reports: [], vulnerabilities: [], findings: [], tools: [], runs: [] },
  } as Evidence;
}

test('gate.scan.not_analysed: files no engine analyses are listed (warn), block the gate (block) or are left out (allow)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gate-na-'));
  fs.writeFileSync(
    path.join(dir, 'model.safetensors'),
    Buffer.concat([Buffer.from([2, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{}')]),
  );
  fs.writeFileSync(path.join(dir, 'blob.bin2'), Buffer.from([0x01, 0xff, 0x00, 0x02]));
  fs.writeFileSync(path.join(dir, 'README.md'), '# m\n');
  const scan = await scanModel(await modelTarget(dir), {} as Parameters<typeof scanModel>[1]);
  assert.deepEqual(
    scan.notAnalysed?.map((n) => [n.rel, n.size, n.kind]),
    [['blob.bin2', 4, 'unknown-content']],
  );
  const check = (yaml: string) =>
    evaluateGate(evidence(dir, scan), parsePolicy(yaml, 'p.yaml')).checks.find((c) => c.id === 'scan')!;
  const warn = check('gate:\n  scan: {}\n');
  assert.equal(warn.status, 'pass');
  assert.ok(
    warn.reasons.some((r) => /1 file not analysed.*blob\.bin2 \(4 bytes\)/.test(r)),
    warn.reasons.join('\n'),
  );
  const block = check('gate:\n  scan:\n    not_analysed: block\n');
  assert.equal(block.status, 'fail');
  assert.deepEqual(
    block.findings.map((f) => f.ruleId),
    ['gate/not-analysed'],
  );
  const allow = check('gate:\n  scan:\n    not_analysed: allow\n');
  assert.equal(allow.status, 'pass');
  assert.ok(!allow.reasons.some((r) => /not analysed/.test(r)));
  assert.ok(
    parsePolicy('gate:\n  scan:\n    not_analysed: maybe\n', 'p.yaml').findings.some(
      (f) => f.ruleId === 'gate/policy-invalid',
    ),
  );
});

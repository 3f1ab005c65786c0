import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runGate } from '../../../src/core/gate/index.ts';

function folder(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-collect-'));
  fs.writeFileSync(
    path.join(dir, 'model-card.yaml'),
    'model_details:\n  name: "m"\nsecurity:\n  sbom_ref: "boms/model.spdx.json"\n',
  );
  fs.writeFileSync(path.join(dir, 'model.pt'), Buffer.from([0x80, 0x02, 0x4e, 0x2e]));
  fs.mkdirSync(path.join(dir, 'boms'));
  fs.writeFileSync(
    path.join(dir, 'boms', 'model.spdx.json'),
    JSON.stringify({ spdxVersion: 'SPDX-2.3', name: 'm', packages: [{ name: 'torch', versionInfo: '2.1.2' }] }),
  );
  // trivy output kept under any name: found by content
  fs.writeFileSync(
    path.join(dir, 'scan-results.json'),
    JSON.stringify({
      SchemaVersion: 2,
      ArtifactName: '.',
      Results: [
        {
          Target: 'requirements.txt',
          Vulnerabilities: [
            { VulnerabilityID: 'CVE-1', PkgName: 'torch', InstalledVersion: '2.1.2', Severity: 'HIGH' },
          ],
        },
      ],
    }),
  );
  return dir;
}

test('evidence: SBOM by sbom_ref, a trivy report by content, engines called through the interface', async () => {
  const dir = folder();
  const calls: string[] = [];
  const run = await runGate(dir, {
    now: new Date('2025-06-01T00:00:00Z'),
    tools: { pathEnv: '' },
    engines: {
      checkCard: async (file) => {
        calls.push(`card ${path.basename(file)}`);
        return [];
      },
      scan: async (target) => {
        calls.push(`scan ${target.weightFiles.length}`);
        return {
          available: true,
          files: target.weightFiles.map((w) => ({ path: w.path, format: 'pickle', complete: true, findings: [] })),
        };
      },
      // The report is vouched for by a verified signature (an unsigned one would be the publisher's claim).
      verify: async () => {
        calls.push('verify');
        return {
          available: true,
          results: [
            {
              file: path.join(dir, 'scan-results.json'),
              signatureFile: path.join(dir, 'scan-results.json.sigstore.json'),
              format: 'sigstore-bundle',
              verified: true,
              covers: [path.join(dir, 'scan-results.json')],
              failures: [],
            },
          ],
          findings: [],
        };
      },
    },
  });
  assert.deepEqual(calls, ['card model-card.yaml', 'verify', 'scan 1']);
  const ev = run.evidence;
  assert.deepEqual(
    ev.sbom.sboms.map((s) => [path.relative(dir, s.file), s.format, s.components.length]),
    [['boms/model.spdx.json', 'spdx', 1]],
  );
  assert.deepEqual(
    ev.vulnerabilities.reports.map((r) => path.basename(r)),
    ['scan-results.json'],
  );
  assert.deepEqual(
    ev.vulnerabilities.vulnerabilities.map((v) => [v.id, v.severity, v.scanner]),
    [['CVE-1', 'high', 'trivy']],
  );
  assert.deepEqual(
    ev.vulnerabilities.tools.map((t) => [t.id, t.path]),
    [
      ['syft', undefined],
      ['grype', undefined],
      ['trivy', undefined],
    ],
  );
  assert.equal(
    run.verdict.checks.find((c) => c.id === 'vulnerabilities')?.status,
    'pass',
    'high is under the default block_at (critical)',
  );
});

test('an engine that throws is an incomplete inspection: the gate fails closed and says which engine', async () => {
  const run = await runGate(folder(), {
    tools: { pathEnv: '' },
    engines: {
      scan: async () => {
        throw new Error('out of memory in a hostile pickle');
      },
    },
  });
  assert.equal(run.verdict.passed, false);
  assert.equal(run.evidence.scan.available, false);
  assert.ok(run.evidence.incomplete.some((f) => /weight file scan failed: out of memory/.test(f.message)));
  assert.equal(run.verdict.checks.find((c) => c.title === 'Inspection complete')?.status, 'fail');
});

test('cancellation stops the gate', async () => {
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(
    runGate(folder(), {
      signal: ac.signal,
      tools: { pathEnv: '' },
      engines: {
        scan: async (_t, ctx) => {
          ctx.signal?.throwIfAborted();
          return { available: true, files: [] };
        },
      },
    }),
  );
});

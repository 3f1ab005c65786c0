import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { discoverSboms, isRemoteRef } from '../../../src/core/sbom/discover.ts';
import { parseSbomJson, readSbomFile } from '../../../src/core/sbom/read.ts';

const cdx = (specVersion: string, extra: Record<string, unknown> = {}) => ({
  bomFormat: 'CycloneDX',
  specVersion,
  version: 1,
  metadata: { component: { type: 'machine-learning-model', name: 'sentiment', version: '2.1.0' } },
  components: [
    {
      type: 'library',
      name: 'torch',
      version: '2.1.2',
      purl: 'pkg:pypi/torch@2.1.2',
      licenses: [{ license: { id: 'BSD-3-Clause' } }],
      hashes: [{ alg: 'SHA-256', content: 'AB'.repeat(32) }],
      components: [{ type: 'library', name: 'torch-sub', version: '1' }],
    },
    { type: 'file', name: 'model.safetensors', licenses: [{ expression: 'Apache-2.0 OR MIT' }] },
    { type: 'library', group: 'org.example', name: 'grouped' },
    { type: 'library', version: 'nameless' },
  ],
  ...extra,
});

for (const v of ['1.4', '1.5', '1.6']) {
  test(`CycloneDX ${v}: components (nested too) with version, type, purl, licenses, hashes`, () => {
    const r = parseSbomJson(cdx(v), 'bom.json');
    assert.ok(r.sbom);
    assert.equal(r.sbom.format, 'cyclonedx');
    assert.equal(r.sbom.specVersion, v);
    assert.equal(r.sbom.subject, 'sentiment 2.1.0');
    assert.deepEqual(
      r.sbom.components.map((c) => c.name),
      ['torch', 'torch-sub', 'model.safetensors', 'org.example/grouped'],
    );
    const torch = r.sbom.components[0];
    assert.deepEqual(torch, {
      name: 'torch',
      version: '2.1.2',
      type: 'library',
      purl: 'pkg:pypi/torch@2.1.2',
      licenses: ['BSD-3-Clause'],
      hashes: [{ alg: 'SHA-256', value: 'ab'.repeat(32) }],
    });
    assert.deepEqual(r.sbom.components[2].licenses, ['Apache-2.0 OR MIT']);
    assert.deepEqual(
      r.findings.map((f) => f.ruleId),
      ['sbom/invalid-component'],
    );
  });
}

test('CycloneDX 1.2 is read best-effort with a finding; a non-SBOM JSON is reported, not read', () => {
  const old = parseSbomJson(cdx('1.2'), 'old.json');
  assert.equal(old.sbom?.components.length, 4);
  assert.ok(old.findings.some((f) => f.ruleId === 'sbom/unsupported' && /1\.2/.test(f.message)));
  const other = parseSbomJson({ name: 'package.json-like' }, 'x.json');
  assert.equal(other.sbom, undefined);
  assert.equal(other.findings[0].ruleId, 'sbom/unsupported');
  assert.equal(parseSbomJson([1, 2], 'x.json').sbom, undefined);
});

test('SPDX 2.3: packages with versionInfo, purl external refs, concluded/declared licenses, checksums', () => {
  const r = parseSbomJson(
    {
      spdxVersion: 'SPDX-2.3',
      dataLicense: 'CC0-1.0',
      SPDXID: 'SPDXRef-DOCUMENT',
      name: 'serving-image',
      packages: [
        {
          SPDXID: 'SPDXRef-numpy',
          name: 'numpy',
          versionInfo: '1.26.4',
          licenseConcluded: 'BSD-3-Clause',
          licenseDeclared: 'BSD-3-Clause',
          primaryPackagePurpose: 'LIBRARY',
          externalRefs: [
            { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: 'pkg:pypi/numpy@1.26.4' },
          ],
          checksums: [{ algorithm: 'SHA256', checksumValue: 'CD'.repeat(32) }],
        },
        { SPDXID: 'SPDXRef-x', name: 'weights', licenseConcluded: 'NOASSERTION' },
        { SPDXID: 'SPDXRef-bad' },
      ],
    },
    'sbom.spdx.json',
  );
  assert.equal(r.sbom?.format, 'spdx');
  assert.equal(r.sbom?.subject, 'serving-image');
  assert.deepEqual(r.sbom?.components[0], {
    name: 'numpy',
    version: '1.26.4',
    type: 'library',
    purl: 'pkg:pypi/numpy@1.26.4',
    licenses: ['BSD-3-Clause'],
    hashes: [{ alg: 'SHA-256', value: 'cd'.repeat(32) }],
  });
  assert.deepEqual(r.sbom?.components[1].licenses, []);
  assert.deepEqual(
    r.findings.map((f) => f.ruleId),
    ['sbom/invalid-component'],
  );
  assert.equal(parseSbomJson({ spdxVersion: 'SPDX-2.2', packages: [] }, 'x').findings[0].severity, 'info');
});

test('readSbomFile: broken JSON and missing files are findings, never throws', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-sbom-'));
  fs.writeFileSync(path.join(dir, 'broken.json'), '{"bomFormat": "CycloneDX", ');
  const broken = await readSbomFile(path.join(dir, 'broken.json'));
  assert.equal(broken.sbom, undefined);
  assert.match(broken.findings[0].message, /not valid JSON/);
  const missing = await readSbomFile(path.join(dir, 'none.json'));
  assert.equal(missing.findings[0].ruleId, 'sbom/unreadable');
});

test('sbom_ref: URLs and OCI references are remote; relative and dotted file names are local', () => {
  for (const r of [
    'https://example.com/sbom.json',
    'ghcr.io/acme/ml-models/sentiment:v2.1.0.sbom',
    'registry.example.com:5000/x/y@sha256:abcd',
    'oci://ghcr.io/a/b',
  ])
    assert.equal(isRemoteRef(r), true, r);
  for (const r of ['sbom.cdx.json', './sbom/bom.json', '../sboms/model.spdx.json', 'sbom/bom.json'])
    assert.equal(isRemoteRef(r), false, r);
});

test('discoverSboms: finds SBOMs by content in the folder and follows a local sbom_ref; missing ref is a finding at its range', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-disc-'));
  fs.mkdirSync(path.join(dir, 'boms'));
  fs.writeFileSync(path.join(dir, 'anything.json'), JSON.stringify(cdx('1.6')));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ hidden_size: 768 }));
  fs.writeFileSync(
    path.join(dir, 'boms', 'outside.spdx.json'),
    JSON.stringify({ spdxVersion: 'SPDX-2.3', name: 'x', packages: [] }),
  );
  const files = ['anything.json', 'config.json'].map((rel) => ({
    path: path.join(dir, rel),
    rel,
    size: fs.statSync(path.join(dir, rel)).size,
  }));
  const card = path.join(dir, 'model-card.yaml');
  const range = { start: { line: 3, character: 12 }, end: { line: 3, character: 30 } };
  const found = await discoverSboms(files, { value: 'boms/outside.spdx.json', file: card, range });
  assert.deepEqual(
    found.sboms.map((s) => path.basename(s.file)),
    ['anything.json', 'outside.spdx.json'],
  );
  const missing = await discoverSboms(files, { value: 'nope.json', file: card, range });
  assert.equal(missing.sboms.length, 1);
  assert.deepEqual(
    missing.findings.filter((f) => f.ruleId.startsWith('sbom/ref')).map((f) => [f.ruleId, f.range]),
    [['sbom/ref-missing', range]],
  );
  const remote = await discoverSboms([], { value: 'ghcr.io/acme/x:v1.sbom', file: card, range });
  assert.deepEqual(
    remote.findings.map((f) => f.ruleId),
    ['sbom/ref-remote'],
  );
});

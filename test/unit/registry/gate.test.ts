/**
 * `gate REF` against a real registry: the example model that passes `gate DIR` is pushed as a
 * ModelPack artifact, signed, and attested with its SBOM, its grype report (as cosign's `vuln`
 * predicate) and its model card (`custom`); the same policy approves it. Unsigned, unattested,
 * wrongly signed and pickle-carrying variants are blocked, each for its reason.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RegistryClient } from '../../../src/core/registry/client.ts';
import { pushArtifact } from '../../../src/core/registry/push.ts';
import { MODELPACK_CONFIG, MODELPACK_MANIFEST } from '../../../src/core/registry/packaging.ts';
import { createRequire } from 'node:module';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { cli, REPO } from '../helpers.ts';
import { evilPickle } from './fixtures.ts';
import { registrySkip, startRegistry, type TestRegistry } from './realRegistry.ts';

const EXAMPLE = path.join(REPO, 'examples', 'sentiment-classifier-signed');

describe('gate REF on a real registry', { skip: registrySkip() }, () => {
  let reg: TestRegistry;
  let client: RegistryClient;
  let dir: string;
  const env = { COSIGN_PASSWORD: 'pw' };
  const digests: Record<string, string> = {};
  before(async () => {
    reg = await startRegistry();
    client = new RegistryClient({ retryBaseMs: 1 });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-reg-gate-'));
    assert.equal(cli(['generate-key-pair', '--output-key-prefix', path.join(dir, 'release')], { env }).status, 0);
    assert.equal(cli(['generate-key-pair', '--output-key-prefix', path.join(dir, 'other')], { env }).status, 0);
    fs.writeFileSync(
      path.join(dir, '.model-inspect.yaml'),
      [
        'gate:',
        '  signatures:',
        '    keys: [release.pub]',
        '  provenance:',
        '    source_repository: github.com/acme/ml-models',
        '  vulnerabilities:',
        '    block_at: high',
        '  model_card:',
        '    max_age_days: 180',
        '',
      ].join('\n'),
    );
    const weights = fs.readFileSync(path.join(EXAMPLE, 'model.safetensors'));
    for (const [tag, extra] of [
      ['good', []],
      ['unattested', []],
      ['other-key', []],
      [
        'pickle',
        [
          {
            mediaType: 'application/vnd.cncf.model.weight.v1.raw',
            bytes: evilPickle(),
            annotations: { 'org.cncf.model.filepath': 'extra.pt' },
          },
        ],
      ],
    ] as const) {
      const p = await pushArtifact(client, reg.host, 'models/sentiment', tag, {
        artifactType: MODELPACK_MANIFEST,
        configMediaType: MODELPACK_CONFIG,
        config: Buffer.from(JSON.stringify({ tag })),
        layers: [
          {
            mediaType: 'application/vnd.cncf.model.weight.v1.raw',
            bytes: weights,
            annotations: { 'org.cncf.model.filepath': 'model.safetensors' },
          },
          ...extra,
        ],
      });
      digests[tag] = p.digest;
    }
    const grype = JSON.parse(fs.readFileSync(path.join(EXAMPLE, 'grype.json'), 'utf8'));
    fs.writeFileSync(
      path.join(dir, 'vuln.json'),
      JSON.stringify({
        invocation: { uri: '', event_id: '', 'builder.id': '', parameters: null },
        scanner: { uri: 'pkg:github/anchore/grype', version: '0.80.0', db: { uri: '', version: '' }, result: grype },
        metadata: { scanStartedOn: '2026-11-20T00:00:00Z', scanFinishedOn: '2026-11-20T00:00:00Z' },
      }),
    );
    const sign = (tag: string, key: string) =>
      assert.equal(
        cli(['sign', `${reg.host}/models/sentiment@${digests[tag]}`, '--key', path.join(dir, key)], { env }).status,
        0,
      );
    const attest = (tag: string, type: string, file: string) => {
      const r = cli(
        [
          'attest',
          `${reg.host}/models/sentiment@${digests[tag]}`,
          '--type',
          type,
          '--predicate',
          file,
          '--key',
          path.join(dir, 'release.key'),
        ],
        { env },
      );
      assert.equal(r.status, 0, r.stderr);
    };
    for (const tag of ['good', 'pickle']) {
      sign(tag, 'release.key');
      attest(tag, 'cyclonedx', path.join(EXAMPLE, 'sbom.cdx.json'));
      attest(tag, 'vuln', path.join(dir, 'vuln.json'));
      attest(tag, 'custom', path.join(EXAMPLE, 'model-card.yaml'));
    }
    sign('unattested', 'release.key');
    sign('other-key', 'other.key');
  });
  after(async () => {
    client?.close();
    await reg?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const gate = (tag: string, format = 'json') =>
    cli(['gate', `${reg.host}/models/sentiment:${tag}`, '--now', '2026-12-01', '--format', format], { cwd: dir });

  test('the example model, signed and attested in the registry, passes the same policy', () => {
    const r = gate('good');
    const j = JSON.parse(r.stdout);
    assert.equal(r.status, 0, JSON.stringify(j.checks, null, 1));
    assert.equal(j.verdict, 'approved');
    assert.equal(j.digest, digests.good);
    assert.deepEqual(
      j.checks.map((c: { id: string; status: string }) => `${c.id}:${c.status}`),
      [
        'policy:pass',
        'signatures:pass',
        'provenance:pass',
        'scan:pass',
        'sbom:pass',
        'vulnerabilities:pass',
        'model-card:pass',
      ],
    );
    assert.ok(
      j.findings.some((f: { ruleId: string }) => f.ruleId === 'registry/tag-reference'),
      'the tag was resolved once and said so',
    );
    const text = gate('good', 'text');
    assert.match(
      text.stdout,
      new RegExp(`Promotion gate for ${reg.host.replace(/\./g, '\\.')}/models/sentiment:good@${digests.good}`),
    );
    assert.match(text.stdout, /Promotion APPROVED/);
  });

  test('no SBOM, vulnerability report or card attestation: blocked on each', () => {
    const j = JSON.parse(gate('unattested').stdout);
    assert.equal(j.verdict, 'blocked');
    const status = Object.fromEntries(j.checks.map((c: { id: string; status: string }) => [c.id, c.status]));
    assert.deepEqual(
      [status.signatures, status.sbom, status.vulnerabilities, status['model-card']],
      ['pass', 'fail', 'fail', 'fail'],
    );
  });

  test('signed with a key the policy does not list: blocked', () => {
    const j = JSON.parse(gate('other-key').stdout);
    assert.equal(j.verdict, 'blocked');
    assert.equal(j.checks.find((c: { id: string }) => c.id === 'signatures').status, 'fail');
  });

  test('a pickle layer that runs code: blocked by the scan, whatever the signatures', () => {
    const r = gate('pickle');
    const j = JSON.parse(r.stdout);
    assert.equal(r.status, 1);
    assert.equal(j.checks.find((c: { id: string }) => c.id === 'scan').status, 'fail');
    assert.ok(
      j.findings.some(
        (f: { ruleId: string; message: string }) =>
          f.ruleId === 'gate/dangerous-content' && /extra\.pt/.test(f.message),
      ),
    );
  });

  test('verify REF: exit 0 with the release key, 1 with another; signatures and attestations listed', () => {
    const ok = cli(
      [
        'verify',
        `${reg.host}/models/sentiment@${digests.good}`,
        '--key',
        path.join(dir, 'release.pub'),
        '--format',
        'json',
      ],
      { cwd: dir },
    );
    assert.equal(ok.status, 0, ok.stdout);
    const j = JSON.parse(ok.stdout);
    assert.equal(j.verified, true);
    assert.deepEqual(
      j.signatures.map((s: { kind: string; verified: boolean }) => `${s.kind}:${s.verified}`),
      ['signature:true', 'attestation:true', 'attestation:true', 'attestation:true'],
    );
    const bad = cli(['verify', `${reg.host}/models/sentiment@${digests.good}`, '--key', path.join(dir, 'other.pub')], {
      cwd: dir,
    });
    assert.equal(bad.status, 1);
    assert.match(bad.stdout, /NOT VERIFIED signature/);
  });

  test('inspect REF: every layer scanned, signatures verified with the flags', () => {
    const r = cli(
      ['inspect', `${reg.host}/models/sentiment:pickle`, '--key', path.join(dir, 'release.pub'), '--format', 'json'],
      { cwd: dir },
    );
    const j = JSON.parse(r.stdout);
    assert.equal(r.status, 1, 'the pickle is an error');
    assert.deepEqual(
      j.files.map((f: { file: string; verdict: string }) => `${f.file.replace(/^.*\//, '')}:${f.verdict}`),
      ['model.safetensors:clean', 'extra.pt:dangerous'],
    );
    assert.ok(j.signatures.every((s: { verified: boolean }) => s.verified));
  });

  test('sbom REF: a CycloneDX 1.6 ML-BOM that validates, pinned to the digest, with the attested card', () => {
    const r = cli(['sbom', `${reg.host}/models/sentiment:good`, '--key', path.join(dir, 'release.pub')], { cwd: dir });
    assert.equal(r.status, 0, r.stderr);
    const bom = JSON.parse(r.stdout) as {
      metadata: { component: { type: string; purl: string; modelCard?: unknown } };
      components: { name: string; hashes: { alg: string }[] }[];
    };
    const require = createRequire(import.meta.url);
    const schemaDir = path.join(
      path.dirname(require.resolve('@cyclonedx/cyclonedx-library/package.json')),
      'res',
      'schema',
    );
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    addFormats(ajv);
    for (const f of ['iri-reference', 'iri', 'idn-email']) ajv.addFormat(f, true);
    for (const f of ['spdx.SNAPSHOT.schema.json', 'jsf-0.82.SNAPSHOT.schema.json'])
      ajv.addSchema(JSON.parse(fs.readFileSync(path.join(schemaDir, f), 'utf8')), `http://cyclonedx.org/schema/${f}`);
    const validate = ajv.compile(
      JSON.parse(fs.readFileSync(path.join(schemaDir, 'bom-1.6.SNAPSHOT.schema.json'), 'utf8')),
    );
    assert.ok(validate(bom), JSON.stringify(validate.errors, null, 2));
    assert.equal(bom.metadata.component.type, 'machine-learning-model');
    assert.match(
      bom.metadata.component.purl,
      new RegExp(`^pkg:oci/sentiment@sha256%3A${digests.good.split(':')[1]}\\?`),
    );
    assert.ok(bom.metadata.component.modelCard, 'the card comes from the verified custom attestation');
    const weights = bom.components.find((c) => c.name === 'model.safetensors');
    assert.equal(weights?.hashes[0].alg, 'SHA-256');
  });
});

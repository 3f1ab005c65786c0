import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { walk } from '../../../src/core/fsutil/walk.ts';
import { checkChain } from '../../../src/core/k8s/chain.ts';
import { checkK8sTexts } from '../../../src/core/k8s/files.ts';
import { compareWithGate, generateAdmissionPolicy, readGateExpectations } from '../../../src/core/k8s/generate.ts';
import { buildChainReport } from '../../../src/core/k8s/chainReport.ts';
import { cli, REPO } from '../helpers.ts';

const repo = (name: string) => path.join(REPO, 'examples', 'ml-repo', name);

async function chainOf(dir: string) {
  return checkChain(dir, (await walk(dir)).files);
}

test('the consistent repository: every link agrees, nothing is reported', async () => {
  const { findings, groups } = await chainOf(repo('consistent'));
  assert.equal(groups.length, 1);
  assert.equal(groups[0].workflows[0].signing.length, 3);
  assert.deepEqual(
    findings.map((f) => `${f.ruleId}: ${f.message}`),
    [],
  );
  const k8s = await checkK8sTexts(
    ['deploy/serving.yaml', 'deploy/require-signed-models.yaml'].map((f) => ({
      path: path.join(repo('consistent'), f),
      text: fs.readFileSync(path.join(repo('consistent'), f), 'utf8'),
    })),
  );
  assert.deepEqual(
    k8s.findings.map((f) => `${f.ruleId}: ${f.message}`),
    [],
  );
});

test('the broken repository: each break is reported once, with both places', async () => {
  const { findings } = await chainOf(repo('broken'));
  const by = (rule: string, re: RegExp) => findings.filter((f) => f.ruleId === rule && re.test(f.message));
  const card = by(
    'chain/identity-mismatch',
    /model card says signed_by ml-team@acme.com, but the workflow signs as https:\/\/github.com\/acme\/ml-models\/.github\/workflows\/release.yml@refs\/tags\/v\*/,
  );
  assert.equal(card.length, 1);
  assert.match(card[0].file!, /model-card.yaml$/);
  assert.match(card[0].related![0].file!, /release.yml$/);
  assert.equal(
    by(
      'chain/identity-mismatch',
      /promotion policy accepts only https:\/\/github.com\/acme\/ml-models\/.github\/workflows\/train.yml/,
    ).length,
    1,
  );
  const cluster = by(
    'chain/identity-mismatch',
    /but the cluster admits only ml-team@acme.com \(issuer https:\/\/accounts.google.com\)/,
  );
  assert.equal(cluster.length, 1);
  assert.match(cluster[0].file!, /require-signed-models.yaml$/);
  assert.equal(cluster[0].range!.start.line + 1, 21);
  assert.equal(by('chain/registry-mismatch', /sbom_ref is in ghcr.io\/acme\/models\/sentiment/).length, 1);
  assert.equal(by('chain/registry-mismatch', /runs ghcr.io\/acme\/ml-model\/sentiment-serving/).length, 1);
  assert.equal(
    by('admission/image-scope', /pushes ghcr.io\/acme\/ml-models\/sentiment, but no image pattern/).length,
    1,
  );
  const k8s = await checkK8sTexts(
    ['deploy/serving.yaml', 'deploy/require-signed-models.yaml'].map((f) => ({
      path: path.join(repo('broken'), f),
      text: fs.readFileSync(path.join(repo('broken'), f), 'utf8'),
    })),
  );
  assert.ok(
    k8s.findings.some((f) => f.ruleId === 'admission/match-misses-pods' && /namespace ml-prod/.test(f.message)),
  );
  assert.ok(
    k8s.findings.some(
      (f) => f.ruleId === 'k8s/image-outside-admission' && /ml-model\/sentiment-serving/.test(f.message),
    ),
  );
});

test('inspect reports the chain; the report panel gets the same findings for a model of the repository', async () => {
  const r = cli(['inspect', repo('broken'), '--format', 'json', '--fail-on', 'never']);
  assert.equal(r.status, 0, r.stderr);
  const rules = new Set(JSON.parse(r.stdout).findings.map((f: { ruleId: string }) => f.ruleId));
  for (const rule of [
    'chain/identity-mismatch',
    'chain/registry-mismatch',
    'admission/image-scope',
    'admission/match-misses-pods',
    'k8s/image-outside-admission',
  ])
    assert.ok(rules.has(rule), rule);
  const report = await buildChainReport(path.join(repo('broken'), 'models', 'sentiment'), path.join(REPO, 'examples'));
  assert.equal(report.root, repo('broken'));
  assert.ok(report.findings.some((f) => f.ruleId === 'chain/identity-mismatch'));
  assert.equal(report.links.workflows.length, 1);
  assert.equal(report.links.policies.length, 1);
});

test("the seed's workflow and card: the card names ml-team@acme.com, the workflow signs as itself", async () => {
  const { findings } = await chainOf(path.join(REPO, 'examples', 'sentiment-classifier'));
  void findings; // the seed folder alone has no policy naming the repository: identities cannot be built
  const parent = await chainOf(path.join(REPO, 'examples'));
  assert.ok(
    parent.findings.some(
      (f) =>
        f.ruleId === 'chain/identity-mismatch' &&
        /signed_by ml-team@acme.com, but the workflow signs as https:\/\/github.com\/acme\/ml-models\/.github\/workflows\/model-build-slsa.yml@refs\/tags\/model-v\*/.test(
          f.message,
        ),
    ),
  );
});

test('generate: a Kyverno policy and a ClusterImagePolicy that match their CRDs, trip no rule and agree with the gate', async () => {
  const gate = await readGateExpectations(path.join(repo('consistent'), '.model-inspect.yaml'));
  for (const format of ['kyverno', 'policy-controller'] as const) {
    const g = generateAdmissionPolicy(gate, format);
    assert.deepEqual(g.problems, [], format);
    const set = await checkK8sTexts([{ path: `/gen/${format}.yaml`, text: g.text }]);
    assert.equal(set.policies.length, 1, format);
    assert.deepEqual(
      set.findings.map((f) => `${f.ruleId}@${f.range?.start.line}: ${f.message}`),
      [],
      `${format}:\n${g.text}`,
    );
    assert.deepEqual(
      compareWithGate(set.policies, gate).map((f) => f.message),
      [],
      `${format}:\n${g.text}`,
    );
  }
});

test('check: every difference between an existing policy and the gate', async () => {
  const gate = await readGateExpectations(path.join(repo('broken'), '.model-inspect.yaml'));
  const file = path.join(repo('broken'), 'deploy', 'require-signed-models.yaml');
  const set = await checkK8sTexts([{ path: file, text: fs.readFileSync(file, 'utf8') }]);
  const msgs = compareWithGate(set.policies, gate).map((f) => f.message);
  assert.ok(
    msgs.some((m) =>
      /gate accepts the signer https:\/\/github.com\/acme\/ml-models\/.github\/workflows\/train.yml@refs\/heads\/main.*does not admit/.test(
        m,
      ),
    ),
    msgs.join('\n'),
  );
  assert.ok(
    msgs.some((m) => /admits the signer ml-team@acme.com, which the gate does not accept/.test(m)),
    msgs.join('\n'),
  );
  assert.ok(
    msgs.some((m) => /does not cover ghcr.io\/acme\/ml-models/.test(m)),
    msgs.join('\n'),
  );
  assert.ok(
    msgs.some((m) => /does not require SLSA provenance/.test(m)),
    msgs.join('\n'),
  );
  const r = cli(['admission', 'check', file, '--policy', path.join(repo('broken'), '.model-inspect.yaml')]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /admission\/gate-mismatch/);
  const ok = cli([
    'admission',
    'generate',
    '--policy',
    path.join(repo('consistent'), '.model-inspect.yaml'),
    '--format',
    'policy-controller',
  ]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /^kind: ClusterImagePolicy$/m);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'adm-'));
  fs.writeFileSync(
    path.join(dir, 'p.yaml'),
    cli(['admission', 'generate', '--policy', path.join(repo('consistent'), '.model-inspect.yaml')]).stdout,
  );
  assert.equal(
    cli(['admission', 'check', dir, '--policy', path.join(repo('consistent'), '.model-inspect.yaml')]).status,
    0,
  );
  assert.equal(cli(['admission', 'generate']).status, 2);
});

test('the attestations the gate requires are the ones the cluster checks', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chain-att-'));
  try {
    fs.cpSync(repo('consistent'), dir, { recursive: true });
    const policy = path.join(dir, 'deploy', 'require-signed-models.yaml');
    const gate = path.join(dir, '.model-inspect.yaml');
    assert.deepEqual(
      (await chainOf(dir)).findings.map((f) => f.message),
      [],
    );
    // the gate requires verified provenance: the policy checks none
    fs.writeFileSync(
      gate,
      fs
        .readFileSync(gate, 'utf8')
        .replace(
          'source_repository: github.com/acme/ml-models',
          'source_repository: github.com/acme/ml-models\n    require_verified: true',
        ),
    );
    const prov = (await chainOf(dir)).findings.filter((f) => f.ruleId === 'admission/attestation-mismatch');
    assert.equal(prov.length, 1);
    assert.match(
      prov[0].message,
      /requires verified provenance from github.com\/acme\/ml-models, but ClusterPolicy require-signed-model-images requires no SLSA provenance/,
    );
    assert.equal(prov[0].related?.[0].file, gate);
    // the SBOM attestation removed from the policy
    fs.writeFileSync(policy, fs.readFileSync(policy, 'utf8').replace(/ {10}attestations:[\s\S]*$/, ''));
    assert.ok(
      (await chainOf(dir)).findings.some(
        (f) => f.ruleId === 'admission/attestation-mismatch' && /requires an SBOM/.test(f.message) && f.file === policy,
      ),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

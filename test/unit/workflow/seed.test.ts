import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { allRules } from '../../../src/core/rules.ts';
import { inspectFolder } from '../../../src/core/inspect/inspectFolder.ts';
import { workflowInspector } from '../../../src/core/workflow/inspector.ts';
import { presentFindings, readSourceFile, readSourceTexts } from '../../../src/core/present.ts';
import { WORKFLOW_RULES } from '../../../src/core/workflow/rules.ts';
import { REPO, cli } from '../helpers.ts';
import { applyFix, check, covered } from './util.ts';

const FIX = path.join(REPO, 'test', 'fixtures', 'workflow');
const read = (f: string) => fs.readFileSync(path.join(FIX, f), 'utf8');

test('seed model-build-slsa.yml: the known defects, on the exact words', async () => {
  const text = read('seed-model-build-slsa.yml');
  const f = await check(text);
  const got = (id: string) => f.filter((x) => x.ruleId === id);
  const step = got('workflow/reusable-workflow-as-step');
  assert.equal(step.length, 1);
  assert.match(
    covered(text, step[0]),
    /^slsa-framework\/slsa-github-generator\/\.github\/workflows\/generator_container_slsa3\.yml@v2\.0\.0$/,
  );
  const ref = got('workflow/unknown-step-reference');
  assert.equal(ref.length, 1);
  assert.equal(covered(text, ref[0]), 'steps.push.outputs.digest');
  // the fix names the step that pushes: 'Package model as OCI artifact'
  const fixed = applyFix(text, ref[0].fixes?.[0]);
  assert.match(fixed, /- id: push\n {8}name: Package model as OCI artifact/);
  const afterFix = await check(fixed);
  assert.equal(afterFix.filter((x) => x.ruleId === 'workflow/unknown-step-reference').length, 0);
  assert.equal(
    afterFix.filter((x) => x.ruleId === 'workflow/output-not-written').length,
    1,
    'oras push writes no digest output',
  );
  assert.deepEqual(
    got('workflow/sign-by-tag').map((x) => covered(text, x)),
    [
      'ghcr.io/acme/ml-models/sentiment:${{ github.ref_name }}',
      'ghcr.io/acme/ml-models/sentiment:${{ github.ref_name }}',
    ],
  );
  assert.deepEqual(
    got('workflow/tool-not-installed')
      .map((x) => covered(text, x))
      .sort(),
    ['cosign', 'oras', 'syft'],
  );
  assert.equal(got('workflow/unpinned-action').length, 1);
  assert.equal(covered(text, got('workflow/unpinned-action')[0]), 'v4');
  assert.equal(got('workflow/push-without-login').length, 1);
  // the quick fix moves the generator into a job of its own, wired through job outputs
  const moved = applyFix(text, step[0].fixes?.[0]);
  assert.match(
    moved,
    /\n {2}provenance:\n {4}name: Generate provenance\n {4}needs: train-and-package\n {4}permissions:\n {6}actions: read\n {6}id-token: write\n {6}packages: write\n {4}uses: slsa-framework\/slsa-github-generator\/\.github\/workflows\/generator_container_slsa3\.yml@v2\.0\.0\n {4}with:\n {6}image: ghcr\.io\/acme\/ml-models\/sentiment\n {6}digest: \$\{\{ needs\.train-and-package\.outputs\.digest \}\}\n$/,
  );
  assert.match(moved, /train-and-package:\n {4}outputs:\n {6}digest: \$\{\{ steps\.push\.outputs\.digest \}\}\n/);
  const afterMove = await check(moved);
  assert.ok(
    !afterMove.some(
      (x) => x.ruleId === 'workflow/reusable-workflow-as-step' || x.ruleId === 'workflow/unknown-job-reference',
    ),
  );
  // the SLSA generator is referenced by tag, as it must be: never told to pin it to a SHA
  assert.ok(
    !f.some(
      (x) =>
        (x.ruleId === 'workflow/unpinned-action' || x.ruleId === 'workflow/slsa-generator-ref') &&
        covered(text, x).includes('slsa'),
    ),
  );
  // id-token: write is granted and used (keyless cosign): no permission complaint
  assert.equal(f.filter((x) => x.ruleId.includes('id-token')).length, 0);
});

test('seed registry-scan.yml: no permissions, tools never installed; scan and verify are sound', async () => {
  const text = read('seed-registry-scan.yml');
  const f = await check(text);
  assert.deepEqual(
    f.filter((x) => x.ruleId === 'workflow/missing-permissions').map((x) => covered(text, x)),
    ['scan'],
  );
  assert.deepEqual(
    f.filter((x) => x.ruleId === 'workflow/tool-not-installed').map((x) => covered(text, x)),
    ['trivy', 'cosign'],
  );
  assert.equal(f.filter((x) => x.ruleId === 'workflow/scan-cannot-fail').length, 0, 'trivy has --exit-code 1');
  assert.equal(
    f.filter((x) => x.ruleId === 'workflow/verify-without-identity').length,
    0,
    'identity and issuer are given',
  );
});

test('a clean, well-written release workflow stays silent', async () => {
  assert.deepEqual(
    (await check(read('clean-release.yml'))).map((x) => `${x.ruleId} ${x.message}`),
    [],
  );
});

test('every workflow rule is in the catalogue with help, and ids are area/slug', () => {
  const ids = new Set(allRules().map((r) => r.id));
  for (const r of WORKFLOW_RULES) {
    assert.ok(ids.has(r.id), r.id);
    assert.match(r.id, /^workflow\/[a-z0-9-]+$/);
    assert.ok(r.help.length > 150, `${r.id} help is substantive`);
  }
});

test('hostile input: not a mapping, syntax errors, deep nesting, huge scripts end in findings, not crashes', async () => {
  assert.deepEqual(await check('- just\n- a list\n'), []);
  assert.equal((await check('jobs: [\n')).filter((x) => x.ruleId === 'yaml/syntax').length, 1);
  assert.ok(Array.isArray(await check('jobs:\n  a:\n    steps: 7\n    needs: {x: 1}\n    permissions: [1]\n')));
  const big =
    'on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n' +
    '          echo "${{ github.sha }}" | tee -a x ; cosign sign "$I" \\\n'.repeat(3000) +
    '          true\n';
  // Read to its end: every one of the 3000 `cosign sign` commands is counted. How long it takes is
  // `npm run bench -- workflow` (a ratio to parsing the YAML), never a wall-clock bound here.
  const login = (await check(big)).filter((x) => x.ruleId === 'workflow/push-without-login');
  assert.equal(login.length, 1);
  assert.match(login[0].message, /\(3000 pushes in this job\)/);
});

test('inspect DIR runs the workflow engine on .github/workflows; suppressions are honoured', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-wf-'));
  fs.mkdirSync(path.join(dir, '.github', 'workflows'), { recursive: true });
  const text = read('seed-registry-scan.yml');
  fs.writeFileSync(
    path.join(dir, '.github', 'workflows', 'scan.yaml'),
    text.replace('  scan:\n', '  scan: # model-inspect-disable-line workflow/missing-permissions\n'),
  );
  fs.writeFileSync(path.join(dir, 'not-a-workflow.yml'), 'on: push\n');
  const r = await inspectFolder(dir, { inspectors: [workflowInspector] });
  assert.equal(r.files.length, 1);
  assert.equal(r.files[0].kind, 'workflow');
  assert.ok(r.findings.some((x) => x.ruleId === 'workflow/tool-not-installed'));
  assert.ok(
    r.findings.some((x) => x.ruleId === 'workflow/missing-permissions'),
    "the engine reports it: suppressions are the faces' step",
  );
  const shown = presentFindings(r.findings, { text: await readSourceTexts(r.findings, readSourceFile) });
  assert.ok(!shown.findings.some((x) => x.ruleId === 'workflow/missing-permissions'), 'suppressed inline');
  assert.deepEqual(
    shown.suppressed.map((x) => x.ruleId),
    ['workflow/missing-permissions'],
  );
});

test(
  'CLI: model-inspect workflow FILE|DIR in text, JSON and SARIF; exit codes',
  { skip: !fs.existsSync(path.join(REPO, 'dist', 'cli.js')) && 'dist/cli.js not built' },
  () => {
    const json = cli(['workflow', path.join(FIX, 'seed-model-build-slsa.yml'), '--format', 'json']);
    assert.equal(json.status, 1, json.stderr);
    const report = JSON.parse(json.stdout);
    assert.ok(report.findings.some((x: { ruleId: string }) => x.ruleId === 'workflow/reusable-workflow-as-step'));
    assert.equal(report.files.length, 1);
    const sarif = JSON.parse(cli(['workflow', path.join(FIX, 'seed-registry-scan.yml'), '--format', 'sarif']).stdout);
    assert.ok(sarif.runs[0].results.some((x: { ruleId: string }) => x.ruleId === 'workflow/tool-not-installed'));
    assert.equal(cli(['workflow', path.join(FIX, 'clean-release.yml'), '--fail-on', 'info']).status, 0);
    assert.equal(cli(['workflow', path.join(FIX, 'nope.yml')]).status, 2);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-wfcli-'));
    fs.mkdirSync(path.join(dir, '.github', 'workflows'), { recursive: true });
    fs.copyFileSync(path.join(FIX, 'seed-registry-scan.yml'), path.join(dir, '.github', 'workflows', 'scan.yml'));
    const text = cli(['workflow', dir]);
    assert.match(text.stdout, /Checked 1 workflow file/);
    assert.match(text.stdout, /workflow\/tool-not-installed/);
  },
);

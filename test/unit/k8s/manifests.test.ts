import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parseImageRef } from '../../../src/core/k8s/imageRef.ts';
import { looksLikeKubernetes, readManifest } from '../../../src/core/k8s/manifest.ts';
import { KNOWN_FIELDS } from '../../../src/core/k8s/schema.ts';
import { parseYamlStream } from '../../../src/core/yaml/stream.ts';
import { presentFindings } from '../../../src/core/present.ts';
import { REPO, SHARED } from '../helpers.ts';
import { applyFix, at, check, rules } from './k8sHelpers.ts';

const fixture = (name: string) => fs.readFileSync(path.join(REPO, 'test', 'fixtures', 'k8s', name), 'utf8');

test('a YAML stream is cut at document markers; ranges are file ranges', () => {
  const text =
    '# c\napiVersion: v1\nkind: Pod\n---\n---\n# only a comment\n---\nkind: X\nspec:\n  x: |\n    a\n    --- indented, not a marker\n...\n--- {a: 1}\n';
  const s = parseYamlStream(text);
  assert.deepEqual(
    s.documents.map((d) => JSON.stringify(d.doc.toValue(d.doc.root).value)),
    ['{"apiVersion":"v1","kind":"Pod"}', '{"kind":"X","spec":{"x":"a\\n--- indented, not a marker\\n"}}', '{"a":1}'],
  );
  assert.equal(s.documents[1].doc.range(s.documents[1].doc.root!).start.line, 7);
});

test('objects are recognised by content, in Lists and in every document', () => {
  const text =
    'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: b, namespace: ns}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: c}\n';
  const m = readManifest(text, 'f.yaml');
  assert.deepEqual(
    m.objects.map((o) => `${o.label}@${o.namespace ?? ''}#${o.listItem ?? ''}`),
    ['Pod a@#0', 'Deployment b@ns#1', 'Service c@#'],
  );
  assert.ok(looksLikeKubernetes(text));
  assert.ok(!looksLikeKubernetes('name: x\nversion: 1\n'));
  assert.ok(
    !looksLikeKubernetes('apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Values.name }}\n'),
    'Helm templates are not plain YAML',
  );
  assert.ok(
    looksLikeKubernetes('apiVersion: v1\nkind: X\nspec:\n  args: ["--model_name={{.Name}}"]\n'),
    'quoted {{ }} is plain YAML',
  );
});

test('image references are read as the container runtime reads them', () => {
  assert.deepEqual(parseImageRef('nginx'), {
    raw: 'nginx',
    registry: 'docker.io',
    repository: 'library/nginx',
    tag: undefined,
    digest: undefined,
    name: 'docker.io/library/nginx',
    implicitLatest: true,
  });
  const r = parseImageRef('ghcr.io/acme/ml-models/sentiment:v2.1.0@sha256:' + 'a'.repeat(64))!;
  assert.equal(r.name, 'ghcr.io/acme/ml-models/sentiment');
  assert.equal(r.tag, 'v2.1.0');
  assert.equal(r.digest, 'sha256:' + 'a'.repeat(64));
  assert.equal(parseImageRef('localhost:5000/x:1')!.registry, 'localhost:5000');
  assert.equal(parseImageRef('Upper/Case'), undefined);
  assert.equal(parseImageRef('a b'), undefined);
});

test("the seed's Deployment: missing selector, seccomp, token, tag", async () => {
  const f = await check(fs.readFileSync(path.join(SHARED, 'seed', 'examples', 'serving-deployment.yaml'), 'utf8'));
  assert.deepEqual(at(f).sort(), [
    'k8s/image-not-pinned@15',
    'k8s/schema@6',
    'k8s/seccomp@14',
    'k8s/service-account-token@8',
  ]);
});

test('the hardened Deployment is silent', async () => {
  assert.deepEqual(at(await check(fixture('hardened-deployment.yaml'))), []);
});

test('every defect of the defects Deployment is found on its line', async () => {
  const f = await check(fixture('defects-deployment.yaml'));
  const got = new Set(at(f));
  for (const want of [
    'k8s/unknown-field@31',
    'k8s/host-namespace@15',
    'k8s/run-as-root@17',
    'k8s/privileged@30',
    'k8s/dangerous-capability@33',
    'k8s/gpu-limit@41',
    'k8s/host-path-model@58',
    'k8s/unverified-model-download@21',
    'k8s/model-volume-writable@35',
    'k8s/image-latest@27',
    'k8s/pull-policy-with-tag@44',
    'k8s/model-image-not-pinned@62',
    'k8s/resource-limits@39',
  ])
    assert.ok(got.has(want), `${want} in ${[...got].join(', ')}`);
  // the hardened sidecar: no container-level hardening findings beyond what the pod forces (runAsUser 0, seccomp)
  const sidecar = f.filter((x) => x.message.includes("'sidecar'"));
  assert.deepEqual(rules(sidecar).sort(), ['k8s/image-not-pinned', 'k8s/run-as-root', 'k8s/seccomp']);
});

test('the effective value: the container overrides the pod, both ways', async () => {
  const pod = (podSc: string, cSc: string) =>
    `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  automountServiceAccountToken: false\n  securityContext: ${podSc}\n  containers:\n  - name: c\n    image: r.io/a/b@sha256:${'0'.repeat(64)}\n    resources: {limits: {memory: 1Gi}}\n    securityContext: ${cSc}\n`;
  const base = 'readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}';
  assert.deepEqual(
    rules(
      await check(
        pod('{runAsUser: 0, seccompProfile: {type: RuntimeDefault}}', `{${base}, runAsUser: 1000, runAsNonRoot: true}`),
      ),
    ),
    [],
  );
  assert.deepEqual(
    rules(
      await check(
        pod('{runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}', `{${base}, runAsUser: 0}`),
      ),
    ),
    ['k8s/run-as-root'],
  );
  assert.deepEqual(
    rules(
      await check(
        pod(
          '{runAsNonRoot: true, seccompProfile: {type: Unconfined}}',
          `{${base}, seccompProfile: {type: RuntimeDefault}}`,
        ),
      ),
    ),
    [],
  );
  assert.deepEqual(
    rules(
      await check(
        pod(
          '{runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}',
          `{${base}, seccompProfile: {type: Unconfined}}`,
        ),
      ),
    ),
    ['k8s/seccomp'],
  );
  assert.deepEqual(
    rules(
      await check(
        pod('{runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}', `{${base}, capabilities: {drop: [all]}}`),
      ),
    ).filter((r) => r !== 'yaml/duplicate-key'),
    ['k8s/capabilities-not-dropped'],
  );
});

test('KServe and ServingRuntime: model server container, oci:// storage, latest runtime image', async () => {
  const f = await check(fixture('kserve.yaml'));
  const got = at(f);
  assert.ok(got.includes('k8s/model-image-not-pinned@11'));
  assert.ok(got.includes('k8s/image-latest@26'));
  assert.ok(got.includes('k8s/run-as-non-root@9'));
});

test('quick fixes produce manifests the rule no longer flags', async () => {
  let text = fixture('defects-deployment.yaml');
  for (const rule of [
    'k8s/model-volume-writable',
    'k8s/unknown-field',
    'k8s/gpu-limit',
    'k8s/privileged',
    'k8s/host-namespace',
  ]) {
    const before = (await check(text)).filter((f) => f.ruleId === rule).length;
    text = applyFix(text, await check(text), rule);
    const after = (await check(text)).filter((f) => f.ruleId === rule).length;
    assert.equal(after, before - 1, `${rule}: ${before} -> ${after}\n${text}`);
  }
  // add missing securityContext fields to a container without a securityContext
  let pod =
    'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: r.io/a/b:1\n';
  for (const rule of [
    'k8s/writable-root-filesystem',
    'k8s/privilege-escalation',
    'k8s/capabilities-not-dropped',
    'k8s/run-as-non-root',
    'k8s/seccomp',
    'k8s/service-account-token',
  ]) {
    pod = applyFix(pod, await check(pod), rule);
    assert.ok(!rules(await check(pod)).includes(rule), `${rule} still reported:\n${pod}`);
    assert.ok(!rules(await check(pod)).some((r) => r.startsWith('yaml/')), pod);
  }
  assert.match(
    pod,
    /securityContext:\n {8}readOnlyRootFilesystem: true\n {8}allowPrivilegeEscalation: false\n {8}capabilities:\n {10}drop: \["ALL"\]/,
  );
});

test('the schema: types, enums, quantities, YAML traps, removed APIs, with fixes', async () => {
  const text =
    'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: "2"\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers:\n      - name: c\n        image: r.io/a/b:1\n        imagePullPolicy: always\n        env: [{name: PORT, value: 8080}]\n        resources: {limits: {memory: 4GB}}\n';
  const f = (await check(text)).filter((x) => x.ruleId === 'k8s/schema');
  assert.deepEqual(f.map((x) => x.range!.start.line + 1).sort(), [13, 14, 15, 5]);
  assert.ok(f.some((x) => /not a Kubernetes quantity/.test(x.message)));
  let fixed = text;
  for (let i = 0; i < 3; i++)
    fixed = applyFix(
      fixed,
      (await check(fixed)).filter((x) => x.ruleId === 'k8s/schema' && x.fixes),
      'k8s/schema',
    );
  assert.deepEqual(
    (await check(fixed)).filter((x) => x.ruleId === 'k8s/schema').map((x) => x.range!.start.line + 1),
    [15],
  );
  assert.match(fixed, /replicas: 2\n[\s\S]*imagePullPolicy: Always\n[\s\S]*value: "8080"/);
  const old = await check('apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: d}\nspec: {}\n');
  assert.ok(old.some((x) => x.ruleId === 'k8s/schema' && /removed/.test(x.message)));
});

test('hostile input: alias bombs, wrong types everywhere, deep nesting, many documents, never a crash', async () => {
  const bomb =
    'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nx: &a [1,1,1,1,1,1,1,1,1,1]\ny: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nz: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nw: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\nv: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nspec: {containers: [*e]}\n';
  assert.ok(rules(await check(bomb)).includes('k8s/incomplete'));
  const wrong =
    'apiVersion: apps/v1\nkind: Deployment\nmetadata: 7\nspec:\n  template:\n    spec:\n      securityContext: [1]\n      containers: {a: 1}\n      volumes: "x"\n';
  assert.ok((await check(wrong)).some((f) => f.ruleId === 'k8s/schema'));
  const deep = 'apiVersion: v1\nkind: Pod\nspec: ' + '['.repeat(5000) + ']'.repeat(5000) + '\n';
  assert.ok(rules(await check(deep)).includes('yaml/syntax'));
  const many = Array.from(
    { length: 1500 },
    (_, i) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c${i}}\n`,
  ).join('---\n');
  assert.ok(rules(await check(many)).includes('k8s/incomplete'));
  const proto =
    'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  __proto__: {polluted: true}\n  containers: [{name: c, image: x, __proto__: {a: 1}}]\n';
  await check(proto);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('the known-field tables match kubernetes-models', () => {
  const dir = path.join(REPO, 'node_modules', 'kubernetes-models', 'v1');
  const declared = (name: string) =>
    [
      ...new Set(
        [...fs.readFileSync(path.join(dir, `${name}.d.ts`), 'utf8').matchAll(/^\s+"([A-Za-z]+)"\??:/gm)].map(
          (m) => m[1],
        ),
      ),
    ].sort();
  const tables: Record<string, string> = {
    container: 'Container',
    securityContext: 'SecurityContext',
    podSecurityContext: 'PodSecurityContext',
    volumeMount: 'VolumeMount',
    podSpec: 'PodSpec',
    capabilities: 'Capabilities',
    seccompProfile: 'SeccompProfile',
    volume: 'Volume',
    resources: 'ResourceRequirements',
    persistentVolumeClaim: 'PersistentVolumeClaimVolumeSource',
    imageVolume: 'ImageVolumeSource',
  };
  for (const [table, file] of Object.entries(tables))
    assert.deepEqual([...KNOWN_FIELDS[table]].sort(), declared(file), table);
});

test('inline suppressions work for k8s/ rule ids (an area name with a digit), in the findings step every face calls', async () => {
  const text =
    'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    # model-inspect-disable-next-line k8s/image-not-pinned\n    image: r.io/a/b:1\n';
  const shown = async (t: string) => rules(presentFindings(await check(t), { text: () => t }).findings);
  assert.ok(rules(await check(text)).includes('k8s/image-not-pinned'), 'the engine reports it; the step silences it');
  assert.ok(!(await shown(text)).includes('k8s/image-not-pinned'));
  assert.ok(
    (await shown(text.replace('    # model-inspect-disable-next-line k8s/image-not-pinned\n', ''))).includes(
      'k8s/image-not-pinned',
    ),
  );
  // naming another k8s rule silences only that one, not every rule of the line
  assert.ok(
    (await shown(text.replace('k8s/image-not-pinned\n', 'k8s/image-latest\n'))).includes('k8s/image-not-pinned'),
  );
});

test('a volume is the model volume when the server is told to load its model from under it', async () => {
  const sts = (args: string, readOnly = '') =>
    `apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: vllm}\nspec:\n  serviceName: vllm\n  selector: {matchLabels: {app: vllm}}\n  template:\n    metadata: {labels: {app: vllm}}\n    spec:\n      containers:\n        - name: vllm\n          image: vllm/vllm-openai:v0.6.3\n          args: ${args}\n          env: [{name: HF_HOME, value: /cache}]\n          volumeMounts:\n            - {name: data, mountPath: /data${readOnly}}\n            - {name: cache, mountPath: /cache}\n      volumes:\n        - {name: cache, emptyDir: {}}\n  volumeClaimTemplates:\n    - metadata: {name: data}\n      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 50Gi}}}\n`;
  const writable = (await check(sts('["--model", "/data/model"]'))).filter(
    (f) => f.ruleId === 'k8s/model-volume-writable',
  );
  assert.deepEqual(
    writable.map((f) => f.range!.start.line + 1),
    [16],
  );
  assert.equal(
    (await check(sts('["--model=/data/model"]'))).filter((f) => f.ruleId === 'k8s/model-volume-writable').length,
    1,
  );
  assert.equal(
    (await check(sts('["--model", "/data/model"]', ', readOnly: true'))).filter(
      (f) => f.ruleId === 'k8s/model-volume-writable',
    ).length,
    0,
  );
  assert.equal(
    (await check(sts('["--port", "8000"]'))).filter((f) => f.ruleId === 'k8s/model-volume-writable').length,
    0,
    'no model path: the data volume is not known to hold the model',
  );
});

/**
 * Held-out attacks on the Kubernetes half (issue #14): what the author of a manifest or of an
 * admission policy can write so that a check says "fine" while the cluster runs something else.
 * Kubernetes reads YAML with go-yaml (YAML 1.1, merge keys), runs pods from any controller's
 * template, and Kyverno skips what a policy tells it to skip.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { candidateFiles, checkK8sFiles, checkK8sTexts } from '../../../src/core/k8s/files.ts';
import { walk } from '../../../src/core/fsutil/walk.ts';
import { checkAgainstGate, readGateExpectations } from '../../../src/core/k8s/generate.ts';
import { REPO } from '../helpers.ts';
import { check, rules } from './k8sHelpers.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;

/** A Deployment hardened as the seed asks; `podExtra` and `containerExtra` are lines added to the pod spec and the container. */
function deployment(podExtra = '', containerExtra = '', containerHead = '        - name: inference\n'): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: serving, namespace: ml-serving}
spec:
  selector: {matchLabels: {app: s}}
  template:
    metadata: {labels: {app: s}}
    spec:
      automountServiceAccountToken: false
      securityContext: {runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}
${podExtra}      containers:
${containerHead}          image: ghcr.io/acme/ml-models/server@${DIGEST}
          resources: {limits: {memory: 4Gi}}
          securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
${containerExtra}`;
}

describe('held-out: manifests that hide what the cluster runs', () => {
  test('the hardened baseline is clean (so each case below is about its own change)', async () => {
    assert.deepEqual(rules(await check(deployment())), []);
  });

  test('a merge key at pod level brings hostNetwork and hostPID', async () => {
    const f = await check(deployment('      <<: {hostNetwork: true, hostPID: true}\n'));
    assert.equal(f.filter((x) => x.ruleId === 'k8s/host-namespace').length, 2, rules(f).join(' '));
  });

  test('a merge key (anchor and alias) gives a container privileged: true', async () => {
    const text = deployment('', '', '        - name: inference\n          <<: *priv\n').replace(
      '      containers:\n',
      '      containers:\n        - &priv\n          name: helper\n          image: ghcr.io/acme/ml-models/helper@' +
        DIGEST +
        '\n          resources: {limits: {memory: 1Gi}}\n          securityContext: {privileged: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}\n',
    );
    // the second container's own securityContext is written after the merge, so it wins: write one without it
    const hidden = text.replace(
      /(name: inference\n {10}<<: \*priv\n[\s\S]*?resources: \{limits: \{memory: 4Gi\}\}\n) {10}securityContext: .*\n/,
      '$1',
    );
    const f = await check(hidden);
    const priv = f.filter((x) => x.ruleId === 'k8s/privileged').map((x) => x.message);
    assert.ok(
      priv.some((m) => /'inference'/.test(m)),
      priv.join('\n'),
    );
  });

  test('a merged volume source is seen (hostPath behind <<)', async () => {
    const f = await check(
      deployment(
        '      volumes:\n        - name: weights\n          <<: {hostPath: {path: /srv/models}}\n',
        '          volumeMounts: [{name: weights, mountPath: /models, readOnly: true}]\n',
      ),
    );
    assert.ok(
      f.some((x) => x.ruleId === 'k8s/host-path' || x.ruleId === 'k8s/host-path-model'),
      rules(f).join(' '),
    );
  });

  test('YAML 1.1 booleans: privileged: yes and hostPID: on are true for Kubernetes; quoted they are strings', async () => {
    const f = await check(
      deployment('      hostPID: on\n', '').replace(
        'capabilities: {drop: [ALL]}}',
        'capabilities: {drop: [ALL]}, privileged: yes}',
      ),
    );
    assert.ok(
      f.some((x) => x.ruleId === 'k8s/privileged'),
      rules(f).join(' '),
    );
    assert.ok(
      f.some((x) => x.ruleId === 'k8s/host-namespace'),
      rules(f).join(' '),
    );
    const quoted = await check(
      deployment().replace('capabilities: {drop: [ALL]}}', 'capabilities: {drop: [ALL]}, privileged: "yes"}'),
    );
    assert.ok(!quoted.some((x) => x.ruleId === 'k8s/privileged'));
    assert.ok(
      quoted.some((x) => x.ruleId === 'k8s/schema'),
      'a quoted "yes" is a string, which the API server refuses',
    );
  });

  test('a custom resource that embeds a pod template (Kubeflow PyTorchJob, Knative Service) is checked', async () => {
    const job = `apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata: {name: finetune}
spec:
  pytorchReplicaSpecs:
    Master:
      replicas: 1
      template:
        spec:
          hostNetwork: true
          containers:
            - name: pytorch
              image: ghcr.io/acme/trainer:latest
              securityContext: {privileged: true}
`;
    const f = await check(job);
    for (const r of ['k8s/privileged', 'k8s/host-namespace', 'k8s/image-latest'])
      assert.ok(
        f.some((x) => x.ruleId === r),
        `${r}: ${rules(f).join(' ')}`,
      );
    assert.match(f.find((x) => x.ruleId === 'k8s/privileged')!.message, /'pytorch'/);
    const ksvc = `apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: predictor}
spec:
  template:
    spec:
      containers:
        - name: user-container
          image: ghcr.io/acme/ml-models/server:v1
          volumeMounts: [{name: model, mountPath: /mnt/models}]
      volumes:
        - name: model
          hostPath: {path: /data/models}
`;
    const k = await check(ksvc);
    assert.ok(
      k.some((x) => x.ruleId === 'k8s/host-path-model' || x.ruleId === 'k8s/host-path'),
      rules(k).join(' '),
    );
    assert.ok(
      k.some((x) => x.ruleId === 'k8s/image-not-pinned'),
      rules(k).join(' '),
    );
  });

  test('a List inside a List: kubectl flattens it, so its objects are checked', async () => {
    const pod = [
      'apiVersion: v1',
      'kind: Pod',
      'metadata: {name: p}',
      'spec:',
      '  containers:',
      `    - {name: c, image: "ghcr.io/acme/x@${DIGEST}", securityContext: {privileged: true}}`,
    ];
    const text = [
      'apiVersion: v1',
      'kind: List',
      'items:',
      '  - apiVersion: v1',
      '    kind: List',
      '    items:',
      ...pod.map((l, i) => (i === 0 ? '      - ' : '        ') + l),
      '',
    ].join('\n');
    const f = await check(text);
    assert.ok(
      f.some((x) => x.ruleId === 'k8s/privileged'),
      rules(f).join(' '),
    );
  });

  test('an image Kyverno compares as registry/path:tag is outside a pattern without a wildcard', async () => {
    const policy = `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: require-signed}
spec:
  rules:
    - name: r
      match: {any: [{resources: {kinds: [Pod], namespaces: [ml-serving]}}]}
      verifyImages:
        - imageReferences: ["ghcr.io/acme/ml-models/server", "ghcr.io/acme/ml-models/pinned:v1*"]
          failureAction: Enforce
          attestors: [{entries: [{keyless: {subject: "ml-team@acme.com", issuer: "https://accounts.google.com", rekor: {url: "https://rekor.sigstore.dev"}}}]}]
`;
    const manifest = deployment()
      .replace(`ghcr.io/acme/ml-models/server@${DIGEST}`, 'ghcr.io/acme/ml-models/server:v1')
      .replace(
        '          resources: {limits: {memory: 4Gi}}\n',
        `          resources: {limits: {memory: 4Gi}}\n        - name: pinned\n          image: ghcr.io/acme/ml-models/pinned:v1@${DIGEST}\n          resources: {limits: {memory: 1Gi}}\n          securityContext: {readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}\n`,
      );
    const set = await checkK8sTexts([
      { path: '/w/deploy/serving.yaml', text: manifest },
      { path: '/w/deploy/policy.yaml', text: policy },
    ]);
    const outside = set.findings.filter((x) => x.ruleId === 'k8s/image-outside-admission').map((x) => x.message);
    assert.ok(
      outside.some((m) => /server:v1/.test(m)),
      outside.join('\n'),
    );
    assert.ok(
      outside.some((m) => /pinned/.test(m)),
      `Kyverno compares a digest-pinned image without its tag: ${outside.join('\n')}`,
    );
  });

  test('a manifest written in flow style, with quoted keys, or as JSON in a folder is checked (kubectl applies them all)', async () => {
    const flow = `{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: "ghcr.io/acme/x@${DIGEST}", securityContext: {privileged: true}}]}}\n`;
    assert.ok(
      (await check(flow)).some((x) => x.ruleId === 'k8s/privileged'),
      'flow style',
    );
    const quoted = `"apiVersion": v1\n'kind': Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: true\n  containers: [{name: c, image: "ghcr.io/acme/x@${DIGEST}"}]\n`;
    assert.ok(
      (await check(quoted)).some((x) => x.ruleId === 'k8s/host-namespace'),
      'quoted keys',
    );
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-k8s-json-'));
    try {
      fs.mkdirSync(path.join(dir, 'deploy'));
      fs.writeFileSync(
        path.join(dir, 'deploy', 'serving.json'),
        JSON.stringify(
          {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name: 'p' },
            spec: {
              containers: [{ name: 'c', image: `ghcr.io/acme/x@${DIGEST}`, securityContext: { privileged: true } }],
            },
          },
          null,
          2,
        ),
      );
      fs.writeFileSync(path.join(dir, 'package.json'), '{"name": "x", "kind": "y", "apiVersion": "z"}');
      const files = candidateFiles((await walk(dir)).files);
      assert.deepEqual(
        files.map((f) => path.relative(dir, f)),
        [path.join('deploy', 'serving.json')],
      );
      const set = await checkK8sFiles(files);
      assert.ok(
        set.findings.some((x) => x.ruleId === 'k8s/privileged'),
        rules(set.findings).join(' '),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a Kyverno policy whose pattern looks like a pod is not read as a workload', async () => {
    const pol = `apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: p}
spec:
  rules:
    - name: r
      match: {any: [{resources: {kinds: [Pod]}}]}
      validate:
        failureAction: Enforce
        pattern:
          spec:
            containers:
              - name: "*"
                image: "ghcr.io/acme/*"
`;
    const f = await check(pol);
    assert.ok(!f.some((x) => x.ruleId.startsWith('k8s/')), rules(f).join(' '));
  });
});

describe('held-out: admission policies crafted to pass `admission check`', () => {
  const consistent = path.join(REPO, 'examples', 'ml-repo', 'consistent');
  const policyText = fs.readFileSync(path.join(consistent, 'deploy', 'require-signed-models.yaml'), 'utf8');

  // The example's gate without its provenance requirement, which the example's policy does not check.
  const GATE = [
    'gate:',
    '  signatures:',
    '    identities: ["/https://github\\\\.com/acme/ml-models/\\\\.github/workflows/release\\\\.yml@refs/tags/v.*/"]',
    '    issuers: ["https://token.actions.githubusercontent.com"]',
    '  sbom: {}',
    '  provenance: {enabled: false}',
    'admission:',
    '  image_references: ["ghcr.io/acme/ml-models/*"]',
    '  namespaces: [ml-serving]',
    '',
  ].join('\n');

  const compare = async (text: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-adm-'));
    try {
      const file = path.join(dir, 'policy.yaml');
      fs.writeFileSync(file, text);
      fs.writeFileSync(path.join(dir, '.model-inspect.yaml'), GATE);
      const gate = await readGateExpectations(path.join(dir, '.model-inspect.yaml'));
      const set = await checkK8sTexts([{ path: file, text }]);
      return checkAgainstGate(set, gate);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  const errors = (fs: Awaited<ReturnType<typeof compare>>) => fs.filter((f) => f.severity === 'error');

  test('the consistent policy passes', async () => {
    assert.deepEqual(
      errors(await compare(policyText)).map((f) => f.message),
      [],
    );
  });

  const variants: [string, (t: string) => string, RegExp][] = [
    [
      'required: false',
      (t) =>
        t.replace(
          '          failureAction: Enforce\n',
          '          failureAction: Enforce\n          required: false\n',
        ),
      /required/,
    ],
    [
      'required: no (YAML 1.1)',
      (t) =>
        t.replace('          failureAction: Enforce\n', '          failureAction: Enforce\n          required: no\n'),
      /required/,
    ],
    [
      'verifyDigest: false',
      (t) =>
        t.replace(
          '          failureAction: Enforce\n',
          '          failureAction: Enforce\n          verifyDigest: false\n',
        ),
      /verifyDigest/,
    ],
    [
      'the transparency log ignored',
      (t) =>
        t.replace(
          '                    rekor:\n                      url: https://rekor.sigstore.dev\n',
          '                    rekor:\n                      url: https://rekor.sigstore.dev\n                      ignoreTlog: true\n',
        ),
      /ignoreTlog|transparency/,
    ],
    [
      'issuerRegExp that admits every issuer',
      (t) =>
        t.replace(
          '                    issuer: "https://token.actions.githubusercontent.com"\n                    rekor',
          '                    issuerRegExp: "^.*$"\n                    rekor',
        ),
      /issuer/,
    ],
    [
      'a second attestor with an issuer and no subject',
      (t) =>
        t.replace(
          '                    rekor:\n                      url: https://rekor.sigstore.dev\n',
          '                    rekor:\n                      url: https://rekor.sigstore.dev\n                - keyless:\n                    issuer: "https://token.actions.githubusercontent.com"\n',
        ),
      /subject|any signer|identity/,
    ],
    [
      'skipImageReferences that skips the model images',
      (t) =>
        t.replace(
          '        - imageReferences: ["ghcr.io/acme/ml-models/*"]\n',
          '        - imageReferences: ["ghcr.io/acme/ml-models/*"]\n          skipImageReferences: ["ghcr.io/acme/ml-models/*"]\n',
        ),
      /skip/,
    ],
    [
      'the policy switched off (admission: false)',
      (t) => t.replace('  failurePolicy: Fail\n', '  failurePolicy: Fail\n  admission: false\n'),
      /admission: false|switch|off/,
    ],
    [
      'an Audit override for the serving namespace',
      (t) =>
        t.replace(
          '  failurePolicy: Fail\n',
          '  failurePolicy: Fail\n  validationFailureActionOverrides:\n    - action: Audit\n      namespaces: [ml-serving]\n',
        ),
      /audit/i,
    ],
    [
      "a match on another namespace than the gate's",
      (t) => t.replace('namespaces: ["ml-serving"]', 'namespaces: ["staging"]'),
      /ml-serving|namespace/,
    ],
    [
      'an image pattern without a wildcard, which Kyverno never matches (it compares registry/path:tag)',
      (t) => t.replace('imageReferences: ["ghcr.io/acme/ml-models/*"]', 'imageReferences: ["ghcr.io/acme/ml-models"]'),
      /does not cover/,
    ],
    [
      'an exclude of the serving namespace',
      (t) =>
        t.replace(
          '      verifyImages:\n',
          '      exclude:\n        any:\n          - resources:\n              namespaces: ["ml-serving"]\n      verifyImages:\n',
        ),
      /ml-serving|namespace|exclude/,
    ],
  ];
  for (const [name, edit, re] of variants) {
    test(`${name} is a difference`, async () => {
      const text = edit(policyText);
      assert.notEqual(text, policyText, 'the edit applies');
      const e = errors(await compare(text));
      assert.ok(
        e.length > 0 && e.some((f) => re.test(f.message)),
        `${name}: ${e.map((f) => `${f.ruleId} ${f.message}`).join('\n') || 'no error'}`,
      );
    });
  }

  test("a Kyverno wildcard subject broader than the gate's identity regexp is a difference", async () => {
    const gateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-gate-'));
    try {
      const gateFile = path.join(gateDir, '.model-inspect.yaml');
      fs.writeFileSync(
        gateFile,
        'gate:\n  signatures:\n    identities: ["/https://github\\\\.com/acme/[a-z]+/release/"]\n    issuers: ["https://token.actions.githubusercontent.com"]\n  sbom: {enabled: false}\n  provenance: {enabled: false}\nadmission:\n  image_references: ["ghcr.io/acme/ml-models/*"]\n',
      );
      const text = policyText.replace(
        /subjectRegExp: "[^"]*"\n {20}issuer/,
        'subject: "https://github.com/acme/*/release"\n                    issuer',
      );
      const file = path.join(gateDir, 'p.yaml');
      const set = await checkK8sTexts([{ path: file, text }]);
      const f = checkAgainstGate(set, await readGateExpectations(gateFile));
      assert.ok(
        f.some((x) => x.ruleId === 'admission/gate-mismatch' && /acme\/\*\/release/.test(x.message)),
        f.map((x) => x.message).join('\n'),
      );
    } finally {
      fs.rmSync(gateDir, { recursive: true, force: true });
    }
  });
});

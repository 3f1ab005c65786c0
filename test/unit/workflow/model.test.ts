import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyFix, covered, job, rule } from './util.ts';

test('unsafe-deserialization: torch.load without weights_only, pickle, joblib, read_pickle, numpy allow_pickle, keras safe_mode', async () => {
  const y = job(`- run: |
    python - <<'EOF'
    import torch, pickle, joblib, numpy as np, pandas as pd
    m = torch.load("model.pt", map_location="cpu")
    ok = torch.load("w.pt", weights_only=True)
    bad = torch.load("w.pt", weights_only=False)
    p = pickle.load(open("m.pkl", "rb"))
    j = joblib.load("m.joblib")
    d = pd.read_pickle("df.pkl")
    a = np.load("a.npy", allow_pickle=True)
    b = np.load("b.npy")
    k = keras.models.load_model("m.keras", safe_mode=False)
    EOF`);
  const f = await rule(y, 'workflow/unsafe-deserialization');
  assert.deepEqual(
    f.map((x) => covered(y, x).split('(')[0]),
    [
      'torch.load',
      'torch.load',
      'pickle.load',
      'joblib.load',
      'pd.read_pickle',
      'np.load',
      'keras.models.load_model'.replace('keras.models.', ''),
    ],
  );
  const fixed = applyFix(y, f[0].fixes?.[0]);
  assert.match(fixed, /torch\.load\("model\.pt", map_location="cpu", weights_only=True\)/);
  assert.match(applyFix(y, f[1].fixes?.[0]), /torch\.load\("w\.pt", weights_only=True\)\n {10}p = /);
});

test('unsafe-deserialization in python -c and shell: python; safetensors passes', async () => {
  const y = job(
    `- run: python -c "import torch; torch.load('m.pt')"\n- shell: python\n  run: |\n    import pickle\n    pickle.loads(data)\n- run: python -c "from safetensors.torch import load_file; load_file('m.safetensors')"`,
  );
  assert.equal((await rule(y, 'workflow/unsafe-deserialization')).length, 2);
});

test('trust-remote-code: Python keyword and CLI flag', async () => {
  const y = job(
    '- run: |\n    python -c "AutoModel.from_pretrained(\'x\', trust_remote_code=True)"\n    lm_eval --model hf --trust_remote_code\n    python -c "AutoModel.from_pretrained(\'x\', trust_remote_code=False)"',
  );
  assert.equal((await rule(y, 'workflow/trust-remote-code')).length, 2);
});

test('scan-cannot-fail: trivy without --exit-code, grype without --fail-on, || true, pipes, continue-on-error, actions', async () => {
  const y = job(`- uses: aquasecurity/setup-trivy@0123456789abcdef0123456789abcdef01234567
- uses: anchore/scan-action/download-grype@0123456789abcdef0123456789abcdef01234567
- run: |
    trivy image ghcr.io/a/b@sha256:1
    trivy image --exit-code 0 ghcr.io/a/b@sha256:1
    grype sbom:s.json
    trivy fs --exit-code 1 . || true
    trivy fs --exit-code 1 . | tee report.txt
    trivy image --exit-code 1 ghcr.io/a/b@sha256:1
    grype dir:. --fail-on high
    trivy image --format cyclonedx --output sbom.json ghcr.io/a/b@sha256:1
    trivy --version
- continue-on-error: true
  run: grype dir:. --fail-on critical
- uses: aquasecurity/trivy-action@0123456789abcdef0123456789abcdef01234567
  with:
    image-ref: ghcr.io/a/b@sha256:1
- uses: anchore/scan-action@0123456789abcdef0123456789abcdef01234567
  with:
    path: .
    fail-build: false`);
  const f = await rule(y, 'workflow/scan-cannot-fail');
  assert.deepEqual(
    f.map((x) => covered(y, x)),
    [
      'trivy image',
      'trivy image',
      'grype',
      'trivy fs',
      'trivy fs',
      'true',
      'aquasecurity/trivy-action@0123456789abcdef0123456789abcdef01234567',
      'false',
    ],
  );
  const fixed = applyFix(y, f[0].fixes?.[0]);
  assert.match(fixed, /trivy image --exit-code 1 ghcr\.io\/a\/b@sha256:1\n/);
  assert.match(applyFix(y, f[3].fixes?.[0]), /trivy fs --exit-code 1 \.\n {10}trivy fs --exit-code 1 \. \| tee/);
  assert.match(applyFix(y, f[6].fixes?.[0]), /image-ref: ghcr\.io\/a\/b@sha256:1\n {10}exit-code: '1'\n/);
});

test('scan-cannot-fail: SARIF uploaded to code scanning is the gate; explicit bash has pipefail', async () => {
  const y = job(`- uses: aquasecurity/setup-trivy@0123456789abcdef0123456789abcdef01234567
- run: trivy image --format sarif --output t.sarif ghcr.io/a/b@sha256:1
- shell: bash
  run: trivy fs --exit-code 1 . | tee r.txt
- uses: github/codeql-action/upload-sarif@0123456789abcdef0123456789abcdef01234567
  with:
    sarif_file: t.sarif`);
  assert.deepEqual(await rule(y, 'workflow/scan-cannot-fail'), []);
});

test('unpinned-model: Hub downloads without a commit revision; commits, variables and local paths pass', async () => {
  const sha = 'a'.repeat(40);
  const y = job(`- run: |
    huggingface-cli download acme/sentiment --local-dir m
    hf download acme/sentiment --revision main
    huggingface-cli download acme/sentiment --revision ${sha}
    python - <<'PY'
    from transformers import AutoModel
    a = AutoModel.from_pretrained("acme/sentiment")
    b = AutoModel.from_pretrained("acme/sentiment", revision="v1.0")
    c = AutoModel.from_pretrained("acme/sentiment", revision="${sha}")
    d = AutoModel.from_pretrained("./local-dir")
    e = hf_hub_download(repo_id="acme/sentiment", filename="model.safetensors")
    f = AutoModel.from_pretrained(MODEL, revision=REV)
    PY`);
  const f = await rule(y, 'workflow/unpinned-model');
  assert.deepEqual(
    f.map((x) => covered(y, x).split('(')[0].split(' --')[0]),
    [
      'huggingface-cli download acme/sentiment',
      'hf download acme/sentiment',
      'AutoModel.from_pretrained'.slice(10),
      'AutoModel.from_pretrained'.slice(10),
      'hf_hub_download',
    ],
  );
});

test('scan-cannot-fail fix for grype: a snippet to choose the severity, high by default', async () => {
  const y = job(
    '- uses: anchore/scan-action/download-grype@0123456789abcdef0123456789abcdef01234567\n- run: grype dir:.',
  );
  const [f] = await rule(y, 'workflow/scan-cannot-fail');
  const fix = f.fixes?.[0];
  assert.ok(fix?.kind === 'edit');
  assert.equal(fix.edits[0].newText, ' --fail-on high');
  assert.equal(fix.edits[0].snippet, ' --fail-on ${1|high,critical,medium,low,negligible|}');
  assert.match(applyFix(y, fix), /grype --fail-on high dir:\./);
});

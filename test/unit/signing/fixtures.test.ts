import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { verifyPath, discoverSignatures } from '../../../src/core/signing/index.ts';
import { sharedFixture } from '../helpers.ts';

/** Real signatures made by other tools (model_signing, cosign, sigstore-js, GitHub/SLSA), with their expected results. */

const F = sharedFixture('signing');
const fx = (rel: string) => path.join(F.path, rel);
const ROOT = () => fx('trust/trusted_root.public-good.json');

function copyDir(src: string): string {
  const dst = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-sign-'));
  fs.cpSync(src, dst, { recursive: true });
  for (const p of walk(dst)) fs.chmodSync(p, 0o644);
  return dst;
}
function walk(d: string): string[] {
  return fs
    .readdirSync(d, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory()
        ? (fs.chmodSync(path.join(d, e.name), 0o755), walk(path.join(d, e.name)))
        : [path.join(d, e.name)],
    );
}

// ---------- OpenSSF model signing ----------

test('model_signing key (P-384) v1.1.0 folder verifies with the public key', { skip: F.skip }, async () => {
  const r = await verifyPath(fx('model-transparency/v1.1.0-elliptic-key'), {
    key: fx('model-transparency/keys/signing-key-pub.pem'),
  });
  assert.equal(r.verified, true, r.signatures[0]?.failures.join(' | '));
  assert.equal(r.signatures[0].format, 'model-signing');
  assert.equal(r.signatures[0].manifest?.matched, 2);
});

test('model_signing key: wrong key fails and says so', { skip: F.skip }, async () => {
  const r = await verifyPath(fx('model-transparency/v1.1.0-elliptic-key'), { key: fx('generated/p256.pub.pem') });
  assert.equal(r.verified, false);
  assert.match(r.signatures[0].failures.join('\n'), /signature/);
});

test('model_signing key: without a key the failure asks for one', { skip: F.skip }, async () => {
  const r = await verifyPath(fx('model-transparency/v1.1.0-elliptic-key'));
  assert.equal(r.verified, false);
  assert.ok(r.findings.some((f) => f.ruleId === 'signing/key-required'));
});

test('model_signing v1.0.0 one-file model verifies through the file', { skip: F.skip }, async () => {
  const r = await verifyPath(fx('model-transparency/v1.0.0-elliptic-key/signme-1'), {
    key: fx('model-transparency/keys/signing-key-pub.pem'),
  });
  assert.equal(r.verified, true, r.signatures[0]?.failures.join(' | '));
});

test(
  'model_signing keyless (Sigstore) verifies offline with the right identity, fails with another',
  { skip: F.skip },
  async () => {
    const dir = fx('model-transparency/v1.1.0-sigstore');
    const ok = await verifyPath(dir, {
      trustedRoot: ROOT(),
      certificateIdentity: 'stefanb@us.ibm.com',
      certificateOidcIssuer: 'https://sigstore.verify.ibm.com/oauth2',
    });
    assert.equal(ok.verified, true, ok.signatures[0]?.failures.join(' | '));
    assert.equal(ok.signatures[0].identity, 'stefanb@us.ibm.com');
    assert.ok(ok.signatures[0].tlog?.length && ok.signatures[0].time);
    const bad = await verifyPath(dir, {
      trustedRoot: ROOT(),
      certificateIdentity: 'stefanb@usXibm.com',
      certificateOidcIssuer: 'https://sigstore.verify.ibm.com/oauth2',
    });
    assert.equal(bad.verified, false);
    assert.ok(bad.findings.some((f) => f.ruleId === 'signing/identity-mismatch'));
    // The sigstore-js trap: an unanchored regex would accept a longer identity. Ours is anchored.
    const re = await verifyPath(dir, {
      trustedRoot: ROOT(),
      certificateIdentityRegexp: 'stefanb@us',
      certificateOidcIssuer: 'https://sigstore.verify.ibm.com/oauth2',
    });
    assert.equal(re.verified, false);
    const re2 = await verifyPath(dir, {
      trustedRoot: ROOT(),
      certificateIdentityRegexp: '.*@us\\.ibm\\.com',
      certificateOidcIssuerRegexp: 'https://sigstore\\.verify\\.ibm\\.com/.*',
    });
    assert.equal(re2.verified, true, re2.signatures[0]?.failures.join(' | '));
    const none = await verifyPath(dir, { trustedRoot: ROOT() });
    assert.equal(none.verified, false, 'a keyless signature with no expected identity is not accepted');
    assert.match(none.signatures[0].failures[0], /stefanb@us\.ibm\.com/);
  },
);

test('model_signing certificate chain verifies against the CA, fails against another', { skip: F.skip }, async () => {
  const dir = fx('model-transparency/v1.1.0-certificate');
  const ok = await verifyPath(dir, { certificateChain: fx('model-transparency/keys/ca-cert.pem') });
  assert.equal(ok.verified, true, ok.signatures[0]?.failures.join(' | '));
  const bad = await verifyPath(dir, { certificateChain: fx('model-transparency/keys/signing-key-cert.pem') });
  assert.equal(bad.verified, false);
  assert.match(bad.signatures[0].failures.join('\n'), /does not chain/);
});

test(
  'model_signing legacy v0.2 (certificate, non-standard PAE) verifies through the compat path; tampering fails',
  { skip: F.skip },
  async () => {
    const ca = fx('model-transparency/keys/ca-cert.pem');
    const r = await verifyPath(fx('model-transparency/v0.2.0-certificate'), { certificateChain: ca });
    assert.equal(r.verified, true, r.signatures[0]?.failures.join(' | '));
    assert.ok(r.signatures[0].notes.some((n) => n.includes('legacy model_signing 0.2')));
    assert.equal(r.signatures[0].manifest?.matched, 2);
    const dir = copyDir(fx('model-transparency/v0.2.0-certificate'));
    try {
      fs.appendFileSync(path.join(dir, 'signme-1'), '!');
      const bad = await verifyPath(dir, { certificateChain: ca });
      assert.deepEqual(bad.signatures[0].manifest?.changed, ['signme-1']);
      // The compat encoding is accepted only for legacy statements: a v1 statement signed that way is not.
      const sig = JSON.parse(fs.readFileSync(path.join(dir, 'model.sig'), 'utf8'));
      const st = JSON.parse(Buffer.from(sig.dsseEnvelope.payload, 'base64').toString('utf8'));
      st.predicateType = 'https://model_signing/signature/v1.0';
      sig.dsseEnvelope.payload = Buffer.from(JSON.stringify(st)).toString('base64');
      fs.writeFileSync(path.join(dir, 'model.sig'), JSON.stringify(sig));
      const forged = await verifyPath(dir, { certificateChain: ca });
      assert.equal(forged.verified, false);
      assert.match(forged.signatures[0].failures.join('\n'), /signature/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('Python bytes repr (model_signing 0.2 encoding) matches Python for quotes, escapes and bytes', async () => {
  const { pythonBytesRepr } = await import('../../../src/core/signing/dsse.ts');
  assert.equal(pythonBytesRepr(Buffer.from('{"a": 1}\n')), `b'{"a": 1}\\n'`);
  assert.equal(pythonBytesRepr(Buffer.from("it's")), `b"it's"`);
  assert.equal(pythonBytesRepr(Buffer.from(`it's "q"`)), `b'it\\'s "q"'`);
  assert.equal(pythonBytesRepr(Buffer.from([0, 0x7f, 0xff, 0x5c, 0x09, 0x0d])), `b'\\x00\\x7f\\xff\\\\\\t\\r'`);
});

test(
  'model_signing tamper: changed, added, removed files are named; ignored files do not matter',
  { skip: F.skip },
  async () => {
    const dir = copyDir(fx('model-transparency/v1.1.0-elliptic-key'));
    const key = fx('model-transparency/keys/signing-key-pub.pem');
    try {
      fs.writeFileSync(path.join(dir, 'ignore-me'), 'anything');
      assert.equal((await verifyPath(dir, { key })).verified, true, 'an ignored path may change');
      fs.appendFileSync(path.join(dir, 'signme-2'), 'x');
      fs.writeFileSync(path.join(dir, 'evil.pkl'), 'x');
      fs.rmSync(path.join(dir, 'signme-1'));
      const r = await verifyPath(dir, { key });
      assert.equal(r.verified, false);
      const m = r.signatures[0].manifest!;
      assert.deepEqual(m.changed, ['signme-2']);
      assert.deepEqual(m.extra, ['evil.pkl']);
      assert.deepEqual(m.missing, ['signme-1']);
      const files = r.findings
        .filter((f) => f.ruleId === 'signing/manifest-mismatch')
        .map((f) => path.basename(f.file!))
        .sort();
      assert.deepEqual(files, ['evil.pkl', 'signme-1', 'signme-2']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('model_signing: a member file verifies against its folder model.sig', { skip: F.skip }, async () => {
  const key = fx('generated/p256.pub.pem');
  const r = await verifyPath(fx('generated/oms-p256-model/sub/tokenizer.json'), { key });
  assert.equal(r.verified, true, r.signatures[0]?.failures.join(' | '));
  assert.ok(r.signatures[0].notes.some((n) => n.includes('only sub/tokenizer.json')));
});

test('generated OMS P-256 model (a/b.bin sorts before a.txt) verifies; tampering fails', { skip: F.skip }, async () => {
  const key = fx('generated/p256.pub.pem');
  assert.equal((await verifyPath(fx('generated/oms-p256-model'), { key })).verified, true);
  const dir = copyDir(fx('generated/oms-p256-model'));
  try {
    fs.writeFileSync(path.join(dir, 'README.md'), 'ignored path');
    assert.equal((await verifyPath(dir, { key })).verified, true);
    fs.writeFileSync(path.join(dir, 'a', 'b.bin'), 'changed');
    const r = await verifyPath(dir, { key });
    assert.deepEqual(r.signatures[0].manifest?.changed, ['a/b.bin']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// ---------- cosign ----------

test('cosign: v3 bundle, raw .sig and legacy bundle of a.txt verify with cosign.pub', { skip: F.skip }, async () => {
  const key = fx('cosign/cosign.pub');
  const a = fx('cosign/a.txt');
  for (const [sig, format] of [
    ['simple.sigstore.json', 'sigstore-bundle'],
    ['a.txt.sig', 'cosign-signature'],
    ['a.txt.legacy-bundle.json', 'cosign-legacy-bundle'],
    ['dsse.sigstore.json', 'in-toto'],
  ] as const) {
    const r = await verifyPath(a, { key, signature: fx(`cosign/${sig}`) });
    assert.equal(r.verified, true, `${sig}: ${r.signatures[0]?.failures.join(' | ')}`);
    assert.equal(r.signatures[0].format, format);
  }
});

test('cosign: discovery finds a.txt.sig next to a.txt', { skip: F.skip }, async () => {
  const found = await discoverSignatures(fx('cosign/a.txt'));
  assert.deepEqual(
    found.map((f) => [path.basename(f.signatureFile), f.format]),
    [['a.txt.sig', 'cosign-signature']],
  );
});

test('cosign tamper: every format fails on a changed a.txt, with the check named', { skip: F.skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-cosign-'));
  try {
    const a = path.join(dir, 'a.txt');
    fs.writeFileSync(a, 'Hello, world?\n');
    const key = fx('cosign/cosign.pub');
    for (const sig of ['simple.sigstore.json', 'a.txt.sig', 'a.txt.legacy-bundle.json', 'dsse.sigstore.json']) {
      const r = await verifyPath(a, { key, signature: fx(`cosign/${sig}`) });
      assert.equal(r.verified, false, sig);
      assert.match(r.signatures[0].failures.join('\n'), /signature|digest/, sig);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test(
  'generated blob bundle and raw signature verify with p256.pub.pem; another key fails',
  { skip: F.skip },
  async () => {
    const blob = fx('generated/blob.bin');
    const found = await discoverSignatures(blob);
    assert.equal(found.length, 2);
    const r = await verifyPath(blob, { key: fx('generated/p256.pub.pem') });
    assert.equal(r.verified, true, r.signatures.map((s) => s.failures.join(' | ')).join(' || '));
    const bad = await verifyPath(blob, { key: fx('cosign/cosign.pub') });
    assert.equal(bad.verified, false);
  },
);

// ---------- sigstore-js bundles v0.1–v0.3 ----------

for (const name of [
  'bundleV01-dsse-with-proof',
  'bundleV01-intoto-no-proof',
  'bundleV02-dsse',
  'bundleV03-dsse',
  'bundleV03-intoto',
]) {
  test(
    `sigstore-js ${name}: signature, certificate and log verify offline; the subject is not this file`,
    { skip: F.skip },
    async () => {
      const r = await verifyPath(fx('sigstore-js/statement.json'), {
        signature: fx(`sigstore-js/${name}.sigstore`),
        trustedRoot: ROOT(),
        certificateIdentity: 'brian@dehamer.com',
        certificateOidcIssuer: 'https://github.com/login/oauth',
      });
      const s = r.signatures[0];
      assert.equal(s.identity, 'brian@dehamer.com');
      // The npm tarball (the subject) is absent: the only failure is the subject check.
      assert.deepEqual(
        s.failures.map((f) => f.split(':')[0]),
        ['subject digest'],
        s.failures.join(' | '),
      );
    },
  );
}

// ---------- SLSA provenance ----------

test('SLSA v1 GitHub attestation: expected builder and source pass; wrong signer fails', { skip: F.skip }, async () => {
  const provenance = {
    builderId: 'https://github.com/bazel-contrib/publish-to-bcr/.github/workflows/publish.yaml',
    sourceRepository: 'github.com/aspect-build/rules_lint',
  };
  const ok = await verifyPath(fx('slsa-verifier/bcr/MODULE.bazel'), {
    trustedRoot: ROOT(),
    certificateOidcIssuer: 'https://token.actions.githubusercontent.com',
    provenance,
  });
  assert.equal(ok.verified, true, ok.signatures[0]?.failures.join(' | '));
  assert.equal(ok.signatures[0].predicateType, 'https://slsa.dev/provenance/v1');
  const bad = await verifyPath(fx('slsa-verifier/bcr/MODULE-wrong-signer.bazel'), {
    trustedRoot: ROOT(),
    certificateOidcIssuer: 'https://token.actions.githubusercontent.com',
    provenance,
  });
  assert.equal(bad.verified, false);
  assert.ok(
    bad.findings.some((f) => f.ruleId === 'signing/provenance-mismatch'),
    bad.signatures[0].failures.join(' | '),
  );
  const wrongSource = await verifyPath(fx('slsa-verifier/bcr/MODULE.bazel'), {
    trustedRoot: ROOT(),
    provenance: { ...provenance, sourceRepository: 'github.com/evil/rules_lint' },
  });
  assert.equal(wrongSource.verified, false);
  assert.match(
    wrongSource.signatures[0].failures.join('\n'),
    /source repository: expected github\.com\/evil\/rules_lint/,
  );
  const noBuilder = await verifyPath(fx('slsa-verifier/bcr/MODULE.bazel'), { trustedRoot: ROOT() });
  assert.equal(
    noBuilder.verified,
    false,
    'without an expected builder or identity a keyless attestation is not accepted',
  );
});

test(
  'SLSA container-based builder (bundle v0.2, Statement v0.1) passes with its source',
  { skip: F.skip },
  async () => {
    const r = await verifyPath(fx('slsa-verifier/gha_container-based-v2.1.0/binary-linux-amd64-workflow_dispatch'), {
      trustedRoot: ROOT(),
      provenance: {
        builderId:
          'https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_container-based_slsa3.yml',
        sourceRepository: 'github.com/slsa-framework/example-package',
      },
    });
    assert.equal(r.verified, true, r.signatures[0]?.failures.join(' | '));
  },
);

test('SLSA subject: a changed artifact fails the subject check', { skip: F.skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-slsa-'));
  try {
    const f = path.join(dir, 'MODULE.bazel');
    fs.writeFileSync(f, fs.readFileSync(fx('slsa-verifier/bcr/MODULE.bazel'), 'utf8') + '\n# changed');
    const r = await verifyPath(f, {
      signature: fx('slsa-verifier/bcr/MODULE.bazel.intoto.jsonl'),
      trustedRoot: ROOT(),
      provenance: { builderId: 'https://github.com/bazel-contrib/publish-to-bcr/.github/workflows/publish.yaml' },
    });
    assert.ok(r.findings.some((x) => x.ruleId === 'signing/subject-mismatch'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('verifying a signature file verifies what it signs', { skip: F.skip }, async () => {
  const r = await verifyPath(fx('cosign/a.txt.sig'), { key: fx('cosign/cosign.pub') });
  assert.equal(r.path, fx('cosign/a.txt'));
  assert.equal(r.verified, true);
  const m = await verifyPath(fx('generated/oms-p256-model/model.sig'), { key: fx('generated/p256.pub.pem') });
  assert.equal(m.path, fx('generated/oms-p256-model'));
  assert.equal(m.verified, true, m.signatures[0]?.failures.join(' | '));
});

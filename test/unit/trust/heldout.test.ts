import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { signPath } from '../../../src/core/signing/index.ts';
import { omsKeyBundle } from '../../../src/core/signing/modelSigning.ts';
import { cli, REPO } from '../helpers.ts';

/**
 * The held-out attack set of the trust boundary (issue #10): attacks the first round of tests did
 * not name, each run through the built CLI on a folder the attacker wrote, with the user's key and
 * policy outside it. Every one of them ended in APPROVED / VERIFIED / "verified" before its fix.
 */

const WEIGHTS = fs.readFileSync(path.join(REPO, 'examples', 'sentiment-classifier-signed', 'model.safetensors'));
/** A pickle that runs `id` when loaded. */
const EVIL_PICKLE = Buffer.from('\x80\x02cposix\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03.', 'latin1');

const SIGNATURES_ONLY =
  [
    'gate:',
    '  signatures: { keys: [k.pub] }',
    '  provenance: { enabled: false }',
    '  sbom: { enabled: false }',
    '  vulnerabilities: { enabled: false }',
    '  model_card: { enabled: false }',
  ].join('\n') + '\n';

interface Lab {
  dir: string;
  model: string;
  pub: string;
  policy: string;
  key: crypto.KeyObject;
  cleanup(): void;
}

/** tmp/{k.pub, policy.yaml, model/…}: the user's trust beside the model, never inside it. */
function lab(files: Record<string, string | Buffer>, policy = SIGNATURES_ONLY): Lab {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-heldout-'));
  const model = path.join(dir, 'model');
  fs.mkdirSync(model);
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(model, name)), { recursive: true });
    fs.writeFileSync(path.join(model, name), content);
  }
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pub = path.join(dir, 'k.pub');
  fs.writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }));
  const policyFile = path.join(dir, 'policy.yaml');
  fs.writeFileSync(policyFile, policy);
  return { dir, model, pub, policy: policyFile, key: privateKey, cleanup: () => execFileSync('rm', ['-rf', dir]) };
}

type GateJson = {
  verdict: string;
  policy?: string | null;
  findings: { ruleId: string; message: string; file?: string }[];
  checks: { id: string; status: string; reasons: string[] }[];
};

function gate(model: string, ...args: string[]): { status: number; json: GateJson } {
  const r = cli(['gate', model, '--format', 'json', ...args]);
  assert.notEqual(r.status, 2, r.stderr);
  return { status: r.status, json: JSON.parse(r.stdout) as GateJson };
}

const messages = (g: { json: GateJson }) => g.json.findings.map((f) => f.message).join('\n');

test('a subfolder with its own model card is part of the folder the gate judges: its files are covered and scanned', async () => {
  const l = lab({ 'model.safetensors': WEIGHTS, 'config.json': '{}\n' });
  try {
    // Signed file by file (no folder signature walks the whole folder).
    for (const f of ['model.safetensors', 'config.json']) await signPath(path.join(l.model, f), l.key);
    assert.equal(gate(l.model, '--policy', l.policy).json.verdict, 'approved', 'the signed model passes');
    // The attacker adds a subfolder with a card of its own, an unsigned pickle that runs `id` and code.
    fs.mkdirSync(path.join(l.model, 'extra'));
    fs.writeFileSync(path.join(l.model, 'extra', 'model-card.yaml'), 'model_details: {name: extra}\n');
    fs.writeFileSync(path.join(l.model, 'extra', 'pytorch_model.bin'), EVIL_PICKLE);
    fs.writeFileSync(path.join(l.model, 'extra', 'modeling_evil.py'), 'import os\nos.system("id")\n');
    const g = gate(l.model, '--policy', l.policy);
    assert.equal(g.status, 1);
    assert.equal(g.json.verdict, 'blocked');
    assert.match(messages(g), /extra\/pytorch_model\.bin is not covered by a verified signature/);
    assert.match(messages(g), /extra\/modeling_evil\.py is not covered by a verified signature/);
    assert.ok(
      g.json.findings.some(
        (f) => f.ruleId === 'gate/dangerous-content' && f.file?.endsWith(path.join('extra', 'pytorch_model.bin')),
      ),
      messages(g),
    );
    // With the signature check off, the scan alone still finds the pickle.
    fs.writeFileSync(
      l.policy,
      SIGNATURES_ONLY.replace('signatures: { keys: [k.pub] }', 'signatures: { enabled: false }'),
    );
    const scanOnly = gate(l.model, '--policy', l.policy);
    assert.equal(scanOnly.json.verdict, 'blocked');
    assert.ok(
      scanOnly.json.findings.some((f) => f.ruleId === 'gate/dangerous-content'),
      messages(scanOnly),
    );
  } finally {
    l.cleanup();
  }
});

test('a policy named on the command line that lies inside the inspected folder (directly or through a link) is refused, and blocks', async () => {
  const everythingOff = ['signatures', 'provenance', 'scan', 'sbom', 'vulnerabilities', 'model_card'].map(
    (c) => `  ${c}: { enabled: false }`,
  );
  const l = lab({ 'pytorch_model.bin': EVIL_PICKLE, 'policy.yaml': ['gate:', ...everythingOff].join('\n') + '\n' });
  try {
    const inside = path.join(l.model, 'policy.yaml');
    const link = path.join(l.dir, 'linked-policy.yaml');
    fs.symlinkSync(inside, link);
    for (const p of [inside, link]) {
      const g = gate(l.model, '--policy', p);
      assert.equal(g.status, 1, `--policy ${path.basename(p)}`);
      assert.equal(g.json.verdict, 'blocked');
      assert.ok(
        g.json.findings.some((f) => f.ruleId === 'gate/policy-in-model' && /inside the inspected/.test(f.message)),
        messages(g),
      );
      assert.equal(g.json.checks.find((c) => c.id === 'scan')?.status, 'fail', 'the defaults apply: the scan runs');
    }
    // verify: a policy inside the folder naming a key inside the folder does not make that key expected.
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    fs.mkdirSync(path.join(l.dir, 'elsewhere'));
    fs.writeFileSync(path.join(l.model, 'attacker.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    fs.writeFileSync(inside, 'gate:\n  signatures: { keys: [attacker.pub] }\n');
    await signPath(l.model, privateKey);
    const v = cli(['verify', l.model, '--policy', link]);
    assert.equal(v.status, 1, v.stdout);
    assert.match(v.stdout, /NOT VERIFIED/);
    assert.match(v.stdout, /policy-in-model/);
  } finally {
    l.cleanup();
  }
});

/** An own-PKI CA and a leaf certificate for `email` (openssl), and a model_signing "certificate" mode model.sig made with them. */
async function certificateSigned(l: Lab, email: string): Promise<string> {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: l.dir, stdio: ['ignore', 'ignore', 'pipe'] });
  fs.writeFileSync(
    path.join(l.dir, 'leaf.cnf'),
    `[req]\ndistinguished_name=dn\n[dn]\n[ext]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nsubjectAltName=email:${email}\n`,
  );
  run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key']);
  run([
    'req',
    '-x509',
    '-new',
    '-key',
    'ca.key',
    '-subj',
    '/CN=Acme Root CA',
    '-days',
    '30',
    '-out',
    'ca.pem',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign',
  ]);
  run(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'leaf.key']);
  run(['req', '-new', '-key', 'leaf.key', '-subj', '/CN=release signer', '-out', 'leaf.csr', '-config', 'leaf.cnf']);
  run([
    'x509',
    '-req',
    '-in',
    'leaf.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '30',
    '-out',
    'leaf.pem',
    '-extfile',
    'leaf.cnf',
    '-extensions',
    'ext',
  ]);
  const { buildOmsStatement, BUNDLE_V03 } = await import('../../../src/core/signing/modelSigning.ts');
  const { signDsse, INTOTO_PAYLOAD_TYPE } = await import('../../../src/core/signing/dsse.ts');
  const { payload } = await buildOmsStatement(l.model);
  const leafKey = crypto.createPrivateKey(fs.readFileSync(path.join(l.dir, 'leaf.key')));
  const der = (f: string) => new crypto.X509Certificate(fs.readFileSync(path.join(l.dir, f))).raw.toString('base64');
  const bundle = {
    mediaType: BUNDLE_V03,
    verificationMaterial: {
      x509CertificateChain: { certificates: [{ rawBytes: der('leaf.pem') }, { rawBytes: der('ca.pem') }] },
      tlogEntries: [],
    },
    dsseEnvelope: {
      payload: payload.toString('base64'),
      payloadType: INTOTO_PAYLOAD_TYPE,
      signatures: [{ sig: signDsse(INTOTO_PAYLOAD_TYPE, payload, leafKey).toString('base64'), keyid: '' }],
    },
  };
  fs.writeFileSync(path.join(l.model, 'model.sig'), JSON.stringify(bundle));
  return path.join(l.dir, 'ca.pem');
}

test('own-PKI (certificate mode) signatures: an expected identity is checked against the certificate, not ignored', async () => {
  const l = lab({ 'model.safetensors': WEIGHTS, 'config.json': '{}\n' });
  try {
    const ca = await certificateSigned(l, 'mallory@evil.example');
    const v0 = cli(['verify', l.model, '--certificate-chain', ca]);
    assert.equal(v0.status, 0, `the CA alone is the expectation (model_signing's certificate mode): ${v0.stdout}`);
    const wrong = [
      '--certificate-chain',
      ca,
      '--certificate-identity',
      'release@acme.example',
      '--certificate-oidc-issuer',
      'https://accounts.acme.example',
    ];
    const v = cli(['verify', l.model, ...wrong]);
    assert.equal(v.status, 1, v.stdout);
    assert.match(v.stdout, /NOT VERIFIED/);
    assert.match(v.stdout, /certificate identity: expected "release@acme\.example", found "mallory@evil\.example"/);
    const g = gate(l.model, ...wrong, '--policy', l.policy);
    assert.equal(g.json.verdict, 'blocked');
    assert.equal(g.json.checks.find((c) => c.id === 'signatures')?.status, 'fail', messages(g));
    const right = cli(['verify', l.model, '--certificate-chain', ca, '--certificate-identity', 'mallory@evil.example']);
    assert.equal(
      right.status,
      0,
      `the identity the certificate names verifies (an issuer is optional for an own CA): ${right.stdout}`,
    );
    const regexp = cli([
      'verify',
      l.model,
      '--certificate-chain',
      ca,
      '--certificate-identity-regexp',
      '.*@acme\\.example',
    ]);
    assert.equal(regexp.status, 1, regexp.stdout);
  } finally {
    l.cleanup();
  }
});

test('inspect: every signature of a file is verified and shown; a failing one is not hidden by a passing one', async () => {
  const l = lab({ 'model.safetensors': WEIGHTS });
  try {
    const w = path.join(l.model, 'model.safetensors');
    await signPath(w, l.key); // model.safetensors.sigstore.json, by the expected key
    const other = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    await signPath(w, other, { output: `${w}.sig` }); // by someone else
    const r = cli(['inspect', l.model, '--key', l.pub, '--format', 'json']);
    const out = JSON.parse(r.stdout) as {
      files: { file: string; summary: string }[];
      findings: { ruleId: string; file: string }[];
    };
    const sig = out.files.find((f) => f.file.endsWith('model.safetensors.sig'));
    assert.ok(sig, `the second signature is listed: ${out.files.map((f) => f.file).join(', ')}`);
    assert.match(sig.summary, /^NOT verified/);
    assert.ok(out.files.some((f) => f.file.endsWith('model.safetensors.sigstore.json') && /^verified/.test(f.summary)));
    assert.equal(r.status, 1, 'a signature that does not verify is an error');
  } finally {
    l.cleanup();
  }
});

test('a manifest whose resources name another hash algorithm than its serialization is refused (model_signing refuses it too)', async () => {
  const { buildOmsStatement, omsKeyBundle } = await import('../../../src/core/signing/modelSigning.ts');
  const l = lab({ 'model.safetensors': WEIGHTS, 'config.json': '{}\n' });
  try {
    const { payload } = await buildOmsStatement(l.model);
    const st = JSON.parse(payload.toString('utf8')) as {
      predicate: { resources: { name: string; algorithm: string }[] };
    };
    assert.equal(cli(['verify', l.model, '--key', l.pub]).status, 1, 'no signature yet');
    for (const label of ['md5', 'blake2b', '']) {
      st.predicate.resources[0].algorithm = label; // the digest is still the file's sha256
      fs.writeFileSync(path.join(l.model, 'model.sig'), omsKeyBundle(Buffer.from(JSON.stringify(st)), l.key));
      const v = cli(['verify', l.model, '--key', l.pub]);
      assert.equal(v.status, 1, `${JSON.stringify(label)}: ${v.stdout}`);
      assert.match(v.stdout, /hash algorithm/);
    }
    st.predicate.resources[0].algorithm = 'sha256';
    fs.writeFileSync(path.join(l.model, 'model.sig'), omsKeyBundle(Buffer.from(JSON.stringify(st)), l.key));
    assert.equal(cli(['verify', l.model, '--key', l.pub]).status, 0, 'the honest labels verify');
  } finally {
    l.cleanup();
  }
});

test('a vulnerability report that cannot be read blocks the gate, even beside a clean one', async () => {
  const grype = fs.readFileSync(path.join(REPO, 'test', 'unit', 'gate', 'fixtures', 'grype.json'), 'utf8');
  const clean = JSON.stringify({ ...JSON.parse(grype), matches: [] });
  const policy = SIGNATURES_ONLY.replace(
    '  vulnerabilities: { enabled: false }',
    '  vulnerabilities: { block_at: critical }',
  ).replace('signatures: { keys: [k.pub] }', 'signatures: { enabled: false }');
  const l = lab({ 'model.safetensors': WEIGHTS, 'grype.json': clean, 'grype-full.json': grype.slice(0, 400) }, policy);
  try {
    const g = gate(l.model, '--policy', l.policy);
    assert.equal(g.json.verdict, 'blocked', messages(g));
    assert.ok(
      g.json.findings.some(
        (f) =>
          f.ruleId === 'gate/incomplete' &&
          /grype-full\.json looks like a grype report but cannot be read/.test(f.message),
      ),
      messages(g),
    );
    fs.rmSync(path.join(l.model, 'grype-full.json'));
    assert.equal(gate(l.model, '--policy', l.policy).json.verdict, 'approved', 'the clean report alone passes');
  } finally {
    l.cleanup();
  }
});

test('VS Code: rule severities and disabled rules are restricted in untrusted workspaces (a repository cannot switch off scan/*)', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
  const restricted = new Set<string>(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations);
  for (const k of ['modelInspect.rules.severity', 'modelInspect.rules.disabled'])
    assert.ok(restricted.has(k), `${k} is not restricted`);
  // The code's half: the extension reads them through trustedSetting (user values only when untrusted).
  const settings = fs.readFileSync(path.join(REPO, 'src', 'extension', 'settings.ts'), 'utf8');
  const body = settings.slice(
    settings.indexOf('export function ruleSettings'),
    settings.indexOf('export function setting<'),
  );
  assert.match(body, /trustedSetting<Record<string, string>>\('rules\.severity'/);
  assert.match(body, /trustedSetting<string\[\]>\('rules\.disabled'/);
});

test('a DSSE envelope that holds no in-toto statement says nothing about a file: it does not verify or cover it', async () => {
  const { signDsse } = await import('../../../src/core/signing/dsse.ts');
  const l = lab({ 'model.safetensors': WEIGHTS, 'modeling_evil.py': 'import os\nos.system("id")\n' });
  try {
    await signPath(path.join(l.model, 'model.safetensors'), l.key);
    // Any envelope the expected key ever signed for something else (here a note), placed beside the file.
    const payloadType = 'application/vnd.acme.note+json';
    const body = Buffer.from('{"note":"release approved"}');
    const bundle = {
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: { publicKey: { hint: '' }, tlogEntries: [] },
      dsseEnvelope: {
        payload: body.toString('base64'),
        payloadType,
        signatures: [{ sig: signDsse(payloadType, body, l.key).toString('base64'), keyid: '' }],
      },
    };
    fs.writeFileSync(path.join(l.model, 'modeling_evil.py.sigstore.json'), JSON.stringify(bundle));
    const v = cli(['verify', path.join(l.model, 'modeling_evil.py'), '--key', l.pub]);
    assert.equal(v.status, 1, v.stdout);
    assert.match(v.stdout, /not an in-toto statement/);
    const g = gate(l.model, '--policy', l.policy);
    assert.equal(g.json.verdict, 'blocked');
    assert.match(messages(g), /modeling_evil\.py is not covered by a verified signature/);
  } finally {
    l.cleanup();
  }
});

test('JSON and SARIF output carry no raw C1 controls or bidirectional overrides (a CSI in a file name stays escaped)', async () => {
  const hostile = 'x\u009b2K\u202eDEIFIREV\u2028.txt';
  const l = lab({ 'model.safetensors': WEIGHTS, [hostile]: 'hello\n', 'requirements.txt': 'torch\u009b31m==2.1.2\n' });
  try {
    for (const args of [
      ['gate', l.model, '--policy', l.policy, '--format', 'json'],
      ['gate', l.model, '--policy', l.policy, '--format', 'sarif'],
      ['sbom', l.model],
    ]) {
      const r = cli(args);
      assert.doesNotMatch(r.stdout, /[\u007f-\u009f\u202a-\u202e\u2066-\u2069\u2028\u2029]/u, args.join(' '));
      assert.ok(r.stdout.includes('\\u009b'), `${args.join(' ')}: the value is kept, escaped`);
      JSON.parse(r.stdout);
    }
    const g = gate(l.model, '--policy', l.policy);
    assert.ok(
      g.json.findings.some((f) => f.message.includes(hostile)),
      'parsed back, the name is the real name',
    );
  } finally {
    l.cleanup();
  }
});

test('cover: weight-files: a file the scanner reads as a model (a pickle in encoder.bin, clf.sav) must be signed like any weight file', async () => {
  const policy = SIGNATURES_ONLY.replace(
    'signatures: { keys: [k.pub] }',
    'signatures: { keys: [k.pub], cover: weight-files }',
  );
  // Two harmless pickles of model weights (protocol 2 dicts of floats): no scanner finding.
  const weights = (v: number) =>
    Buffer.concat([
      Buffer.from('\x80\x02}q\x00X\x01\x00\x00\x00wq\x01G', 'latin1'),
      (() => {
        const b = Buffer.alloc(8);
        b.writeDoubleBE(v);
        return b;
      })(),
      Buffer.from('s.', 'latin1'),
    ]);
  const l = lab({ 'model.safetensors': WEIGHTS, 'encoder.bin': weights(1.5), 'clf.sav': weights(2.5) }, policy);
  try {
    for (const f of ['model.safetensors', 'encoder.bin', 'clf.sav']) await signPath(path.join(l.model, f), l.key);
    assert.equal(gate(l.model, '--policy', l.policy).json.verdict, 'approved', 'all signed: approved');
    // The attacker swaps the weights of both pickles and drops their signatures.
    for (const [f, v] of [
      ['encoder.bin', 6.5],
      ['clf.sav', 6.5],
    ] as const) {
      fs.writeFileSync(path.join(l.model, f), weights(v));
      fs.rmSync(path.join(l.model, `${f}.sigstore.json`));
    }
    const g = gate(l.model, '--policy', l.policy);
    assert.equal(g.json.verdict, 'blocked', messages(g));
    assert.match(messages(g), /encoder\.bin is not covered by a verified signature/);
    assert.match(messages(g), /clf\.sav is not covered by a verified signature/);
  } finally {
    l.cleanup();
  }
});

test('a sharded model.sig: a file grown by whole shards (every listed shard still matches) does not verify', () => {
  const l = lab({ 'model.pt': crypto.randomBytes(2000), 'config.json': '{}\n' });
  try {
    // model_signing's shards serialization, signed by the expected key: names `file:start:end`.
    const resources: { name: string; algorithm: string; digest: string }[] = [];
    for (const rel of ['config.json', 'model.pt']) {
      const data = fs.readFileSync(path.join(l.model, rel));
      for (let s = 0; s < data.length; s += 1000) {
        const e = Math.min(data.length, s + 1000);
        resources.push({
          name: `${rel}:${s}:${e}`,
          algorithm: 'sha256-sharded-1000',
          digest: crypto.createHash('sha256').update(data.subarray(s, e)).digest('hex'),
        });
      }
    }
    const subject = crypto.createHash('sha256');
    for (const r of resources) subject.update(Buffer.from(r.digest, 'hex'));
    const statement = {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'model', digest: { sha256: subject.digest('hex') } }],
      predicateType: 'https://model_signing/signature/v1.0',
      predicate: {
        serialization: {
          method: 'shards',
          hash_type: 'sha256',
          allow_symlinks: false,
          ignore_paths: ['model.sig'],
          shard_size: 1000,
        },
        resources,
      },
    };
    fs.writeFileSync(path.join(l.model, 'model.sig'), omsKeyBundle(Buffer.from(JSON.stringify(statement)), l.key));
    const file = path.join(l.model, 'model.pt');
    assert.equal(cli(['verify', file, '--key', l.pub]).status, 0, 'the signed file verifies');
    // The attacker appends a shard's worth (a zip checkpoint's new central directory, say).
    fs.appendFileSync(file, Buffer.from('PK\x05\x06 appended after signing', 'latin1'));
    const r = cli(['verify', file, '--key', l.pub, '--format', 'json']);
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stdout, /changed files \(digest differs from the signed one\): model\.pt/);
    const folder = cli(['verify', l.model, '--key', l.pub, '--format', 'json']);
    assert.equal(folder.status, 1);
    assert.match(
      folder.stdout,
      /changed files \(digest differs from the signed one\): model\.pt/,
      'named as changed, not as an extra file',
    );
  } finally {
    l.cleanup();
  }
});

test("cover: weight-files: a vulnerability report no verified signature covers is the publisher's claim, not a clean scan", async () => {
  const policy = SIGNATURES_ONLY.replace(
    'signatures: { keys: [k.pub] }',
    'signatures: { keys: [k.pub], cover: weight-files }',
  ).replace('vulnerabilities: { enabled: false }', 'vulnerabilities: { enabled: true, block_at: high }');
  const critical = JSON.stringify({
    matches: [
      { vulnerability: { id: 'CVE-2025-0001', severity: 'Critical' }, artifact: { name: 'torch', version: '1.0' } },
    ],
    descriptor: { name: 'grype' },
  });
  const l = lab({ 'model.safetensors': WEIGHTS, 'grype.json': critical }, policy);
  try {
    await signPath(path.join(l.model, 'model.safetensors'), l.key);
    await signPath(path.join(l.model, 'grype.json'), l.key);
    const signed = gate(l.model, '--policy', l.policy);
    assert.equal(signed.json.verdict, 'blocked', 'the signed report lists a critical vulnerability');
    assert.match(messages(signed), /CVE-2025-0001/);
    // The attacker empties the report and drops its signature: nothing vouches for "no vulnerabilities".
    fs.writeFileSync(path.join(l.model, 'grype.json'), JSON.stringify({ matches: [], descriptor: { name: 'grype' } }));
    fs.rmSync(path.join(l.model, 'grype.json.sigstore.json'));
    const g = gate(l.model, '--policy', l.policy);
    assert.equal(g.json.verdict, 'blocked', messages(g));
    assert.match(messages(g), /grype\.json is not covered by a verified signature/);
    // An unsigned report that lists vulnerabilities still counts against the model.
    fs.writeFileSync(path.join(l.model, 'grype.json'), critical);
    assert.match(messages(gate(l.model, '--policy', l.policy)), /CVE-2025-0001/);
  } finally {
    l.cleanup();
  }
});

const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;

test(
  'a policy found above the model that another local user owns (a shared /tmp) is refused, in the gate and the findings step',
  { skip: asRoot ? false : 'needs root to give a file to another owner' },
  async () => {
    // Another user leaves a .model-inspect.yaml in the shared folder the model was downloaded to.
    const l = lab({ 'pytorch_model.bin': EVIL_PICKLE });
    try {
      // In a repository's work tree in the shared folder (outside one, nothing above is searched).
      fs.mkdirSync(path.join(l.dir, '.git'));
      const planted = path.join(l.dir, '.model-inspect.yaml');
      fs.writeFileSync(
        planted,
        [
          'gate:',
          ...['signatures', 'provenance', 'scan', 'sbom', 'vulnerabilities', 'model_card'].map(
            (c) => `  ${c}: { enabled: false }`,
          ),
          'rules:',
          '  disabled: ["scan/*"]',
          '',
        ].join('\n'),
      );
      fs.chownSync(planted, 4242, 4242);
      const g = gate(l.model);
      assert.equal(g.json.verdict, 'blocked', messages(g));
      assert.match(messages(g), /owned by another user \(uid 4242\)/);
      assert.ok(
        g.json.findings.some((f) => f.ruleId === 'gate/dangerous-content'),
        messages(g),
      );
      const scan = cli(['scan', path.join(l.model, 'pytorch_model.bin')]);
      assert.equal(scan.status, 1, scan.stdout);
      assert.match(scan.stdout, /scan\/pickle-dangerous-import/);
      // Named by the user, it is the user's choice.
      assert.equal(gate(l.model, '--policy', planted).json.verdict, 'approved');
    } finally {
      l.cleanup();
    }
  },
);

test('inspect: in a signed folder, files no verified signature covers are named (signed weights beside unsigned code are not a signed model)', async () => {
  const l = lab({ 'model.safetensors': WEIGHTS });
  try {
    await signPath(path.join(l.model, 'model.safetensors'), l.key);
    const clean = cli(['inspect', l.model, '--key', l.pub, '--format', 'json']);
    assert.doesNotMatch(clean.stdout, /signing\/not-covered/, 'every file is covered');
    fs.writeFileSync(path.join(l.model, 'config.json'), '{"auto_map": {"AutoModel": "modeling_evil.Model"}}\n');
    fs.writeFileSync(path.join(l.model, 'modeling_evil.py'), 'import os\nos.system("id")\n');
    const r = cli(['inspect', l.model, '--key', l.pub, '--format', 'json']);
    const found = (JSON.parse(r.stdout) as { findings: { ruleId: string; message: string }[] }).findings.filter(
      (f) => f.ruleId === 'signing/not-covered',
    );
    assert.equal(found.length, 1, r.stdout);
    assert.match(
      found[0].message,
      /2 files are not covered by any verified signature from an expected signer: config\.json, modeling_evil\.py/,
    );
  } finally {
    l.cleanup();
  }
});

test('require_verified provenance: an attestation that vouches for another file of the folder is not the provenance of the weights', async () => {
  const { signDsse, INTOTO_PAYLOAD_TYPE } = await import('../../../src/core/signing/dsse.ts');
  const policy = SIGNATURES_ONLY.replace('signatures: { keys: [k.pub] }', 'signatures: { enabled: false }').replace(
    'provenance: { enabled: false }',
    'provenance: { source_repository: github.com/acme/models, require_verified: true }',
  );
  const tokenizer = '{"version": "1.0", "model": {"type": "BPE"}}\n';
  const l = lab({ 'model.safetensors': WEIGHTS, 'tokenizer.json': tokenizer }, policy);
  try {
    // A real release's SLSA provenance for its tokenizer.json, signed by the expected key.
    const attest = (file: string) => {
      const statement = {
        _type: 'https://in-toto.io/Statement/v1',
        subject: [
          {
            name: path.basename(file),
            digest: { sha256: crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex') },
          },
        ],
        predicateType: 'https://slsa.dev/provenance/v1',
        predicate: {
          buildDefinition: {
            buildType: 'https://actions.github.io/buildtypes/workflow/v1',
            externalParameters: {
              workflow: {
                repository: 'https://github.com/acme/models',
                path: '.github/workflows/release.yml',
                ref: 'refs/tags/v1',
              },
            },
          },
          runDetails: { builder: { id: 'https://github.com/actions/runner' } },
        },
      };
      const payload = Buffer.from(JSON.stringify(statement));
      fs.writeFileSync(
        `${file}.intoto.jsonl`,
        JSON.stringify({
          mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
          verificationMaterial: { publicKey: { hint: '' }, tlogEntries: [] },
          dsseEnvelope: {
            payload: payload.toString('base64'),
            payloadType: INTOTO_PAYLOAD_TYPE,
            signatures: [{ sig: signDsse(INTOTO_PAYLOAD_TYPE, payload, l.key).toString('base64'), keyid: '' }],
          },
        }),
      );
    };
    attest(path.join(l.model, 'tokenizer.json'));
    attest(path.join(l.model, 'model.safetensors'));
    const both = gate(l.model, '--policy', l.policy, '--key', l.pub);
    assert.equal(both.json.verdict, 'approved', messages(both));
    // The attacker swaps the weights (and drops their attestation); the tokenizer's still verifies.
    fs.writeFileSync(
      path.join(l.model, 'model.safetensors'),
      Buffer.concat([WEIGHTS.subarray(0, WEIGHTS.length - 4), Buffer.from([1, 2, 3, 4])]),
    );
    fs.rmSync(path.join(l.model, 'model.safetensors.intoto.jsonl'));
    const g = gate(l.model, '--policy', l.policy, '--key', l.pub);
    assert.equal(g.json.verdict, 'blocked', messages(g));
    assert.match(messages(g), /model\.safetensors/);
    assert.ok(
      g.json.findings.some((f) => f.ruleId === 'gate/provenance-missing'),
      messages(g),
    );
  } finally {
    l.cleanup();
  }
});

/**
 * A downloaded diffusers repository (model_index.json, a Hugging Face card, unet/ text_encoder/
 * vae/) whose publisher put a `.model-inspect.yaml` at its root: inspecting one of its subfolders
 * or files must not let that policy judge them (the model boundary of the upward search).
 */
function diffusersDownload(policy: string): { dir: string; dl: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-diffusers-'));
  // Downloaded into a repository's work tree (outside one, nothing above a model is searched).
  fs.mkdirSync(path.join(dir, '.git'));
  const dl = path.join(dir, 'dl');
  for (const sub of ['unet', 'text_encoder', 'vae']) fs.mkdirSync(path.join(dl, sub), { recursive: true });
  fs.writeFileSync(
    path.join(dl, 'model_index.json'),
    '{"_class_name": "StableDiffusionPipeline", "unet": ["diffusers", "UNet2DConditionModel"]}\n',
  );
  fs.writeFileSync(path.join(dl, 'README.md'), '---\nlicense: openrail\ntags: [stable-diffusion]\n---\n# a pipeline\n');
  fs.writeFileSync(path.join(dl, 'unet', 'config.json'), '{}\n');
  fs.writeFileSync(path.join(dl, 'unet', 'diffusion_pytorch_model.safetensors'), WEIGHTS);
  fs.writeFileSync(path.join(dl, 'text_encoder', 'pytorch_model.bin'), EVIL_PICKLE);
  fs.writeFileSync(path.join(dl, '.model-inspect.yaml'), policy);
  return { dir, dl, cleanup: () => execFileSync('rm', ['-rf', dir]) };
}

const EVERYTHING_OFF = [
  'gate:',
  ...['signatures', 'provenance', 'scan', 'sbom', 'vulnerabilities', 'model_card'].map(
    (c) => `  ${c}: { enabled: false }`,
  ),
  'rules:',
  '  disabled: ["scan/*"]',
  '',
].join('\n');

test("diffusers layout: verify FILE in unet/ does not take the expected key from the download's own policy", async () => {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const d = diffusersDownload('gate:\n  signatures: { keys: [attacker.pub] }\n');
  try {
    fs.writeFileSync(path.join(d.dl, 'attacker.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    const file = path.join(d.dl, 'unet', 'diffusion_pytorch_model.safetensors');
    await signPath(file, privateKey);
    const v = cli(['verify', file]);
    assert.equal(v.status, 1, v.stdout);
    assert.match(v.stdout, /NOT VERIFIED/);
    assert.match(v.stdout, /gate\/policy-in-model/);
    assert.match(v.stdout, /part of a model \(it holds model_index\.json\)/);
  } finally {
    d.cleanup();
  }
});

test("diffusers layout: scan FILE in text_encoder/ is not silenced by the download's own rules: section", () => {
  const d = diffusersDownload(EVERYTHING_OFF);
  try {
    const r = cli(['scan', path.join(d.dl, 'text_encoder', 'pytorch_model.bin')]);
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stdout, /scan\/pickle-dangerous-import/);
    assert.match(r.stdout, /gate\/policy-in-model/);
    assert.doesNotMatch(r.stdout, /rule settings from the policy/);
    // A README that is a Hugging Face card marks the model as well, without model_index.json.
    fs.rmSync(path.join(d.dl, 'model_index.json'));
    const card = cli(['scan', path.join(d.dl, 'text_encoder', 'pytorch_model.bin')]);
    assert.equal(card.status, 1, card.stdout);
    assert.match(card.stdout, /README\.md is a Hugging Face model card/);
  } finally {
    d.cleanup();
  }
});

test("diffusers layout: gate SUBFOLDER is judged by the defaults, not the download's policy, and the refusal blocks", () => {
  const d = diffusersDownload(EVERYTHING_OFF);
  try {
    const g = gate(path.join(d.dl, 'text_encoder'));
    assert.equal(g.status, 1);
    assert.equal(g.json.verdict, 'blocked');
    assert.ok(
      g.json.findings.some(
        (f) => f.ruleId === 'gate/policy-in-model' && f.file === path.join(d.dl, '.model-inspect.yaml'),
      ),
      messages(g),
    );
    assert.equal(g.json.checks.find((c) => c.id === 'policy')?.status, 'fail');
    assert.ok(
      g.json.findings.some((f) => f.ruleId === 'gate/dangerous-content'),
      messages(g),
    );
  } finally {
    d.cleanup();
  }
});

test('a repository root policy above models/<name>/ still applies (and is named in the text output), past a refused one', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-repo-'));
  try {
    fs.mkdirSync(path.join(dir, '.git'));
    fs.mkdirSync(path.join(dir, 'models', 'x'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'README.md'), '# our models\n');
    fs.writeFileSync(path.join(dir, 'models', 'x', 'pytorch_model.bin'), EVIL_PICKLE);
    const policy = path.join(dir, '.model-inspect.yaml');
    fs.writeFileSync(policy, 'rules:\n  severity: { scan/pickle-dangerous-import: warning }\n');
    const r = cli(['scan', path.join(dir, 'models', 'x', 'pytorch_model.bin')]);
    assert.equal(r.status, 0, r.stdout);
    assert.match(r.stdout, /warning scan\/pickle-dangerous-import/);
    assert.ok(r.stdout.includes(`rule settings from the policy ${policy}`), r.stdout);
    const g = cli(['gate', path.join(dir, 'models', 'x')]);
    assert.ok(g.stdout.includes(`(policy ${policy})`), g.stdout);
    assert.doesNotMatch(g.stdout, /policy-in-model/);
    // A model folder's own policy between them is refused; the repository's still applies.
    fs.writeFileSync(path.join(dir, 'models', 'model-card.yaml'), 'model_details: {name: x}\n');
    fs.writeFileSync(path.join(dir, 'models', '.model-inspect.yaml'), 'rules:\n  disabled: ["scan/*"]\n');
    const past = cli(['scan', path.join(dir, 'models', 'x', 'pytorch_model.bin')]);
    assert.match(past.stdout, /warning scan\/pickle-dangerous-import/);
    assert.match(past.stdout, /error gate\/policy-in-model/);
    assert.ok(past.stdout.includes(`rule settings from the policy ${policy}`), past.stdout);
  } finally {
    execFileSync('rm', ['-rf', dir]);
  }
});

test('cover: weight-files: an SBOM no verified signature covers does not satisfy "SBOM present"', async () => {
  const policy = SIGNATURES_ONLY.replace(
    'signatures: { keys: [k.pub] }',
    'signatures: { keys: [k.pub], cover: weight-files }',
  ).replace('sbom: { enabled: false }', 'sbom: { enabled: true }');
  const sbom = JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5', version: 1, components: [] });
  const l = lab({ 'model.safetensors': WEIGHTS, 'sbom.cdx.json': sbom }, policy);
  try {
    await signPath(path.join(l.model, 'model.safetensors'), l.key);
    await signPath(path.join(l.model, 'sbom.cdx.json'), l.key);
    assert.equal(gate(l.model, '--policy', l.policy).json.verdict, 'approved');
    fs.rmSync(path.join(l.model, 'sbom.cdx.json.sigstore.json'));
    const g = gate(l.model, '--policy', l.policy);
    assert.equal(g.json.verdict, 'blocked', messages(g));
    assert.match(messages(g), /sbom\.cdx\.json is not covered by a verified signature/);
  } finally {
    l.cleanup();
  }
});

test('sign DIR never signs a private key padded past 64 KiB, an OpenPGP secret key or a PuTTY key', async () => {
  const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  // openssl and ssh skip whatever precedes the PEM block: the padded file is still a usable key
  const padded = '#'.repeat(70_000) + '\n' + pem.replace(/\n/g, '\r\n');
  const pgp = '-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBGV0ZXN0\n-----END PGP PRIVATE KEY BLOCK-----\n';
  const putty = 'PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: k\nPublic-Lines: 1\nAAAA\n';
  const l = lab({
    'model.safetensors': WEIGHTS,
    'notes.txt': padded,
    'docs/key.asc': pgp,
    'deploy.ppk': putty,
  });
  try {
    const res = await signPath(l.model, l.key);
    assert.deepEqual([...(res.excludedPrivateKeys ?? [])].sort(), ['deploy.ppk', 'docs/key.asc', 'notes.txt']);
    const r = cli(['inspect', l.model, '--format', 'json']);
    for (const name of ['notes.txt', 'key.asc', 'deploy.ppk'])
      assert.match(r.stdout, new RegExp(`signing/private-key-in-model[^}]*${name.replace('.', '\\.')}`), name);
  } finally {
    l.cleanup();
  }
});

test("model boundary: a sharded checkpoint's index or a card whose front matter runs past 64 KiB marks the download", () => {
  const layouts: Record<string, string> = {
    'model.safetensors.index.json': '{"weight_map": {}}\n',
    'README.md': `---\n# ${'x'.repeat(70_000)}\nlicense: mit\n---\n# a model\n`,
  };
  for (const [name, content] of Object.entries(layouts)) {
    const d = diffusersDownload(EVERYTHING_OFF);
    try {
      fs.rmSync(path.join(d.dl, 'model_index.json'));
      fs.rmSync(path.join(d.dl, 'README.md'));
      fs.writeFileSync(path.join(d.dl, name), content);
      const r = cli(['scan', path.join(d.dl, 'text_encoder')]);
      assert.equal(r.status, 1, `${name}: ${r.stdout}`);
      assert.match(r.stdout, /gate\/policy-in-model/, name);
    } finally {
      d.cleanup();
    }
  }
});

test('a download outside any repository: no policy above the model is used, however plain its root looks', async () => {
  // The root holds nothing that marks a model (a plain README, a config.json), so only the
  // repository boundary keeps its policy from judging the subfolders.
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-download-'));
  const dl = path.join(dir, 'dl');
  try {
    for (const sub of ['unet', 'text_encoder']) fs.mkdirSync(path.join(dl, sub), { recursive: true });
    fs.writeFileSync(path.join(dl, 'README.md'), '# weights\n');
    fs.writeFileSync(path.join(dl, 'config.json'), '{}\n');
    fs.writeFileSync(path.join(dl, 'attacker.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    fs.writeFileSync(
      path.join(dl, '.model-inspect.yaml'),
      [
        'gate:',
        '  signatures: { keys: [attacker.pub] }',
        ...['provenance', 'scan', 'sbom', 'vulnerabilities', 'model_card'].map((c) => `  ${c}: { enabled: false }`),
        'rules:',
        '  disabled: ["scan/*"]',
        '',
      ].join('\n'),
    );
    fs.writeFileSync(path.join(dl, 'unet', 'diffusion_pytorch_model.safetensors'), WEIGHTS);
    fs.writeFileSync(path.join(dl, 'text_encoder', 'pytorch_model.bin'), EVIL_PICKLE);
    const file = path.join(dl, 'unet', 'diffusion_pytorch_model.safetensors');
    await signPath(file, privateKey);
    const v = cli(['verify', file]);
    assert.equal(v.status, 1, v.stdout);
    assert.match(v.stdout, /NOT VERIFIED/);
    const r = cli(['scan', path.join(dl, 'text_encoder')]);
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stdout, /scan\/pickle-dangerous-import/);
    assert.doesNotMatch(r.stdout, /rule settings from the policy/);
    const g = gate(path.join(dl, 'text_encoder'));
    assert.equal(g.json.verdict, 'blocked', messages(g));
    assert.equal(g.json.policy, null, messages(g));
  } finally {
    execFileSync('rm', ['-rf', dir]);
  }
});

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { signPath } from '../../../src/core/signing/index.ts';
import { cli, REPO, sharedFixture } from '../helpers.ts';

/**
 * The trust boundary, attacked as the author of the model folder would (issue #10): one test per
 * class. Each runs the built CLI on a folder the attacker wrote, with the user's trust (key,
 * policy) outside it, and must end in a refusal: `gate` BLOCKED, `verify` NOT VERIFIED.
 */

const WEIGHTS = fs.readFileSync(path.join(REPO, 'examples', 'sentiment-classifier-signed', 'model.safetensors'));

/** Only the signature check (and the walk) decides: everything else of the gate is switched off. */
const SIGNATURES_ONLY =
  [
    'gate:',
    '  signatures: { keys: [k.pub] }',
    '  provenance: { enabled: false }',
    '  sbom: { enabled: false }',
    '  vulnerabilities: { enabled: false }',
    '  model_card: { enabled: false }',
  ].join('\n') + '\n';

interface Signed {
  dir: string;
  model: string;
  pub: string;
  policy: string;
  key: crypto.KeyObject;
  cleanup(): void;
}

/** tmp/{k.pub, policy.yaml, model/…}: the user's key and policy beside the model, the model signed. */
async function signedModel(
  files: Record<string, string | Buffer>,
  opts: { ignorePaths?: string[]; sign?: boolean } = {},
): Promise<Signed> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-attack-'));
  const model = path.join(dir, 'model');
  fs.mkdirSync(model);
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(model, name)), { recursive: true });
    fs.writeFileSync(path.join(model, name), content);
  }
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pub = path.join(dir, 'k.pub');
  fs.writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }));
  const policy = path.join(dir, 'policy.yaml');
  fs.writeFileSync(policy, SIGNATURES_ONLY);
  if (opts.sign !== false) await signPath(model, privateKey, { ignorePaths: opts.ignorePaths });
  return { dir, model, pub, policy, key: privateKey, cleanup: () => execFileSync('rm', ['-rf', dir]) };
}

function gate(
  s: Signed,
  ...extra: string[]
): {
  status: number;
  out: string;
  json: {
    verdict: string;
    findings: { ruleId: string; message: string }[];
    checks: { id: string; status: string; reasons: string[] }[];
  };
} {
  const r = cli(['gate', s.model, '--policy', s.policy, '--format', 'json', ...extra]);
  assert.notEqual(r.status, 2, r.stderr);
  return { status: r.status, out: r.stdout, json: JSON.parse(r.stdout) };
}

const MODEL = {
  'model.safetensors': WEIGHTS,
  'config.json': '{"architectures": ["Bert"]}\n',
  'tokenizer.json': '{}\n',
};

test('class 1 (coverage): files added, changed or removed after signing block the gate, each named', async () => {
  const s = await signedModel(MODEL);
  try {
    assert.equal(gate(s).json.verdict, 'approved', 'the untouched signed model passes');
    // The attacker adds remote code and points config.json at it: the weights are untouched.
    fs.writeFileSync(path.join(s.model, 'modeling_evil.py'), 'import os\nos.system("id")\n');
    fs.writeFileSync(path.join(s.model, 'config.json'), '{"auto_map": {"AutoModel": "modeling_evil.EvilModel"}}\n');
    fs.rmSync(path.join(s.model, 'tokenizer.json'));
    const g = gate(s);
    assert.equal(g.status, 1);
    assert.equal(g.json.verdict, 'blocked');
    const msgs = g.json.findings.map((f) => f.message).join('\n');
    assert.match(msgs, /modeling_evil\.py was added after signing/);
    assert.match(msgs, /config\.json was changed after signing/);
    assert.match(msgs, /tokenizer\.json was signed but is missing/);
    assert.equal(cli(['verify', s.model, '--key', s.pub]).status, 1);
  } finally {
    s.cleanup();
  }
});

test("class 1 (coverage): files under the signer's ignore paths are not covered", async () => {
  const s = await signedModel({ ...MODEL, 'extras/modeling_evil.py': 'import os\n' }, { ignorePaths: ['extras'] });
  try {
    const v = cli(['verify', s.model, '--key', s.pub]);
    assert.equal(v.status, 0, 'the signature itself verifies: its signer chose to leave extras/ out');
    assert.match(v.stdout, /ignored by the signature, so not covered by it: extras/);
    const g = gate(s);
    assert.equal(g.json.verdict, 'blocked');
    assert.ok(
      g.json.findings.some(
        (f) => f.ruleId === 'gate/signature-missing' && /extras\/modeling_evil\.py is not covered/.test(f.message),
      ),
      JSON.stringify(g.json.findings),
    );
  } finally {
    s.cleanup();
  }
});

test('class 1 (coverage): an empty signed folder and a FIFO added to a signed folder are refused', async () => {
  const empty = await signedModel({});
  try {
    const v = cli(['verify', empty.model, '--key', empty.pub]);
    assert.equal(v.status, 1, v.stdout);
    assert.match(v.stdout, /lists no files/);
    assert.equal(gate(empty).json.verdict, 'blocked');
  } finally {
    empty.cleanup();
  }
  const s = await signedModel(MODEL);
  try {
    execFileSync('mkfifo', [path.join(s.model, 'pipe.bin')]);
    const v = cli(['verify', s.model, '--key', s.pub]);
    assert.equal(v.status, 1, v.stdout);
    assert.match(v.stdout, /pipe\.bin is a fifo/);
    const g = gate(s);
    assert.equal(g.json.verdict, 'blocked');
    assert.ok(g.json.findings.some((f) => f.ruleId === 'gate/file-refused' && /pipe\.bin/.test(f.message)));
  } finally {
    s.cleanup();
  }
});

test('class 2 (policy from the folder): a policy shipped inside the model, at any depth, is reported and ignored', async () => {
  // The attacker signs with their own key, ships it, and a policy that lists it and switches every other check off.
  const s = await signedModel({ ...MODEL, 'attacker.pub': '' }, { sign: false });
  try {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    fs.writeFileSync(path.join(s.model, 'attacker.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    const own =
      'gate:\n  signatures: { keys: [attacker.pub] }\n  provenance: { enabled: false }\n  scan: { enabled: false }\n  sbom: { enabled: false }\n  vulnerabilities: { enabled: false }\n  model_card: { enabled: false }\n';
    fs.writeFileSync(path.join(s.model, '.model-inspect.yaml'), own);
    fs.mkdirSync(path.join(s.model, 'sub'));
    fs.writeFileSync(path.join(s.model, 'sub', 'w.safetensors'), WEIGHTS);
    fs.writeFileSync(path.join(s.model, 'sub', '.model-inspect.yml'), own.replace('attacker.pub', '../attacker.pub'));
    await signPath(s.model, privateKey);
    await signPath(path.join(s.model, 'sub', 'w.safetensors'), privateKey);
    // No --policy, and nothing above the model: the defaults, which expect no signer.
    for (const target of [s.model, path.join(s.model, 'model.safetensors')]) {
      const r = cli(['gate', target, '--format', 'json']);
      const j = JSON.parse(r.stdout);
      assert.equal(j.verdict, 'blocked', `${target}: ${r.stdout}`);
      assert.equal(j.policy, null);
      const ignored = j.findings
        .filter((f: { ruleId: string }) => f.ruleId === 'gate/policy-in-model')
        .map((f: { file: string }) => f.file)
        .sort();
      assert.deepEqual(
        ignored,
        ['.model-inspect.yaml', 'sub/.model-inspect.yml'].map((f) => path.join(s.model, f)),
        r.stdout,
      );
    }
    // inspect and verify do not take the key from the folder's policy either.
    const ins = cli(['inspect', s.model, '--format', 'json']);
    assert.ok(
      !JSON.parse(ins.stdout).findings.some((f: { ruleId: string }) => f.ruleId === 'signing/verified'),
      ins.stdout,
    );
    assert.equal(cli(['verify', s.model]).status, 1);
  } finally {
    s.cleanup();
  }
});

const happy = sharedFixture('signing/sigstore-conformance/happy-path-v0.3');
const root = sharedFixture('signing/trust/trusted_root.public-good.json');
const BEACON =
  'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';

/** A keyless-signed file (anyone can get such a signature) and a card that names its signer. */
function keylessArtifact(): { dir: string; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-attack-kl-'));
  fs.copyFileSync(path.join(happy.path, '..', 'a.txt'), path.join(dir, 'a.txt'));
  fs.copyFileSync(path.join(happy.path, 'bundle.sigstore.json'), path.join(dir, 'a.txt.sigstore.json'));
  fs.writeFileSync(path.join(dir, 'model-card.yaml'), `provenance:\n  build_environment:\n    signed_by: ${BEACON}\n`);
  return { dir, file: path.join(dir, 'a.txt') };
}

test(
  'class 3 (expectations from the card): a card naming the keyless signer does not make it expected',
  { skip: happy.skip || root.skip },
  () => {
    const { dir, file } = keylessArtifact();
    try {
      const r = cli(['verify', file, '--trusted-root', root.path]);
      assert.equal(r.status, 1, r.stdout);
      assert.match(r.stdout, /no expected identity and issuer were given/);
      assert.match(r.stdout, /signer\s+https:\/\/github\.com\/sigstore-conformance/, 'who signed is still reported');
      // With the expectation on the command line it verifies; a card naming someone else is reported, not obeyed.
      fs.writeFileSync(
        path.join(dir, 'model-card.yaml'),
        'provenance:\n  build_environment:\n    signed_by: someone@else.example\n',
      );
      const ok = cli([
        'verify',
        file,
        '--trusted-root',
        root.path,
        '--certificate-identity',
        BEACON,
        '--certificate-oidc-issuer',
        'https://token.actions.githubusercontent.com',
      ]);
      assert.equal(ok.status, 0, ok.stdout);
      assert.match(ok.stdout, /signing\/card-claim-mismatch/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  'class 4 (identity patterns): a regexp that closes the anchor from inside is refused, in flags and policies',
  { skip: happy.skip || root.skip },
  () => {
    const { dir, file } = keylessArtifact();
    try {
      for (const re of ['nobody)|(.*', 'nobody)|(?:.*', '(?:nobody)|.*)(']) {
        const r = cli([
          'verify',
          file,
          '--trusted-root',
          root.path,
          '--certificate-identity-regexp',
          re,
          '--certificate-oidc-issuer',
          'https://token.actions.githubusercontent.com',
        ]);
        assert.equal(r.status, 2, `${re}: ${r.stdout}${r.stderr}`);
        assert.match(r.stderr, /must compile on its own/);
      }
      const policy = path.join(dir, '..', `${path.basename(dir)}-policy.yaml`);
      fs.writeFileSync(policy, 'gate:\n  signatures:\n    identities: ["/nobody)|(.*/"]\n    issuers: ["/.*/m"]\n');
      const g = JSON.parse(
        cli(['gate', dir, '--policy', policy, '--format', 'json', '--trusted-root', root.path]).stdout,
      );
      fs.rmSync(policy);
      assert.equal(g.verdict, 'blocked');
      const invalid = g.findings
        .filter((f: { ruleId: string }) => f.ruleId === 'gate/policy-invalid')
        .map((f: { message: string }) => f.message)
        .join('\n');
      assert.match(invalid, /must compile on its own/);
      assert.match(invalid, /flag 'm' not allowed/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('class 4 (settings): identity, issuer, trust files and scan limits are restricted in untrusted workspaces', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
  const restricted = new Set<string>(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations);
  const props = Object.keys(
    pkg.contributes.configuration.properties ??
      Object.assign({}, ...pkg.contributes.configuration.map((c: { properties: object }) => c.properties)),
  );
  const mustBe = props.filter((k) =>
    /^modelInspect\.(signing\.(certificate|publicKey|trustedRoot|builderId|sourceRepository)|scan\.max|modelCard\.(maxHashMiB|verifyLocalDigests)|gate\.|rules\.|tools\.)/.test(
      k,
    ),
  );
  assert.ok(mustBe.length >= 14, mustBe.join(', '));
  for (const k of mustBe) assert.ok(restricted.has(k), `${k} is not restricted in untrusted workspaces`);
});

test('class 5 (limits): a card over the size limit fails the card check; an unreadable subfolder blocks the gate', async () => {
  const s = await signedModel(MODEL, { sign: false });
  try {
    const card = path.join(s.model, 'model-card.yaml');
    fs.writeFileSync(card, `model_details:\n  name: x\n${'# padding\n'.repeat(600_000)}`);
    const c = cli(['card', card, '--format', 'json']);
    assert.equal(c.status, 1, 'a card that was not validated is not a valid card');
    fs.writeFileSync(
      s.policy,
      SIGNATURES_ONLY.replace('model_card: { enabled: false }', 'model_card: { max_age_days: 100000 }').replace(
        'signatures: { keys: [k.pub] }',
        'signatures: { enabled: false }',
      ),
    );
    const g = gate(s, '--now', '2026-01-01');
    const cardCheck = g.json.checks.find((x) => x.id === 'model-card')!;
    assert.equal(cardCheck.status, 'fail');
    assert.ok(!cardCheck.reasons.some((r) => /no errors/.test(r)), cardCheck.reasons.join('\n'));
    fs.rmSync(card);
    // A subfolder the gate cannot read (a path beyond PATH_MAX: root is not stopped by permissions).
    const long = Array.from({ length: 25 }, () => 'd'.repeat(200)).join('/');
    execFileSync('mkdir', ['-p', long], { cwd: s.model });
    const g2 = gate(s, '--now', '2026-01-01');
    assert.equal(g2.json.verdict, 'blocked');
    assert.ok(
      g2.json.findings.some((f) => f.ruleId === 'gate/incomplete' && /could not be read/.test(f.message)),
      JSON.stringify(g2.json.findings),
    );
  } finally {
    s.cleanup();
  }
});

test('class 6 (leaks): card references outside the folder are not read; parse errors do not echo file bytes', async () => {
  const s = await signedModel(MODEL, { sign: false });
  try {
    const secret = path.join(s.dir, 'secret.env');
    fs.writeFileSync(secret, 'TOKEN=hunter2-do-not-print\n');
    const digest = crypto.createHash('sha256').update(fs.readFileSync(secret)).digest('hex');
    const card = path.join(s.model, 'model-card.yaml');
    fs.writeFileSync(
      card,
      [
        'artifacts:',
        `  - path: ../secret.env`,
        `    hash: sha256:${'0'.repeat(64)}`,
        `  - path: ${secret}`,
        `    hash: sha256:${'1'.repeat(64)}`,
        'security:',
        '  sbom_ref: ../secret.env',
        '',
      ].join('\n'),
    );
    fs.symlinkSync(secret, path.join(s.model, 'link.env'));
    fs.appendFileSync(card, `model_files:\n  - path: link.env\n    sha256: sha256:${'2'.repeat(64)}\n`);
    for (const args of [
      ['card', card],
      ['gate', s.model, '--policy', s.policy],
      ['inspect', s.model],
    ]) {
      for (const format of ['text', 'json']) {
        const r = cli([...args, '--format', format]);
        const out = r.stdout + r.stderr;
        assert.ok(!out.includes(digest.slice(0, 12)), `${args[0]} ${format} prints the secret's digest:\n${out}`);
        assert.ok(!out.includes('hunter2'), `${args[0]} ${format} echoes the secret:\n${out}`);
      }
    }
  } finally {
    s.cleanup();
  }
});

test('class 6 (leaks): names with control characters reach the terminal escaped', async () => {
  const s = await signedModel(MODEL);
  try {
    const evil = 'x\u001b[2K\r\u001b[32mVERIFIED\u001b[0m\nVERIFIED  fake.sig.bin';
    fs.writeFileSync(path.join(s.model, evil), 'payload');
    for (const args of [
      ['verify', s.model, '--key', s.pub],
      ['gate', s.model, '--policy', s.policy],
      ['inspect', s.model, '--key', s.pub],
    ]) {
      const r = cli(args);
      assert.ok(!/[\u001b\r]/.test(r.stdout + r.stderr), `${args[0]}: raw control characters in the output`);
      assert.ok(!/^VERIFIED {2}fake/m.test(r.stdout), `${args[0]}: a name forged a line of its own`);
      assert.match(r.stdout, /\\x1b\[2K\\x0d/);
    }
  } finally {
    s.cleanup();
  }
});

test('class 6 (leaks): grype and trivy run in a private temporary folder that is removed afterwards', async () => {
  const s = await signedModel(MODEL);
  try {
    const bin = path.join(s.dir, 'bin');
    fs.mkdirSync(bin);
    const log = path.join(s.dir, 'cwd.json');
    fs.writeFileSync(
      path.join(bin, 'grype'),
      `#!${process.execPath}\nconst fs=require('fs');const c=process.cwd();fs.writeFileSync(${JSON.stringify(log)},JSON.stringify({cwd:c,mode:fs.statSync(c).mode&0o777}));process.stdout.write('{"matches":[],"descriptor":{"name":"grype"}}');\n`,
      { mode: 0o755 },
    );
    fs.writeFileSync(
      s.policy,
      SIGNATURES_ONLY.replace('vulnerabilities: { enabled: false }', 'vulnerabilities: { require_report: true }'),
    );
    const r = cli(['gate', s.model, '--policy', s.policy, '--run-tools'], {
      env: { PATH: `${bin}:${process.env.PATH}` },
    });
    const seen = JSON.parse(fs.readFileSync(log, 'utf8')) as { cwd: string; mode: number };
    assert.notEqual(path.resolve(seen.cwd), path.resolve(os.tmpdir()), r.stdout);
    assert.equal(seen.mode, 0o700);
    assert.ok(!fs.existsSync(seen.cwd), 'the private folder is removed');
  } finally {
    s.cleanup();
  }
});

test('class 5 (limits): a scanner the user asked to run that gives no report blocks the gate', async () => {
  const s = await signedModel(MODEL);
  try {
    const bin = path.join(s.dir, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(
      path.join(bin, 'grype'),
      `#!${process.execPath}\nprocess.stderr.write('db update failed');process.exit(3);\n`,
      { mode: 0o755 },
    );
    fs.writeFileSync(
      s.policy,
      SIGNATURES_ONLY.replace('vulnerabilities: { enabled: false }', 'vulnerabilities: { require_report: false }'),
    );
    const r = cli(['gate', s.model, '--policy', s.policy, '--run-tools', '--format', 'json'], {
      env: { PATH: `${bin}:${process.env.PATH}` },
    });
    const j = JSON.parse(r.stdout);
    assert.equal(j.verdict, 'blocked', r.stdout);
    assert.ok(
      j.findings.some(
        (f: { ruleId: string; message: string }) =>
          f.ruleId === 'gate/incomplete' && /grype did not produce a report/.test(f.message),
      ),
    );
  } finally {
    s.cleanup();
  }
});

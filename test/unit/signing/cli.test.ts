import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { cli, safetensorsBytes, sharedFixture } from '../helpers.ts';

/** `model-inspect verify|sign|generate-key-pair` through the built CLI (dist/cli.js). */

const F = sharedFixture('signing');

test('generate-key-pair, sign a folder and a file, verify both; exit codes 0/1/2', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-cli-sign-'));
  try {
    const env = { COSIGN_PASSWORD: 'correct horse' };
    let r = cli(['generate-key-pair'], { cwd: dir, env });
    assert.equal(r.status, 0, r.stderr);
    assert.match(fs.readFileSync(path.join(dir, 'cosign.key'), 'utf8'), /ENCRYPTED SIGSTORE PRIVATE KEY/);
    assert.equal(fs.statSync(path.join(dir, 'cosign.key')).mode & 0o077, 0, 'private key readable by its owner only');
    assert.equal(cli(['generate-key-pair'], { cwd: dir, env }).status, 2, 'never overwrites a key');
    fs.mkdirSync(path.join(dir, 'model'));
    fs.writeFileSync(path.join(dir, 'model', 'w.safetensors'), safetensorsBytes());
    fs.writeFileSync(path.join(dir, 'model', 'config.json'), '{}');
    r = cli(['sign', 'model', '--key', 'cosign.key'], { cwd: dir, env });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(fs.existsSync(path.join(dir, 'model', 'model.sig')));
    assert.equal(
      cli(['sign', 'model', '--key', 'cosign.key'], { cwd: dir, env: { COSIGN_PASSWORD: 'wrong' } }).status,
      2,
    );
    r = cli(['sign', 'model/w.safetensors', '--key', 'cosign.key', '--bundle', 'w.bundle'], { cwd: dir, env });
    assert.equal(r.status, 0, r.stderr);
    r = cli(['verify', 'model', '--key', 'cosign.pub', '--format', 'json'], { cwd: dir });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.verified, true);
    assert.equal(j.signatures[0].format, 'model-signing');
    assert.ok(Array.isArray(j.findings));
    r = cli(['verify', 'model/w.safetensors', '--bundle', 'w.bundle', '--key', 'cosign.pub'], { cwd: dir });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    fs.writeFileSync(path.join(dir, 'model', 'w.safetensors'), 'weightz');
    r = cli(['verify', 'model', '--key', 'cosign.pub'], { cwd: dir });
    assert.equal(r.status, 1);
    assert.match(r.stdout, /w\.safetensors/);
    assert.doesNotMatch(r.stdout + r.stderr, /correct horse/);
    assert.equal(cli(['verify', 'model', '--bundle', 'x', '--signature', 'y'], { cwd: dir }).status, 2);
    assert.equal(cli(['verify', 'nope'], { cwd: dir }).status, 2);
    assert.equal(cli(['verify', 'model', '--certificate-identity-regexp', '('], { cwd: dir }).status, 2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('verify a cosign fixture with cosign flags; a keyless fixture needs identity', { skip: F.skip }, () => {
  const p = (rel: string) => path.join(F.path, rel);
  assert.equal(
    cli(['verify', p('cosign/a.txt'), '--bundle', p('cosign/simple.sigstore.json'), '--key', p('cosign/cosign.pub')])
      .status,
    0,
  );
  const r = cli([
    'verify',
    p('model-transparency/v1.1.0-sigstore'),
    '--certificate-identity',
    'someone@else.com',
    '--certificate-oidc-issuer',
    'https://sigstore.verify.ibm.com/oauth2',
  ]);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /certificate identity: expected "someone@else.com", found "stefanb@us.ibm.com"/);
});

test('generate-key-pair refuses a model folder by default; a key in a model folder is never signed and is reported', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-cli-keyloc-'));
  try {
    const env = { COSIGN_PASSWORD: 'pw' };
    const model = path.join(dir, 'model');
    fs.mkdirSync(path.join(model, 'sub'), { recursive: true });
    fs.writeFileSync(path.join(model, 'w.safetensors'), safetensorsBytes());
    fs.writeFileSync(path.join(model, 'config.json'), '{}');
    // In the model folder and in a folder below it: refused, nothing written.
    for (const cwd of [model, path.join(model, 'sub')]) {
      const r = cli(['generate-key-pair'], { cwd, env });
      assert.equal(r.status, 2, r.stdout + r.stderr);
      assert.match(r.stderr, /inside the model folder/);
      assert.equal(fs.existsSync(path.join(cwd, 'cosign.key')), false);
    }
    // Asked for explicitly: written, with a warning.
    let r = cli(['generate-key-pair', '--output-key-prefix', 'model/cosign'], { cwd: dir, env });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /warning: .*cosign\.key is inside the model folder/);
    // A PEM private key under another name is found by its content.
    fs.writeFileSync(
      path.join(model, 'sub', 'deploy.txt'),
      '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n',
    );
    r = cli(['sign', 'model', '--key', 'model/cosign.key'], { cwd: dir, env });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /cosign\.key is a private key inside the model folder: not signed/);
    assert.match(r.stdout, /sub\/deploy\.txt is a private key/);
    const bundle = JSON.parse(fs.readFileSync(path.join(model, 'model.sig'), 'utf8')) as {
      dsseEnvelope: { payload: string };
    };
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8')) as {
      predicate: { resources: { name: string }[]; serialization: { ignore_paths: string[] } };
    };
    const names = statement.predicate.resources.map((x) => x.name);
    assert.deepEqual(names.sort(), ['config.json', 'cosign.pub', 'w.safetensors']);
    assert.ok(statement.predicate.serialization.ignore_paths.includes('cosign.key'));
    assert.ok(statement.predicate.serialization.ignore_paths.includes('sub/deploy.txt'));
    // The signature verifies (the keys are recorded as ignored, not counted as added files)…
    // (with a copy of the public key from outside: a key inside the inspected folder is never trusted)
    fs.copyFileSync(path.join(model, 'cosign.pub'), path.join(dir, 'trusted.pub'));
    r = cli(['verify', 'model', '--key', 'trusted.pub'], { cwd: dir });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    // …and inspect names each private key as what it is.
    r = cli(['inspect', 'model', '--key', 'trusted.pub', '--format', 'json'], { cwd: dir });
    const found = (JSON.parse(r.stdout) as { findings: { ruleId: string; file?: string }[] }).findings
      .filter((f) => f.ruleId === 'signing/private-key-in-model')
      .map((f) => path.basename(f.file ?? ''));
    assert.deepEqual(found.sort(), ['cosign.key', 'deploy.txt']);
    // Signing a private key file itself is refused.
    r = cli(['sign', 'model/cosign.key', '--key', 'model/cosign.key'], { cwd: dir, env });
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /never signed/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('sign refuses content the scanner flags or could not analyse, unless --allow-flagged', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-cli-flagged-'));
  try {
    const env = { COSIGN_PASSWORD: 'pw' };
    assert.equal(cli(['generate-key-pair'], { cwd: dir, env }).status, 0);
    fs.mkdirSync(path.join(dir, 'model'));
    fs.writeFileSync(path.join(dir, 'model', 'w.safetensors'), safetensorsBytes());
    // A pickle that calls os.system.
    fs.writeFileSync(
      path.join(dir, 'model', 'extra.pkl'),
      Buffer.from('\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03.', 'latin1'),
    );
    let r = cli(['sign', 'model', '--key', 'cosign.key'], { cwd: dir, env });
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /not signing model: the scanner flags extra\.pkl as dangerous/);
    assert.match(r.stderr, /--allow-flagged/);
    assert.equal(fs.existsSync(path.join(dir, 'model', 'model.sig')), false);
    r = cli(['sign', 'model', '--key', 'cosign.key', '--allow-flagged'], { cwd: dir, env });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /warning   signed although the scanner flags extra\.pkl as dangerous/);
    assert.ok(fs.existsSync(path.join(dir, 'model', 'model.sig')));
    // A weight file that is not what its name says is not analysed: refused by itself too.
    fs.writeFileSync(path.join(dir, 'w2.safetensors'), 'not weights');
    r = cli(['sign', 'w2.safetensors', '--key', 'cosign.key'], { cwd: dir, env });
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /w2\.safetensors could not be analysed/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

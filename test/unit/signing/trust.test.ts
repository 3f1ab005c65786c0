import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadTrustedRoot, shippedTrustedRootPath, TrustedRootError } from '../../../src/core/signing/index.ts';
import { checkIdentity, compileSigners, identityPatterns, wholeMatch } from '../../../src/core/signing/policy.ts';

test('the shipped public-good trusted root loads and is valid', () => {
  const p = shippedTrustedRootPath();
  assert.ok(fs.existsSync(p), p);
  const r = loadTrustedRoot();
  assert.ok(r.root.tlogs.length >= 1);
});

test('a trusted root whose log key has no validity start is rejected', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-root-'));
  try {
    const raw = JSON.parse(fs.readFileSync(shippedTrustedRootPath(), 'utf8'));
    delete raw.tlogs[0].publicKey.validFor.start;
    const f = path.join(dir, 'root.json');
    fs.writeFileSync(f, JSON.stringify(raw));
    assert.throws(
      () => loadTrustedRoot(f),
      (e: unknown) => e instanceof TrustedRootError && /no validity start/.test(e.message),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('identity regexes match the whole value and cannot close their anchor; exact values are exact', () => {
  assert.equal(wholeMatch('a@b\\.com').test('xa@b.com'), false);
  assert.equal(wholeMatch('a@b\\.com|c@d\\.com').test('c@d.com.evil'), false);
  for (const escape of ['nobody)|(.*', 'x)|.*|(y', '(?:a)|(?:.*'])
    assert.throws(() => wholeMatch(escape), /must compile on its own/, escape);
  assert.equal(wholeMatch('(?:a)|(?:b)').test('b'), true, 'a balanced alternation is fine');
  assert.throws(() => wholeMatch('a', 'm'), /flag 'm' not allowed/);
  const compile = (p: Parameters<typeof identityPatterns>[0]) => {
    const x = identityPatterns(p);
    return compileSigners(x.identities, x.issuers);
  };
  const p = compile({ certificateIdentity: 'user@example.com', certificateOidcIssuer: 'https://accounts.google.com' });
  assert.deepEqual(checkIdentity(p, 'user@example.com', 'https://accounts.google.com', true), []);
  assert.equal(checkIdentity(p, 'user@exampleXcom', 'https://accounts.google.com', true).length, 1);
  assert.match(
    checkIdentity(p, 'user@example.com', 'https://evil', true)[0],
    /OIDC issuer: expected "https:\/\/accounts.google.com", found "https:\/\/evil"/,
  );
  assert.throws(() => compile({ certificateIdentityRegexp: '(' }), /invalid regular expression/);
});

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { verifyPath } from '../../../src/core/signing/index.ts';
import { sharedFixture } from '../helpers.ts';

/**
 * The whole sigstore-conformance bundle-verify suite (upstream test/assets/bundle-verify): a
 * folder name ending in `_fail` must fail, any other must pass. Artifact: `artifact` in the case
 * folder, else ../a.txt; `key.pub`, `trusted_root.json`, `identity`, `issuer` override defaults.
 */

const suite = sharedFixture('signing/sigstore-conformance');
const publicGood = sharedFixture('signing/trust/trusted_root.public-good.json');
const DEFAULT_IDENTITY =
  'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
const DEFAULT_ISSUER = 'https://token.actions.githubusercontent.com';

const cases = suite.skip
  ? []
  : fs
      .readdirSync(suite.path, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();

test('the conformance suite has its 70 cases', { skip: suite.skip }, () => {
  assert.equal(cases.length, 70);
});

for (const name of cases) {
  test(`conformance ${name}`, { skip: suite.skip || publicGood.skip }, async () => {
    const dir = path.join(suite.path, name);
    const opt = (f: string) => (fs.existsSync(path.join(dir, f)) ? path.join(dir, f) : undefined);
    const read = (f: string) => (opt(f) ? fs.readFileSync(opt(f)!, 'utf8').trim() : undefined);
    const artifact = opt('artifact') ?? path.join(suite.path, 'a.txt');
    const report = await verifyPath(artifact, {
      signature: path.join(dir, 'bundle.sigstore.json'),
      key: opt('key.pub'),
      trustedRoot: opt('trusted_root.json') ?? publicGood.path,
      certificateIdentity: read('identity') ?? DEFAULT_IDENTITY,
      certificateOidcIssuer: read('issuer') ?? DEFAULT_ISSUER,
    });
    const sig = report.signatures[0];
    assert.ok(sig, 'one signature result');
    const expectPass = !name.endsWith('_fail');
    assert.equal(
      sig.verified,
      expectPass,
      `${name}: expected ${expectPass ? 'PASS' : 'FAIL'}; failures: ${sig.failures.join(' | ')}`,
    );
    if (!expectPass) {
      assert.ok(sig.failures.length > 0 && sig.failures.every((f) => f.length > 20), 'a failure is explained in words');
      assert.ok(report.findings.some((f) => f.severity === 'error'));
    } else {
      assert.ok(report.findings.some((f) => f.ruleId === 'signing/verified'));
    }
  });
}

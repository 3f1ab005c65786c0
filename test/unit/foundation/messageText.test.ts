import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import {
  EDITOR_HINTS,
  editorMessage,
  markdownMessage,
  messageParts,
  plainMessage,
  plural,
} from '../../../src/core/messageText.ts';
import { REPO } from '../helpers.ts';

test('code spans are code; everything else of a message is text, whatever it holds', () => {
  assert.deepEqual(messageParts('`security.sbom_ref` refers to `x` by a tag'), [
    { kind: 'code', text: 'security.sbom_ref' },
    { kind: 'text', text: ' refers to ' },
    { kind: 'code', text: 'x' },
    { kind: 'text', text: ' by a tag' },
  ]);
  assert.deepEqual(messageParts('a lone ` backtick'), [{ kind: 'text', text: 'a lone ` backtick' }]);
  assert.equal(plainMessage('`license`: `apache` is not an SPDX id'), 'license: apache is not an SPDX id');
  // a hostile file name with a link, an image and HTML stays text in a hover
  const md = markdownMessage(
    'model ![x](https://evil.example/t.png) [click](command:workbench.action.terminal.new) <img src=x> in `a](b)`',
  );
  assert.ok(!/(^|[^\\])!\[/.test(md) && !/(^|[^\\])\[click\]/.test(md) && !/(^|[^\\])<img/.test(md), md);
  assert.match(md, /`a\]\(b\)`$/, 'code spans keep their text verbatim');
});

test("command-line hints read as the editor's settings; other flags (cosign's in a workflow) are left alone", () => {
  const verify = 'public key: the bundle was signed with a key, and no public key was given to verify it with (--key)';
  assert.doesNotMatch(editorMessage(verify), /--key/);
  assert.match(
    editorMessage(verify),
    /\(the `modelInspect\.signing\.publicKey` setting, or `gate\.signatures\.keys` in the promotion policy\)$/,
  );
  assert.doesNotMatch(
    editorMessage(
      "a raw signature needs the signer's public key, and none was given (--key, the modelInspect.signing.publicKey setting, or gate.signatures.keys)",
    ),
    /--key|setting, the/,
  );
  assert.doesNotMatch(
    editorMessage(
      'needs a user name and password (--registry-username and --registry-password-stdin, or docker login)',
    ),
    /--/,
  );
  const cosign = "cosign verify-blob '--certificate-identity' is unanchored (^…$)";
  assert.equal(editorMessage(cosign), cosign);
  assert.equal(editorMessage('(--not-ours)'), '(--not-ours)');
});

test("every command-line hint in the engine's messages has the editor's words", () => {
  const hints = new Set<string>();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        walk(p);
        continue;
      }
      if (!e.name.endsWith('.ts')) continue;
      for (const line of fs.readFileSync(p, 'utf8').split('\n')) {
        if (/^\s*(\*|\/\/)/.test(line)) continue;
        for (const m of line.matchAll(/\((--[a-z][a-z-]*)(?=[),]| and | or )/g))
          hints.add(`${m[1]} (${path.relative(REPO, p)})`);
      }
    }
  };
  walk(path.join(REPO, 'src', 'core'));
  assert.ok(hints.size >= 4, [...hints].join(', '));
  assert.deepEqual(
    [...hints].filter((h) => !(h.split(' ')[0] in EDITOR_HINTS)),
    [],
  );
});

test('plurals: 1 tensor, 2 tensors, 0 files', () => {
  assert.equal(plural(1, 'tensor'), '1 tensor');
  assert.equal(plural(2, 'tensor'), '2 tensors');
  assert.equal(plural(0, 'file'), '0 files');
  assert.equal(plural(1, 'entry', 'entries'), '1 entry');
});

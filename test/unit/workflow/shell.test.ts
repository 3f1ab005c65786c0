import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseYaml } from '../../../src/core/yaml/document.ts';
import { loadExpressionLib, expressionsIn } from '../../../src/core/workflow/expressions.ts';
import { flagValue, parseScript, pipelineAt } from '../../../src/core/workflow/shell.ts';
import { MappedText, mappedScalar } from '../../../src/core/workflow/text.ts';

const plain = (s: string) => new MappedText(s, [...Array(s.length + 1).keys()]);
const cmds = (s: string) => parseScript(plain(s)).commands;

test('shell: words, quotes, escapes, continuations, operators and wrappers', () => {
  const c = cmds(`FOO=1 sudo -E cosign sign --key "my key" 'a b' c\\ d \\
  --yes ghcr.io/x:\${{ github.ref_name == 'a b' }} && echo "$(date +%s)" | tee -a out || true; # comment
trivy fs . 2>&1 > log`);
  assert.deepEqual(
    c.map((x) => x.name),
    ['cosign', 'echo', 'tee', 'true', 'trivy'],
  );
  assert.deepEqual(
    c[0].assignments.map((w) => w.text),
    ['FOO=1'],
  );
  assert.deepEqual(
    c[0].args.map((w) => w.text),
    ['sign', '--key', 'my key', 'a b', 'c d', '--yes', "ghcr.io/x:${{ github.ref_name == 'a b' }}"],
  );
  assert.equal(flagValue(c[0].args, ['--key'])?.text, 'my key');
  assert.deepEqual([c[0].next, c[1].next, c[2].next, c[3].next], ['&&', '|', '||', ';']);
  assert.deepEqual(
    pipelineAt(c, 2).map((x) => x.name),
    ['echo', 'tee'],
  );
  assert.deepEqual(
    c[4].args.map((w) => w.text),
    ['fs', '.'],
  );
  assert.deepEqual(
    c[4].redirects.map((r) => `${r.op}${r.target?.text ?? ''}`),
    ['>&', '>log'],
  );
});

test('shell: here-documents are bodies, not commands; --flag=value is split', () => {
  const c = cmds(`python - <<'PY'\nimport os\nrm -rf /\nPY\ncosign verify --certificate-identity=a@b.c img`);
  assert.deepEqual(
    c.map((x) => x.name),
    ['python', 'cosign'],
  );
  assert.equal(c[0].heredocs[0].body, 'import os\nrm -rf /\n');
  assert.equal(cmds('command -v cosign || exit 1')[0].name, '', 'command -v only looks the tool up');
  const v = flagValue(c[1].args, ['--certificate-identity'])!;
  assert.equal(v.text, 'a@b.c');
});

test('mapped text: literal and folded blocks and quoted scalars map back to the file', () => {
  const y = 'a: |\n  echo one\n    indented\n  two\nb: >-\n  cosign sign\n  --yes img\nc: "x\\ty ${{ z }}"\n';
  const doc = parseYaml(y);
  const a = mappedScalar(doc, doc.at(['a']))!;
  assert.equal(a.text, 'echo one\n  indented\ntwo\n');
  assert.equal(y[a.at(a.text.indexOf('indented'))], 'i');
  assert.equal(y.slice(a.at(a.text.indexOf('two')), a.at(a.text.indexOf('two')) + 3), 'two');
  const b = mappedScalar(doc, doc.at(['b']))!;
  assert.equal(b.text, 'cosign sign --yes img');
  assert.equal(y.slice(b.at(12), b.at(12) + 5), '--yes');
  const c = mappedScalar(doc, doc.at(['c']))!;
  assert.equal(c.text, 'x\ty ${{ z }}');
  assert.equal(y[c.at(c.text.indexOf('z'))], 'z');
});

test("expressions: references from GitHub's lexer, flow analysis from its parser", async () => {
  const lib = await loadExpressionLib();
  const [e] = expressionsIn(
    plain(
      "${{ contains(github.event.issue.title, 'x') && format('{0}', github.event.issue.body) || steps['my-step'].outputs.digest }}",
    ),
    lib,
  );
  assert.deepEqual(
    e.refs.map((r) => [r.path.join('.'), r.flows]),
    [
      ['github.event.issue.title', false],
      ['github.event.issue.body', true],
      ['steps.my-step.outputs.digest', true],
    ],
  );
  const [bare] = expressionsIn(plain("steps.a.outputs.x == 'y'"), lib, true);
  assert.deepEqual(
    bare.refs.map((r) => r.path.join('.')),
    ['steps.a.outputs.x'],
  );
  const [broken] = expressionsIn(plain('${{ github.event.issue.title +++ }}'), lib);
  assert.ok(broken.invalid);
  assert.equal(broken.refs[0].flows, true, 'unparsable: assume it flows');
});

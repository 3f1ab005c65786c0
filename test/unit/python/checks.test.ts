import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, test } from 'node:test';
import type { Finding } from '../../../src/core/findings.ts';
import { checkPythonWith } from '../../../src/core/python/checks.ts';
import { loadPythonParser, type PythonParser } from '../../../src/core/python/treeSitter.ts';
import { applyFix, pythonHas, pythonWithTorch, runPython, runPythonPrograms } from './pythonHelpers.ts';

let parser: PythonParser;
before(async () => {
  parser = await loadPythonParser();
});

const check = (src: string, context?: string[]): Finding[] => checkPythonWith(parser, src, { file: 'x.py', context });
const rules = (src: string, context?: string[]): string[] => check(src, context).map((f) => f.ruleId);
function only(src: string, ruleId: string): Finding {
  const found = check(src).filter((f) => f.ruleId === ruleId);
  assert.equal(found.length, 1, `one ${ruleId} in:\n${src}\ngot ${JSON.stringify(check(src).map((f) => f.ruleId))}`);
  return found[0];
}
function fixed(src: string, ruleId: string): string {
  const f = only(src, ruleId);
  assert.ok(f.fixes?.length, `${ruleId} has a fix`);
  const out = applyFix(src, f.fixes[0]);
  assert.equal(parsesCleanly(out), true, `rewritten code parses:\n${out}`);
  return out;
}
function parsesCleanly(src: string): boolean {
  const tree = parser.parse(src);
  try {
    return !tree.rootNode.hasError;
  } finally {
    tree.delete();
  }
}

test('grammar: the WASM Python grammar loads with this web-tree-sitter (ABI) and parses', () => {
  assert.equal(parsesCleanly('import torch as t\nx = t.load("a.pt", map_location="cpu")\n'), true);
  assert.equal(parsesCleanly('def (:\n'), false);
});

test('torch.load: recognised through aliases and from-imports, not by spelling', () => {
  assert.deepEqual(rules('import torch\ntorch.load("m.pt")\n'), ['python/torch-load-unsafe']);
  assert.deepEqual(rules('import torch as t\nt.load("m.pt")\n'), ['python/torch-load-unsafe']);
  assert.deepEqual(rules('from torch import load\nload("m.pt")\n'), ['python/torch-load-unsafe']);
  assert.deepEqual(rules('from torch import load as L\nL("m.pt")\n'), ['python/torch-load-unsafe']);
  assert.deepEqual(rules('import torch.serialization\ntorch.serialization.load("m.pt")\n'), [
    'python/torch-load-unsafe',
  ]);
  // torch.hub's loader calls torch.load; its third positional is map_location, not pickle_module.
  const hub = only(
    'import torch\nsd = torch.hub.load_state_dict_from_url(url, None, "cpu")\n',
    'python/torch-load-unsafe',
  );
  assert.equal(
    applyFix('import torch\nsd = torch.hub.load_state_dict_from_url(url, None, "cpu")\n', hub.fixes![0]),
    'import torch\nsd = torch.hub.load_state_dict_from_url(url, None, "cpu", weights_only=True)\n',
  );
  // Not torch: a local `load`, an unrelated module's load, json.load.
  assert.deepEqual(rules('def load(p): pass\nload("m.pt")\n'), []);
  assert.deepEqual(rules('import json\njson.load(open("c.json"))\n'), []);
  assert.deepEqual(rules('torch.load("m.pt")\n'), [], 'no import of torch: unknown name, not flagged');
});

test('torch.load: weights_only=True is clean; False/None flagged; computed and **kwargs left alone', () => {
  assert.deepEqual(rules('import torch\ntorch.load("m.pt", weights_only=True)\n'), []);
  assert.deepEqual(rules('import torch\ntorch.load("m.pt", weights_only=False)\n'), ['python/torch-load-unsafe']);
  assert.deepEqual(rules('import torch\ntorch.load("m.pt", weights_only=None)\n'), ['python/torch-load-unsafe']);
  assert.deepEqual(rules('import torch\ntorch.load("m.pt", weights_only=safe)\n'), []);
  assert.deepEqual(rules('import torch\ntorch.load("m.pt", **opts)\n'), []);
});

test('torch.load fix: adds weights_only=True after the last argument, across lines and trailing commas', () => {
  assert.equal(
    fixed('import torch as t\nsd = t.load("m.pt", map_location="cpu")\n', 'python/torch-load-unsafe'),
    'import torch as t\nsd = t.load("m.pt", map_location="cpu", weights_only=True)\n',
  );
  assert.equal(
    fixed('import torch\nsd = torch.load(\n    path,\n    map_location="cpu",  # cpu\n)\n', 'python/torch-load-unsafe'),
    'import torch\nsd = torch.load(\n    path,\n    map_location="cpu", weights_only=True,  # cpu\n)\n',
  );
  assert.equal(
    fixed('import torch\nsd = torch.load(p, weights_only=False)\n', 'python/torch-load-unsafe'),
    'import torch\nsd = torch.load(p, weights_only=True)\n',
  );
  const f = only('import torch\nm = torch.load(f, pickle_module=dill)\n', 'python/torch-load-unsafe');
  assert.equal(f.fixes, undefined, 'weights_only with pickle_module raises in torch: no fix');
  assert.match(f.message, /PyTorch 2\.6/);
});

test('torch.save fix: save_file with the import, literal path renamed, only when certain', () => {
  const out = fixed(
    '"""Train."""\nimport torch\n\ntorch.save(model.state_dict(), "out/model.pt")\n',
    'python/torch-save-pickle',
  );
  assert.equal(
    out,
    '"""Train."""\nimport torch\nfrom safetensors.torch import save_file\n\nsave_file(model.state_dict(), "out/model.safetensors")\n',
  );
  // Existing imports are reused, with their aliases.
  assert.equal(
    fixed(
      "import torch\nfrom safetensors.torch import save_file as sf\ntorch.save(sd, 'w.bin')\n",
      'python/torch-save-pickle',
    ),
    "import torch\nfrom safetensors.torch import save_file as sf\nsf(sd, 'w.safetensors')\n",
  );
  assert.equal(
    fixed('import torch, safetensors.torch as st\ntorch.save(obj=sd, f="w.pth")\n', 'python/torch-save-pickle'),
    'import torch, safetensors.torch as st\nst.save_file(sd, "w.safetensors")\n',
  );
  // `save_file` already names something else: import the module instead.
  assert.equal(
    fixed('import torch\ndef save_file(): pass\ntorch.save(sd, "w.pt")\n', 'python/torch-save-pickle'),
    'import torch\nimport safetensors.torch\ndef save_file(): pass\nsafetensors.torch.save_file(sd, "w.safetensors")\n',
  );
  // No import above the call: goes after the licence comment, before the use.
  assert.equal(
    fixed('# Copyright\nfrom torch import save\nsave(sd, "a.pt")\n', 'python/torch-save-pickle'),
    '# Copyright\nfrom torch import save\nfrom safetensors.torch import save_file\nsave_file(sd, "a.safetensors")\n',
  );
  // Not certain: computed path, a checkpoint dict literal, optimizer state, extra pickle arguments.
  for (const src of [
    'import torch\ntorch.save(sd, path)\n',
    'import torch\ntorch.save(sd, f"{d}/m.pt")\n',
    'import torch\ntorch.save({"model": sd, "epoch": 3}, "ckpt.pt")\n',
    'import torch\ntorch.save(optimizer.state_dict(), "opt.pt")\n',
    'import torch\ntorch.save(sd, "m.pt", pickle_protocol=4)\n',
  ])
    assert.equal(only(src, 'python/torch-save-pickle').fixes, undefined, src);
});

test('notebook cells: imports from earlier cells count; IPython magics do not break parsing', async () => {
  const { maskIpython } = await import('../../../src/core/python/notebook.ts');
  assert.deepEqual(rules('sd = t.load("m.pt")\n', ['import torch as t\n']), ['python/torch-load-unsafe']);
  const cell = maskIpython('%pip install torch\n!ls\nimport torch\nx = torch.load("a.pt")\n')!;
  assert.equal(parsesCleanly(cell), true);
  assert.deepEqual(rules(cell), ['python/torch-load-unsafe']);
  assert.equal(maskIpython('%%bash\necho hi\n'), undefined);
  // With the import in an earlier cell, the save_file fix adds the import in this cell only when needed.
  const f = checkPythonWith(parser, 'torch.save(sd, "m.pt")\n', {
    context: ['import torch\nfrom safetensors.torch import save_file\n'],
  })[0];
  assert.equal(applyFix('torch.save(sd, "m.pt")\n', f.fixes![0]), 'save_file(sd, "m.safetensors")\n');
});

test('save_pretrained / TrainingArguments with safetensors turned off → True', () => {
  assert.equal(
    fixed('model.save_pretrained("out", safe_serialization=False)\n', 'python/safe-serialization-off'),
    'model.save_pretrained("out", safe_serialization=True)\n',
  );
  assert.equal(
    fixed(
      'from transformers import TrainingArguments\nargs = TrainingArguments("o", save_safetensors=False)\n',
      'python/safe-serialization-off',
    ),
    'from transformers import TrainingArguments\nargs = TrainingArguments("o", save_safetensors=True)\n',
  );
  assert.deepEqual(rules('model.save_pretrained("out", safe_serialization=True)\nmodel.save_pretrained("out")\n'), []);
  const load = only(
    'from transformers import AutoModel\nm = AutoModel.from_pretrained("x", use_safetensors=False)\n',
    'python/safe-serialization-off',
  );
  assert.match(load.message, /loads pickle weights/);
});

test('pickle, joblib, dill, cloudpickle, pandas: warnings naming the risk and the file when known', () => {
  const f = only(
    'import pickle\nwith open("models/clf.pkl", "rb") as fh:\n    clf = pickle.load(fh)\n',
    'python/unpickle-model',
  );
  assert.match(f.message, /'models\/clf\.pkl' \(a pickled model file\)/);
  assert.match(f.message, /runs any code/);
  assert.equal(f.fixes, undefined);
  assert.deepEqual(rules('import joblib as jl\nm = jl.load("m.joblib")\n'), ['python/unpickle-model']);
  assert.deepEqual(rules('from dill import loads\nloads(b)\n'), ['python/unpickle-model']);
  assert.deepEqual(rules('import cloudpickle\ncloudpickle.load(open("f.pkl", "rb"))\n'), ['python/unpickle-model']);
  assert.deepEqual(rules('import pandas as pd\ndf = pd.read_pickle("df.pkl")\n'), ['python/unpickle-model']);
  assert.deepEqual(rules('import pickle\npickle.dumps(x)\nimport pandas as pd\npd.read_csv("a.csv")\n'), []);
});

test('numpy.load(allow_pickle=True) → allow_pickle=False', () => {
  assert.equal(
    fixed('import numpy as np\nx = np.load("a.npy", allow_pickle=True)\n', 'python/numpy-allow-pickle'),
    'import numpy as np\nx = np.load("a.npy", allow_pickle=False)\n',
  );
  assert.deepEqual(rules('import numpy as np\nx = np.load("a.npy")\ny = np.load("a.npy", allow_pickle=False)\n'), []);
});

test('positions are UTF-16 columns (non-ASCII text before the call)', () => {
  const f = only('import torch\nx = "é😀"; y = torch.load(p)\n', 'python/torch-load-unsafe');
  assert.deepEqual(f.range!.start, { line: 1, character: 'x = "é😀"; y = '.length });
});

test('hostile and broken input: a syntax error elsewhere does not stop the checks; deep nesting does not crash', () => {
  assert.deepEqual(rules('import torch\ndef f(:\n    pass\nm = torch.load("m.pt")\n'), ['python/torch-load-unsafe']);
  const deep = 'x = ' + '('.repeat(3000) + '1' + ')'.repeat(3000) + '\n';
  assert.deepEqual(rules(deep), []);
});

test('any text, including mangled Python around the calls it knows, gives findings or nothing, never an exception', async () => {
  const fc = (await import('fast-check')).default;
  const pieces = [
    'import torch as t\n',
    'from torch import load\n',
    't.load(',
    'load(',
    'weights_only=',
    'True',
    'False',
    ')',
    '(',
    '"m.pt"',
    ',',
    '\n',
    '    ',
    'torch.save(sd, ',
    'np.load(',
    'allow_pickle=True',
    '%pip',
    '#',
    '"""',
    'é😀',
  ];
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.constantFrom(...pieces), fc.string()), { maxLength: 40 }), (parts) => {
      const src = parts.join('');
      for (const f of check(src)) {
        assert.ok(f.range && f.range.start.line <= f.range.end.line);
        for (const fix of f.fixes ?? []) if (fix.kind === 'edit') applyFix(src, fix);
      }
    }),
    { numRuns: 300, seed: 11 },
  );
});

// ---- the rewritten code really runs (real PyTorch), not just parses ----
const py = pythonWithTorch();

test(
  'rewritten torch.load and numpy.load run against real tensors in a subprocess',
  { skip: py.python ? false : py.reason },
  () => {
    const python = py.python!;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-pyfix-'));
    try {
      const rewritten = [
        'import torch as t\nsd = t.load("model.pt", map_location="cpu")\nprint(float(sd["w"].sum()))\n',
        'from torch import load\nsd = load(\n    "model.pt",\n)\nprint(float(sd["w"].sum()))\n',
        'import torch\nsd = torch.load("model.pt", weights_only=False)\nprint(float(sd["w"].sum()))\n',
      ].map((src) => fixed(src, 'python/torch-load-unsafe'));
      for (const out of rewritten) assert.match(out, /weights_only=True/);
      rewritten.push(
        fixed(
          'import numpy as np\nx = np.load("a.npy", allow_pickle=True)\nprint(int(x.sum()))\n',
          'python/numpy-allow-pickle',
        ),
      );
      const setup =
        'import torch\ntorch.save({"w": torch.arange(6.).reshape(2, 3)}, "model.pt")\nimport numpy as np\nnp.save("a.npy", np.arange(4))\n';
      const printed = runPythonPrograms(python, [setup, ...rewritten], dir)
        .slice(1)
        .map((s) => s.trim());
      assert.deepEqual(printed, ['15.0', '15.0', '15.0', '6']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  'rewritten torch.save runs: real safetensors when installed, else a stub that checks the call shape',
  { skip: py.python ? false : py.reason },
  (t) => {
    const python = py.python!;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-pyfix-'));
    try {
      const env: Record<string, string> = {};
      if (!pythonHas(python, 'safetensors')) {
        // The safetensors Python package is not installable offline here: a stub with the same
        // signature checks that the rewritten call passes a dict of tensors and a .safetensors path.
        t.diagnostic('safetensors (Python) is absent: save_file replaced by a signature-checking stub');
        fs.mkdirSync(path.join(dir, 'stub', 'safetensors'), { recursive: true });
        fs.writeFileSync(path.join(dir, 'stub', 'safetensors', '__init__.py'), '');
        fs.writeFileSync(
          path.join(dir, 'stub', 'safetensors', 'torch.py'),
          [
            'import torch',
            'def save_file(tensors, filename, metadata=None):',
            '    assert isinstance(tensors, dict) and all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in tensors.items()), tensors',
            '    assert str(filename).endswith(".safetensors"), filename',
            '    open(filename, "wb").write(b"stub")',
            'def save_model(model, filename, metadata=None, force_contiguous=False):',
            '    assert isinstance(model, torch.nn.Module), model',
            '    save_file(dict(model.state_dict()), filename)',
            '',
          ].join('\n'),
        );
        env.PYTHONPATH = path.join(dir, 'stub');
      }
      const src =
        'import torch\nmodel = torch.nn.Linear(2, 3)\ntorch.save(model.state_dict(), "lin.pt")\nprint("saved")\n';
      const f = only(src, 'python/torch-save-pickle');
      assert.deepEqual(
        f.fixes!.map((x) => x.title.split(' (')[0]),
        ['Save with safetensors.torch.save_file', 'Save with safetensors.torch.save_model'],
      );
      const rewritten = f.fixes!.map((fix) => applyFix(src, fix));
      assert.match(
        rewritten[1],
        /from safetensors\.torch import save_model\n[\s\S]*save_model\(model, "lin\.safetensors"\)/,
      );
      for (const out of rewritten) {
        assert.equal(parsesCleanly(out), true, out);
        fs.rmSync(path.join(dir, 'lin.safetensors'), { force: true });
        assert.equal(runPython(python, out, dir, env).trim(), 'saved');
        assert.ok(fs.existsSync(path.join(dir, 'lin.safetensors')));
        assert.ok(!fs.existsSync(path.join(dir, 'lin.pt')));
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('deep nesting and long attribute chains: imports are collected and names qualified without recursion (12,000 levels overflowed the stack)', () => {
  const n = 12_000;
  const nested = `import torch\nx = torch.load(${'f('.repeat(n)}'m.pt'${')'.repeat(n)})\n`;
  assert.ok(rules(nested).includes('python/torch-load-unsafe'), JSON.stringify(rules(nested)));
  const chain = `import torch\ny = torch${'.a'.repeat(n)}\nz = torch.load('m.pt')\n`;
  assert.ok(rules(chain).includes('python/torch-load-unsafe'), JSON.stringify(rules(chain)));
});

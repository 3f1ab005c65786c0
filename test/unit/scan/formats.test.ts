import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, test } from 'node:test';
import { createBunzip2 } from '../../../src/core/scan/io/bzip2.ts';
import { OutputLimitError } from '../../../src/core/scan/io/source.ts';
import { scanBytes, scanFile, scanPaths } from '../../../src/core/scan/scanner.ts';
import type { FileScanResult } from '../../../src/core/scan/types.ts';
import { REPO, cli } from '../helpers.ts';
import { P, makeGguf, makeSafetensors, makeZip, p0Call, p4Call } from './build.ts';
import { loaderRan, loaderSkip, markerCall } from './python.ts';

const REAL = path.join(REPO, 'test', 'fixtures', 'scan', 'real');
const rules = (r: FileScanResult, severity?: string) =>
  r.findings.filter((f) => !severity || f.severity === severity).map((f) => f.ruleId);
const dangerous = (r: FileScanResult) => r.findings.some((f) => f.severity === 'error');
const payload = p0Call('os', 'system');
const payload4 = p4Call('os', 'system');

describe('real fixtures made with PyTorch, NumPy, scikit-learn and joblib', () => {
  const expect: Record<string, { format: string; verdict: 'clean' | 'review' | 'dangerous' | 'incomplete' }> = {
    'torch_state_dict.pt': { format: 'pytorch-zip', verdict: 'clean' },
    'torch_state_dict_p4.pt': { format: 'pytorch-zip', verdict: 'clean' },
    'torch_legacy.pt': { format: 'pytorch-legacy', verdict: 'clean' },
    'torch_payload.pt': { format: 'pytorch-zip', verdict: 'dangerous' },
    'torch_legacy_payload.pt': { format: 'pytorch-legacy', verdict: 'dangerous' },
    'torchscript.pt': { format: 'torchscript', verdict: 'review' },
    'numpy_float.npy': { format: 'numpy', verdict: 'clean' },
    'numpy_object.npy': { format: 'numpy', verdict: 'review' },
    'arrays.npz': { format: 'npz', verdict: 'clean' },
    'arrays_compressed.npz': { format: 'npz', verdict: 'dangerous' },
    'sklearn_logreg.joblib': { format: 'joblib', verdict: 'review' },
    'sklearn_logreg.pkl': { format: 'pickle', verdict: 'review' },
    'sklearn_logreg_zlib.joblib': { format: 'zlib', verdict: 'review' },
    'sklearn_logreg_gzip.joblib': { format: 'gzip', verdict: 'review' },
    'sklearn_logreg_bz2.joblib': { format: 'bzip2', verdict: 'review' },
    'sklearn_logreg_xz.joblib': { format: 'xz', verdict: 'review' },
    'sklearn_logreg_lzma.joblib': { format: 'lzma', verdict: 'review' },
    'joblib_array_then_payload.joblib': { format: 'joblib', verdict: 'dangerous' },
    'payload_p0.pkl': { format: 'pickle', verdict: 'dangerous' },
    'payload_p2.pkl': { format: 'pickle', verdict: 'dangerous' },
    'payload_p4.pkl': { format: 'pickle', verdict: 'dangerous' },
    'payload.pkl.gz': { format: 'gzip', verdict: 'dangerous' },
    'payload.pkl.bz2': { format: 'bzip2', verdict: 'dangerous' },
    'payload.pkl.xz': { format: 'xz', verdict: 'dangerous' },
    'benign_all_protocols.pkl': { format: 'pickle', verdict: 'clean' },
  };
  for (const [file, want] of Object.entries(expect)) {
    test(`${file}: ${want.format}, ${want.verdict}`, async () => {
      const r = await scanFile(path.join(REAL, file));
      assert.equal(r.format, want.format);
      const verdict = dangerous(r)
        ? 'dangerous'
        : !r.complete
          ? 'incomplete'
          : r.findings.some((f) => f.severity === 'warning')
            ? 'review'
            : 'clean';
      assert.equal(
        verdict,
        want.verdict,
        JSON.stringify(
          r.findings.map((f) => `${f.ruleId} ${f.message}`),
          null,
          1,
        ),
      );
    });
  }

  test('the joblib payload after inline array data is found at its real offset', async () => {
    const r = await scanFile(path.join(REAL, 'joblib_array_then_payload.joblib'));
    const f = r.findings.find((x) => x.ruleId === 'scan/pickle-dangerous-import');
    assert.ok(f && f.offset && f.offset > 1000, 'payload sits after the array bytes');
    assert.ok(!rules(r).includes('scan/pickle-frame-violation'), 'joblib array data between frames is not a violation');
  });
});

describe('zip containers (tolerant like torch.load)', () => {
  const torchZip = (data: Buffer, extra: Partial<Parameters<typeof makeZip>[0][0]> = {}) =>
    makeZip([
      { name: 'archive/data.pkl', data, ...extra },
      { name: 'archive/byteorder', data: Buffer.from('little') },
      { name: 'archive/data/0', data: Buffer.alloc(16) },
    ]);

  test('1: flag bits 0x1/0x20/0x40 are ignored and the payload found', async () => {
    for (const flags of [0x1, 0x20, 0x40]) {
      const r = await scanBytes(torchZip(payload, { flags }), 'm.pt');
      assert.equal(r.format, 'pytorch-zip');
      assert.ok(dangerous(r), `flags ${flags}`);
    }
  });

  test('2/3: local/central name mismatch and CRC mismatch', async () => {
    const a = await scanBytes(torchZip(payload, { localName: 'archive/datap.kl' }), 'm.pt');
    assert.ok(dangerous(a));
    assert.ok(rules(a).includes('scan/archive-malformed'));
    assert.ok(dangerous(await scanBytes(torchZip(payload, { badCrc: true, deflate: true }), 'm.pt')));
  });

  test('4/13: a pickle in a member with another name (data.txt, config.json), protocol 0 too', async () => {
    const r = await scanBytes(
      makeZip([
        { name: 'archive/data.txt', data: payload },
        { name: 'archive/config.json', data: payload4 },
      ]),
      'm.zip',
    );
    assert.equal(r.findings.filter((f) => f.severity === 'error').length, 2);
  });

  test('9: a corrupt member before data.pkl does not stop the scan', async () => {
    const bad = makeZip([
      { name: 'archive/broken.bin', data: Buffer.from('xxxx'), deflate: false },
      { name: 'archive/data.pkl', data: payload4, deflate: true },
    ]);
    // Corrupt the first member's deflate method so it cannot be decompressed.
    const r = await scanBytes(bad, 'm.pt');
    assert.ok(dangerous(r));
  });

  test('10: PK\\x07\\x08 spanned marker and prefix data before the archive', async () => {
    const r = await scanBytes(
      makeZip([{ name: 'model/weights.pkl', data: payload4 }], Buffer.from('PK\x07\x08', 'latin1')),
      'm.zip',
    );
    assert.equal(r.format, 'zip');
    assert.ok(dangerous(r));
  });

  test('bzip2-compressed zip members (method 12) are decompressed and scanned', async () => {
    const z = makeZip([{ name: 'a/data.pkl', data: fs.readFileSync(path.join(REAL, 'payload.pkl.bz2')) }]);
    z.writeUInt16LE(12, 8);
    z.writeUInt16LE(12, z.lastIndexOf(Buffer.from('PK\x01\x02', 'latin1')) + 10);
    assert.ok(dangerous(await scanBytes(z, 'm.zip')));
  });

  test('nested zip in zip, gzip in zip', async () => {
    const inner = makeZip([{ name: 'inner/data.pkl', data: payload4 }]);
    const r = await scanBytes(
      makeZip([
        { name: 'outer.zip', data: inner, deflate: true },
        { name: 'p.pkl.gz', data: zlib.gzipSync(payload) },
      ]),
      'm.zip',
    );
    assert.equal(r.findings.filter((f) => f.severity === 'error').length, 2);
    assert.ok(r.findings.some((f) => f.member === 'outer.zip!/inner/data.pkl'));
  });

  test('decompression bomb ends as incomplete, never as clean or malicious', async () => {
    const zeros = Buffer.alloc(100 << 20);
    const r = await scanBytes(makeZip([{ name: 'bomb.bin', data: zeros, deflate: true }]), 'bomb.zip', {
      limits: { maxRatio: 10 },
    });
    assert.ok(rules(r).includes('scan/incomplete'), 'declared size vs compressed size');
    assert.equal(r.complete, false);
    assert.ok(!dangerous(r));
    // A gzip wrapper around an endless valid pickle (NONE, POP, …): the output cap stops it.
    const endless = zlib.gzipSync(Buffer.concat([Buffer.from([0x80, 2]), Buffer.alloc(60 << 20, 'N0')]));
    const g = await scanBytes(endless, 'bomb.pkl.gz', { limits: { maxRatio: 10 } });
    assert.ok(g.findings.some((f) => f.ruleId === 'scan/incomplete' && /decompresses to more than/.test(f.message)));
    assert.ok(!dangerous(g));
  });

  test('deeply nested archives stop at the depth limit with a finding', async () => {
    let z = makeZip([{ name: 'data.pkl', data: payload4 }]);
    for (let i = 0; i < 10; i++) z = makeZip([{ name: `level${i}.zip`, data: z }]);
    const r = await scanBytes(z, 'deep.zip');
    assert.ok(rules(r).includes('scan/incomplete'));
    assert.equal(r.complete, false);
  });

  test('path traversal and executable members', async () => {
    const r = await scanBytes(
      makeZip([
        { name: '../evil.pkl', data: Buffer.from('hi') },
        { name: 'run.sh', data: Buffer.from('echo') },
      ]),
      'x.zip',
    );
    assert.equal(rules(r).filter((x) => x === 'scan/archive-unsafe').length, 2);
  });

  test('Keras v3 archive: Lambda layer and foreign module', async () => {
    const config = JSON.stringify({
      class_name: 'Functional',
      config: {
        layers: [
          { module: 'keras.layers', class_name: 'Dense', config: { name: 'd' } },
          {
            module: 'keras.layers',
            class_name: 'Lambda',
            config: { name: 'l', function: { class_name: '__lambda__', config: { code: '4wEAAAAAAAAA' } } },
          },
          { module: 'evil_pkg.layers', class_name: 'Custom', registered_name: 'evil>Custom', config: { name: 'c' } },
        ],
      },
    });
    const r = await scanBytes(
      makeZip([
        { name: 'metadata.json', data: Buffer.from('{}') },
        { name: 'config.json', data: Buffer.from(config), deflate: true },
        { name: 'model.weights.h5', data: Buffer.from('\x89HDF\r\n\x1a\n', 'latin1') },
      ]),
      'm.keras',
    );
    assert.equal(r.format, 'keras');
    assert.ok(rules(r, 'error').includes('scan/keras-lambda'));
    assert.ok(rules(r).includes('scan/keras-foreign-module'));
  });
});

describe('format validators', () => {
  const good = {
    a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
    e: { dtype: 'BF16', shape: [0], data_offsets: [16, 16] },
    __metadata__: { format: 'pt' },
  };

  test('safetensors: valid file is clean', async () => {
    const r = await scanBytes(makeSafetensors(good, 16), 'm.safetensors');
    assert.equal(r.format, 'safetensors');
    assert.deepEqual(rules(r), ['scan/scanned']);
  });

  test('safetensors: each spec violation is reported with an offset', async () => {
    const cases: [string, Buffer][] = [
      ['trailing bytes (polyglot)', Buffer.concat([makeSafetensors(good, 16), Buffer.from('PK')])],
      [
        'overlap',
        makeSafetensors(
          {
            a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
            b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
          },
          12,
        ),
      ],
      ['gap', makeSafetensors({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8)],
      ['size mismatch', makeSafetensors({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8)],
      ['unknown dtype', makeSafetensors({ a: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }, 16)],
      ['non-string metadata', makeSafetensors({ __metadata__: { n: 1 } }, 0)],
      ['header length past EOF', Buffer.concat([Buffer.from([0xff, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{"a":1}')])],
      ['huge header length', Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0, 0x40]), Buffer.from('{}')])],
    ];
    for (const [name, b] of cases) {
      const r = await scanBytes(b, 'm.safetensors');
      const f = r.findings.find((x) => x.ruleId === 'scan/safetensors-invalid');
      assert.ok(f, name);
      assert.equal(typeof f.offset, 'number', name);
    }
  });

  test('safetensors: suspicious metadata', async () => {
    const r = await scanBytes(
      makeSafetensors({ __metadata__: { note: "__import__('os').system('id')" } }, 0),
      'm.safetensors',
    );
    assert.ok(rules(r).includes('scan/safetensors-metadata'));
  });

  test('GGUF: valid, bad version, bad alignment, chat template SSTI', async () => {
    const ok = makeGguf(
      [
        ['general.architecture', 'llama'],
        ['general.alignment', 32],
      ],
      [{ name: 'w', dims: [32, 2] }],
    );
    assert.deepEqual(rules(await scanBytes(ok, 'm.gguf')), ['scan/scanned']);
    assert.ok(
      rules(
        await scanBytes(makeGguf([['general.architecture', 'llama']], [], { version: 0x03000000 }), 'm.gguf'),
      ).includes('scan/gguf-invalid'),
    );
    assert.ok(
      rules(
        await scanBytes(
          makeGguf([
            ['general.architecture', 'llama'],
            ['general.alignment', 24],
          ]),
          'm.gguf',
        ),
      ).includes('scan/gguf-invalid'),
    );
    assert.ok(
      rules(await scanBytes(makeGguf([]), 'm.gguf')).includes('scan/gguf-invalid'),
      'missing general.architecture',
    );
    const ssti = makeGguf([
      ['general.architecture', 'llama'],
      ['tokenizer.chat_template', "{{ ''.__class__.__mro__[1].__subclasses__() }}"],
    ]);
    assert.ok(rules(await scanBytes(ssti, 'm.gguf'), 'error').includes('scan/gguf-chat-template'));
    const huge = Buffer.concat([
      Buffer.from('GGUF'),
      Buffer.from([3, 0, 0, 0]),
      Buffer.alloc(8),
      Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]),
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f]),
    ]);
    assert.ok(rules(await scanBytes(huge, 'm.gguf')).includes('scan/gguf-invalid'), '2^62-byte key length');
  });

  test('npy: bad header, object array with a payload', async () => {
    const hdr = "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }";
    const text = hdr.padEnd(118 - 1, ' ') + '\n';
    const h = Buffer.alloc(10);
    Buffer.from('\x93NUMPY\x01\x00', 'latin1').copy(h);
    h.writeUInt16LE(text.length, 8);
    const r = await scanBytes(Buffer.concat([h, Buffer.from(text), payload]), 'a.npy');
    assert.ok(rules(r).includes('scan/npy-object-array'));
    assert.ok(dangerous(r));
    const bad = await scanBytes(Buffer.from('\x93NUMPY\x09\x00\x10\x00', 'latin1'), 'a.npy');
    assert.ok(rules(bad).includes('scan/npy-invalid'));
  });

  test('GGUF chat templates: internals named behind escapes, built from pieces or reached by subscript are found (jinja2 renders them); real templates and text outside code are clean', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gguf-tpl-'));
    const marker = path.join(dir, 'marker');
    const run = `os.popen('touch ${marker}').read()`;
    const hostile = [
      `{{ cycler['\\x5f\\x5finit\\x5f\\x5f']['\\x5f\\x5fglobals\\x5f\\x5f'].${run} }}`,
      `{{ (joiner|attr('%c%cinit%c%c'|format(95,95,95,95))|attr('%c%cglobals%c%c'|format(95,95,95,95))).os|attr('popen')('touch ${marker}') }}`,
      `{{ (cycler|attr('\\N{LOW LINE}\\N{LOW LINE}init\\N{LOW LINE}\\N{LOW LINE}')|attr('\\N{LOW LINE}\\N{LOW LINE}globals\\N{LOW LINE}\\N{LOW LINE}')).os|attr('popen')('touch ${marker}') }}`,
      `{% set x = '_' %}{% set i = x*2 ~ 'init' ~ x*2 %}{% set g = x*2 ~ 'globals' ~ x*2 %}{{ (cycler|attr(i)|attr(g)).os|attr('popen')('touch ${marker}') }}`,
      `{% set u = '_' ~ '_' %}{% for f in [cycler]|map(attribute=u ~ 'init' ~ u)|map(attribute=u ~ 'globals' ~ u) %}{{ f.${run} }}{% endfor %}`,
      `{% set c = (lipsum|string)[18] %}{{ c }}`,
      `{{ self._TemplateReference__context }}`,
      `{{ dict(__init__=1)|first }}`,
    ];
    const benign = [
      "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}",
      "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\\n'}}{% endif %}",
      "{%- if tools %}{{- '<|im_start|>system\\n' }}{%- for tool in tools %}{{- tool | tojson }}{%- endfor %}{%- endif %}{%- for message in messages %}{%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != 'tool') %}{{- '<|im_start|>user' }}{%- endif %}{%- if message.tool_calls %}{%- for tool_call in message.tool_calls %}{%- if tool_call.function is defined %}{%- set tool_call = tool_call.function %}{%- endif %}{{- tool_call.arguments | tojson }}{%- endfor %}{%- endif %}{%- endfor %}",
      "{% set ns = namespace(is_first=false, system_prompt='') %}{%- for message in messages %}{%- if message['role'] == 'system' %}{% set ns.system_prompt = message['content'] %}{%- endif %}{%- endfor %}{{ bos_token }}{{ ns.system_prompt }}{%- for message in messages %}{%- if message['role'] == 'assistant' and message['content'] is not none %}{% set content = message['content'] %}{% if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}{{'<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>'}}{%- endif %}{%- endfor %}",
      "{{ messages | map(attribute='content') | join('\\n') }}{{ '[%s] ' % messages[0]['role'] }}{% set date = strftime_now('%d %b %Y') %}{{ 'call_' ~ messages|length }}",
      "Python's __init__ and __globals__ are mentioned in this text, not in code. {# also __class__ in a comment #}{{ messages[0]['content'] }}{% if '__' not in messages[0]['content'] %}ok{% endif %}",
    ];
    for (const tpl of hostile) {
      const r = await scanBytes(
        makeGguf([
          ['general.architecture', 'llama'],
          ['tokenizer.chat_template', tpl],
        ]),
        'm.gguf',
      );
      assert.ok(rules(r, 'error').includes('scan/gguf-chat-template'), tpl);
    }
    for (const tpl of benign) {
      const r = await scanBytes(
        makeGguf([
          ['general.architecture', 'llama'],
          ['tokenizer.chat_template', tpl],
        ]),
        'm.gguf',
      );
      assert.deepEqual(
        rules(r).filter((x) => x !== 'scan/scanned'),
        [],
        tpl,
      );
    }
    if (!loaderSkip('jinja2')) {
      // What llama-cpp-python <= 0.2.71 did: a plain jinja2.Environment renders the template.
      for (const tpl of hostile.slice(0, 5)) {
        const file = path.join(dir, 'tpl.j2');
        fs.writeFileSync(file, tpl);
        const r = loaderRan(
          file,
          marker,
          "import jinja2\njinja2.Environment().from_string(open(path).read()).render(messages=[{'role': 'user', 'content': 'hi'}])",
        );
        assert.ok(r.ran, `jinja2 runs ${tpl}: ${r.output}`);
      }
    }
  });

  test('header readers do linear work on hostile sizes: a .npy dict of thousands of keys, chat templates of nested subscripts', async () => {
    const { parsePyLiteral } = await import('../../../src/core/scan/formats/pyLiteral.ts');
    const { chatTemplateEscape } = await import('../../../src/core/scan/formats/chatTemplate.ts');
    // Keys compared with every earlier key (findIndex) made a 40 KB header take seconds: count the comparisons.
    const keyComparisons = (n: number): number => {
      const text = `{${Array.from({ length: n }, (_, i) => `${i}: 1`).join(', ')}, 'descr': '<f8'}`;
      let visits = 0;
      const original = Array.prototype.findIndex;
      Array.prototype.findIndex = function (this: unknown[], ...args: Parameters<typeof original>) {
        visits += this.length;
        return original.apply(this, args);
      };
      try {
        assert.ok(parsePyLiteral(text));
      } finally {
        Array.prototype.findIndex = original;
      }
      return visits;
    };
    const k1 = keyComparisons(2000);
    const k2 = keyComparisons(4000);
    assert.ok(k2 <= 2.2 * k1 + 4000, `key lookups grew from ${k1} to ${k2} when the keys doubled`);
    const nested = (n: number) => `{{ ${'a['.repeat(n)}1${']'.repeat(n)} }}`;
    const w1 = { units: 0 };
    const w2 = { units: 0 };
    assert.equal(chatTemplateEscape(nested(5000), w1), undefined);
    assert.equal(chatTemplateEscape(nested(10_000), w2), undefined);
    assert.ok(w1.units > 0, 'the meter counts');
    assert.ok(w2.units <= 2.2 * w1.units, `work grew ${(w2.units / w1.units).toFixed(2)}× when the nesting doubled`);
  });

  /** A v1.0 .npy file with the header text as written (padded as numpy pads it) and `data` after it. */
  function npyFile(header: string, data: Buffer): Buffer {
    const body = Buffer.from(header, 'latin1');
    const pad = (64 - ((10 + body.length + 1) % 64)) % 64;
    const text = Buffer.concat([body, Buffer.alloc(pad, 0x20), Buffer.from('\n')]);
    const h = Buffer.alloc(10);
    Buffer.from('\x93NUMPY\x01\x00', 'latin1').copy(h);
    h.writeUInt16LE(text.length, 8);
    return Buffer.concat([h, text, data]);
  }

  test('npy: the header is read as np.load reads it (a Python literal), so every spelling of an object dtype has its pickle scanned', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'npy-descr-'));
    const marker = path.join(dir, 'marker');
    const listPayload = Buffer.concat([Buffer.from('\x80\x02](', 'latin1'), markerCall(marker), Buffer.from('e.')]);
    const skip = loaderSkip('numpy');
    for (const descr of [
      "'object'",
      "u'|O'",
      "'<f8', 'descr': '|O'",
      "'\\x4f'",
      "'|' 'O'",
      "r'O'",
      "'O' # comment\n",
      "[('a', '<O')]",
      "[('a', [('b', 'O')])]",
      "[(('title', 'a'), 'O')]",
      "'i4,O'",
      "['aO']",
      "('O', (1,))",
    ]) {
      const header = `{'descr': ${descr}, 'fortran_order': False, 'shape': (1,), }`;
      const bytes = npyFile(header, listPayload);
      const r = await scanBytes(bytes, 'a.npy');
      assert.ok(
        r.findings.some((f) => f.severity === 'error' && f.message.includes('builtins.exec')),
        `${descr}: ${JSON.stringify(r.findings.map((f) => [f.ruleId, f.message]))}`,
      );
      if (!skip) {
        const file = path.join(dir, 'a.npy');
        fs.writeFileSync(file, bytes);
        assert.ok(
          loaderRan(file, marker, 'import numpy\nnumpy.load(path, allow_pickle=True)').ran,
          `${descr}: np.load runs the pickle`,
        );
      }
    }
  });

  test('npy: numeric headers numpy reads are clean (Python 2 long suffixes, comments, continuations); a header not understood with numbers after it is only a warning', async () => {
    for (const header of [
      "{'descr': '<f8', 'fortran_order': False, 'shape': (2L, 1L), }",
      "{'descr': '<f8', # x\n 'fortran_order': False, 'shape': (2, 1), }",
      "{'descr': [('x', '<i4'), ('y', '<f4')], 'fortran_order': False, 'shape': (2,), }",
      "{'descr': '<U1', 'fortran_order': True, 'shape': (4,), }",
    ]) {
      const r = await scanBytes(npyFile(header, Buffer.alloc(16)), 'a.npy');
      assert.deepEqual(
        rules(r).filter((x) => x !== 'scan/scanned'),
        [],
        `${header}: ${JSON.stringify(r.findings.map((f) => f.message))}`,
      );
    }
    const odd = await scanBytes(
      npyFile("{'descr': 'zz9', 'fortran_order': False, 'shape': (2,), }", Buffer.alloc(16, 0x41)),
      'a.npy',
    );
    assert.deepEqual(rules(odd, 'error'), []);
    assert.ok(rules(odd, 'warning').includes('scan/npy-invalid'));
  });

  test('Keras H5: model_config with a Lambda layer found without an HDF5 parser', async () => {
    const cfg = JSON.stringify({
      class_name: 'Sequential',
      config: { layers: [{ class_name: 'Lambda', config: { name: 'lam', function: ['4wEAAAAA', null, null] } }] },
    });
    const h5 = Buffer.concat([
      Buffer.from('\x89HDF\r\n\x1a\n', 'latin1'),
      Buffer.alloc(200),
      Buffer.from('model_config\0'),
      Buffer.from(cfg),
      Buffer.alloc(64),
    ]);
    const r = await scanBytes(h5, 'm.h5');
    assert.equal(r.format, 'hdf5');
    assert.ok(rules(r, 'error').includes('scan/keras-lambda'));
  });

  test('tar archive and the legacy PyTorch tar layout', async () => {
    const tarEntry = (name: string, data: Buffer): Buffer => {
      const h = Buffer.alloc(512);
      h.write(name, 0);
      h.write('0000644\0', 100);
      h.write('0000000\0', 108);
      h.write('0000000\0', 116);
      h.write(data.length.toString(8).padStart(11, '0') + '\0', 124);
      h.write('00000000000\0', 136);
      h.write('0', 156);
      h.write('ustar\0', 257);
      h.write('00', 263);
      h.write('        ', 148);
      let sum = 0;
      for (const b of h) sum += b;
      h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
      return Buffer.concat([h, data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
    };
    const tar = Buffer.concat([
      tarEntry('sys_info', new P().proto(2).op('}').stop().bytes()),
      tarEntry('pickle', payload4),
      tarEntry('storages', new P().proto(2).int(0).stop().bytes()),
      tarEntry('tensors', new P().proto(2).int(0).stop().bytes()),
      Buffer.alloc(1024),
    ]);
    const r = await scanBytes(tar, 'm.pt');
    assert.equal(r.format, 'pytorch-tar');
    assert.ok(dangerous(r));
  });
});

describe('scanPaths and the CLI', () => {
  test('folders are walked and routed by content, whatever the file names', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scan-'));
    fs.writeFileSync(path.join(dir, 'README.md'), '# hi\n');
    fs.writeFileSync(path.join(dir, 'weights'), payload4);
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.writeFileSync(
      path.join(dir, 'sub', 'model.safetensors'),
      makeSafetensors({ a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } }, 1),
    );
    const seen: number[] = [];
    const { results, skipped } = await scanPaths([dir], {}, (done) => seen.push(done));
    assert.deepEqual(results.map((r) => [path.basename(r.path), r.format]).sort(), [
      ['model.safetensors', 'safetensors'],
      ['weights', 'pickle'],
    ]);
    assert.equal(skipped, 1);
    assert.ok(seen.length >= 2);
    fs.rmSync(dir, { recursive: true });
  });

  test('model-inspect scan: json lists files with formats; exit 1 on a dangerous file', () => {
    const r = cli([
      'scan',
      path.join(REAL, 'torch_payload.pt'),
      path.join(REAL, 'numpy_float.npy'),
      '--format',
      'json',
    ]);
    assert.equal(r.status, 1, r.stderr);
    const j = JSON.parse(r.stdout) as {
      files: { file: string; format: string; verdict: string }[];
      findings: { ruleId: string }[];
    };
    assert.deepEqual(
      j.files.map((f) => [path.basename(f.file), f.format, f.verdict]),
      [
        ['torch_payload.pt', 'pytorch-zip', 'dangerous'],
        ['numpy_float.npy', 'numpy', 'clean'],
      ],
    );
    assert.ok(j.findings.some((f) => f.ruleId === 'scan/pickle-dangerous-import'));
    const ok = cli(['scan', path.join(REAL, 'torch_state_dict.pt')]);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    const sarif = cli(['scan', path.join(REAL, 'payload.pkl.gz'), '--format', 'sarif']);
    assert.equal(sarif.status, 1);
    assert.match(sarif.stdout, /scan\/pickle-dangerous-import/);
  });
});

describe('fuzz regressions', () => {
  test('a hostile bzip2 block stops at the output cap and is reported as not scanned', async () => {
    const b = fs.readFileSync(path.join(REPO, 'test', 'fixtures', 'scan', 'fuzz', 'compressed-e1882f1d1d14edf7.bin'));
    const r = await scanBytes(b, 'x.pkl.bz2');
    assert.equal(r.complete, false);
    assert.ok(rules(r).includes('scan/incomplete'));
    assert.ok(
      r.findings.some((f) => /decompresses to more than 1048576 bytes/.test(f.message)),
      'stopped by the output cap',
    );
    // Counted, not timed: the decoder stops inside the block as the cap is passed, instead of
    // decoding the whole block first (what made this input take seconds).
    const decoded = await new Promise<{ bytes: number; error?: Error }>((resolve) => {
      const d = createBunzip2(1 << 20);
      let bytes = 0;
      d.on('data', (c: Buffer) => {
        bytes += c.length;
      });
      d.on('error', (error) => resolve({ bytes, error }));
      d.on('end', () => resolve({ bytes }));
      d.end(b);
    });
    assert.ok(decoded.error instanceof OutputLimitError, String(decoded.error));
    assert.ok(decoded.bytes <= 1 << 20, `${decoded.bytes} bytes decoded`);
  });
});

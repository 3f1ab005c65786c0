import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePyproject, parseRequirementsTxt } from '../../../src/core/sbom/python.ts';

test('requirements.txt: pins, ranges, extras, markers, comments, options, URLs, continuation lines', () => {
  const deps = parseRequirementsTxt(
    [
      '# training deps',
      'torch==2.1.2  # pinned',
      'Transformers[torch]>=4.36,<5',
      'safetensors === 0.4.1 ; python_version >= "3.8"',
      '-r other.txt',
      '--index-url https://example.com/simple',
      'git+https://github.com/x/y.git',
      './local-pkg',
      'numpy==1.26.4 \\',
      '    --hash=sha256:abcdef',
      'Pillow',
      '',
    ].join('\n'),
    'requirements.txt',
  );
  assert.deepEqual(
    deps.map((d) => [d.name, d.version, d.line]),
    [
      ['torch', '2.1.2', 2],
      ['transformers', undefined, 3],
      ['safetensors', '0.4.1', 4],
      ['numpy', '1.26.4', 9],
      ['pillow', undefined, 11],
    ],
  );
  assert.equal(deps[1].specifier, 'Transformers[torch]>=4.36,<5');
});

test('pyproject.toml: PEP 621 dependencies (multi-line array) and Poetry tables; other tables ignored', () => {
  const deps = parsePyproject(
    [
      '[build-system]',
      'requires = ["setuptools>=61"]',
      '[project]',
      'name = "sentiment"',
      'dependencies = [',
      '  "torch==2.1.2",  # comment with "quotes"',
      "  'accelerate>=0.25',",
      ']',
      'optional-dependencies = { dev = ["pytest"] }',
      '[tool.poetry.dependencies]',
      'python = "^3.11"',
      'scikit_learn = "1.4.0"',
      'onnx = { version = "^1.15", optional = true }',
    ].join('\n'),
    'pyproject.toml',
  );
  assert.deepEqual(
    deps.map((d) => [d.name, d.version]),
    [
      ['torch', '2.1.2'],
      ['accelerate', undefined],
      ['scikit-learn', '1.4.0'],
      ['onnx', undefined],
    ],
  );
});

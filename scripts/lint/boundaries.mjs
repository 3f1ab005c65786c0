// The import fences of ARCHITECTURE.md as two ESLint rules, configured in eslint.config.mjs:
//
//   boundaries/imports   who may import whom: the engine (src/core) never imports a face
//                        (src/extension, src/cli, webview); faces do not import each other; inside
//                        the engine an area imports the foundations and areas below it, never above.
//   boundaries/no-cycle  no file imports (even types, even lazily) a file that leads back to it.
//
// Each message says what to do about it, so whoever meets one can fix it without asking.
// Paths are resolved lexically (every import in this repo names its file, `./x.ts`), so the
// rules need no resolver and no type information.
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

const NODE_BUILTINS = new Set(builtinModules);

/** Every way a file can name another: static imports and re-exports, import(), require(), `import x = require()`, `import('x').T`. */
function moduleSpecifiers(visit) {
  const fromSource = (node) => {
    if (node.source && typeof node.source.value === 'string') visit(node, node.source.value);
  };
  return {
    ImportDeclaration: fromSource,
    ExportNamedDeclaration: fromSource,
    ExportAllDeclaration: fromSource,
    ImportExpression(node) {
      if (node.source.type === 'Literal' && typeof node.source.value === 'string') visit(node, node.source.value);
    },
    CallExpression(node) {
      if (
        node.callee.type === 'Identifier' &&
        node.callee.name === 'require' &&
        node.arguments[0]?.type === 'Literal' &&
        typeof node.arguments[0].value === 'string'
      )
        visit(node, node.arguments[0].value);
    },
    TSImportEqualsDeclaration(node) {
      const ref = node.moduleReference;
      if (ref.type === 'TSExternalModuleReference' && ref.expression.type === 'Literal')
        visit(node, ref.expression.value);
    },
    TSImportType(node) {
      const arg = node.argument;
      const lit = arg?.type === 'TSLiteralType' ? arg.literal : arg;
      if (lit?.type === 'Literal' && typeof lit.value === 'string') visit(node, lit.value);
    },
  };
}

const posix = (p) => p.split(path.sep).join('/');

/** Where a file sits: { face: 'core' | 'extension' | 'cli' | 'webview', rel } (rel: path inside src/core for the engine), or undefined outside them. */
function place(root, file) {
  const rel = posix(path.relative(root, file));
  if (rel.startsWith('src/core/')) return { face: 'core', rel: rel.slice('src/core/'.length) };
  if (rel.startsWith('src/extension/')) return { face: 'extension', rel };
  if (rel.startsWith('src/cli/')) return { face: 'cli', rel };
  if (rel.startsWith('webview/')) return { face: 'webview', rel };
  return undefined;
}

// A foundation entry is a file (`findings.ts`), a folder (`yaml`), or a file that every area has
// (`*/rules.ts`: each area's part of the rule catalogue).
function isFoundation(rel, foundations) {
  return foundations.some((f) => {
    if (f.startsWith('*/')) return rel.split('/').length === 2 && rel.endsWith(f.slice(1));
    return f.endsWith('.ts') ? rel === f : rel.startsWith(`${f}/`);
  });
}

const areaOf = (rel) => rel.split('/')[0];

const FACE_NAMES = { core: 'src/core', extension: 'src/extension', cli: 'src/cli', webview: 'webview' };

/** @type {import('eslint').Rule.RuleModule} */
const imports = {
  meta: {
    type: 'problem',
    docs: {
      description:
        'The engine never imports a face, faces do not import each other, and engine areas import only downwards (ARCHITECTURE.md).',
    },
    schema: [
      {
        type: 'object',
        properties: {
          root: { type: 'string' },
          foundations: { type: 'array', items: { type: 'string' } },
          layers: { type: 'array', items: { type: 'string' } },
        },
        required: ['root', 'foundations', 'layers'],
        additionalProperties: false,
      },
    ],
    messages: {
      coreImportsFace:
        '{{from}} imports {{to}}: the engine (src/core) never imports {{face}}. Give the engine what it needs as a parameter (a callback, plain data), or move the shared code into src/core.',
      faceImportsFace:
        '{{from}} imports {{to}}: {{fromFace}} and {{face}} are separate faces over the engine. Move what both need into src/core (or, for the panel, into src/core/report).',
      vscodeOutsideExtension:
        "{{from}} imports 'vscode': only src/extension may. The engine and the CLI run without VS Code; pass in what the editor knows (settings, documents) as plain data.",
      nodeInWebview:
        "{{from}} imports '{{to}}': the report panel runs in a browser, without Node. Ask the host for it through the typed messages of src/core/report/protocol.ts.",
      foundationImportsArea:
        '{{from}} imports {{to}}: {{fromArea}} is a foundation ({{foundations}}) that every area may use, so it must not depend on an area ({{toArea}}). Move the piece it needs into the foundation, or pass it in.',
      upward:
        "{{from}} imports {{to}}: {{toArea}}/ is above {{fromArea}}/ in the engine's layers ({{order}}), so this import runs upwards. Move the piece both need down into {{fromArea}}/ or a foundation ({{foundations}}), or pass it in as a parameter. Layers: eslint.config.mjs.",
      unlisted:
        '{{from}} imports {{to}}, but src/core/{{area}} is not in the layers of eslint.config.mjs: add it there (as a foundation, or at its place in the layer order) so its imports can be checked.',
    },
  },
  create(context) {
    const { root, foundations, layers } = context.options[0];
    const file = context.filename;
    const from = place(root, file);
    if (!from) return {};
    const fromName = from.face === 'core' ? `src/core/${from.rel}` : from.rel;
    const shownFoundations = foundations.map((f) => (f.endsWith('.ts') ? f : `${f}/`)).join(', ');
    return moduleSpecifiers((node, spec) => {
      if (!spec.startsWith('.')) {
        if (spec === 'vscode' && from.face !== 'extension')
          context.report({ node, messageId: 'vscodeOutsideExtension', data: { from: fromName } });
        else if (from.face === 'webview' && (spec.startsWith('node:') || NODE_BUILTINS.has(spec.split('/')[0])))
          context.report({ node, messageId: 'nodeInWebview', data: { from: fromName, to: spec } });
        return;
      }
      const target = place(root, path.resolve(path.dirname(file), spec));
      if (!target) return;
      const toName = target.face === 'core' ? `src/core/${target.rel}` : target.rel;
      const data = { from: fromName, to: toName, face: FACE_NAMES[target.face], fromFace: FACE_NAMES[from.face] };
      if (from.face !== target.face) {
        if (from.face === 'core') context.report({ node, messageId: 'coreImportsFace', data });
        else if (target.face !== 'core') context.report({ node, messageId: 'faceImportsFace', data });
        return;
      }
      if (from.face !== 'core') return;
      if (isFoundation(target.rel, foundations)) return;
      const fromArea = areaOf(from.rel);
      const toArea = areaOf(target.rel);
      if (isFoundation(from.rel, foundations)) {
        context.report({
          node,
          messageId: 'foundationImportsArea',
          data: { ...data, fromArea: from.rel, toArea, foundations: shownFoundations },
        });
        return;
      }
      if (fromArea === toArea) return;
      for (const area of [fromArea, toArea]) {
        if (!layers.includes(area)) {
          context.report({ node, messageId: 'unlisted', data: { ...data, area } });
          return;
        }
      }
      if (layers.indexOf(toArea) > layers.indexOf(fromArea)) {
        context.report({
          node,
          messageId: 'upward',
          data: { ...data, fromArea, toArea, order: layers.join(' < '), foundations: shownFoundations },
        });
      }
    });
  },
};

// ---- cycles ----

/**
 * The import graph of the TypeScript files under `dirs`, read with TypeScript's own scanner
 * (comments and strings are not imports; `import type` and `import()` are). Built once per lint
 * run and reused for a few seconds, so an editor that lints on every keystroke sees changes.
 */
const graphs = new Map();
const GRAPH_TTL_MS = 5000;

function importGraph(root, dirs) {
  const key = `${root}\0${dirs.join('\0')}`;
  const cached = graphs.get(key);
  if (cached && Date.now() - cached.built < GRAPH_TTL_MS) return cached;
  const edges = new Map();
  const walk = (dir) => {
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules') walk(p);
      } else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) edges.set(p, null);
    }
  };
  for (const d of dirs) walk(path.join(root, d));
  for (const f of edges.keys()) {
    const info = ts.preProcessFile(fs.readFileSync(f, 'utf8'), true, true);
    edges.set(f, [
      ...new Set(
        info.importedFiles
          .map((i) => i.fileName)
          .filter((s) => s.startsWith('.'))
          .map((s) => path.resolve(path.dirname(f), s))
          .filter((t) => edges.has(t)),
      ),
    ]);
  }
  const graph = { built: Date.now(), edges };
  graphs.set(key, graph);
  return graph;
}

/** The shortest import path from `start` to `goal` (both included), or undefined. */
function pathBetween(graph, start, goal) {
  const parent = new Map([[start, null]]);
  const queue = [start];
  while (queue.length) {
    const f = queue.shift();
    if (f === goal) {
      const out = [];
      for (let n = f; n !== null; n = parent.get(n)) out.unshift(n);
      return out;
    }
    for (const t of graph.edges.get(f) ?? [])
      if (!parent.has(t)) {
        parent.set(t, f);
        queue.push(t);
      }
  }
  return undefined;
}

/** @type {import('eslint').Rule.RuleModule} */
const noCycle = {
  meta: {
    type: 'problem',
    docs: { description: 'No import cycles between files (type-only and dynamic imports included).' },
    schema: [
      {
        type: 'object',
        properties: { root: { type: 'string' }, dirs: { type: 'array', items: { type: 'string' } } },
        required: ['root', 'dirs'],
        additionalProperties: false,
      },
    ],
    messages: {
      cycle:
        'This import closes a cycle: {{cycle}}. Files that import each other are one unit in disguise and their load order starts to matter: move what both need into a third module that both import (usually down, into the lower of the two).',
    },
  },
  create(context) {
    const { root, dirs } = context.options[0];
    const file = context.filename;
    return moduleSpecifiers((node, spec) => {
      if (!spec.startsWith('.')) return;
      const target = path.resolve(path.dirname(file), spec);
      if (target === file) return;
      const graph = importGraph(root, dirs);
      if (!graph.edges.has(target)) return;
      const back = pathBetween(graph, target, file);
      if (back)
        context.report({
          node,
          messageId: 'cycle',
          data: { cycle: [file, ...back].map((f) => posix(path.relative(root, f))).join(' → ') },
        });
    });
  },
};

export default {
  meta: { name: 'model-inspect-boundaries' },
  rules: { imports, 'no-cycle': noCycle },
};

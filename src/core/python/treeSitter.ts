import fs from 'node:fs';
import path from 'node:path';
import type { Tree } from 'web-tree-sitter';
// `require` form on purpose: esbuild then bundles the package's CommonJS build, whose locating of
// files works in a CJS bundle; its ESM build relies on import.meta.url, which a CJS bundle lacks.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const TreeSitter = require('web-tree-sitter') as typeof import('web-tree-sitter');

const { Language, Parser } = TreeSitter;

/**
 * The Python parser: tree-sitter compiled to WebAssembly (web-tree-sitter runtime + the
 * tree-sitter-python grammar). WASM rather than the native binding because native modules break
 * under Electron's ABI. Both .wasm files are copied next to the bundles (scripts/assets.json →
 * dist/wasm/); from source (tests through tsx) they are read from node_modules.
 */
export interface GrammarPaths {
  /** web-tree-sitter's own runtime, tree-sitter.wasm */
  runtime: string;
  /** the Python grammar, tree-sitter-python.wasm */
  python: string;
}

export function defaultGrammarPaths(): GrammarPaths {
  return {
    runtime: locate('tree-sitter.wasm', 'web-tree-sitter/tree-sitter.wasm'),
    python: locate('tree-sitter-python.wasm', 'tree-sitter-python/tree-sitter-python.wasm'),
  };
}

function locate(bundledName: string, packagePath: string): string {
  // In dist/ the extension's bundles sit beside wasm/ and the CLI's chunks one folder below it
  // (dist/cli/); from source neither folder has wasm/.
  for (const dir of [__dirname, path.dirname(__dirname)]) {
    const besideBundle = path.join(dir, 'wasm', bundledName);
    if (fs.existsSync(besideBundle)) return besideBundle;
  }
  return require.resolve(packagePath);
}

export interface PythonParser {
  parse(source: string): Tree;
}

let loading: Promise<PythonParser> | undefined;

/** Loads the runtime and grammar once per process; later calls share the same parser. */
export function loadPythonParser(paths: GrammarPaths = defaultGrammarPaths()): Promise<PythonParser> {
  loading ??= (async () => {
    await Parser.init({ locateFile: () => paths.runtime });
    const language = await Language.load(await fs.promises.readFile(paths.python));
    const parser = new Parser();
    parser.setLanguage(language);
    return {
      parse(source: string): Tree {
        const tree = parser.parse(source);
        if (!tree) throw new Error('tree-sitter returned no tree');
        return tree;
      },
    };
  })();
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}

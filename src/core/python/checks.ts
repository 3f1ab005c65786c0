import type { Node, Tree } from 'web-tree-sitter';
import { safetensorsName } from '../convert/names.ts';
import type { Finding, Fix, TextEdit } from '../findings.ts';
import { ImportTable } from './imports.ts';
import { argument, callArguments, descendants, literal, position, rangeOf, type CallArguments } from './syntax.ts';
import { loadPythonParser, type PythonParser } from './treeSitter.ts';

export interface PythonCheckOptions {
  /** The file the findings are about. */
  file?: string;
  /** Python that runs before this source (earlier notebook cells): its imports count here. */
  context?: readonly string[];
  /**
   * Imports of earlier cells, already gathered (a notebook checked cell by cell keeps one table
   * growing, instead of re-parsing every earlier cell for every cell: linear, not quadratic).
   */
  contextImports?: ImportTable;
}

/** Python files larger than this are generated code or data, not something a person edits. */
export const MAX_PYTHON_BYTES = 4 * 1024 * 1024;

/** Checks Python source for pickle-based model loading and saving; see python/rules.ts. */
export async function checkPythonSource(source: string, options: PythonCheckOptions = {}): Promise<Finding[]> {
  return checkPythonWith(await loadPythonParser(), source, options);
}

/** As checkPythonSource, with a parser already loaded (synchronous). */
export function checkPythonWith(parser: PythonParser, source: string, options: PythonCheckOptions = {}): Finding[] {
  const contextTrees = (options.context ?? []).map((s) => parser.parse(s));
  const tree = parser.parse(source);
  try {
    return new PythonChecker(
      tree,
      ImportTable.of([...contextTrees, tree], options.contextImports),
      source,
      options.file,
    ).run();
  } finally {
    tree.delete();
    for (const t of contextTrees) t.delete();
  }
}

const TORCH_LOAD = new Set(['torch.load', 'torch.serialization.load']);
/** Download-and-load helpers that call torch.load and take the same `weights_only` keyword (PyTorch ≥ 1.13). */
const TORCH_LOAD_URL = new Set(['torch.hub.load_state_dict_from_url', 'torch.utils.model_zoo.load_url']);
const TORCH_SAVE = new Set(['torch.save', 'torch.serialization.save']);
const NUMPY_LOAD = new Set(['numpy.load', 'numpy.lib.npyio.load']);

/** Calls that unpickle what they read; the value says what they are in a message. */
const UNPICKLERS = new Map<string, string>([
  ['pickle.load', 'pickle.load'],
  ['pickle.loads', 'pickle.loads'],
  ['pickle.Unpickler', 'pickle.Unpickler'],
  ['_pickle.load', 'pickle.load'],
  ['_pickle.loads', 'pickle.loads'],
  ['_pickle.Unpickler', 'pickle.Unpickler'],
  ['cPickle.load', 'pickle.load'],
  ['cPickle.loads', 'pickle.loads'],
  ['dill.load', 'dill.load'],
  ['dill.loads', 'dill.loads'],
  ['dill.Unpickler', 'dill.Unpickler'],
  ['cloudpickle.load', 'cloudpickle.load'],
  ['cloudpickle.loads', 'cloudpickle.loads'],
  ['joblib.load', 'joblib.load'],
  ['sklearn.externals.joblib.load', 'joblib.load'],
  ['pandas.read_pickle', 'pandas.read_pickle'],
  ['pandas.io.pickle.read_pickle', 'pandas.read_pickle'],
]);

/** File names that are model weights or pickled models (for naming the risk, and for save targets). */
const PICKLED_MODEL_FILE = /\.(?:pt|pth|bin|ckpt|pkl|pickle|joblib|dill|sav|model|tar)$/i;

/** The keyword the user writes to opt out of safetensors, by API (transformers, accelerate, diffusers, peft). */
const SAFE_SERIALIZATION_KEYWORDS = new Set(['safe_serialization', 'save_safetensors', 'use_safetensors']);

class PythonChecker {
  private readonly findings: Finding[] = [];
  private readonly openedFiles: Map<string, string | null>;

  constructor(
    private readonly tree: Tree,
    private readonly imports: ImportTable,
    private readonly source: string,
    private readonly file: string | undefined,
  ) {
    this.openedFiles = openedFileNames(tree.rootNode, imports);
  }

  run(): Finding[] {
    for (const call of descendants(this.tree.rootNode, 'call')) {
      const fn = call.childForFieldName('function');
      const args = callArguments(call);
      if (!fn || !args) continue;
      const name = this.imports.qualify(fn);
      if (name && (TORCH_LOAD.has(name) || TORCH_LOAD_URL.has(name))) this.torchLoad(call, fn, args, name);
      else if (name && TORCH_SAVE.has(name)) this.torchSave(call, fn, args, name);
      else if (name && NUMPY_LOAD.has(name)) this.numpyLoad(fn, args);
      else if (name && UNPICKLERS.has(name)) this.unpickle(fn, args, UNPICKLERS.get(name)!);
      this.safeSerialization(fn, args);
    }
    return this.findings;
  }

  private torchLoad(call: Node, fn: Node, args: CallArguments, name: string): void {
    const given = args.keywords.get('weights_only');
    const value = literal(given?.value);
    if (value?.kind === 'bool' && value.value) return;
    if (given && !value) return; // computed: the author decided at run time
    if (!given && args.splat) return; // may arrive through **kwargs
    const target = this.describeTarget(argument(args, 0, 'f'));
    const what = given ? `${name}(…, weights_only=${given.value.text})` : `${name}(…) without weights_only=True`;
    const message =
      `${what} unpickles arbitrary objects${target ? ` from ${target}` : ''}: a crafted checkpoint runs code as it loads. ` +
      'PyTorch 2.6 made weights_only=True the default, but older versions (and TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1) still load everything, so say it explicitly.';
    const fixes: Fix[] = [];
    const pickleModule = TORCH_LOAD.has(name) ? argument(args, 2, 'pickle_module') : undefined;
    const note = pickleModule ? ' (no automatic fix: torch refuses weights_only=True together with pickle_module)' : '';
    if (!pickleModule && !call.hasError) {
      if (given) {
        fixes.push({
          kind: 'edit',
          title: 'Set weights_only=True (tensors and plain containers only)',
          edits: [{ range: rangeOf(given.value), newText: 'True' }],
        });
      } else if (args.last) {
        fixes.push({
          kind: 'edit',
          title: 'Add weights_only=True',
          isPreferred: true,
          edits: [
            {
              range: { start: position(args.last.endPosition), end: position(args.last.endPosition) },
              newText: ', weights_only=True',
            },
          ],
        });
      }
    }
    this.report('python/torch-load-unsafe', 'warning', fn, message + note, fixes, { call: name });
  }

  private torchSave(call: Node, fn: Node, args: CallArguments, name: string): void {
    const obj = argument(args, 0, 'obj');
    const pathNode = argument(args, 1, 'f');
    const path = literal(pathNode);
    const message =
      `${name} writes a pickle${path?.kind === 'string' ? ` ('${path.value}')` : ''}: whoever loads it runs whatever it contains. ` +
      'A flat dict of tensors (a state_dict) saves as safetensors instead, which holds data only.';
    const fixes: Fix[] = [];
    const extraArguments =
      args.positional.length > 2 || args.splat || [...args.keywords.keys()].some((k) => k !== 'obj' && k !== 'f');
    if (obj && path?.kind === 'string' && pathNode && !extraArguments && !call.hasError && isTensorDictCandidate(obj)) {
      const saveFile = this.importedName('safetensors.torch', 'save_file', call);
      const newPath = `${path.quoteStart}${safetensorsName(path.value)}${path.quoteEnd}`;
      fixes.push({
        kind: 'edit',
        title: 'Save with safetensors.torch.save_file (a flat dict of tensors only)',
        edits: mergeTouching([
          ...saveFile.edits,
          { range: rangeOf(call), newText: `${saveFile.expression}(${obj.text}, ${newPath})` },
        ]),
      });
      // `torch.save(model.state_dict(), …)`: save_model takes the module and copes with tied weights.
      const module = stateDictReceiver(obj);
      if (module) {
        const saveModel = this.importedName('safetensors.torch', 'save_model', call);
        fixes.push({
          kind: 'edit',
          title: 'Save with safetensors.torch.save_model (the module; handles tied weights)',
          edits: mergeTouching([
            ...saveModel.edits,
            { range: rangeOf(call), newText: `${saveModel.expression}(${module.text}, ${newPath})` },
          ]),
        });
      }
    }
    const why = fixes.length
      ? ' save_file raises on nested dicts, non-tensor values and tensors that share memory (tied weights); load the result with safetensors.torch.load_file.'
      : path?.kind === 'string'
        ? ''
        : ' (no automatic fix: the path is not a literal)';
    this.report('python/torch-save-pickle', 'info', fn, message + why, fixes, { call: name });
  }

  private numpyLoad(fn: Node, args: CallArguments): void {
    const given = args.keywords.get('allow_pickle');
    const value = literal(given?.value);
    if (!given || value?.kind !== 'bool' || !value.value) return;
    const target = this.describeTarget(argument(args, 0, 'file'));
    this.report(
      'python/numpy-allow-pickle',
      'warning',
      fn,
      `numpy.load(…, allow_pickle=True) unpickles object arrays${target ? ` in ${target}` : ''}: a crafted .npy/.npz runs code as it loads. Numeric arrays load without it.`,
      [
        {
          kind: 'edit',
          title: 'Set allow_pickle=False (numeric arrays load the same)',
          isPreferred: true,
          edits: [{ range: rangeOf(given.value), newText: 'False' }],
        },
      ],
      { call: 'numpy.load' },
    );
  }

  private unpickle(fn: Node, args: CallArguments, what: string): void {
    const keyword = what === 'pandas.read_pickle' ? 'filepath_or_buffer' : what === 'joblib.load' ? 'filename' : 'file';
    const target = this.describeTarget(argument(args, 0, keyword));
    const alternative =
      what === 'joblib.load'
        ? ' For scikit-learn models, skops.io or ONNX store them without pickle.'
        : ' For tensors, safetensors stores them without pickle.';
    this.report(
      'python/unpickle-model',
      'warning',
      fn,
      `${what} ${target ? `reads ${target} with pickle` : 'unpickles its input'}: unpickling runs any code the file contains, so only load files you produced or verified.${alternative}`,
      [],
      { call: what },
    );
  }

  private safeSerialization(fn: Node, args: CallArguments): void {
    for (const [keyword, { value }] of args.keywords) {
      if (!SAFE_SERIALIZATION_KEYWORDS.has(keyword)) continue;
      const v = literal(value);
      if (v?.kind !== 'bool' || v.value) continue;
      const callee = fn.type === 'attribute' ? (fn.childForFieldName('attribute')?.text ?? fn.text) : fn.text;
      const what =
        keyword === 'use_safetensors'
          ? 'loads pickle weights (pytorch_model.bin) even where model.safetensors exists; unpickling runs whatever the file contains.'
          : 'saves weights as a pickle (pytorch_model.bin) instead of safetensors; anyone who loads them runs whatever the pickle contains.';
      this.report(
        'python/safe-serialization-off',
        'warning',
        value,
        `${callee}(…, ${keyword}=False) ${what}`,
        [
          {
            kind: 'edit',
            title: `Set ${keyword}=True`,
            isPreferred: true,
            edits: [{ range: rangeOf(value), newText: 'True' }],
          },
        ],
        { call: callee, keyword },
      );
    }
  }

  /** "'model.pkl' (a pickled model file)" when the file being read is known from a literal or an `open(…)`. */
  private describeTarget(node: Node | undefined): string | undefined {
    const file = this.literalPath(node);
    if (!file) return undefined;
    return PICKLED_MODEL_FILE.test(file) ? `'${file}' (a pickled model file)` : `'${file}'`;
  }

  private literalPath(node: Node | undefined): string | undefined {
    if (!node) return undefined;
    const l = literal(node);
    if (l?.kind === 'string') return l.value;
    if (node.type === 'call' && isOpenCall(node, this.imports)) {
      const a = callArguments(node);
      const p = a ? literal(argument(a, 0, 'file')) : undefined;
      return p?.kind === 'string' ? p.value : undefined;
    }
    if (node.type === 'identifier') return this.openedFiles.get(node.text) ?? undefined;
    return undefined;
  }

  /**
   * How to refer to `module.attr` at `use`: through an existing import when there is one, else
   * by adding `from module import attr` (or `import module` when `attr` is taken) before the use.
   */
  private importedName(module: string, attr: string, use: Node): { expression: string; edits: TextEdit[] } {
    const existing = this.imports.localNameFor(module, attr);
    if (existing) return { expression: existing, edits: [] };
    const taken =
      descendants(this.tree.rootNode, 'identifier').some((n) => n.text === attr) || this.imports.isBound(attr);
    const statement = taken ? `import ${module}` : `from ${module} import ${attr}`;
    return { expression: taken ? `${module}.${attr}` : attr, edits: [this.importEdit(statement, use)] };
  }

  /** Inserts an import after the last top-level import above `use`, else after the header comments and docstring. */
  private importEdit(statement: string, use: Node): TextEdit {
    const before = this.imports.topLevelImports.filter((n) => n.endIndex <= use.startIndex);
    let anchor: Node | undefined = before[before.length - 1];
    if (!anchor) {
      for (const c of this.tree.rootNode.namedChildren) {
        if (!c || c.startIndex >= use.startIndex) break;
        const isDocstring =
          c.type === 'expression_statement' &&
          c.namedChildCount === 1 &&
          c.namedChild(0)?.type === 'string' &&
          c === firstStatement(this.tree.rootNode);
        if (c.type === 'comment' || isDocstring) anchor = c;
        else break;
      }
    }
    if (!anchor)
      return { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: `${statement}\n` };
    const end = position(anchor.endPosition);
    const lineEnd = this.source.indexOf('\n', anchor.endIndex);
    if (lineEnd < 0) return { range: { start: end, end }, newText: `\n${statement}` };
    const next = { line: end.line + 1, character: 0 };
    return { range: { start: next, end: next }, newText: `${statement}\n` };
  }

  private report(
    ruleId: string,
    severity: Finding['severity'],
    node: Node,
    message: string,
    fixes: Fix[],
    data: Record<string, string>,
  ): void {
    this.findings.push({
      ruleId,
      severity,
      message,
      file: this.file,
      range: rangeOf(node),
      ...(fixes.length ? { fixes } : {}),
      data,
    });
  }
}

function firstStatement(root: Node): Node | undefined {
  for (const c of root.namedChildren) if (c && c.type !== 'comment') return c;
  return undefined;
}

function isOpenCall(call: Node, imports: ImportTable): boolean {
  const fn = call.childForFieldName('function');
  if (!fn) return false;
  if (fn.type === 'identifier' && fn.text === 'open' && !imports.isBound('open')) return true;
  const q = imports.qualify(fn);
  return q === 'io.open' || q === 'builtins.open';
}

/**
 * Names bound to `open("literal")` by assignment or `with … as name`. A name bound to two
 * different files maps to null: which one a later call reads is not known.
 */
function openedFileNames(root: Node, imports: ImportTable): Map<string, string | null> {
  const out = new Map<string, string | null>();
  const bind = (name: string, call: Node | null): void => {
    if (!call || call.type !== 'call' || !isOpenCall(call, imports)) return;
    const args = callArguments(call);
    const p = args ? literal(argument(args, 0, 'file')) : undefined;
    if (p?.kind !== 'string') return;
    out.set(name, out.has(name) && out.get(name) !== p.value ? null : p.value);
  };
  for (const a of descendants(root, 'assignment')) {
    const left = a.childForFieldName('left');
    if (left?.type === 'identifier') bind(left.text, a.childForFieldName('right'));
  }
  for (const p of descendants(root, 'as_pattern')) {
    const alias = p.childForFieldName('alias');
    const target = alias?.namedChild(0);
    if (target?.type === 'identifier') bind(target.text, p.namedChild(0));
  }
  return out;
}

/** `X` of `X.state_dict()` (no arguments), else undefined. */
function stateDictReceiver(obj: Node): Node | undefined {
  if (obj.type !== 'call' || (callArguments(obj)?.node.namedChildCount ?? 1) !== 0) return undefined;
  const fn = obj.childForFieldName('function');
  if (fn?.type !== 'attribute' || fn.childForFieldName('attribute')?.text !== 'state_dict') return undefined;
  return fn.childForFieldName('object') ?? undefined;
}

/**
 * Whether the saved object can plausibly be a flat dict of tensors: a name or attribute (a
 * state_dict variable) or a `.state_dict()` call. Dict literals (checkpoints with epochs and
 * optimizer state) and optimizer/scheduler state never are.
 */
function isTensorDictCandidate(obj: Node): boolean {
  if (obj.type === 'identifier' || obj.type === 'attribute') return !/optim|sched|scaler/i.test(obj.text);
  if (obj.type !== 'call') return false;
  const fn = obj.childForFieldName('function');
  const attr = fn?.type === 'attribute' ? fn.childForFieldName('attribute')?.text : undefined;
  const args = callArguments(obj);
  return attr === 'state_dict' && (args?.positional.length ?? 0) === 0 && !/optim|sched|scaler/i.test(obj.text);
}

/**
 * An insertion at the very position where another edit starts is folded into that edit, so no
 * client has to decide the order of two edits at one position.
 */
function mergeTouching(edits: TextEdit[]): TextEdit[] {
  const out: TextEdit[] = [];
  const same = (a: TextEdit['range']['start'], b: TextEdit['range']['start']): boolean =>
    a.line === b.line && a.character === b.character;
  for (const e of edits) {
    const isInsert = same(e.range.start, e.range.end);
    const target = isInsert
      ? edits.find((o) => o !== e && same(o.range.start, e.range.start) && !same(o.range.start, o.range.end))
      : undefined;
    if (target) target.newText = e.newText + target.newText;
    else out.push(e);
  }
  return out;
}

import type { Node, Tree } from 'web-tree-sitter';

/**
 * What names in a Python file refer to, as far as imports say: `import torch as t` binds `t` to
 * `torch`, `from torch import load as L` binds `L` to `torch.load`. The table is flow-insensitive
 * (an import anywhere in the file counts everywhere), which is what a reader assumes too.
 */
export class ImportTable {
  private readonly names = new Map<string, string>();
  /** Modules imported as `import a.b.c` (usable under their full dotted name). */
  private readonly plainModuleImports = new Set<string>();
  /** Top-level import statements (for choosing where a new import goes). */
  readonly topLevelImports: Node[] = [];

  static of(trees: readonly Tree[], base?: ImportTable): ImportTable {
    const table = new ImportTable();
    if (base) {
      for (const [k, v] of base.names) table.names.set(k, v);
      for (const m of base.plainModuleImports) table.plainModuleImports.add(m);
    }
    for (const t of trees) table.addTree(t, trees[trees.length - 1] === t);
    return table;
  }

  /** Adds a tree's imports without recording its top-level import statements (an earlier notebook cell). */
  include(tree: Tree): void {
    this.addTree(tree, false);
  }

  /** The module or object a local name stands for, e.g. `t` → `torch`. */
  binding(name: string): string | undefined {
    return this.names.get(name);
  }

  /**
   * An expression that refers to `module.attr` here through an existing import, if any:
   * `from m import attr as a` → `a`; `import m as x` → `x.attr`; `import m` → `m.attr`.
   */
  localNameFor(module: string, attr: string): string | undefined {
    const qualified = `${module}.${attr}`;
    for (const [local, target] of this.names) if (target === qualified) return local;
    for (const [local, target] of this.names) if (target === module) return `${local}.${attr}`;
    if (this.plainModuleImports.has(module)) return qualified;
    return undefined;
  }

  isBound(name: string): boolean {
    return this.names.has(name);
  }

  /**
   * Fully qualified name of an expression such as `t.load` or `load`, when its root is an
   * imported name; undefined for locals, parameters and anything computed.
   */
  qualify(node: Node): string | undefined {
    // Down the attribute chain without recursion (a.b.c… thousands deep must not overflow the stack).
    const names: string[] = [];
    let n: Node = node;
    while (n.type === 'attribute') {
      const object = n.childForFieldName('object');
      const attribute = n.childForFieldName('attribute');
      if (!object || !attribute) return undefined;
      names.push(attribute.text);
      n = object;
    }
    if (n.type !== 'identifier') return undefined;
    const base = this.binding(n.text);
    return base ? [base, ...names.reverse()].join('.') : undefined;
  }

  private addTree(tree: Tree, recordTopLevel: boolean): void {
    // An explicit stack, in source order: nesting as deep as the parser allows must not overflow ours.
    const stack: Node[] = [tree.rootNode];
    while (stack.length) {
      const node = stack.pop()!;
      if (node.type === 'import_statement') this.addImport(node);
      else if (node.type === 'import_from_statement') this.addFromImport(node);
      else {
        const kids = node.namedChildren;
        for (let i = kids.length - 1; i >= 0; i--) {
          const c = kids[i];
          if (c) stack.push(c);
        }
      }
    }
    if (!recordTopLevel) return;
    for (const c of tree.rootNode.namedChildren) {
      if (
        c &&
        (c.type === 'import_statement' || c.type === 'import_from_statement' || c.type === 'future_import_statement')
      )
        this.topLevelImports.push(c);
    }
  }

  private addImport(node: Node): void {
    for (const n of node.childrenForFieldName('name')) {
      if (!n) continue;
      if (n.type === 'aliased_import') {
        const name = n.childForFieldName('name');
        const alias = n.childForFieldName('alias');
        if (name && alias) this.names.set(alias.text, dotted(name));
      } else {
        // `import a.b.c` binds `a`, through which `a.b.c` is reachable.
        const full = dotted(n);
        const first = full.split('.')[0];
        this.names.set(first, first);
        this.plainModuleImports.add(full);
      }
    }
  }

  private addFromImport(node: Node): void {
    const moduleNode = node.childForFieldName('module_name');
    if (!moduleNode || moduleNode.type === 'relative_import') return;
    const module = dotted(moduleNode);
    for (const n of node.childrenForFieldName('name')) {
      if (!n) continue;
      if (n.type === 'aliased_import') {
        const name = n.childForFieldName('name');
        const alias = n.childForFieldName('alias');
        if (name && alias) this.names.set(alias.text, `${module}.${dotted(name)}`);
      } else {
        this.names.set(n.text, `${module}.${dotted(n)}`);
      }
    }
  }
}

function dotted(node: Node): string {
  return node.text.replace(/\s+/g, '');
}

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
    if (node.type === 'identifier') return this.binding(node.text);
    if (node.type === 'attribute') {
      const object = node.childForFieldName('object');
      const attribute = node.childForFieldName('attribute');
      if (!object || !attribute) return undefined;
      const base = this.qualify(object);
      return base ? `${base}.${attribute.text}` : undefined;
    }
    return undefined;
  }

  private addTree(tree: Tree, recordTopLevel: boolean): void {
    const visit = (node: Node): void => {
      if (node.type === 'import_statement') this.addImport(node);
      else if (node.type === 'import_from_statement') this.addFromImport(node);
      else for (const c of node.namedChildren) if (c) visit(c);
    };
    visit(tree.rootNode);
    if (!recordTopLevel) return;
    for (const c of tree.rootNode.namedChildren) {
      if (c && (c.type === 'import_statement' || c.type === 'import_from_statement' || c.type === 'future_import_statement')) this.topLevelImports.push(c);
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

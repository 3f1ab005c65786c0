import type { RuleCategory, RuleInfo } from './findings.ts';

/**
 * What an engine area is, as data: its rules, the files it owns (by name, path glob, extension,
 * magic bytes, editor language), which inspector, gate engine and editor validator it brings, and
 * the explorer menus its commands appear on. Each area describes itself in `src/core/<area>/area.ts`
 * and is listed once in `src/core/areas.ts`; the rule catalogue, the weight-file extensions, the
 * extension's activation events and its explorer `when` clauses are derived from these
 * descriptors (package.json is checked against them by a unit test and rewritten by
 * `npm run manifest`).
 *
 * A descriptor is data that imports only foundations, so every layer and both faces may read it
 * without loading the engine it describes.
 */
export interface AreaDescriptor<Inspector extends string = string, Validator extends string = string> {
  id: string;
  title: string;
  /** Rule categories (the prefix of its rule ids) this area owns; no other area uses them. */
  categories: readonly RuleCategory[];
  rules: readonly RuleInfo[];
  files: readonly FileKind[];
  /** Ids of the inspectors it registers in `src/core/inspect/inspectors.ts` (checked by the type system there). */
  inspectors: readonly Inspector[];
  /** The gate engine it provides (a key of `GateEngines`), if the promotion gate runs it. */
  gateEngine?: 'checkCard' | 'verify' | 'scan';
  /** Ids of its live editor validators (`TextValidator.id` in src/extension). */
  validators: readonly Validator[];
  /** Explorer context-menu entries of its commands: on which file kinds (ids, of any area) they show. */
  explorer?: readonly ExplorerMenu[];
}

/** A kind of file an area owns. Names, suffixes and extensions are matched case-insensitively. */
export interface FileKind {
  id: string;
  title: string;
  /** Whole file names, lower case (`model-card.yaml`). */
  names?: readonly string[];
  /** Endings of a file name that are longer than an extension (`.model-card.yaml`, `.sigstore.json`). */
  suffixes?: readonly string[];
  /** Globs relative to any folder, for kinds a path names (`.github/workflows/*.{yml,yaml}`). */
  paths?: readonly string[];
  /** Extensions (with the dot, lower case) that name this kind by themselves. */
  extensions?: readonly string[];
  /**
   * Extensions that other files use too (`.bin`, `.dat`): files so named are still scanned and get
   * the explorer menus, but they neither activate the extension nor make a folder a model unless
   * their name says so (`pytorch_model.bin`).
   */
  weakExtensions?: readonly string[];
  /** Leading bytes that identify the content whatever the name (latin1 strings, at an offset). */
  magic?: readonly { format: string; offset: number; bytes: string }[];
  /** Editor language ids of its documents. */
  languages?: readonly string[];
  /** Notebook types whose cells it checks. */
  notebookTypes?: readonly string[];
  /**
   * How its presence activates the extension: `files` (workspaceContains on its names, paths and
   * extensions, plus its languages), `language` (only when a document of its language opens:
   * content decides, as for README.md front matter or Kubernetes YAML), or `none`.
   */
  activation: 'files' | 'language' | 'none';
}

export interface ExplorerMenu {
  command: string;
  /** File kinds (ids) it shows on. */
  kinds: readonly string[];
  /** Shown on folders too (`true`), or only on files (`false`: the clause starts with `!explorerResourceIsFolder`). */
  folders: boolean;
}

/** `{ ...descriptor }` with its literal ids kept, so the inspector and validator ids can be typed from the list. */
export function defineArea<const I extends string, const V extends string>(
  d: AreaDescriptor<I, V>,
): AreaDescriptor<I, V> {
  return d;
}

const lower = (xs: readonly string[] | undefined) => (xs ?? []).map((x) => x.toLowerCase());

/** Whether a file name (any path) is of this kind by its name alone. */
export function nameMatches(kind: FileKind, file: string, options: { weak?: boolean } = {}): boolean {
  const base = file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1).toLowerCase();
  if (lower(kind.names).includes(base)) return true;
  if (lower(kind.suffixes).some((s) => base.endsWith(s) && base.length > s.length)) return true;
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return false;
  const ext = base.slice(dot);
  return lower(kind.extensions).includes(ext) || (options.weak !== false && lower(kind.weakExtensions).includes(ext));
}

/** Globs (relative to any folder, `**\/…`) that find files of this kind by name; weak extensions only when asked. */
export function globsOf(kind: FileKind, options: { weak?: boolean } = {}): string[] {
  const out: string[] = [];
  const brace = (xs: readonly string[]) => (xs.length === 1 ? xs[0]! : `{${xs.join(',')}}`);
  if (kind.names?.length) out.push(`**/${brace(kind.names)}`);
  for (const s of kind.suffixes ?? []) out.push(`**/*${s}`);
  for (const p of kind.paths ?? []) out.push(`**/${p}`);
  const exts = [...(kind.extensions ?? []), ...(options.weak ? (kind.weakExtensions ?? []) : [])].map((e) =>
    e.slice(1),
  );
  if (exts.length) out.push(`**/*.${brace(exts)}`);
  return out;
}

/** The extension's activation events, derived from every area's files, plus the faces' own events. */
export function activationEventsOf(areas: readonly AreaDescriptor[], faceEvents: readonly string[]): string[] {
  const out: string[] = [];
  const add = (e: string) => {
    if (!out.includes(e)) out.push(e);
  };
  for (const a of areas) {
    for (const k of a.files) {
      if (k.activation === 'none') continue;
      if (k.activation === 'files') for (const g of globsOf(k)) add(`workspaceContains:${g}`);
      for (const l of k.languages ?? []) add(`onLanguage:${l}`);
      for (const n of k.notebookTypes ?? []) add(`onNotebook:${n}`);
    }
  }
  for (const e of faceEvents) add(e);
  return out;
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** The `when` clause of an explorer menu entry: folders, and files of the kinds it names (by extension and by name). */
export function explorerWhenOf(menu: ExplorerMenu, kinds: ReadonlyMap<string, FileKind>): string {
  const exts: string[] = [];
  const names: string[] = [];
  const suffixes: string[] = [];
  for (const id of menu.kinds) {
    const k = kinds.get(id);
    if (!k) throw new Error(`explorer menu of ${menu.command} names file kind ${id}, which no area declares`);
    for (const e of [...(k.extensions ?? []), ...(k.weakExtensions ?? [])]) if (!exts.includes(e)) exts.push(e);
    names.push(...(k.names ?? []));
    suffixes.push(...(k.suffixes ?? []));
  }
  const files: string[] = [];
  if (exts.length) files.push(`resourceExtname =~ /^\\.(${exts.map((e) => escapeRegex(e.slice(1))).join('|')})$/i`);
  const byName = [
    ...(names.length ? [`^(${names.map(escapeRegex).join('|')})$`] : []),
    ...(suffixes.length ? [`(${suffixes.map(escapeRegex).join('|')})$`] : []),
  ];
  if (byName.length) files.push(`resourceFilename =~ /${byName.join('|')}/i`);
  if (menu.folders) return ['explorerResourceIsFolder', ...files].join(' || ');
  return `!explorerResourceIsFolder && ${files.length > 1 ? `(${files.join(' || ')})` : files[0]}`;
}

import { describe, isTagged, type PCall, type PValue } from '../scan/pickle/values.ts';
import { storageDType, torchDType, type DType } from './dtypes.ts';

/**
 * Turns the scanner's symbolic value of a PyTorch checkpoint pickle into a conversion plan: which
 * tensors exist (storage, dtype, offset, shape, strides), under which dotted names, which names are
 * the same tensor, and which non-tensor values become metadata. It never executes anything: it
 * accepts only the globals `torch.load` needs to rebuild tensors and plain containers, and
 * refuses the checkpoint, with the reason, on anything else.
 */

export interface StorageRef {
  /** Archive record key (`data/<key>` in zip checkpoints) or legacy root key. */
  key: string;
  dtype: DType;
  /** Size the checkpoint declares, in elements of `dtype`. */
  numel: number;
  location: string;
  /** Legacy checkpoints: a view of the root storage, in elements. */
  view?: { key: string; offset: number; size: number };
}

export interface TensorRef {
  name: string;
  storage: StorageRef;
  dtype: DType;
  /** Element offset into the storage (after a legacy view's own offset). */
  offset: number;
  shape: number[];
  stride: number[];
}

export interface ConversionPlan {
  /** Distinct tensors, in name order; each is written once, contiguous. */
  tensors: TensorRef[];
  /** Names that are the very same tensor as a written one: alias → kept name (recorded in metadata). */
  aliases: Map<string, string>;
  /** Non-tensor values that fit as strings. */
  metadata: Map<string, string>;
  dropped: { name: string; why: string }[];
  /** Every root storage the tensors use: key → element type and declared size. */
  storages: Map<string, { dtype: DType; numel: number }>;
}

export type RebuildResult =
  | { ok: true; plan: ConversionPlan }
  | { ok: false; ruleId: 'convert/refused' | 'convert/unsupported'; reason: string; offset?: number };

/** What the converter needs from a pickle read (the scanner's PickleReadResult fits). */
export interface PickleFacts {
  value: PValue;
  imports: readonly { module: string; name: string; offset: number }[];
  calls: readonly { offset: number; opcode: string; callable: PValue }[];
  anomalies: readonly { kind: string; offset: number; message: string }[];
  complete: boolean;
}

const REBUILD_TENSOR = new Set([
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_tensor_v3',
]);
const REBUILD_PARAMETER = new Set(['torch._utils._rebuild_parameter', 'torch._utils._rebuild_parameter_with_state']);
const UNTYPED_STORAGE = new Set([
  'torch.storage.UntypedStorage',
  'torch.UntypedStorage',
  'torch.storage.TypedStorage',
  'torch.TypedStorage',
]);
/** Globals accepted besides storage classes and dtypes: containers and tensor plumbing only. */
const ALLOWED_GLOBALS = new Set([
  'collections.OrderedDict',
  'torch.Size',
  'torch.device',
  '_codecs.encode',
  'builtins.set',
  'builtins.frozenset',
  ...REBUILD_TENSOR,
  ...REBUILD_PARAMETER,
  ...UNTYPED_STORAGE,
]);

export const MAX_METADATA_VALUE = 64 * 1024;
export const MAX_METADATA_TOTAL = 1024 * 1024;
const MAX_DEPTH = 100;

class Stop extends Error {
  constructor(readonly result: Extract<RebuildResult, { ok: false }>) {
    super(result.reason);
  }
}

const refuse = (reason: string, offset?: number): never => {
  throw new Stop({ ok: false, ruleId: 'convert/refused', reason, offset });
};
const unsupported = (reason: string, offset?: number): never => {
  throw new Stop({ ok: false, ruleId: 'convert/unsupported', reason, offset });
};

export function rebuildCheckpoint(facts: PickleFacts): RebuildResult {
  try {
    screen(facts);
    return { ok: true, plan: new Planner().plan(facts.value) };
  } catch (e) {
    if (e instanceof Stop) return e.result;
    throw e;
  }
}

/** Before looking at the value: every import and call in the whole pickle must be tensor plumbing. */
function screen(facts: PickleFacts): void {
  for (const imp of facts.imports) {
    const full = `${imp.module}.${imp.name}`;
    if (ALLOWED_GLOBALS.has(full) || torchDType(imp.module, imp.name)) continue;
    const storage = storageDType(imp.module, imp.name);
    if (storage && 'unsupported' in storage) unsupported(`${storage.unsupported}`, imp.offset);
    if (storage) continue;
    const hint =
      imp.module.startsWith('torch.nn.') || imp.module.startsWith('torch.optim')
        ? '; this looks like a whole pickled model or optimizer (torch.save(model)): save model.state_dict() instead'
        : '';
    refuse(
      `the pickle imports ${full}, which is not needed to rebuild tensors (only tensor-rebuilding globals and plain containers are accepted)${hint}`,
      imp.offset,
    );
  }
  for (const c of facts.calls)
    refuse(`the pickle calls the result of ${describe(c.callable)} (${c.opcode}), not a plain import`, c.offset);
  const bad = facts.anomalies[0];
  if (bad) refuse(`the pickle is malformed: ${bad.message}`, bad.offset);
  if (!facts.complete) unsupported("the pickle could not be read to the end (truncated, or over the reader's limits)");
}

function globalOf(v: PValue): string | undefined {
  return isTagged(v) && v.k === 'global' ? `${v.module}.${v.name}` : undefined;
}

function callOf(v: PValue): { name: string; call: PCall } | undefined {
  if (!isTagged(v) || v.k !== 'call') return undefined;
  const name = globalOf(v.callable);
  return name ? { name, call: v } : undefined;
}

function items(v: PValue): PValue[] | undefined {
  return isTagged(v) && (v.k === 'tuple' || v.k === 'list') ? v.items : undefined;
}

function int(v: PValue, what: string): number {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'bigint') return unsupported(`${what} ${v} is too large`);
  return unsupported(`${what} is ${describe(v)}, not an integer`);
}

function intTuple(v: PValue, what: string): number[] {
  const sized = callOf(v);
  if (sized?.name === 'torch.Size') return intTuple(items(sized.call.args)?.[0] ?? null, what);
  const list = items(v);
  if (!list) return unsupported(`${what} is ${describe(v)}, not a tuple`);
  return list.map((x) => {
    const n = int(x, what);
    if (n < 0) unsupported(`${what} has a negative entry`);
    return n;
  });
}

class Planner {
  private readonly tensors = new Map<string, TensorRef>();
  private readonly metadata = new Map<string, string>();
  private readonly dropped: { name: string; why: string }[] = [];
  private readonly storages = new Map<string, { dtype: DType; numel: number }>();
  private metadataBytes = 0;
  /** BUILD states already reported (a dict is looked at more than once). */
  private readonly statesSeen = new WeakSet<object>();

  plan(root: PValue): ConversionPlan {
    if (this.tensorOf(root)) this.visit(root, 'tensor', 0);
    else if (!this.dictEntries(root))
      return unsupported(`the checkpoint holds ${describe(root)}, not a dict of tensors`);
    else this.visit(root, '', 0);
    if (this.tensors.size === 0) unsupported('the checkpoint holds no tensors');
    // One copy per distinct tensor: names that are the same view of the same storage share it.
    const byLayout = new Map<string, string>();
    const aliases = new Map<string, string>();
    const distinct: TensorRef[] = [];
    for (const name of [...this.tensors.keys()].sort()) {
      const t = this.tensors.get(name)!;
      const key = JSON.stringify([
        t.storage.key,
        t.storage.view?.key ?? null,
        t.dtype.safetensors,
        t.offset,
        t.shape,
        t.stride,
      ]);
      const kept = byLayout.get(key);
      if (kept) aliases.set(name, kept);
      else {
        byLayout.set(key, name);
        distinct.push(t);
      }
    }
    return { tensors: distinct, aliases, metadata: this.metadata, dropped: this.dropped, storages: this.storages };
  }

  private visit(v: PValue, name: string, depth: number): void {
    if (depth > MAX_DEPTH) unsupported(`values nested deeper than ${MAX_DEPTH} levels at '${name}'`);
    const tensor = this.tensorOf(v);
    if (tensor) {
      if (!name || name === '__metadata__') return unsupported(`a tensor cannot be named '${name}' in safetensors`);
      if (this.tensors.has(name) || this.metadata.has(name))
        unsupported(`two values flatten to the same name '${name}'`);
      this.tensors.set(name, { ...tensor, name });
      return;
    }
    const entries = this.dictEntries(v);
    if (entries) {
      for (const [k, child] of entries) {
        const key =
          typeof k === 'string'
            ? k
            : typeof k === 'number' || typeof k === 'bigint' || typeof k === 'boolean'
              ? String(k)
              : undefined;
        const childName = key === undefined ? undefined : name ? `${name}.${key}` : key;
        if (childName === undefined) {
          this.drop(`${name || '(top level)'}[${describe(k)}]`, 'the key is not a string or integer');
          continue;
        }
        this.visit(child, childName, depth + 1);
      }
      return;
    }
    const list = items(v);
    if (list && list.some((x) => this.holdsTensors(x))) {
      list.forEach((x, i) => this.visit(x, name ? `${name}.${i}` : String(i), depth + 1));
      return;
    }
    this.keepAsMetadata(v, name);
  }

  private holdsTensors(v: PValue, depth = 0): boolean {
    if (depth > MAX_DEPTH) return false;
    if (this.tensorOf(v)) return true;
    const entries = this.dictEntries(v);
    if (entries) return entries.some(([, x]) => this.holdsTensors(x, depth + 1));
    return items(v)?.some((x) => this.holdsTensors(x, depth + 1)) ?? false;
  }

  /** Entries of a dict, an `OrderedDict(...)` (with SETITEMS), or a BUILD over one (state_dict `_metadata`). */
  private dictEntries(v: PValue): [PValue, PValue][] | undefined {
    if (!isTagged(v)) return undefined;
    if (v.k === 'dict') {
      if (v.truncated) unsupported('a dict was larger than the reader keeps');
      return v.entries;
    }
    if (v.k === 'build') {
      const inner = this.dictEntries(v.obj);
      if (inner) this.dictState(v.state);
      return inner;
    }
    const c = callOf(v);
    if (c?.name !== 'collections.OrderedDict') return undefined;
    if (c.call.truncated) unsupported('an OrderedDict was larger than the reader keeps');
    if (c.call.state !== undefined) this.dictState(c.call.state);
    const initial = items(c.call.args)?.[0];
    const fromArgs: [PValue, PValue][] = [];
    for (const pair of items(initial ?? null) ?? []) {
      const kv = items(pair);
      if (kv?.length === 2) fromArgs.push([kv[0], kv[1]]);
    }
    return [...fromArgs, ...(c.call.setitems ?? [])];
  }

  /**
   * Attributes set on a dict by BUILD. `state_dict()` carries `_metadata` (module versions, not
   * weights), which is left out quietly; anything else is reported as dropped.
   */
  private dictState(state: PValue): void {
    if (state === null || (isTagged(state) && this.statesSeen.has(state))) return;
    if (isTagged(state)) this.statesSeen.add(state);
    const entries = isTagged(state) && state.k === 'dict' ? state.entries : undefined;
    if (!entries) {
      this.drop('(dict state)', `${describe(state)} set on a dict has no place in safetensors`);
      return;
    }
    for (const [k] of entries)
      if (k !== '_metadata')
        this.drop(`attribute ${describe(k)}`, 'an attribute set on a dict has no place in safetensors');
  }

  /** A tensor's layout when `v` is `_rebuild_tensor*(…)` or `_rebuild_parameter*(…)`. */
  private tensorOf(v: PValue): Omit<TensorRef, 'name'> | undefined {
    const c = callOf(v);
    if (!c) return undefined;
    const args = items(c.call.args);
    if (REBUILD_PARAMETER.has(c.name)) {
      const data = args?.[0];
      const t = data === undefined ? undefined : this.tensorOf(data);
      return t ?? unsupported(`${c.name} of ${describe(data ?? null)}, not a tensor`, c.call.offset);
    }
    if (!REBUILD_TENSOR.has(c.name)) return undefined;
    if (c.call.state !== undefined)
      unsupported('a tensor with extra Python state (BUILD on a rebuilt tensor)', c.call.offset);
    if (!args || args.length < 4) return unsupported(`${c.name} with ${args?.length ?? 0} arguments`, c.call.offset);
    const v3dtype = c.name.endsWith('_v3') ? args[6] : undefined;
    const storage = this.storageOf(args[0], v3dtype);
    const offset = int(args[1], 'storage offset');
    const shape = intTuple(args[2], 'size');
    const stride = intTuple(args[3], 'stride');
    if (shape.length !== stride.length)
      unsupported(`size ${JSON.stringify(shape)} and stride ${JSON.stringify(stride)} differ in rank`, c.call.offset);
    checkBounds(storage, offset, shape, stride, c.call.offset);
    return { storage, dtype: storage.dtype, offset: offset + (storage.view?.offset ?? 0), shape, stride };
  }

  /** `persistent_load(('storage', StorageClass, key, location, numel[, view]))`. */
  private storageOf(v: PValue, v3dtype: PValue | undefined): StorageRef {
    if (!isTagged(v) || v.k !== 'persid')
      return unsupported(`a tensor's storage is ${describe(v)}, not a persistent storage reference`);
    const pid = items(v.pid);
    if (!pid || pid[0] !== 'storage' || pid.length < 5)
      return unsupported(`unexpected persistent id ${describe(v.pid)}`, v.offset);
    const cls = pid[1];
    let dtype: DType | undefined;
    const clsName = globalOf(cls);
    if (isTagged(cls) && cls.k === 'global') {
      const s = storageDType(cls.module, cls.name);
      if (s && 'unsupported' in s) unsupported(s.unsupported, v.offset);
      dtype = s && !('unsupported' in s) ? s : undefined;
    }
    let numel = int(pid[4], 'storage size');
    if (!dtype && clsName && UNTYPED_STORAGE.has(clsName)) {
      const d =
        v3dtype !== undefined && isTagged(v3dtype) && v3dtype.k === 'global'
          ? torchDType(v3dtype.module, v3dtype.name)
          : undefined;
      if (!d)
        return unsupported(
          `an untyped storage without a dtype PyTorch would give it (${describe(v3dtype ?? null)})`,
          v.offset,
        );
      dtype = d;
      if (numel % d.size !== 0)
        unsupported(`untyped storage of ${numel} bytes is not a whole number of ${d.torch} elements`, v.offset);
      numel = numel / d.size; // untyped storages count bytes
    }
    if (!dtype) return unsupported(`storage class ${describe(cls)} is not one PyTorch uses for tensors`, v.offset);
    const key = pid[2];
    if (typeof key !== 'string' || key.length === 0 || key.length > 256)
      return unsupported(`storage key ${describe(key)}`, v.offset);
    const location = typeof pid[3] === 'string' ? pid[3] : 'cpu';
    const ref: StorageRef = { key, dtype, numel, location };
    const seen = this.storages.get(key);
    if (seen && (seen.dtype.safetensors !== dtype.safetensors || seen.numel !== numel))
      unsupported(`storage ${key} is declared twice with different types or sizes`, v.offset);
    this.storages.set(key, { dtype, numel });
    const view = items(pid[5] ?? null);
    if (view && view.length === 3) {
      const viewKey = typeof view[0] === 'string' ? view[0] : String(view[0]);
      const vOffset = int(view[1], 'storage view offset');
      const vSize = int(view[2], 'storage view size');
      if (vOffset + vSize > numel)
        unsupported(
          `storage view ${viewKey} [${vOffset}, ${vOffset + vSize}) is outside its storage of ${numel} elements`,
          v.offset,
        );
      ref.view = { key: viewKey, offset: vOffset, size: vSize };
    }
    return ref;
  }

  private keepAsMetadata(v: PValue, name: string): void {
    const json = plainValue(v, 0);
    if (json === undefined) {
      this.drop(
        name,
        isBytes(v) ? 'bytes have no string form in safetensors metadata' : `${describe(v)} is not a plain value`,
      );
      return;
    }
    if (name === 'format' || name === '') {
      this.drop(name || '(top level)', 'the name is reserved for the format marker');
      return;
    }
    const text = typeof json === 'string' ? json : JSON.stringify(json);
    if (text.length > MAX_METADATA_VALUE) {
      this.drop(
        name,
        `${text.length} characters is over the ${MAX_METADATA_VALUE}-character limit for one metadata value`,
      );
      return;
    }
    if (this.metadataBytes + text.length > MAX_METADATA_TOTAL) {
      this.drop(name, `metadata is over its ${MAX_METADATA_TOTAL}-character budget`);
      return;
    }
    if (this.tensors.has(name)) unsupported(`two values flatten to the same name '${name}'`);
    this.metadata.set(name, text);
    this.metadataBytes += text.length;
  }

  private drop(name: string, why: string): void {
    this.dropped.push({ name, why });
  }
}

/** Python bytes: BINBYTES, or `_codecs.encode(str, 'latin1')` as protocol 2 writes them. */
function isBytes(v: PValue): boolean {
  return isTagged(v) && (v.k === 'bytes' || (v.k === 'call' && globalOf(v.callable) === '_codecs.encode'));
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A JSON rendering of a plain Python value (None, bool, int, float, str, lists, tuples, sets, str-keyed dicts), else undefined. */
function plainValue(v: PValue, depth: number): Json | undefined {
  if (depth > 20) return undefined;
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return v.toString();
  switch (v.k) {
    case 'float':
      return Number.isFinite(v.v) ? v.v : String(v.v);
    case 'list':
    case 'tuple':
    case 'set':
    case 'frozenset': {
      if ('truncated' in v && v.truncated) return undefined;
      const out: Json[] = [];
      for (const x of v.items) {
        const j = plainValue(x, depth + 1);
        if (j === undefined) return undefined;
        out.push(j);
      }
      return out;
    }
    case 'dict': {
      if (v.truncated) return undefined;
      const out: Record<string, Json> = {};
      for (const [k, x] of v.entries) {
        if (typeof k !== 'string') return undefined;
        const j = plainValue(x, depth + 1);
        if (j === undefined) return undefined;
        out[k] = j;
      }
      return out;
    }
    case 'global':
      return v.module === 'torch' && torchDType(v.module, v.name) ? `torch.${v.name}` : undefined;
    case 'call': {
      const name = globalOf(v.callable);
      const args = items(v.args) ?? [];
      if (name === 'torch.device' && args.every((a) => typeof a === 'string' || typeof a === 'number'))
        return args.join(':');
      if (name === 'torch.Size' || name === 'builtins.set' || name === 'builtins.frozenset')
        return plainValue(args[0] ?? { k: 'tuple', items: [] }, depth + 1);
      if (name === 'collections.OrderedDict' && !v.setitems?.length && args.length === 0) return {};
      return undefined;
    }
    default:
      return undefined;
  }
}

/** The elements a view reads must lie inside its storage (a hostile file could point anywhere). */
function checkBounds(storage: StorageRef, offset: number, shape: number[], stride: number[], at: number): void {
  let numel = 1;
  let last = offset;
  for (let i = 0; i < shape.length; i++) {
    numel *= shape[i];
    if (!Number.isSafeInteger(numel)) unsupported(`tensor of size ${JSON.stringify(shape)} is too large`, at);
    if (shape[i] > 0) last += (shape[i] - 1) * stride[i];
    if (!Number.isSafeInteger(last)) unsupported(`tensor strides ${JSON.stringify(stride)} overflow`, at);
  }
  if (numel === 0) return;
  const limit = storage.view ? storage.view.size : storage.numel;
  if (last >= limit)
    unsupported(
      `tensor of size ${JSON.stringify(shape)}, stride ${JSON.stringify(stride)} at offset ${offset} reads past its storage of ${limit} elements`,
      at,
    );
}

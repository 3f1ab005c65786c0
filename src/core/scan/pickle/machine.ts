import { normalisePy2 } from '../policy/aliases.ts';
import type { ByteStream } from '../io/source.ts';
import { numpyDtypeString } from '../formats/numpyDtype.ts';
import { OPCODE_NAMES } from './opcodes.ts';
import {
  TRUNCATED,
  isTagged,
  type PBytes,
  type PCall,
  type PDict,
  type PGlobal,
  type PList,
  type PSet,
  type PTuple,
  type PValue,
} from './values.ts';
import { plural } from '../../messageText.ts';

/** Bounds on one pickle walk. Reaching one ends in an `incomplete` anomaly, never in a verdict. */
export interface PickleLimits {
  /** Opcodes over all pickles in the input. */
  maxOpcodes: number;
  /**
   * Stack entries kept per MARK segment. Beyond it the oldest entries are dropped and only
   * counted (a 10 M-float list after one MARK costs no memory); popping into them yields
   * placeholders and the containers built from them are marked truncated.
   */
  maxStack: number;
  /** Nested MARKs (CPython's metastack depth). */
  maxMarks: number;
  maxMemo: number;
  /** Container items the value model keeps (beyond it, containers are marked truncated). */
  maxValueItems: number;
  /** A str/bytes payload up to this size is kept in the value model; larger ones are skipped by length. */
  maxKeptPayload: number;
  /** Total bytes of kept payloads. */
  maxKeptTotal: number;
  /** Longest text line (GLOBAL, INT, PUT…) accepted. */
  maxLine: number;
  /**
   * Pickle streams whose records (offsets, values) are kept. Streams beyond it are still read
   * (the opcode budget bounds the work): only the last record is replaced, and `streams` counts them.
   */
  maxPickles: number;
  /** Bytes searched for the next pickle after junk. */
  resyncWindow: number;
  /** Distinct imports / call sites / anomalies recorded. */
  maxRecords: number;
  /** Wall-clock budget in ms (0 = none). */
  timeBudgetMs: number;
}

export const DEFAULT_PICKLE_LIMITS: PickleLimits = {
  maxOpcodes: 200_000_000,
  maxStack: 1 << 16,
  maxMarks: 100_000,
  maxMemo: 1_000_000,
  maxValueItems: 100_000,
  maxKeptPayload: 1 << 20,
  maxKeptTotal: 64 << 20,
  maxLine: 1 << 16,
  maxPickles: 10_000,
  resyncWindow: 64 << 10,
  maxRecords: 10_000,
  timeBudgetMs: 0,
};

export interface PickleImport {
  /** Module and name as the unpickler resolves them (Python-2 names rewritten for protocol < 3). */
  module: string;
  name: string;
  /** As written in the file, when different. */
  raw?: string;
  offset: number;
  opcode: string;
  count: number;
  /** Opcodes that called or instantiated this global (REDUCE, NEWOBJ, INST, OBJ, BUILD-on-global…). */
  calledBy: string[];
  firstCallOffset?: number;
  /** Call sites (REDUCE, NEWOBJ…) of this global. */
  callCount: number;
  /**
   * For loaders of serialized data (`pickle.loads`, `torch.storage._load_from_bytes` …): the
   * embedded pickles (indices into `embedded`) passed to them as literal arguments, one per call
   * site that had one. When every call has one, those streams' own verdicts decide.
   */
  literalPayloads: number[];
}

/** A call whose callable is not a plain import: chained calls, memo tricks, extension codes. */
export interface PickleCallSite {
  opcode: string;
  offset: number;
  callable: PValue;
  kind: 'call-result' | 'ext' | 'persistent' | 'unknown' | 'attribute';
  /** For `kind: 'attribute'`: the global whose method APPEND/SETITEM would call. */
  target?: string;
}

export type AnomalyKind =
  | 'not-pickle'
  | 'truncated'
  | 'invalid-opcode'
  | 'junk'
  | 'frame'
  | 'proto'
  | 'malformed'
  | 'unresolved-import'
  | 'ext'
  | 'global-mutation'
  | 'limit'
  | 'joblib';

export interface PickleAnomaly {
  kind: AnomalyKind;
  offset: number;
  opcode?: string;
  message: string;
}

/** A str/bytes value that holds another pickle (raw, latin-1 text, base64 or hex). */
export interface EmbeddedPickle {
  offset: number;
  length: number;
  encoding: 'raw' | 'latin1' | 'base64' | 'hex';
  /** Absent for a raw payload too large to keep: it is at `dataOffset` in the input, `length` bytes. */
  data?: Buffer;
  dataOffset?: number;
}

export interface PickleStreamInfo {
  offset: number;
  end: number;
  protocol: number;
  opcodes: number;
  complete: boolean;
  value: PValue;
}

export interface PickleReadResult {
  pickles: PickleStreamInfo[];
  imports: PickleImport[];
  calls: PickleCallSite[];
  anomalies: PickleAnomaly[];
  embedded: EmbeddedPickle[];
  opcodes: number;
  /** Pickle streams read (`pickles` keeps at most maxPickles of their records). */
  streams: number;
  /** Bytes consumed (absolute end offset). */
  end: number;
  persistentIds: number;
  /** False when a limit stopped the walk or input was left unread. */
  complete: boolean;
  /** True when the walk stopped at a limit (a budget), as opposed to bad bytes. */
  limitReached: boolean;
  /** Bytes after the last pickle that were not parsed (the caller decides what they are). */
  trailingBytes: number;
}

export interface ReadPickleOptions {
  limits?: Partial<PickleLimits>;
  /** Absolute offset of the stream's first byte (for findings). */
  baseOffset?: number;
  /** Continue into further pickles after STOP (default true). */
  multi?: boolean;
  /** Stop after this many pickles (legacy torch: 5) and leave the rest unread. */
  pickleCount?: number;
  /**
   * Content sniffing: stop at the first error the unpickler would raise (invalid opcode, stack or
   * memo error, bad argument), without searching further for another pickle.
   */
  stopAtError?: boolean;
  signal?: AbortSignal;
}

const EMPTY = Buffer.alloc(0);
/** Bytes copied across a chunk boundary instead of the whole next chunk (see Machine.fill). */
const BRIDGE = 64;
const JOBLIB_WRAPPERS = new Set([
  'joblib.numpy_pickle.NumpyArrayWrapper',
  'sklearn.externals.joblib.numpy_pickle.NumpyArrayWrapper',
]);
const RECONSTRUCTORS = new Set(['copyreg._reconstructor', 'copyreg.__newobj__', 'copyreg.__newobj_ex__']);

/** Functions that deserialize their first argument (see PickleImport.literalPayloads). */
const NESTED_LOADERS = new Set([
  'pickle.loads',
  '_pickle.loads',
  'pickle._loads',
  'dill.loads',
  'dill._dill.loads',
  'cloudpickle.loads',
  'torch.storage._load_from_bytes',
  'torch.load',
  'torch.serialization.load',
  'numpy.loads',
  'joblib.load',
]);
/** Calls that only pass their first argument on as bytes or a file: `_codecs.encode(s, 'latin1')`, `io.BytesIO(b)`. */
const LITERAL_WRAPPERS = new Set(['_codecs.encode', 'codecs.encode', 'io.BytesIO', '_io.BytesIO']);

class StopWalk extends Error {}

/** Anomalies at which CPython's unpickler raises (as opposed to findings about valid pickles). */
export const UNPICKLER_ERRORS: ReadonlySet<AnomalyKind> = new Set([
  'not-pickle',
  'truncated',
  'invalid-opcode',
  'malformed',
]);

/** Opcodes the synchronous fast loop may run (see `fastLoop`). */
const FAST: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (const c of [
    0x28, 0x4e, 0x88, 0x89, 0x4b, 0x4d, 0x4a, 0x47, 0x8a, 0x29, 0x5d, 0x7d, 0x85, 0x86, 0x87, 0x74, 0x61, 0x65, 0x73,
    0x75, 0x71, 0x72, 0x94, 0x68, 0x6a, 0x32, 0x52, 0x51, 0x8c, 0x58, 0x43, 0x42,
  ])
    t[c] = 1;
  return t;
})();

/** Fixed-size argument bytes per opcode (length prefixes included). */
const ARG_BYTES: Uint8Array = (() => {
  const t = new Uint8Array(256);
  const set = (n: number, ops: number[]) => {
    for (const o of ops) t[o] = n;
  };
  set(1, [0x80, 0x4b, 0x8a, 0x55, 0x8c, 0x43, 0x71, 0x68, 0x82]);
  set(2, [0x4d, 0x83]);
  set(4, [0x4a, 0x8b, 0x54, 0x58, 0x42, 0x72, 0x6a, 0x84]);
  set(8, [0x95, 0x47, 0x8d, 0x8e, 0x96]);
  return t;
})();

/** str/bytes payloads up to this size are always kept (names, keys); see `payload`. */
const SHORT_PAYLOAD = 128;

/** Floats pushed after the value budget is spent: not kept, so not allocated. */
const DROPPED_FLOAT: PValue = Object.freeze({ k: 'float', v: Number.NaN }) as PValue;

/** A stack entry that was dropped to bound memory (see PickleLimits.maxStack). */
const COLLAPSED: PValue = Object.freeze({ k: 'unknown', why: 'dropped from a very long MARK run' }) as PValue;

interface Line {
  text: string;
  length: number;
  truncated: boolean;
}

interface Frame {
  stack: PValue[];
  meta: PValue[][];
  memo: Map<number, PValue>;
  proto: number;
  start: number;
  opcodes: number;
}

/**
 * The streaming pickle machine: simulates CPython's unpickler (stack, metastack for MARK, memo)
 * over a byte stream, building a symbolic value model and recording every import and call. It
 * never imports or runs anything, keeps only O(stack + memo + kept payloads) state, and skips
 * large byte payloads by length.
 */
class Machine {
  private buf: Buffer = EMPTY;
  private pos = 0;
  private bridged: Buffer | null = null;
  private split = 0;
  /** Absolute offset of buf[0]. */
  private base: number;
  private eof = false;
  private readonly L: PickleLimits;
  private readonly importMap = new Map<string, PickleImport>();
  readonly calls: PickleCallSite[] = [];
  readonly anomalies: PickleAnomaly[] = [];
  readonly embedded: EmbeddedPickle[] = [];
  private readonly embeddedStrings = new Map<string, number>();
  private readonly embeddedBytes = new Map<PBytes, number>();
  readonly pickles: PickleStreamInfo[] = [];
  opcodes = 0;
  persistentIds = 0;
  /** Pickle streams read (pickles.length stops at maxPickles). */
  streams = 0;
  limitReached = false;
  private itemBudget: number;
  private smallBudget: number;
  private keptBudget: number;
  private deadline: number;
  private stack: PValue[] = [];
  private meta: PValue[][] = [];
  /** Entries dropped from the bottom of the current segment (see PickleLimits.maxStack), and of each outer one. */
  private collapsed = 0;
  private metaCollapsed: number[] = [];
  /** Entries the last popMark() could not return because they had been dropped. */
  private poppedCollapsed = 0;
  private memo = new Map<number, PValue>();
  private proto = 0;
  private frameEnd = -1;
  private frameAt = -1;
  /** Outer unpickler states while a joblib object array's nested pickle is read. */
  private nested: Frame[] = [];
  private pickleStart = 0;
  private pickleOps = 0;
  private opOffset = 0;

  private readonly stopAtError: boolean;

  constructor(
    private readonly src: ByteStream,
    opts: ReadPickleOptions,
  ) {
    this.stopAtError = opts.stopAtError ?? false;
    this.L = { ...DEFAULT_PICKLE_LIMITS, ...opts.limits };
    this.base = opts.baseOffset ?? 0;
    this.itemBudget = this.L.maxValueItems;
    this.smallBudget = this.L.maxValueItems * 4;
    this.keptBudget = this.L.maxKeptTotal;
    this.deadline = this.L.timeBudgetMs > 0 ? Date.now() + this.L.timeBudgetMs : Infinity;
  }

  get offset(): number {
    return this.base + this.pos;
  }
  get imports(): PickleImport[] {
    return [...this.importMap.values()];
  }

  // ---- byte access ----

  /** Makes at least n bytes available from pos if the input has them; false at EOF. */
  private async fill(n: number): Promise<boolean> {
    if (this.buf.length - this.pos >= n) return true;
    this.unbridge();
    if (this.buf.length - this.pos >= n) return true;
    if (this.eof) return false;
    const rest = this.buf.subarray(this.pos);
    this.base += this.pos;
    this.pos = 0;
    const first = await this.src.next();
    if (!first) {
      this.eof = true;
      this.buf = rest;
      return rest.length >= n;
    }
    if (rest.length > 0 && rest.length <= BRIDGE && n <= rest.length + BRIDGE && first.length > 2 * BRIDGE) {
      // Copy only the few bytes that straddle the chunks, not the whole chunk.
      this.buf = Buffer.concat([rest, first.subarray(0, BRIDGE)]);
      this.split = rest.length;
      this.bridged = first;
      return true;
    }
    const parts: Buffer[] = rest.length ? [rest, first] : [first];
    let have = rest.length + first.length;
    while (have < n) {
      const chunk = await this.src.next();
      if (!chunk) {
        this.eof = true;
        break;
      }
      // A source may reuse its buffers (streamOf with reuse): keep a copy of what must outlive the next read.
      parts.push(parts.length >= 2 ? Buffer.from(chunk) : chunk);
      have += chunk.length;
    }
    this.buf = parts.length === 1 ? parts[0] : Buffer.concat(parts, have);
    return have >= n;
  }

  /**
   * After fill() bridged into a new chunk, `buf` is the old chunk's unread tail plus the new
   * chunk's first bytes; from `split` on, `buf` and `bridged` hold the same bytes. Moves to the
   * chunk itself (or, if the tail is still unread, joins the two).
   */
  private unbridge(): void {
    const chunk = this.bridged;
    if (!chunk) return;
    this.bridged = null;
    if (this.pos >= this.split) {
      this.base += this.split;
      this.pos -= this.split;
      this.buf = chunk;
    } else {
      const rest = this.buf.subarray(this.pos, this.split);
      this.base += this.pos;
      this.pos = 0;
      this.buf = Buffer.concat([rest, chunk]);
    }
  }

  private async skip(n: number): Promise<boolean> {
    this.unbridge();
    const inBuf = this.buf.length - this.pos;
    if (n <= inBuf) {
      this.pos += n;
      return true;
    }
    const rest = n - inBuf;
    this.base += this.buf.length;
    this.buf = EMPTY;
    this.pos = 0;
    const skipped = await this.src.skip(rest);
    this.base += skipped;
    if (skipped < rest) {
      this.eof = true;
      return false;
    }
    return true;
  }

  /**
   * Reads one text line (the argument of GLOBAL, INST, INT, STRING, PUT…) of any length, in linear
   * time: the unpickler reads it to its end, so does this scan. Only the first `keep` bytes are
   * kept; the rest is read past and counted. Null at the end of the input without a newline.
   */
  private async readLine(keep = this.L.maxLine): Promise<Line | null> {
    this.unbridge();
    let prefix: string | null = null;
    let dropped = 0;
    let searchFrom = this.pos;
    for (;;) {
      if (this.bridged) {
        const at = searchFrom - this.pos;
        this.unbridge();
        searchFrom = this.pos + at;
      }
      const nl = this.buf.indexOf(10, searchFrom);
      if (nl >= 0) {
        const length = dropped + nl - this.pos;
        const text = prefix ?? this.buf.toString('latin1', this.pos, Math.min(nl, this.pos + keep));
        this.pos = nl + 1;
        return { text, length, truncated: length > keep };
      }
      if (this.eof) return null;
      const have = this.buf.length - this.pos;
      if (have > keep) {
        // A long line: keep its prefix and drop what was searched, so memory stays bounded.
        prefix ??= this.buf.toString('latin1', this.pos, this.pos + keep);
        dropped += have;
        this.base += this.buf.length;
        this.buf = EMPTY;
        this.pos = 0;
        const chunk = await this.src.next();
        if (!chunk) {
          this.eof = true;
          return null;
        }
        this.buf = chunk;
        searchFrom = 0;
        continue;
      }
      const ok = await this.fill(have + 1);
      if (!ok && this.buf.length - this.pos === have) return null;
      searchFrom = this.pos + have;
    }
  }

  /** Reads a length-prefixed payload: kept when small, otherwise skipped by length. */
  private async payload(len: number, kind: PBytes['kind']): Promise<PBytes | null> {
    const offset = this.offset;
    // Short payloads (module and attribute names, dict keys) are always kept: once the byte budget
    // is spent, names must still resolve, or every later STACK_GLOBAL would look computed.
    const short = len <= SHORT_PAYLOAD;
    if (len <= this.L.maxKeptPayload && (short || len <= this.keptBudget)) {
      if (!(await this.fill(len))) return null;
      const data = Buffer.from(this.buf.subarray(this.pos, this.pos + len));
      this.pos += len;
      if (!short) this.keptBudget -= len;
      return { k: 'bytes', offset, length: len, data, kind };
    }
    // Too large to keep: a pickle inside (a legacy torch.save in `_load_from_bytes`, a pickle for
    // pickle.loads) is recorded by position, so the scanner can read it from the source.
    const value: PBytes = { k: 'bytes', offset, length: len, kind };
    if (kind !== 'str' && this.embedded.length < 100 && (await this.fill(Math.min(len, 256)))) {
      if (looksLikePickleBytes(this.buf.subarray(this.pos, this.pos + Math.min(len, 256)))) {
        this.embeddedBytes.set(value, this.embedded.length);
        this.embedded.push({ offset: this.opOffset, length: len, encoding: 'raw', dataOffset: offset });
      }
    }
    if (!(await this.skip(len))) return null;
    return value;
  }

  // ---- records ----

  private anomaly(kind: AnomalyKind, message: string, offset = this.opOffset, opcode?: string): void {
    if (this.anomalies.length < this.L.maxRecords)
      this.anomalies.push({ kind, offset, message, ...(opcode ? { opcode } : {}) });
    if (this.stopAtError && UNPICKLER_ERRORS.has(kind)) throw new StopWalk();
  }

  private recordImport(rawModule: string, rawName: string, opcode: string, offset: number): PGlobal {
    const [module, name] = this.proto < 3 ? normalisePy2(rawModule, rawName) : [rawModule, rawName];
    const key = `${module}\u0000${name}`;
    const rec = this.importMap.get(key);
    if (rec) rec.count++;
    else if (this.importMap.size < this.L.maxRecords) {
      const raw = module !== rawModule || name !== rawName ? `${rawModule}.${rawName}` : undefined;
      this.importMap.set(key, {
        module,
        name,
        ...(raw ? { raw } : {}),
        offset,
        opcode,
        count: 1,
        calledBy: [],
        callCount: 0,
        literalPayloads: [],
      });
    } else this.limit('distinct imports', this.L.maxRecords);
    return { k: 'global', module, name, offset };
  }

  private recordCall(callable: PValue, opcode: string, offset: number, args?: PValue): void {
    if (isTagged(callable) && callable.k === 'global') {
      const rec = this.importMap.get(`${callable.module}\u0000${callable.name}`);
      if (rec) {
        if (!rec.calledBy.includes(opcode)) rec.calledBy.push(opcode);
        rec.firstCallOffset ??= offset;
        rec.callCount++;
        if (
          NESTED_LOADERS.has(`${callable.module}.${callable.name}`) &&
          isTagged(args ?? null) &&
          (args as PValue & object).k === 'tuple'
        ) {
          const lit = this.literalPayload((args as PTuple).items[0]);
          if (lit !== undefined) rec.literalPayloads.push(lit);
        }
      }
      return;
    }
    const kind: PickleCallSite['kind'] = !isTagged(callable)
      ? 'unknown'
      : callable.k === 'call' || callable.k === 'build'
        ? 'call-result'
        : callable.k === 'ext'
          ? 'ext'
          : callable.k === 'persid'
            ? 'persistent'
            : 'unknown';
    if (this.calls.length < this.L.maxRecords) this.calls.push({ opcode, offset, callable, kind });
  }

  private limit(what: string, n: number): never {
    this.limitReached = true;
    this.anomaly('limit', `stopped at the limit of ${n} ${what}; the rest was not scanned`);
    throw new StopWalk();
  }

  private embeddedCheck(v: PBytes | string, offset: number): void {
    if (this.embedded.length >= 100) return;
    const found = embeddedPickle(v);
    if (!found) return;
    if (typeof v === 'string') this.embeddedStrings.set(v, this.embedded.length);
    else this.embeddedBytes.set(v, this.embedded.length);
    this.embedded.push({ offset, length: v.length, ...found });
  }

  /** The embedded pickle a loader's argument is, literally or through `_codecs.encode`/`io.BytesIO`. */
  private literalPayload(v: PValue | undefined, depth = 0): number | undefined {
    if (v === undefined) return undefined;
    if (typeof v === 'string') return this.embeddedStrings.get(v);
    if (!isTagged(v)) return undefined;
    if (v.k === 'bytes') return this.embeddedBytes.get(v);
    if (
      v.k === 'call' &&
      depth < 2 &&
      isTagged(v.callable) &&
      v.callable.k === 'global' &&
      LITERAL_WRAPPERS.has(`${v.callable.module}.${v.callable.name}`) &&
      isTagged(v.args) &&
      v.args.k === 'tuple'
    ) {
      return this.literalPayload(v.args.items[0], depth + 1);
    }
    return undefined;
  }

  // ---- stack ----

  private pop(): PValue {
    if (this.stack.length === 0 && this.collapsed > 0) {
      this.collapsed--;
      return COLLAPSED;
    }
    if (this.stack.length === 0) {
      this.anomaly('malformed', 'stack underflow: the unpickler would stop here with an error');
      return { k: 'unknown', why: 'stack underflow' };
    }
    return this.stack.pop() as PValue;
  }

  private popMark(): PValue[] {
    const items = this.stack;
    this.poppedCollapsed = this.collapsed;
    const outer = this.meta.pop();
    if (!outer) {
      this.anomaly('malformed', 'no MARK on the stack: the unpickler would stop here with an error');
      this.stack = [];
      this.collapsed = 0;
      return items;
    }
    this.stack = outer;
    this.collapsed = this.metaCollapsed.pop() ?? 0;
    return items;
  }

  private pushMark(): void {
    if (this.meta.length >= this.L.maxMarks) this.limit('nested MARKs', this.L.maxMarks);
    this.meta.push(this.stack);
    this.metaCollapsed.push(this.collapsed);
    this.collapsed = 0;
    this.stack = this.spare ?? [];
    this.spare = null;
  }

  private push(v: PValue): void {
    if (this.stack.length >= this.L.maxStack) this.collapse();
    this.stack.push(v);
  }

  /**
   * Drops the older half of a segment that reached maxStack, keeping only their count: the
   * unpickler needs them, this scan does not (imports and calls among them are already recorded).
   * An even number is dropped, so SETITEMS still pairs keys with values.
   */
  private collapse(): void {
    const n = Math.max(2, (this.stack.length >> 1) & ~1);
    this.stack.splice(0, n);
    this.collapsed += n;
  }

  private top(): PValue {
    if (this.stack.length === 0 && this.collapsed > 0) return COLLAPSED;
    if (this.stack.length === 0) {
      this.anomaly('malformed', 'stack underflow: the unpickler would stop here with an error');
      return { k: 'unknown', why: 'stack underflow' };
    }
    return this.stack[this.stack.length - 1];
  }

  /**
   * Adds items to a container of the value model within the budget. Small containers (argument
   * tuples, joblib/dtype state dicts) draw on a separate, larger budget, so one huge list cannot
   * starve the structures the scan and the converter need later in the file.
   */
  private keep<T>(target: T[], items: readonly T[], owner: { truncated?: boolean }): void {
    if (this.poppedCollapsed > 0) {
      owner.truncated = true;
      this.poppedCollapsed = 0;
    }
    if (items.length <= 16 && this.smallBudget >= items.length) {
      for (const it of items) target.push(it);
      this.smallBudget -= items.length;
    } else if (items.length <= this.itemBudget) {
      for (const it of items) target.push(it);
      this.itemBudget -= items.length;
    } else owner.truncated = true;
  }

  private memoPut(key: number, v: PValue): void {
    if (key < 0) {
      this.anomaly('malformed', 'negative memo key');
      return;
    }
    if (!this.memo.has(key) && this.memo.size >= this.L.maxMemo) this.limit('memo entries', this.L.maxMemo);
    this.memo.set(key, v);
  }

  private memoGet(key: number): PValue {
    const v = this.memo.get(key);
    if (v === undefined) {
      this.anomaly('malformed', `memo key ${key} was never stored: the unpickler would stop with an error here`);
      return { k: 'unknown', why: `missing memo key ${key}` };
    }
    return v;
  }

  private appendTo(target: PValue, items: PValue[], opcode: string): void {
    if (isTagged(target)) {
      if (target.k === 'list') {
        this.keep(target.items, items, target);
        return;
      }
      if (target.k === 'call') {
        target.appended ??= [];
        this.keep(target.appended, items, target);
        return;
      }
      if (target.k === 'global') {
        this.mutation(target, opcode, 'extend');
        return;
      }
    }
  }

  private setItems(target: PValue, pairs: [PValue, PValue][], opcode: string): void {
    if (isTagged(target)) {
      if (target.k === 'dict') {
        this.keep(target.entries, pairs, target);
        return;
      }
      if (target.k === 'call') {
        target.setitems ??= [];
        this.keep(target.setitems, pairs, target);
        return;
      }
      if (target.k === 'build' && isTagged(target.obj) && target.obj.k === 'call') {
        this.setItems(target.obj, pairs, opcode);
        return;
      }
      if (target.k === 'global') {
        this.mutation(target, opcode, '__setitem__');
        return;
      }
    }
  }

  /** APPEND/SETITEM/BUILD on an imported global: mutates module state (attribute poisoning). */
  private mutation(target: PGlobal, opcode: string, method: string): void {
    this.anomaly(
      'global-mutation',
      `${opcode} changes the imported object ${target.module}.${target.name} (calls its ${method}); later imports of it get attacker-chosen values`,
      this.opOffset,
      opcode,
    );
    if (this.calls.length < this.L.maxRecords)
      this.calls.push({
        opcode,
        offset: this.opOffset,
        callable: target,
        kind: 'attribute',
        target: `${target.module}.${target.name}`,
      });
  }

  // ---- the walk ----

  async run(opts: ReadPickleOptions): Promise<void> {
    const multi = opts.multi ?? true;
    const maxStreams = opts.pickleCount ?? Infinity;
    try {
      let first = true;
      while (this.streams < maxStreams) {
        if (!(await this.fill(1))) break;
        if (!first) {
          if (!multi) break;
          if (OPCODE_NAMES[this.buf[this.pos]] === undefined || !(await this.plausibleStart())) {
            const at = this.offset;
            if (!(await this.resync())) break;
            this.anomaly(
              'junk',
              `${plural(this.offset - at, 'byte')} of non-pickle data between pickles were skipped; another pickle follows`,
              at,
            );
          }
        } else if (OPCODE_NAMES[this.buf[this.pos]] === undefined) {
          this.anomaly(
            'not-pickle',
            `byte 0x${this.buf[this.pos].toString(16).padStart(2, '0')} is not a pickle opcode`,
            this.offset,
          );
          if (!(await this.resync())) break;
        }
        first = false;
        const done = await this.one(opts.signal);
        if (!done) break;
      }
    } catch (e) {
      if (!(e instanceof StopWalk)) throw e;
    }
  }

  /** After STOP, is what follows a pickle? Requires a PROTO header or a typical first opcode. */
  private async plausibleStart(): Promise<boolean> {
    await this.fill(2);
    const b0 = this.buf[this.pos];
    if (b0 === 0x80) return this.buf.length - this.pos >= 2 && this.buf[this.pos + 1] <= 5;
    // Protocol 0/1 pickles start with a container, a global or a scalar.
    return '(}]).cNIJKLFSVXUTGBCi'.includes(String.fromCharCode(b0));
  }

  /** Searches forward for the next `\x80 <proto 2-5>` header; false when none is found. */
  private async resync(): Promise<boolean> {
    this.unbridge();
    const start = this.offset;
    for (;;) {
      const limit = start + this.L.resyncWindow;
      await this.fill(Math.min(64 << 10, limit - this.offset + 2));
      const end = Math.min(this.buf.length - 1, limit - this.base);
      for (let i = this.pos + 1; i < end; i++) {
        if (this.buf[i] === 0x80 && this.buf[i + 1] >= 2 && this.buf[i + 1] <= 5) {
          this.pos = i;
          return true;
        }
      }
      if (this.eof || this.base + this.buf.length >= limit) {
        this.pos = Math.max(this.pos, Math.min(this.buf.length, end));
        return false;
      }
      this.pos = Math.max(this.pos, end);
    }
  }

  private beginPickle(): void {
    this.stack = [];
    this.meta = [];
    this.collapsed = 0;
    this.metaCollapsed = [];
    this.memo = new Map();
    this.proto = 0;
    this.frameEnd = -1;
    this.pickleStart = this.offset;
    this.pickleOps = 0;
  }

  /** One pickle, from its first opcode to STOP. Returns false when the input cannot continue. */
  /**
   * The hot path: a synchronous loop over opcodes whose arguments are already in the buffer and
   * that never need I/O. It stops, without consuming it, at the first opcode it does not handle
   * (or that is not fully buffered); the async switch in `one()` then runs that single opcode.
   * Keeping this loop free of `await` lets V8 optimise it fully (≥ 20 M opcodes/s).
   */
  private fastLoop(signal?: AbortSignal): void {
    const L = this.L;
    const keepMax = Math.min(L.maxKeptPayload, 4096);
    for (;;) {
      const buf = this.buf;
      let pos = this.pos;
      if (buf.length - pos < 9) return;
      const op = buf[pos];
      if (FAST[op] === 0) return;
      let n = 0;
      if (op === 0x8c || op === 0x43) {
        n = buf[pos + 1];
        if (pos + 2 + n > buf.length || (n > SHORT_PAYLOAD && n > this.keptBudget)) return;
      } else if (op === 0x58 || op === 0x42) {
        n = buf.readUInt32LE(pos + 1);
        if (pos + 5 + n > buf.length || n > keepMax || (n > SHORT_PAYLOAD && n > this.keptBudget)) return;
      } else if (op === 0x8a) {
        n = buf[pos + 1];
        if (n > 7) return;
      }
      if (this.frameEnd >= 0) {
        const at = this.base + pos;
        if (at === this.frameEnd) this.frameEnd = -1;
        else if (at > this.frameEnd) return; // the slow path reports it
      }
      const ops = ++this.opcodes;
      this.pickleOps++;
      if (ops > L.maxOpcodes) this.limit('opcodes', L.maxOpcodes);
      if ((ops & 0xffff) === 0) {
        if (signal?.aborted) {
          this.limitReached = true;
          this.anomaly('limit', 'scan cancelled');
          throw new StopWalk();
        }
        if (Date.now() > this.deadline) this.limit('milliseconds', L.timeBudgetMs);
      }
      this.opOffset = this.base + pos;
      pos++;
      switch (op) {
        case 0x28: // MARK
          this.pos = pos;
          this.pushMark();
          break;
        case 0x4e:
          this.pos = pos;
          this.push(null);
          break;
        case 0x88:
          this.pos = pos;
          this.push(true);
          break;
        case 0x89:
          this.pos = pos;
          this.push(false);
          break;
        case 0x4b:
          this.pos = pos + 1;
          this.push(buf[pos]);
          break;
        case 0x4d:
          this.pos = pos + 2;
          this.push(buf.readUInt16LE(pos));
          break;
        case 0x4a:
          this.pos = pos + 4;
          this.push(buf.readInt32LE(pos));
          break;
        case 0x47: {
          // BINFLOAT, the commonest opcode of big raw pickles: a run of them at once
          this.pos = pos + 8;
          if (this.stack.length >= L.maxStack) this.collapse();
          this.stack.push(this.itemBudget > 0 ? { k: 'float', v: buf.readDoubleBE(pos) } : DROPPED_FLOAT);
          if (this.itemBudget <= 0) this.floatRun(buf, signal);
          break;
        }
        case 0x8a:
          this.pos = pos + 1 + n;
          this.push(decodeLong(buf, pos + 1, n));
          break;
        case 0x29:
          this.pos = pos;
          this.push({ k: 'tuple', items: [] });
          break;
        case 0x5d:
          this.pos = pos;
          this.push({ k: 'list', items: [] });
          break;
        case 0x7d:
          this.pos = pos;
          this.push({ k: 'dict', entries: [] });
          break;
        case 0x85: {
          this.pos = pos;
          const a = this.pop();
          this.push({ k: 'tuple', items: [a] });
          break;
        }
        case 0x86: {
          this.pos = pos;
          const b = this.pop();
          const a = this.pop();
          this.push({ k: 'tuple', items: [a, b] });
          break;
        }
        case 0x87: {
          this.pos = pos;
          const c = this.pop();
          const b = this.pop();
          const a = this.pop();
          this.push({ k: 'tuple', items: [a, b, c] });
          break;
        }
        case 0x74: {
          this.pos = pos;
          const items = this.popMark();
          const t: PTuple = { k: 'tuple', items: [] };
          this.keep(t.items, items, {});
          this.push(t);
          break;
        }
        case 0x61: {
          this.pos = pos;
          const v = this.pop();
          this.appendTo(this.top(), [v], 'APPEND');
          break;
        }
        case 0x65: {
          this.pos = pos;
          const items = this.popMark();
          this.appendTo(this.top(), items, 'APPENDS');
          this.recycle(items);
          break;
        }
        case 0x73: {
          this.pos = pos;
          const v = this.pop();
          const k = this.pop();
          this.setItems(this.top(), [[k, v]], 'SETITEM');
          break;
        }
        case 0x75: {
          this.pos = pos;
          const items = this.popMark();
          this.setItems(this.top(), pairs(items), 'SETITEMS');
          this.recycle(items);
          break;
        }
        case 0x71:
          this.pos = pos + 1;
          this.memoPut(buf[pos], this.top());
          break;
        case 0x72:
          this.pos = pos + 4;
          this.memoPut(buf.readUInt32LE(pos), this.top());
          break;
        case 0x94:
          this.pos = pos;
          this.memoPut(this.memo.size, this.top());
          break;
        case 0x68:
          this.pos = pos + 1;
          this.push(this.memoGet(buf[pos]));
          break;
        case 0x6a:
          this.pos = pos + 4;
          this.push(this.memoGet(buf.readUInt32LE(pos)));
          break;
        case 0x32:
          this.pos = pos;
          this.push(this.top());
          break;
        case 0x52: {
          // REDUCE
          this.pos = pos;
          const args = this.pop();
          const fn = this.pop();
          this.recordCall(fn, 'REDUCE', this.opOffset, args);
          this.reconstructorTarget(fn, args);
          this.push(this.call(fn, args, 'REDUCE'));
          break;
        }
        case 0x51: {
          this.pos = pos;
          const pid = this.pop();
          this.persistentIds++;
          this.push({ k: 'persid', pid, offset: this.opOffset });
          break;
        }
        case 0x8c:
        case 0x58: {
          // SHORT_BINUNICODE, BINUNICODE (fully buffered, small)
          const start = pos + (op === 0x8c ? 1 : 4);
          const str = buf.toString('utf8', start, start + n);
          this.pos = start + n;
          if (n > SHORT_PAYLOAD) this.keptBudget -= n;
          if (n >= 4) this.embeddedCheck(str, this.opOffset);
          this.push(str);
          break;
        }
        case 0x43:
        case 0x42: {
          // SHORT_BINBYTES, BINBYTES (fully buffered, small)
          const start = pos + (op === 0x43 ? 1 : 4);
          if (n > SHORT_PAYLOAD && n > this.keptBudget) return this.rewind(pos - 1);
          const p: PBytes = {
            k: 'bytes',
            offset: this.base + start,
            length: n,
            data: Buffer.from(buf.subarray(start, start + n)),
            kind: 'bytes',
          };
          this.pos = start + n;
          if (n > SHORT_PAYLOAD) this.keptBudget -= n;
          this.embeddedCheck(p, this.opOffset);
          this.push(p);
          break;
        }
        default:
          return this.rewind(pos - 1);
      }
    }
  }

  /**
   * The BINFLOATs that follow one another in the buffer, once the value budget is spent (their
   * values are not kept): one bounds check and one push each, no decoding, no per-opcode
   * bookkeeping. This is most of a big raw pickle (sklearn, legacy torch, pickled lists).
   */
  private floatRun(buf: Buffer, signal?: AbortSignal): void {
    let pos = this.pos;
    let end = buf.length - 9;
    if (this.frameEnd >= 0) end = Math.min(end, this.frameEnd - this.base - 9);
    const maxStack = this.L.maxStack;
    let stack = this.stack;
    let k = 0;
    const left = this.L.maxOpcodes - this.opcodes - 1;
    if (stack.length === 1 && this.collapsed === 0 && this.meta.length > 0) {
      // MARK, floats, APPENDS (how a pickler writes a list, 1000 items a batch): the floats go
      // nowhere the scan looks, so they are counted, not pushed.
      let p = pos;
      while (p <= end && buf[p] === 0x47 && k < left) {
        p += 9;
        k++;
      }
      if (p < buf.length && buf[p] === 0x65 && (this.frameEnd < 0 || this.base + p < this.frameEnd)) {
        this.opcodes += k + 1;
        this.pickleOps += k + 1;
        this.opOffset = this.base + p;
        this.pos = p + 1;
        const items = this.popMark();
        this.poppedCollapsed = items.length + k;
        this.appendTo(this.top(), [], 'APPENDS');
        this.recycle(items);
        this.checkpoint(this.opcodes - k - 1, signal);
        return;
      }
      k = 0;
    }
    while (pos <= end && buf[pos] === 0x47 && k < left) {
      if (stack.length >= maxStack) {
        this.collapse();
        stack = this.stack;
      }
      stack.push(DROPPED_FLOAT);
      pos += 9;
      k++;
    }
    if (k === 0) return;
    const before = this.opcodes;
    this.opcodes += k;
    this.pickleOps += k;
    this.opOffset = this.base + pos - 9;
    this.pos = pos;
    this.checkpoint(before, signal);
  }

  /** Cancellation and the time budget, checked every 65,536 opcodes (also across a batch of them). */
  private checkpoint(before: number, signal?: AbortSignal): void {
    if (before >>> 16 === this.opcodes >>> 16) return;
    if (signal?.aborted) {
      this.limitReached = true;
      this.anomaly('limit', 'scan cancelled');
      throw new StopWalk();
    }
    if (Date.now() > this.deadline) this.limit('milliseconds', this.L.timeBudgetMs);
  }

  /** A MARK segment whose items were copied out is reused by the next MARK (less garbage in big pickles). */
  private spare: PValue[] | null = null;

  private recycle(items: PValue[]): void {
    if (items === this.stack) return;
    items.length = 0;
    this.spare = items;
  }

  /** Undo the bookkeeping of an opcode the fast loop decided not to run after all. */
  private rewind(pos: number): void {
    this.pos = pos;
    this.opcodes--;
    this.pickleOps--;
  }

  private async one(signal?: AbortSignal): Promise<boolean> {
    this.beginPickle();
    const L = this.L;
    for (;;) {
      this.fastLoop(signal);
      if (this.buf.length - this.pos < 9 && !(await this.fill(9)) && this.pos >= this.buf.length) {
        this.anomaly('truncated', 'the pickle ends without a STOP opcode (truncated)', this.offset);
        this.finishPickle(false);
        return false;
      }
      if (this.frameEnd >= 0) {
        const at = this.offset;
        if (at === this.frameEnd) this.frameEnd = -1;
        else if (at > this.frameEnd) {
          this.anomaly(
            'frame',
            `an opcode crosses the end of the FRAME that ends at byte ${this.frameEnd}; unpicklers disagree on such bytes`,
            at,
          );
          this.frameEnd = -1;
        }
      }
      const ops = ++this.opcodes;
      this.pickleOps++;
      if (ops > L.maxOpcodes) this.limit('opcodes', L.maxOpcodes);
      if ((ops & 0xffff) === 0) {
        if (signal?.aborted) {
          this.limitReached = true;
          this.anomaly('limit', 'scan cancelled');
          throw new StopWalk();
        }
        if (Date.now() > this.deadline) this.limit('milliseconds', L.timeBudgetMs);
      }
      const buf = this.buf;
      this.opOffset = this.base + this.pos;
      const op = buf[this.pos++];
      if (ARG_BYTES[op] > buf.length - this.pos) {
        // Only possible at the end of the input: the fixed-size argument is cut off.
        this.pos = buf.length;
        return this.truncated();
      }
      switch (op) {
        case 0x80: {
          // PROTO
          const p = buf[this.pos++];
          if (this.pickleOps !== 1)
            this.anomaly(
              'proto',
              `PROTO ${p} in the middle of a pickle (misplaced or repeated header)`,
              this.opOffset,
              'PROTO',
            );
          if (p > 5) {
            this.anomaly('malformed', `unsupported pickle protocol ${p}`, this.opOffset, 'PROTO');
          }
          this.proto = p;
          break;
        }
        case 0x95: {
          // FRAME
          const len = buf.readBigUInt64LE(this.pos);
          this.pos += 8;
          if (len > 0x7fffffffffffffffn) {
            // Both CPython unpicklers refuse a frame longer than sys.maxsize before reading it.
            this.anomaly(
              'malformed',
              `FRAME of ${len} bytes is longer than Python accepts: the unpickler stops here with an error`,
              this.opOffset,
              'FRAME',
            );
            break;
          }
          if (this.frameEnd >= 0 && this.opOffset !== this.frameEnd)
            this.anomaly('frame', 'a FRAME starts inside another frame', this.opOffset, 'FRAME');
          // Opcodes are read linearly across frames, as CPython's C unpickler reads a file; a frame
          // longer than what follows is reported when the input ends (see frameBeyondEnd).
          this.frameEnd = this.base + this.pos + Number(len);
          this.frameAt = this.opOffset;
          break;
        }
        case 0x2e: {
          // STOP
          const value = this.pop();
          if (this.nested.length) {
            this.resumeOuter(value);
            break;
          }
          this.finishPickle(true, value);
          return true;
        }
        case 0x28: // MARK
          this.pushMark();
          break;
        case 0x30: // POP
          if (this.stack.length) this.stack.pop();
          else if (this.collapsed > 0) this.collapsed--;
          else if (this.meta.length) this.popMark();
          else this.pop();
          break;
        case 0x31:
          this.popMark();
          break; // POP_MARK
        case 0x32:
          this.push(this.top());
          break; // DUP
        case 0x4e:
          this.push(null);
          break; // NONE
        case 0x88:
          this.push(true);
          break;
        case 0x89:
          this.push(false);
          break;
        case 0x4b:
          this.push(buf[this.pos++]);
          break; // BININT1
        case 0x4d:
          this.push(buf.readUInt16LE(this.pos));
          this.pos += 2;
          break; // BININT2
        case 0x4a:
          this.push(buf.readInt32LE(this.pos));
          this.pos += 4;
          break; // BININT
        case 0x47:
          this.push(this.itemBudget > 0 ? { k: 'float', v: buf.readDoubleBE(this.pos) } : DROPPED_FLOAT);
          this.pos += 8;
          break; // BINFLOAT
        case 0x8a: {
          // LONG1
          const n = buf[this.pos++];
          if (!(await this.fill(n))) return this.truncated();
          this.push(decodeLong(this.buf, this.pos, n));
          this.pos += n;
          break;
        }
        case 0x8b: {
          // LONG4
          const n = buf.readInt32LE(this.pos);
          this.pos += 4;
          if (n < 0) {
            this.anomaly('malformed', 'LONG4 with a negative length', this.opOffset, 'LONG4');
            this.push({ k: 'unknown', why: 'bad LONG4' });
            break;
          }
          if (n <= 64) {
            if (!(await this.fill(n))) return this.truncated();
            this.push(decodeLong(this.buf, this.pos, n));
            this.pos += n;
          } else {
            if (!(await this.skip(n))) return this.truncated();
            this.push({ k: 'unknown', why: `${n}-byte integer` });
          }
          break;
        }
        case 0x49:
        case 0x4c: {
          // INT, LONG
          const line = await this.readLine();
          if (line === null) return this.badLine(op);
          if (line.truncated) {
            this.push({ k: 'unknown', why: `${line.length}-character integer literal` });
            break;
          }
          const t = op === 0x4c ? line.text.replace(/L$/, '') : line.text;
          if (op === 0x49 && (t === '00' || t === '01')) {
            this.push(t === '01');
            break;
          }
          // CPython accepts what strtol(s, 0) or int(s, 0) accepts: 0x10, 010, 1_000, " 7 ".
          const n = parsePyInt(t, 0);
          if (n === undefined) {
            this.anomaly(
              'malformed',
              `invalid integer literal ${JSON.stringify(t.slice(0, 40))}: the unpickler stops here with an error`,
              this.opOffset,
              OPCODE_NAMES[op],
            );
            this.push({ k: 'unknown', why: 'bad int' });
            break;
          }
          this.push(n);
          break;
        }
        case 0x46: {
          // FLOAT
          const line = await this.readLine();
          if (line === null) return this.badLine(op);
          const v = line.truncated ? undefined : parsePyFloat(line.text);
          if (v === undefined) {
            this.anomaly(
              'malformed',
              `invalid float literal ${JSON.stringify(line.text.slice(0, 40))}: the unpickler stops here with an error`,
              this.opOffset,
              'FLOAT',
            );
            this.push({ k: 'unknown', why: 'bad float' });
            break;
          }
          this.push({ k: 'float', v });
          break;
        }
        // ---- strings ----
        case 0x53:
        case 0x56: {
          // STRING, UNICODE
          const at = this.opOffset;
          const keep = Math.max(this.L.maxLine, Math.min(this.L.maxKeptPayload, this.keptBudget));
          const line = await this.readLine(keep);
          if (line === null) return this.badLine(op);
          if (line.truncated) {
            // Read to its end like the unpickler; too long to keep, so known by length only.
            this.push({ k: 'bytes', offset: at + 1, length: line.length, kind: 'str' });
            break;
          }
          if (line.length > SHORT_PAYLOAD) this.keptBudget -= line.length;
          const str = op === 0x53 ? unquotePy2String(line.text) : rawUnicodeEscape(line.text);
          if (str === null) {
            this.anomaly(
              'malformed',
              'STRING argument is not a quoted string: the unpickler stops here with an error',
              at,
              'STRING',
            );
            this.push({ k: 'unknown', why: 'bad STRING' });
            break;
          }
          this.embeddedCheck(str, at);
          this.push(str);
          break;
        }
        case 0x54:
        case 0x58:
        case 0x8c:
        case 0x8d: // BINSTRING, BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
        case 0x55: {
          // SHORT_BINSTRING
          let n: number;
          if (op === 0x8c || op === 0x55) n = buf[this.pos++];
          else if (op === 0x8d) {
            n = Number(buf.readBigUInt64LE(this.pos));
            this.pos += 8;
          } else if (op === 0x54) {
            n = buf.readInt32LE(this.pos);
            this.pos += 4;
          } else {
            n = buf.readUInt32LE(this.pos);
            this.pos += 4;
          }
          if (n < 0) {
            this.anomaly('malformed', 'negative string length', this.opOffset, OPCODE_NAMES[op]);
            this.push({ k: 'unknown', why: 'bad length' });
            break;
          }
          const at = this.opOffset;
          const p = await this.payload(n, 'str');
          if (!p) return this.truncated();
          if (p.data) {
            const s = op === 0x54 || op === 0x55 ? p.data.toString('latin1') : p.data.toString('utf8');
            this.embeddedCheck(op === 0x54 || op === 0x55 ? p : s, at);
            this.push(s);
          } else this.push(p);
          break;
        }
        case 0x42:
        case 0x43:
        case 0x8e:
        case 0x96: {
          // BINBYTES, SHORT_BINBYTES, BINBYTES8, BYTEARRAY8
          let n: number;
          if (op === 0x43) n = buf[this.pos++];
          else if (op === 0x42) {
            n = buf.readUInt32LE(this.pos);
            this.pos += 4;
          } else {
            n = Number(buf.readBigUInt64LE(this.pos));
            this.pos += 8;
          }
          const at = this.opOffset;
          const p = await this.payload(n, op === 0x96 ? 'bytearray' : 'bytes');
          if (!p) return this.truncated();
          if (p.data) this.embeddedCheck(p, at);
          this.push(p);
          break;
        }
        case 0x97: // NEXT_BUFFER
          this.anomaly(
            'malformed',
            'NEXT_BUFFER needs out-of-band buffers the file cannot supply',
            this.opOffset,
            'NEXT_BUFFER',
          );
          this.push({ k: 'unknown', why: 'out-of-band buffer' });
          break;
        case 0x98:
          break; // READONLY_BUFFER
        // ---- containers ----
        case 0x29:
          this.push({ k: 'tuple', items: [] });
          break; // EMPTY_TUPLE
        case 0x5d:
          this.push({ k: 'list', items: [] });
          break; // EMPTY_LIST
        case 0x7d:
          this.push({ k: 'dict', entries: [] });
          break; // EMPTY_DICT
        case 0x8f:
          this.push({ k: 'set', items: [] });
          break; // EMPTY_SET
        case 0x85: {
          const a = this.pop();
          this.push({ k: 'tuple', items: [a] });
          break;
        }
        case 0x86: {
          const b = this.pop();
          const a = this.pop();
          this.push({ k: 'tuple', items: [a, b] });
          break;
        }
        case 0x87: {
          const c = this.pop();
          const b = this.pop();
          const a = this.pop();
          this.push({ k: 'tuple', items: [a, b, c] });
          break;
        }
        case 0x74: {
          // TUPLE
          const items = this.popMark();
          const t: PTuple = { k: 'tuple', items: [] };
          this.keep(t.items, items, {});
          this.push(t);
          break;
        }
        case 0x6c: {
          // LIST
          const items = this.popMark();
          const l: PList = { k: 'list', items: [] };
          this.keep(l.items, items, l);
          this.push(l);
          break;
        }
        case 0x64: {
          // DICT
          const items = this.popMark();
          const d: PDict = { k: 'dict', entries: [] };
          this.keep(d.entries, pairs(items), d);
          this.push(d);
          break;
        }
        case 0x91: {
          // FROZENSET
          const items = this.popMark();
          const s: PSet = { k: 'frozenset', items: [] };
          this.keep(s.items, items, s);
          this.push(s);
          break;
        }
        case 0x61: {
          const v = this.pop();
          this.appendTo(this.top(), [v], 'APPEND');
          break;
        }
        case 0x65: {
          const items = this.popMark();
          this.appendTo(this.top(), items, 'APPENDS');
          break;
        }
        case 0x73: {
          const v = this.pop();
          const k = this.pop();
          this.setItems(this.top(), [[k, v]], 'SETITEM');
          break;
        }
        case 0x75: {
          const items = this.popMark();
          this.setItems(this.top(), pairs(items), 'SETITEMS');
          break;
        }
        case 0x90: {
          // ADDITEMS
          const items = this.popMark();
          const t = this.top();
          if (isTagged(t) && (t.k === 'set' || t.k === 'frozenset')) this.keep(t.items, items, t);
          else if (isTagged(t) && t.k === 'global') this.mutation(t, 'ADDITEMS', 'add');
          break;
        }
        // ---- memo ----
        case 0x70: {
          // PUT
          const line = await this.readLine();
          if (line === null) return this.badLine(op);
          const key = line.truncated ? undefined : parsePyInt(line.text, 10);
          if (typeof key !== 'number' || key < 0) {
            this.anomaly(
              'malformed',
              'PUT argument is not a memo index: the unpickler stops here with an error',
              this.opOffset,
              'PUT',
            );
            break;
          }
          this.memoPut(key, this.top());
          break;
        }
        case 0x71:
          this.memoPut(buf[this.pos++], this.top());
          break; // BINPUT
        case 0x72:
          this.memoPut(buf.readUInt32LE(this.pos), this.top());
          this.pos += 4;
          break; // LONG_BINPUT
        case 0x94:
          this.memoPut(this.memo.size, this.top());
          break; // MEMOIZE: key = len(memo)
        case 0x67: {
          // GET
          const line = await this.readLine();
          if (line === null) return this.badLine(op);
          const key = line.truncated ? undefined : parsePyInt(line.text, 10);
          if (typeof key === 'number') this.push(this.memoGet(key));
          else {
            this.anomaly(
              'malformed',
              'GET argument is not a memo index: the unpickler stops here with an error',
              this.opOffset,
              'GET',
            );
            this.push({ k: 'unknown', why: 'bad GET' });
          }
          break;
        }
        case 0x68:
          this.push(this.memoGet(buf[this.pos++]));
          break; // BINGET
        case 0x6a:
          this.push(this.memoGet(buf.readUInt32LE(this.pos)));
          this.pos += 4;
          break; // LONG_BINGET
        // ---- imports ----
        case 0x63:
        case 0x69: {
          // GLOBAL, INST
          const m = await this.readLine();
          const n = m === null ? null : await this.readLine();
          if (m === null || n === null) return this.badLine(op);
          const module = lineName(m, op === 0x63);
          const name = lineName(n, op === 0x63);
          // __import__ fails on such a name, so the unpickler stops here: content probes take it for
          // "not a pickle" (the anomaly ends them); a full scan still reports what was named.
          if (!MODULE_PATH.test(module))
            this.anomaly(
              'malformed',
              `${OPCODE_NAMES[op]} names ${JSON.stringify(module.slice(0, 60))}, which is not a module path: the unpickler stops here with an error`,
              this.opOffset,
              OPCODE_NAMES[op],
            );
          const g = this.recordImport(module, name, op === 0x63 ? 'GLOBAL' : 'INST', this.opOffset);
          if (op === 0x63) this.push(g);
          else {
            const args = this.popMark();
            this.recordCall(g, 'INST', this.opOffset);
            this.push(this.call(g, { k: 'tuple', items: args }, 'INST'));
          }
          break;
        }
        case 0x93: {
          // STACK_GLOBAL
          const name = this.pop();
          const module = this.pop();
          if (typeof module === 'string' && typeof name === 'string') {
            this.push(this.recordImport(module, name, 'STACK_GLOBAL', this.opOffset));
          } else {
            this.anomaly(
              'unresolved-import',
              `STACK_GLOBAL takes its module/name from values computed at load time (${describeOperand(module)}, ${describeOperand(name)}); what it imports cannot be known without running it`,
              this.opOffset,
              'STACK_GLOBAL',
            );
            this.push({ k: 'unknown', why: 'computed import' });
          }
          break;
        }
        case 0x82:
        case 0x83:
        case 0x84: {
          // EXT1, EXT2, EXT4
          let code: number;
          if (op === 0x82) code = buf[this.pos++];
          else if (op === 0x83) {
            code = buf.readUInt16LE(this.pos);
            this.pos += 2;
          } else {
            code = buf.readInt32LE(this.pos);
            this.pos += 4;
          }
          this.anomaly(
            'ext',
            `${OPCODE_NAMES[op]} ${code} imports whatever the loading process registered under extension code ${code} in copyreg; the file does not say what that is`,
            this.opOffset,
            OPCODE_NAMES[op],
          );
          this.push({ k: 'ext', code, offset: this.opOffset });
          break;
        }
        // ---- calls ----
        case 0x52: {
          // REDUCE
          const args = this.pop();
          const fn = this.pop();
          this.recordCall(fn, 'REDUCE', this.opOffset, args);
          this.reconstructorTarget(fn, args);
          this.push(this.call(fn, args, 'REDUCE'));
          break;
        }
        case 0x81: {
          // NEWOBJ
          const args = this.pop();
          const cls = this.pop();
          this.recordCall(cls, 'NEWOBJ', this.opOffset, args);
          this.push(this.call(cls, args, 'NEWOBJ'));
          break;
        }
        case 0x92: {
          // NEWOBJ_EX
          const kwargs = this.pop();
          const args = this.pop();
          const cls = this.pop();
          this.recordCall(cls, 'NEWOBJ_EX', this.opOffset, args);
          const c = this.call(cls, args, 'NEWOBJ_EX');
          c.kwargs = kwargs;
          this.push(c);
          break;
        }
        case 0x6f: {
          // OBJ
          const items = this.popMark();
          const cls = items.length ? items[0] : ({ k: 'unknown', why: 'OBJ without class' } as PValue);
          this.recordCall(cls, 'OBJ', this.opOffset);
          this.push(this.call(cls, { k: 'tuple', items: items.slice(1) }, 'OBJ'));
          break;
        }
        case 0x62: {
          // BUILD
          const state = this.pop();
          const obj = this.top();
          if (isTagged(obj) && obj.k === 'global') {
            this.mutation(obj, 'BUILD', '__setstate__/__dict__');
            this.stack[this.stack.length - 1] = { k: 'build', obj, state, offset: this.opOffset };
          } else if (isTagged(obj) && obj.k === 'call') {
            obj.state = state;
            if (isJoblibWrapper(obj)) {
              this.stack.pop();
              const r = await this.joblibArray(obj, state);
              if (r === 'nested') break;
              if (r === 'stop') return false;
              this.push(r);
            }
          } else if (this.stack.length) {
            this.stack[this.stack.length - 1] = { k: 'build', obj, state, offset: this.opOffset };
          }
          break;
        }
        case 0x50: {
          // PERSID
          const line = await this.readLine();
          if (line === null) return this.badLine(op);
          this.persistentIds++;
          this.push({ k: 'persid', pid: line.text, offset: this.opOffset });
          break;
        }
        case 0x51: {
          // BINPERSID
          const pid = this.pop();
          this.persistentIds++;
          this.push({ k: 'persid', pid, offset: this.opOffset });
          break;
        }
        default: {
          this.pos--;
          this.anomaly(
            'invalid-opcode',
            `byte 0x${op.toString(16).padStart(2, '0')} is not a pickle opcode: the unpickler stops here with an error; the bytes after it were searched for further pickles`,
            this.opOffset,
          );
          this.finishPickle(false);
          const at = this.offset;
          if (await this.resync()) {
            this.anomaly(
              'junk',
              `${plural(this.offset - at, 'byte')} after an invalid opcode skipped; another pickle follows`,
              at,
            );
            return true;
          }
          return false;
        }
      }
    }
  }

  private call(callable: PValue, args: PValue, opcode: string): PCall {
    return { k: 'call', callable, args, opcode, offset: this.opOffset };
  }

  /** copyreg._reconstructor(cls, base, state) / __newobj__(cls, …) instantiate `cls`: record it. */
  private reconstructorTarget(fn: PValue, args: PValue): void {
    if (!isTagged(fn) || fn.k !== 'global' || !RECONSTRUCTORS.has(`${fn.module}.${fn.name}`)) return;
    if (isTagged(args) && args.k === 'tuple' && args.items.length)
      this.recordCall(args.items[0], 'NEWOBJ', this.opOffset);
  }

  private truncated(): false {
    this.anomaly(
      'truncated',
      'the pickle is cut off in the middle of an opcode argument (truncated)',
      this.opOffset,
      undefined,
    );
    this.finishPickle(false);
    return false;
  }

  private badLine(op: number): false {
    this.anomaly(
      'truncated',
      `${OPCODE_NAMES[op]}'s text argument runs to the end of the input without an end-of-line (truncated)`,
      this.opOffset,
      OPCODE_NAMES[op],
    );
    this.finishPickle(false);
    return false;
  }

  private finishPickle(complete: boolean, value: PValue = TRUNCATED): void {
    if (this.frameEnd > this.offset && this.eof && this.buf.length - this.pos === 0) {
      this.anomaly(
        'frame',
        `the FRAME at byte ${this.frameAt} declares ${this.frameEnd - this.frameAt - 9} bytes but the input ends at byte ${this.offset}: CPython's C unpickler refuses it before running it, the pure-Python one (dill, pickle._loads) runs what is there`,
        this.frameAt,
        'FRAME',
      );
      this.frameEnd = -1;
    }
    while (this.nested.length) this.nested.pop();
    this.streams++;
    const info: PickleStreamInfo = {
      offset: this.pickleStart,
      end: this.offset,
      protocol: this.proto,
      opcodes: this.pickleOps,
      complete,
      value,
    };
    // Every stream is read; only a bounded number of records is kept (the last one is always current).
    if (this.pickles.length < this.L.maxPickles) this.pickles.push(info);
    else this.pickles[this.pickles.length - 1] = info;
  }

  /**
   * joblib's NumpyUnpickler reads array data right after BUILD of a NumpyArrayWrapper: raw bytes
   * (optionally preceded by one padding-length byte and 0xFF padding) or, for object arrays, a
   * nested pickle on the same stream.
   */
  private async joblibArray(wrapper: PCall, state: PValue): Promise<PValue | 'nested' | 'stop'> {
    const info = joblibArrayInfo(state);
    if (!info) {
      this.anomaly(
        'joblib',
        'joblib array wrapper without a readable shape/dtype: the array bytes that follow cannot be skipped, so the rest of the file was not scanned',
      );
      this.limitReached = false;
      this.finishPickle(false);
      return 'stop';
    }
    // joblib commits the current frame before writing array data, so the frame ends here.
    if (this.frameEnd >= 0 && this.offset >= this.frameEnd) this.frameEnd = -1;
    if (info.hasObject) {
      // Save the outer unpickler; the nested pickle's value replaces the wrapper when it stops.
      this.nested.push({
        stack: this.stack,
        meta: this.meta,
        memo: this.memo,
        proto: this.proto,
        start: this.pickleStart,
        opcodes: this.pickleOps,
      });
      this.stack = [];
      this.meta = [];
      this.memo = new Map();
      this.proto = 0;
      this.frameEnd = -1;
      this.pickleOps = 0;
      return 'nested';
    }
    if (info.aligned) {
      if (!(await this.fill(1))) {
        this.truncated();
        return 'stop';
      }
      const pad = this.buf[this.pos++];
      if (!(await this.skip(pad))) {
        this.truncated();
        return 'stop';
      }
    }
    const offset = this.offset;
    if (this.frameEnd >= 0 && offset >= this.frameEnd) this.frameEnd = -1;
    if (info.bytes === undefined || !(await this.skip(info.bytes))) {
      this.anomaly('joblib', 'joblib array data is cut off or its size overflows', offset);
      this.finishPickle(false);
      return 'stop';
    }
    return {
      k: 'call',
      callable: wrapper.callable,
      args: wrapper.args,
      opcode: 'BUILD',
      offset: wrapper.offset,
      state: { k: 'bytes', offset, length: info.bytes, kind: 'bytes' },
    } as PCall;
  }

  private resumeOuter(value: PValue): void {
    const outer = this.nested.pop()!;
    this.stack = outer.stack;
    this.meta = outer.meta;
    this.memo = outer.memo;
    this.proto = outer.proto;
    this.pickleOps = outer.opcodes + this.pickleOps;
    this.frameEnd = -1;
    this.push(value);
  }

  result(): PickleReadResult {
    const last = this.pickles[this.pickles.length - 1];
    const incomplete =
      this.limitReached ||
      this.pickles.some((p) => !p.complete) ||
      this.anomalies.some((a) => a.kind === 'not-pickle' || a.kind === 'truncated' || a.kind === 'joblib');
    return {
      pickles: this.pickles,
      imports: this.imports,
      calls: this.calls,
      anomalies: this.anomalies,
      embedded: this.embedded,
      opcodes: this.opcodes,
      streams: this.streams,
      end: this.offset,
      persistentIds: this.persistentIds,
      complete: !incomplete,
      limitReached: this.limitReached,
      trailingBytes: last && !this.eof ? Math.max(0, this.offset - last.end) : 0,
    };
  }
}

/**
 * A NumpyArrayWrapper instance, however it was made: joblib's NumpyUnpickler reads array bytes
 * after BUILD of any object of that class (NEWOBJ, REDUCE, INST, OBJ or copyreg._reconstructor).
 */
function isJoblibWrapper(obj: PCall): boolean {
  const named = (v: PValue | undefined): boolean =>
    isTagged(v ?? null) &&
    (v as PGlobal).k === 'global' &&
    JOBLIB_WRAPPERS.has(`${(v as PGlobal).module}.${(v as PGlobal).name}`);
  if (named(obj.callable)) return true;
  const c = obj.callable;
  return (
    isTagged(c) &&
    c.k === 'global' &&
    RECONSTRUCTORS.has(`${c.module}.${c.name}`) &&
    isTagged(obj.args) &&
    obj.args.k === 'tuple' &&
    named(obj.args.items[0])
  );
}

function pairs(items: PValue[]): [PValue, PValue][] {
  const out: [PValue, PValue][] = [];
  for (let i = 0; i + 1 < items.length; i += 2) out.push([items[i], items[i + 1]]);
  return out;
}

function decodeLong(buf: Buffer, pos: number, n: number): number | bigint {
  if (n === 0) return 0;
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(buf[pos + i]);
  if (buf[pos + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function utf8Line(latin1: string): string {
  return Buffer.from(latin1, 'latin1').toString('utf8');
}

/** A GLOBAL/INST argument line as the unpickler decodes it (UTF-8 for GLOBAL, ASCII for INST); a long one keeps its prefix. */
function lineName(line: Line, utf8: boolean): string {
  const t = utf8 ? utf8Line(line.text) : line.text;
  return line.truncated ? `${t}…(${line.length} bytes)` : t;
}

/** What `__import__` can import: dotted Python identifiers (Unicode letters allowed). */
const MODULE_PATH =
  /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*(?:\.[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*)*$/u;

/**
 * Python's int(text, base) for base 0 or 10, plus C strtol(text, 0) (CPython's INT opcode tries
 * strtol first: `010` is octal there). Surrounding whitespace, a sign, underscores between digits
 * and 0x/0o/0b prefixes as Python allows. Undefined when neither accepts the text.
 */
export function parsePyInt(text: string, base: 0 | 10): number | bigint | undefined {
  const t = text.replace(/^[ \t\n\r\f\v]+|[ \t\n\r\f\v]+$/g, '');
  const m = /^([+-]?)(.*)$/s.exec(t)!;
  const sign = m[1] === '-' ? -1n : 1n;
  let body = m[2];
  let radix = 10;
  if (base === 0) {
    const p = /^0([xob])_?/i.exec(body);
    if (p) {
      radix = { x: 16, o: 8, b: 2 }[p[1].toLowerCase() as 'x' | 'o' | 'b'];
      body = body.slice(p[0].length);
    }
    // strtol(s, 0): a leading 0 means octal; int(s, 0) refuses it unless every digit is 0.
    else if (/^0[0-7]+$/.test(body) && !/^0+$/.test(body)) radix = 8;
  }
  const digit = radix === 16 ? '[0-9a-fA-F]' : radix === 8 ? '[0-7]' : radix === 2 ? '[01]' : '[0-9]';
  if (!new RegExp(`^${digit}+(?:_${digit}+)*$`).test(body)) return undefined;
  const digits = body.replace(/_/g, '');
  let v = 0n;
  const R = BigInt(radix);
  for (const c of digits) v = v * R + BigInt(parseInt(c, radix));
  v *= sign;
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Python's float(text): decimal or exponent forms with underscores, inf/infinity/nan; undefined when refused. */
export function parsePyFloat(text: string): number | undefined {
  const t = text.trim();
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(t)) return Number.NaN;
  const d = '[0-9]+(?:_[0-9]+)*';
  if (!new RegExp(`^[+-]?(?:${d}(?:\\.(?:${d})?)?|\\.${d})(?:[eE][+-]?${d})?$`).test(t)) return undefined;
  return Number(t.replace(/_/g, ''));
}

/** The quoted repr argument of protocol-0 STRING (Python-2 str), decoded as latin-1 text. */
function unquotePy2String(line: string): string | null {
  const t = line.replace(/\r$/, '');
  if (t.length < 2 || (t[0] !== "'" && t[0] !== '"') || t[t.length - 1] !== t[0]) return null;
  return t.slice(1, -1).replace(/\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)/g, (_m, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8) & 0xff);
    return (
      (
        { n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v' } as Record<
          string,
          string
        >
      )[e] ?? `\\${e}`
    );
  });
}

function rawUnicodeEscape(line: string): string {
  const bytes = Buffer.from(line, 'latin1');
  return bytes
    .toString('latin1')
    .replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, a?: string, b?: string) =>
      String.fromCodePoint(parseInt(a ?? b!, 16)),
    );
}

function describeOperand(v: PValue): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null) return 'None';
  if (!isTagged(v)) return `${typeof v} ${String(v)}`;
  if (v.k === 'call') return `the result of a call (${v.opcode})`;
  if (v.k === 'unknown') return v.why;
  if (v.k === 'bytes') return v.kind === 'str' ? `a ${v.length}-byte string too long to keep` : `${v.kind} (not str)`;
  return v.k;
}

function looksLikePickleBytes(b: Buffer): boolean {
  if (b.length < 4) return false;
  if (b[0] === 0x80 && b[1] <= 5) return true;
  // Protocol 0/1: a GLOBAL or INST line first (`cos\nsystem\n`, `(ios\nsystem\n`).
  const head = b.toString('latin1', 0, 200);
  return /^\(?[ci][A-Za-z_][\w.]*\n[A-Za-z_][\w.]*\n/.test(head);
}

/** Does this str/bytes value hold a pickle, raw or encoded? */
export function embeddedPickle(v: PBytes | string): { encoding: EmbeddedPickle['encoding']; data: Buffer } | undefined {
  if (typeof v !== 'string') {
    if (!v.data) return undefined;
    if (looksLikePickleBytes(v.data)) return { encoding: 'raw', data: v.data };
    return v.data.length >= 12 && v.data.length <= 64 << 20 ? textPickle(v.data.toString('latin1')) : undefined;
  }
  if (v.length < 4) return undefined;
  if (v.charCodeAt(0) === 0x80 && v.charCodeAt(1) <= 5 && !/[^\x00-\xff]/.test(v.slice(0, 4096))) {
    return { encoding: 'latin1', data: Buffer.from(v, 'latin1') };
  }
  if (/^\(?[ci][A-Za-z_][\w.]*\n[A-Za-z_][\w.]*\n/.test(v.slice(0, 200)))
    return { encoding: 'latin1', data: Buffer.from(v, 'latin1') };
  return v.length >= 12 ? textPickle(v) : undefined;
}

function textPickle(s: string): { encoding: EmbeddedPickle['encoding']; data: Buffer } | undefined {
  const t = s.trim();
  if (/^(?:0x)?800[0-5]/i.test(t) && /^(?:0x)?[0-9a-fA-F]+$/.test(t) && t.length % 2 === 0) {
    const data = Buffer.from(t.replace(/^0x/i, ''), 'hex');
    if (looksLikePickleBytes(data)) return { encoding: 'hex', data };
  }
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(t.replace(/\s+/g, ''))) {
    const head = Buffer.from(t.slice(0, 24), 'base64');
    if (looksLikePickleBytes(head) || (head.length >= 2 && head[0] === 0x80 && head[1] <= 5)) {
      const data = Buffer.from(t.replace(/\s+/g, ''), 'base64');
      if (looksLikePickleBytes(data)) return { encoding: 'base64', data };
    }
  }
  return undefined;
}

interface JoblibArray {
  hasObject: boolean;
  aligned: boolean;
  bytes?: number;
}

/** Shape × itemsize of a joblib NumpyArrayWrapper's state dict. */
function joblibArrayInfo(state: PValue): JoblibArray | undefined {
  if (!isTagged(state) || state.k !== 'dict') return undefined;
  const get = (key: string): PValue | undefined => state.entries.find(([k]) => k === key)?.[1];
  const shape = get('shape') ?? null;
  const dtype = get('dtype') ?? null;
  const alignment = get('numpy_array_alignment_bytes');
  if (!isTagged(shape) || (shape.k !== 'tuple' && shape.k !== 'list') || !isTagged(dtype) || dtype.k !== 'call')
    return undefined;
  const item = dtypeItem(dtype);
  if (!item) return undefined;
  let count = 1n;
  for (const d of shape.items) {
    if (typeof d === 'number' && d >= 0) count *= BigInt(d);
    else if (typeof d === 'bigint' && d >= 0n) count *= d;
    else return undefined;
  }
  const aligned = alignment !== undefined && alignment !== null;
  if (item.hasObject) return { hasObject: true, aligned };
  const total = count * BigInt(item.size);
  return { hasObject: false, aligned, bytes: total <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(total) : undefined };
}

/**
 * numpy.dtype(descr, align, copy) + BUILD state → (itemsize, hasobject). The state's elsize is
 * used only for flexible types (S, U, V): NumPy ignores it for the others, so a file cannot make
 * this scan skip fewer bytes than joblib reads.
 */
export function dtypeItem(dtype: PCall): { size: number; hasObject: boolean } | undefined {
  const args = dtype.args;
  if (!isTagged(args) || args.k !== 'tuple' || typeof args.items[0] !== 'string') return undefined;
  const d = numpyDtypeString(args.items[0]);
  if (!d) return undefined;
  const st = dtype.state;
  const stItems = isTagged(st ?? null) && (st as PTuple).k === 'tuple' ? (st as PTuple).items : [];
  const elsize = typeof stItems[5] === 'number' ? stItems[5] : -1;
  const flags = typeof stItems[7] === 'number' ? stItems[7] : 0;
  if (d.hasObject || flags & 1) return { size: 8, hasObject: true };
  const size = d.flexible && elsize >= 0 ? elsize : d.size;
  return size === undefined ? undefined : { size, hasObject: false };
}

/**
 * Walks every pickle in `input` (see module comment in ./index.ts). Never throws on bad bytes:
 * problems are anomalies in the result.
 */
export async function runMachine(input: ByteStream, opts: ReadPickleOptions = {}): Promise<PickleReadResult> {
  const m = new Machine(input, opts);
  await m.run(opts);
  return m.result();
}

/**
 * The symbolic value model the pickle machine builds instead of Python objects. Nothing here is
 * ever executed: a call is recorded as `PCall{callable, args}`, an import as `PGlobal`. Python
 * ints are JS numbers (or bigint when they exceed 2^53), str is a JS string, bool and None are
 * JS booleans and null. Everything else is a tagged object (`k`).
 */
export type PValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | PFloat
  | PBytes
  | PList
  | PTuple
  | PDict
  | PSet
  | PGlobal
  | PCall
  | PPersistentId
  | PBuild
  | PExt
  | PUnknown;

export interface PFloat {
  k: 'float';
  v: number;
}
/** Byte payload; `data` is present only when it was small enough to keep (see limits). */
export interface PBytes {
  k: 'bytes';
  offset: number;
  length: number;
  data?: Buffer;
  kind: 'bytes' | 'bytearray' | 'buffer' | 'str';
}
export interface PList {
  k: 'list';
  items: PValue[];
  truncated?: boolean;
}
export interface PTuple {
  k: 'tuple';
  items: PValue[];
}
export interface PDict {
  k: 'dict';
  entries: [PValue, PValue][];
  truncated?: boolean;
}
export interface PSet {
  k: 'set' | 'frozenset';
  items: PValue[];
  truncated?: boolean;
}
/** An import (GLOBAL, INST, STACK_GLOBAL), normalised module/name as the unpickler would resolve. */
export interface PGlobal {
  k: 'global';
  module: string;
  name: string;
  offset: number;
}
/**
 * A call the unpickler would make: REDUCE, INST, OBJ, NEWOBJ(_EX). Items added afterwards by
 * APPEND(S)/SETITEM(S)/ADDITEMS to the result are kept on the call (e.g. an OrderedDict's entries).
 */
export interface PCall {
  k: 'call';
  callable: PValue;
  args: PValue;
  kwargs?: PValue;
  opcode: string;
  offset: number;
  appended?: PValue[];
  setitems?: [PValue, PValue][];
  /** State applied by a later BUILD (`__setstate__`); the call object itself stays in place in the memo. */
  state?: PValue;
  truncated?: boolean;
}
/** `persistent_load(pid)`: in PyTorch checkpoints, pid = ('storage', StorageClass, key, location, numel). */
export interface PPersistentId {
  k: 'persid';
  pid: PValue;
  offset: number;
}
/** BUILD: `obj.__setstate__(state)` or a `__dict__` update. */
export interface PBuild {
  k: 'build';
  obj: PValue;
  state: PValue;
  offset: number;
}
/** EXT1/2/4: an object from the copyreg extension registry, unknowable from the file. */
export interface PExt {
  k: 'ext';
  code: number;
  offset: number;
}
/** A value the model does not keep (budget exhausted, unsupported construct). */
export interface PUnknown {
  k: 'unknown';
  why: string;
}

export const TRUNCATED: PUnknown = Object.freeze({ k: 'unknown', why: 'value budget exhausted' }) as PUnknown;

export function isTagged(v: PValue): v is Exclude<PValue, null | boolean | number | bigint | string> {
  return typeof v === 'object' && v !== null;
}

/** `module.name` of a global, or undefined when the value is not a global. */
export function globalName(v: PValue): string | undefined {
  return isTagged(v) && v.k === 'global' ? `${v.module}.${v.name}` : undefined;
}

/** A short human description of a value, for messages (never long). */
export function describe(v: PValue, depth = 0): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (depth > 2) return '…';
  switch (v.k) {
    case 'float':
      return String(v.v);
    case 'bytes':
      return `<${v.length} bytes at ${v.offset}>`;
    case 'list':
      return `[${v.items
        .slice(0, 4)
        .map((x) => describe(x, depth + 1))
        .join(', ')}${v.items.length > 4 ? ', …' : ''}]`;
    case 'tuple':
      return `(${v.items
        .slice(0, 4)
        .map((x) => describe(x, depth + 1))
        .join(', ')}${v.items.length > 4 ? ', …' : ''})`;
    case 'dict':
      return `{${v.entries.length} entries}`;
    case 'set':
    case 'frozenset':
      return `${v.k}(${v.items.length})`;
    case 'global':
      return `${v.module}.${v.name}`;
    case 'call':
      return `${describe(v.callable, depth + 1)}(…)`;
    case 'persid':
      return `persistent_load(${describe(v.pid, depth + 1)})`;
    case 'build':
      return describe(v.obj, depth + 1);
    case 'ext':
      return `extension #${v.code}`;
    case 'unknown':
      return `<${v.why}>`;
  }
}

import zlib from 'node:zlib';
import { listZip, type ZipEntry } from '../scan/formats/zip.ts';
import { BufferAccess, FileAccess, SliceAccess, streamOf, type RandomAccess } from '../scan/io/source.ts';
import { isTagged, readPickle, type PickleReadResult, type PValue } from '../scan/pickle/index.ts';
import { rebuildCheckpoint, type ConversionPlan, type RebuildResult } from './rebuild.ts';

/**
 * Opens a PyTorch checkpoint for conversion, without executing it: the zip format `torch.save`
 * writes since 1.6 and the legacy stacked-pickle format before it. The pickle is read by the
 * scanner's machine; storages are served as random-access byte ranges of the file itself (stored
 * zip members, the legacy data section), so nothing large is held in memory.
 */

export interface StorageBytes {
  /** Bytes of the root storage, element 0 first. */
  access: RandomAccess;
  /** The checkpoint was written on a big-endian machine: elements need swapping. */
  bigEndian: boolean;
}

export interface OpenCheckpoint {
  format: 'pytorch-zip' | 'pytorch-legacy';
  plan: ConversionPlan;
  storage(key: string): StorageBytes | undefined;
  close(): Promise<void>;
}

export type OpenResult = { ok: true; checkpoint: OpenCheckpoint } | Extract<RebuildResult, { ok: false }>;

/** Largest compressed storage inflated into memory (torch.save never compresses; repacked zips might). */
export const MAX_INFLATED_STORAGE = 256 * 1024 * 1024;
const MAX_PICKLE_MEMBER = 1024 * 1024 * 1024;
/** The symbolic value of a big state dict has ~15 items per tensor; allow millions of tensors. */
const PICKLE_LIMITS = { maxValueItems: 50_000_000 };

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_HEAD = Buffer.from('80028a0a6cfc9c46f9206aa85019', 'hex');

const fail = (
  ruleId: 'convert/refused' | 'convert/unsupported',
  reason: string,
  offset?: number,
): Extract<RebuildResult, { ok: false }> => ({ ok: false, ruleId, reason, offset });

export async function openCheckpoint(file: string, signal?: AbortSignal): Promise<OpenResult> {
  const fa = await FileAccess.open(file);
  let keep = false;
  try {
    const head = await fa.read(0, 64);
    let r: OpenResult;
    try {
      if (head.subarray(0, 4).toString('latin1') === 'PK\x03\x04') r = await openZip(fa, signal);
      else if (head.subarray(0, LEGACY_HEAD.length).equals(LEGACY_HEAD)) r = await openLegacy(fa, signal);
      else if (head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar')
        r = fail('convert/unsupported', 'the tar checkpoint format of PyTorch before 0.4 is not supported');
      else
        r = fail(
          'convert/unsupported',
          'not a PyTorch checkpoint: neither the zip format (torch.save since 1.6) nor the legacy format',
        );
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      // Hostile structure that a reader did not anticipate (e.g. offsets outside the file): a finding, not a crash.
      r = fail('convert/unsupported', `the checkpoint could not be read: ${(e as Error).message}`);
    }
    keep = r.ok;
    return r;
  } finally {
    if (!keep) await fa.close();
  }
}

async function openZip(fa: FileAccess, signal?: AbortSignal): Promise<OpenResult> {
  const listing = await listZip(fa, 10_000_000);
  const problem = listing.problems[0];
  // torch.save writes clean archives; anything the tolerant reader had to work around is a sign of tampering.
  if (problem) return fail('convert/unsupported', `the zip archive is malformed: ${problem.message}`, problem.offset);
  if (listing.truncated) return fail('convert/unsupported', 'the zip archive has more members than the reader accepts');
  const renamed = listing.entries.find((e) => e.localName !== undefined);
  if (renamed)
    return fail(
      'convert/refused',
      `member ${JSON.stringify(renamed.name)} has a different name in its local header (${JSON.stringify(renamed.localName)}): a trick to show scanners and torch different files`,
      renamed.headerOffset,
    );
  const pkls = listing.entries.filter((e) => /^[^/]+\/data\.pkl$/.test(e.name));
  if (pkls.length !== 1)
    return fail(
      'convert/unsupported',
      pkls.length ? 'the archive has more than one data.pkl' : 'no <name>/data.pkl record: not a torch.save archive',
    );
  const prefix = pkls[0].name.slice(0, -'data.pkl'.length);
  const byName = new Map(listing.entries.map((e) => [e.name, e]));
  if (byName.has(`${prefix}constants.pkl`))
    return fail(
      'convert/unsupported',
      'a TorchScript archive (constants.pkl): export its state_dict() from Python instead',
    );
  let bigEndian = false;
  const order = byName.get(`${prefix}byteorder`);
  if (order) {
    const text = (await memberBytes(fa, order, 16)).toString('latin1');
    if (text !== 'little' && text !== 'big')
      return fail(
        'convert/unsupported',
        `byteorder record says ${JSON.stringify(text)}, neither "little" nor "big"`,
        order.dataOffset,
      );
    bigEndian = text === 'big';
  }
  const pickleBytes = await memberAccess(fa, pkls[0], MAX_PICKLE_MEMBER);
  if ('error' in pickleBytes) return fail('convert/unsupported', pickleBytes.error, pkls[0].dataOffset);
  const read = await readPickle(pickleBytes.access, {
    multi: false,
    signal,
    limits: PICKLE_LIMITS,
    baseOffset: pkls[0].dataOffset,
  });
  const rebuilt = rebuildFrom(read, 0);
  if (!rebuilt.ok) return rebuilt;
  const storages = new Map<string, StorageBytes>();
  for (const key of rebuilt.plan.storages.keys()) {
    const entry = byName.get(`${prefix}data/${key}`);
    if (!entry) return fail('convert/unsupported', `storage ${key} is missing from the archive (${prefix}data/${key})`);
    const info = rebuilt.plan.storages.get(key)!;
    const a = await memberAccess(fa, entry, MAX_INFLATED_STORAGE);
    if ('error' in a) return fail('convert/unsupported', a.error, entry.dataOffset);
    if (a.access.size < info.numel * info.dtype.size)
      return fail(
        'convert/unsupported',
        `storage ${key} holds ${a.access.size} bytes, fewer than the ${info.numel} × ${info.dtype.size} its tensors need`,
        entry.dataOffset,
      );
    storages.set(key, { access: a.access, bigEndian });
  }
  return {
    ok: true,
    checkpoint: { format: 'pytorch-zip', plan: rebuilt.plan, storage: (k) => storages.get(k), close: () => fa.close() },
  };
}

/** A member's bytes as random access: stored members in place, deflated ones inflated (bounded). */
async function memberAccess(
  fa: FileAccess,
  e: ZipEntry,
  maxInflated: number,
): Promise<{ access: RandomAccess } | { error: string }> {
  if (e.method === 0) return { access: new SliceAccess(fa, e.dataOffset, e.compressedSize) };
  if (e.method !== 8)
    return { error: `member ${e.name} uses compression method ${e.method}, which the converter does not read` };
  if (e.size > maxInflated)
    return {
      error: `member ${e.name} is compressed and ${e.size} bytes inflated, over the ${maxInflated}-byte limit for compressed members`,
    };
  try {
    const raw = await fa.read(e.dataOffset, e.compressedSize);
    return { access: new BufferAccess(zlib.inflateRawSync(raw, { maxOutputLength: maxInflated })) };
  } catch (err) {
    return { error: `member ${e.name} does not inflate: ${(err as Error).message}` };
  }
}

async function memberBytes(fa: FileAccess, e: ZipEntry, max: number): Promise<Buffer> {
  const a = await memberAccess(fa, e, max);
  return 'error' in a ? Buffer.alloc(0) : a.access.read(0, max);
}

function rebuildFrom(read: PickleReadResult, index: number): RebuildResult {
  const p = read.pickles[index];
  if (!p)
    return fail('convert/unsupported', read.anomalies[0]?.message ?? 'no pickle found', read.anomalies[0]?.offset);
  return rebuildCheckpoint({
    value: p.value,
    imports: read.imports,
    calls: read.calls,
    anomalies: read.anomalies,
    complete: read.complete && p.complete,
  });
}

/**
 * Legacy format (`_use_new_zipfile_serialization=False`): five pickles (magic number, protocol
 * 1001, sys_info, the object, storage keys), then each storage in key order as an 8-byte element
 * count followed by its bytes.
 */
async function openLegacy(fa: FileAccess, signal?: AbortSignal): Promise<OpenResult> {
  const read = await readPickle(streamOf(fa), { pickleCount: 5, signal, limits: PICKLE_LIMITS });
  if (read.pickles.length < 5)
    return fail('convert/unsupported', `the legacy stream has ${read.pickles.length} of its 5 pickles`, read.end);
  const [magic, protocol, sysInfo, , keysPickle] = read.pickles;
  if (magic.value !== LEGACY_MAGIC && !(typeof magic.value === 'number' && BigInt(magic.value) === LEGACY_MAGIC))
    return fail('convert/unsupported', 'the legacy magic number is wrong', magic.offset);
  if (protocol.value !== 1001)
    return fail(
      'convert/unsupported',
      `legacy protocol version ${String(protocol.value)} is not 1001`,
      protocol.offset,
    );
  const rebuilt = rebuildFrom(
    { ...read, complete: read.pickles.slice(0, 5).every((p) => p.complete) && !read.limitReached },
    3,
  );
  if (!rebuilt.ok) return rebuilt;
  const bigEndian = littleEndianFlag(sysInfo.value) === false;
  const keys = keysPickle.value;
  if (!isTagged(keys) || keys.k !== 'list' || !keys.items.every((k) => typeof k === 'string')) {
    return fail('convert/unsupported', 'the legacy storage-key list is not a list of strings', keysPickle.offset);
  }
  const storages = new Map<string, StorageBytes>();
  let pos = keysPickle.end;
  for (const key of keys.items as string[]) {
    const info = rebuilt.plan.storages.get(key);
    if (!info)
      return fail(
        'convert/unsupported',
        `legacy storage ${key} is not used by any tensor, so its element size is unknown`,
      );
    const header = await fa.read(pos, 8);
    if (header.length < 8) return fail('convert/unsupported', `legacy storage ${key} is cut off`, pos);
    const count = bigEndian ? header.readBigUInt64BE(0) : header.readBigUInt64LE(0);
    if (count !== BigInt(info.numel))
      return fail(
        'convert/unsupported',
        `legacy storage ${key} holds ${count} elements, the pickle says ${info.numel}`,
        pos,
      );
    const bytes = info.numel * info.dtype.size;
    if (pos + 8 + bytes > fa.size)
      return fail('convert/unsupported', `legacy storage ${key} runs past the end of the file`, pos);
    storages.set(key, { access: new SliceAccess(fa, pos + 8, bytes), bigEndian });
    pos += 8 + bytes;
  }
  for (const key of rebuilt.plan.storages.keys())
    if (!storages.has(key))
      return fail('convert/unsupported', `legacy storage ${key} is used by a tensor but not stored in the file`);
  return {
    ok: true,
    checkpoint: {
      format: 'pytorch-legacy',
      plan: rebuilt.plan,
      storage: (k) => storages.get(k),
      close: () => fa.close(),
    },
  };
}

function littleEndianFlag(v: PValue): boolean | undefined {
  if (!isTagged(v) || v.k !== 'dict') return undefined;
  for (const [k, x] of v.entries) if (k === 'little_endian' && typeof x === 'boolean') return x;
  return undefined;
}

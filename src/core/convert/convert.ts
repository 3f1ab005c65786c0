import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Finding } from '../findings.ts';
import { validateSafetensors } from '../scan/formats/safetensors.ts';
import { FileAccess } from '../scan/io/source.ts';
import { openCheckpoint, type OpenCheckpoint } from './checkpoint.ts';
import { byteLength, tensorChunks } from './layout.ts';
import { defaultOutputPath } from './names.ts';
import type { ConversionPlan } from './rebuild.ts';
import { plural } from '../messageText.ts';

export interface ConvertOptions {
  /** Where to write; default: next to the input (`model.pt` → `model.safetensors`). Never overwritten. */
  output?: string;
  signal?: AbortSignal;
  /** Bytes processed so far (writing, then verifying) of `total`. */
  onProgress?: (done: number, total: number) => void;
}

export interface ConvertReport {
  ok: boolean;
  input: string;
  output?: string;
  format?: 'pytorch-zip' | 'pytorch-legacy';
  /** Tensors written (distinct tensors). */
  tensors: number;
  /** Tensor data bytes written. */
  bytes: number;
  /** Names that are the same tensor as a written one: alias → kept name. */
  aliases: Record<string, string>;
  /** Non-tensor values kept as __metadata__ strings. */
  metadata: Record<string, string>;
  dropped: { name: string; why: string }[];
  findings: Finding[];
}

/** Problems with the request itself (output exists, unwritable folder): the CLI's exit code 2. */
export class ConvertError extends Error {
  override name = 'ConvertError';
}

/**
 * Converts a PyTorch checkpoint to safetensors without executing it: reads the pickle with the
 * scanner's machine, refuses anything but tensors and plain containers, writes every distinct
 * tensor contiguously to a temporary file next to the output, re-opens that file with the
 * safetensors validator, compares every tensor's bytes with what was read from the source, and
 * only then moves it into place (never over an existing file).
 */
export async function convertCheckpoint(input: string, options: ConvertOptions = {}): Promise<ConvertReport> {
  const output = path.resolve(options.output ?? defaultOutputPath(input));
  if (path.resolve(input) === output) throw new ConvertError(`the output would overwrite the input: ${output}`);
  if (await exists(output))
    throw new ConvertError(`${output} already exists; not overwritten (choose another output path)`);
  const report: ConvertReport = {
    ok: false,
    input,
    tensors: 0,
    bytes: 0,
    aliases: {},
    metadata: {},
    dropped: [],
    findings: [],
  };
  const opened = await openCheckpoint(input, options.signal);
  if (!opened.ok) {
    report.findings.push({
      ruleId: opened.ruleId,
      severity: 'error',
      file: input,
      ...(opened.offset !== undefined ? { offset: opened.offset } : {}),
      message: `${opened.ruleId === 'convert/refused' ? 'Not converted: ' : 'Cannot convert: '}${opened.reason}`,
    });
    return report;
  }
  const cp = opened.checkpoint;
  try {
    const plan = cp.plan;
    report.format = cp.format;
    report.aliases = Object.fromEntries(plan.aliases);
    report.metadata = Object.fromEntries(plan.metadata);
    report.dropped = plan.dropped;
    report.findings.push(...planFindings(plan, input));
    const inputBytes = (await fs.stat(input)).size;
    const planned = safetensorsHeader(plan).dataBytes;
    if (planned > maxOutputBytes(inputBytes)) {
      report.findings.push({
        ruleId: 'convert/unsupported',
        severity: 'error',
        file: input,
        message: `Cannot convert: the tensors would take ${planned} bytes once contiguous, ${(planned / Math.max(1, inputBytes)).toFixed(0)}× the ${inputBytes}-byte checkpoint (views that expand or repeat a small storage); refused so a small file cannot fill the disk`,
      });
      return report;
    }
    let written: Awaited<ReturnType<typeof writeVerified>>;
    try {
      written = await writeVerified(cp, output, options);
    } catch (e) {
      if (e instanceof ConvertError || (e as Error).name === 'AbortError') throw e;
      written = { ok: false, reason: `the checkpoint could not be converted: ${(e as Error).message}` };
    }
    if (!written.ok) {
      report.findings.push({
        ruleId: 'convert/verify-failed',
        severity: 'error',
        file: input,
        message: written.reason,
      });
      return report;
    }
    report.ok = true;
    report.output = output;
    report.tensors = plan.tensors.length;
    report.bytes = written.bytes;
    return report;
  } finally {
    await cp.close();
  }
}

/**
 * Contiguous copies of views can be larger than their storages (a slice and its base are both
 * written), but only by a small factor in real checkpoints; an `expand` to billions of elements
 * is a disk-filling bomb. Allow 4× the checkpoint plus 64 MiB.
 */
export function maxOutputBytes(inputBytes: number): number {
  return inputBytes * 4 + 64 * 1024 * 1024;
}

function planFindings(plan: ConversionPlan, file: string): Finding[] {
  const findings: Finding[] = [];
  const MAX_LISTED = 20;
  plan.dropped.slice(0, MAX_LISTED).forEach((d) =>
    findings.push({
      ruleId: 'convert/dropped-value',
      severity: 'warning',
      file,
      message: `'${d.name}' was not kept: ${d.why}`,
      data: { name: d.name },
    }),
  );
  if (plan.dropped.length > MAX_LISTED)
    findings.push({
      ruleId: 'convert/dropped-value',
      severity: 'warning',
      file,
      message: `${plan.dropped.length - MAX_LISTED} more values were not kept`,
    });
  if (plan.aliases.size) {
    const list = [...plan.aliases]
      .slice(0, 5)
      .map(([a, k]) => `${a} → ${k}`)
      .join(', ');
    findings.push({
      ruleId: 'convert/shared-tensor',
      severity: 'info',
      file,
      message: `${plural(plan.aliases.size, 'name')} are the same tensor as another and were written once, recorded in __metadata__ (${list}${plan.aliases.size > 5 ? ', …' : ''})`,
    });
  }
  const perStorage = new Map<string, number>();
  for (const t of plan.tensors) perStorage.set(t.storage.key, (perStorage.get(t.storage.key) ?? 0) + 1);
  const sharedViews = [...perStorage.values()].filter((n) => n > 1).reduce((a, n) => a + n, 0);
  if (sharedViews)
    findings.push({
      ruleId: 'convert/shared-tensor',
      severity: 'info',
      file,
      message: `${sharedViews} tensors are different views of shared storages; each was written as its own contiguous copy`,
    });
  return findings;
}

/** The safetensors header: `format: pt`, kept values and aliases in __metadata__, then tensors in order. */
export function safetensorsHeader(plan: ConversionPlan): {
  header: Buffer;
  offsets: Map<string, [number, number]>;
  dataBytes: number;
} {
  const metadata: Record<string, string> = { format: 'pt' };
  for (const [k, v] of plan.metadata) metadata[k] = v;
  for (const [alias, kept] of plan.aliases) metadata[alias] = kept;
  const json: Record<string, unknown> = { __metadata__: metadata };
  const offsets = new Map<string, [number, number]>();
  let at = 0;
  for (const t of plan.tensors) {
    const n = byteLength(t);
    offsets.set(t.name, [at, at + n]);
    json[t.name] = { dtype: t.dtype.safetensors, shape: t.shape, data_offsets: [at, at + n] };
    at += n;
  }
  let text = JSON.stringify(json);
  // The writer pads with spaces so data starts 8-byte aligned, as safetensors' own writer does.
  const pad = (8 - (Buffer.byteLength(text) % 8)) % 8;
  text += ' '.repeat(pad);
  const body = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(8 + body.length);
  header.writeBigUInt64LE(BigInt(body.length), 0);
  body.copy(header, 8);
  return { header, offsets, dataBytes: at };
}

async function writeVerified(
  cp: OpenCheckpoint,
  output: string,
  options: ConvertOptions,
): Promise<{ ok: true; bytes: number } | { ok: false; reason: string }> {
  const plan = cp.plan;
  const { header, offsets, dataBytes } = safetensorsHeader(plan);
  const tmp = path.join(
    path.dirname(output),
    `.${path.basename(output)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.partial`,
  );
  const total = dataBytes * 2;
  let done = 0;
  const progress = (n: number): void => {
    done += n;
    options.onProgress?.(done, total);
  };
  let fh: fs.FileHandle | undefined;
  try {
    try {
      fh = await fs.open(tmp, 'wx');
    } catch (e) {
      throw new ConvertError(`cannot write next to ${output}: ${(e as Error).message}`);
    }
    await writeAll(fh, header);
    for (const t of plan.tensors) {
      const storage = cp.storage(t.storage.key);
      if (!storage) return { ok: false, reason: `storage ${t.storage.key} of ${t.name} is missing` };
      let n = 0;
      for await (const chunk of tensorChunks(t, storage)) {
        options.signal?.throwIfAborted();
        await writeAll(fh, chunk);
        n += chunk.length;
        progress(chunk.length);
      }
      if (n !== byteLength(t))
        return { ok: false, reason: `${t.name}: produced ${n} bytes, expected ${byteLength(t)}` };
    }
    await fh.sync();
    await fh.close();
    fh = undefined;
    const problem = await verify(tmp, cp, offsets, header.length, progress, options.signal);
    if (problem) return { ok: false, reason: `the written file did not verify, so it was deleted: ${problem}` };
    await publish(tmp, output);
    return { ok: true, bytes: dataBytes };
  } finally {
    await fh?.close().catch(() => undefined);
    await fs.rm(tmp, { force: true });
  }
}

/**
 * Re-open the written file with the safetensors validator, check its header against the plan,
 * then read every tensor back and compare it byte for byte with the tensor rebuilt again from
 * the source checkpoint (a second, independent read of the source, not a remembered digest).
 */
async function verify(
  file: string,
  cp: OpenCheckpoint,
  offsets: Map<string, [number, number]>,
  dataStart: number,
  progress: (n: number) => void,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const plan = cp.plan;
  const fa = await FileAccess.open(file);
  try {
    const info = await validateSafetensors(fa);
    // Metadata that merely looks like code (a hyper-parameter string) is the checkpoint's own text, not a format error.
    const formatProblem = info.problems.find((p) => p.rule !== 'scan/safetensors-metadata');
    if (formatProblem) return `safetensors validator: ${formatProblem.message}`;
    if (info.metadata.format !== 'pt') return '__metadata__.format is not "pt"';
    if (info.tensors.length !== plan.tensors.length)
      return `${info.tensors.length} tensors in the file, ${plan.tensors.length} planned`;
    const byName = new Map(info.tensors.map((t) => [t.name, t]));
    for (const t of plan.tensors) {
      const got = byName.get(t.name);
      const [begin, end] = offsets.get(t.name)!;
      if (
        !got ||
        got.dtype !== t.dtype.safetensors ||
        got.begin !== begin ||
        got.end !== end ||
        JSON.stringify(got.shape) !== JSON.stringify(t.shape)
      )
        return `${t.name}: header entry differs from the plan`;
      let at = dataStart + begin;
      for await (const expected of tensorChunks(t, cp.storage(t.storage.key)!)) {
        signal?.throwIfAborted();
        const written = await fa.read(at, expected.length);
        if (!written.equals(expected)) return `${t.name}: bytes at file offset ${at}… differ from the source tensor`;
        at += expected.length;
        progress(expected.length);
      }
      if (at !== dataStart + end) return `${t.name}: ${at - dataStart - begin} bytes compared, ${end - begin} expected`;
    }
    return undefined;
  } finally {
    await fa.close();
  }
}

/** Moves the verified file into place without ever replacing an existing one. */
async function publish(tmp: string, output: string): Promise<void> {
  try {
    await fs.link(tmp, output); // fails with EEXIST instead of overwriting
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new ConvertError(`${output} appeared while converting; not overwritten`);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'ENOSYS') throw e;
  }
  // Filesystems without hard links: check, then rename (atomic, but only best-effort against a racing writer).
  if (await exists(output)) throw new ConvertError(`${output} appeared while converting; not overwritten`);
  await fs.rename(tmp, output);
}

async function writeAll(fh: fs.FileHandle, b: Buffer): Promise<void> {
  let off = 0;
  while (off < b.length) {
    const { bytesWritten } = await fh.write(b, off, b.length - off);
    off += bytesWritten;
  }
}

async function exists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}

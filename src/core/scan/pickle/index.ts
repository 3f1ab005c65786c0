/**
 * The pickle machine's public API (used by the scanner, the safetensors converter and reports).
 *
 *   const r = await readPickle(bytesOrStreamOrFile, { limits, baseOffset, multi, pickleCount, signal });
 *   r.pickles[i].value   symbolic value of each pickle (see ./values.ts): nothing is executed
 *   r.imports            every GLOBAL/INST/STACK_GLOBAL (module, name, offset, opcode, count, calledBy)
 *   r.calls              calls whose callable is not a plain import (chained calls, EXT, mutations)
 *   r.anomalies          malformed bytes, junk, frame violations, computed imports, limits reached
 *   r.embedded           str/bytes values that hold another pickle (raw, latin-1, base64, hex)
 *   r.complete           false when a limit stopped the walk or the input was cut off
 *
 * Verdicts are not made here: `../policy/classify.ts` and `./findings.ts` turn a result into
 * Findings. For a PyTorch checkpoint, `torchStateDict(r.pickles[0].value)` (./torch.ts) gives the
 * tensors: name → {storage key, dtype, storage offset, size, stride} as `torch.load` would
 * rebuild them from `_rebuild_tensor_v2(persistent_load(('storage', T, key, loc, numel)), …)`.
 */
import { BufferAccess, streamOf, type ByteStream, type RandomAccess } from '../io/source.ts';
import { runMachine, type PickleReadResult, type ReadPickleOptions } from './machine.ts';

export type {
  PickleReadResult,
  ReadPickleOptions,
  PickleImport,
  PickleCallSite,
  PickleAnomaly,
  EmbeddedPickle,
  PickleLimits,
  PickleStreamInfo,
} from './machine.ts';
export { DEFAULT_PICKLE_LIMITS, embeddedPickle, dtypeItem } from './machine.ts';
export * from './values.ts';

export type PickleInput = Buffer | Uint8Array | ByteStream | RandomAccess;

function isByteStream(x: PickleInput): x is ByteStream {
  return typeof (x as ByteStream).next === 'function';
}

/** Walk every pickle in the input with bounded memory. Never throws on hostile bytes. */
export function readPickle(input: PickleInput, options: ReadPickleOptions = {}): Promise<PickleReadResult> {
  let stream: ByteStream;
  if (Buffer.isBuffer(input) || input instanceof Uint8Array)
    stream = streamOf(new BufferAccess(Buffer.from(input.buffer, input.byteOffset, input.byteLength)));
  else if (isByteStream(input)) stream = input;
  else stream = streamOf(input);
  return runMachine(stream, options);
}

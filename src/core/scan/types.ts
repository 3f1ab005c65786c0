import type { Finding } from '../findings.ts';
import type { PickleLimits } from './pickle/machine.ts';

/** Bounds on one file scan. Reaching one gives a `scan/incomplete` finding, never "clean". */
export interface ScanLimits {
  /** Nesting of archives/compression wrappers/embedded pickles. */
  maxDepth: number;
  maxMembers: number;
  /** Largest decompressed size of one member or wrapper. */
  maxMemberBytes: number;
  /** Largest decompressed/compressed ratio accepted. */
  maxRatio: number;
  /** Largest member held in memory when a format needs random access inside a compressed stream. */
  maxBufferedBytes: number;
  /** safetensors/GGUF/npy header caps. */
  maxHeaderBytes: number;
  pickle: Partial<PickleLimits>;
}

export const DEFAULT_SCAN_LIMITS: ScanLimits = {
  maxDepth: 6,
  maxMembers: 20_000,
  maxMemberBytes: 8 * 1024 ** 3,
  maxRatio: 200,
  maxBufferedBytes: 128 * 1024 ** 2,
  maxHeaderBytes: 100_000_000,
  pickle: {},
};

export interface ScanOptions {
  limits?: Partial<ScanLimits>;
  signal?: AbortSignal;
}

/** What the scanner took one file or archive member to be. */
export type ScanFormat =
  | 'pickle'
  | 'pytorch-zip'
  | 'torchscript'
  | 'pytorch-legacy'
  | 'pytorch-tar'
  | 'numpy'
  | 'npz'
  | 'joblib'
  | 'safetensors'
  | 'gguf'
  | 'keras'
  | 'hdf5'
  | 'zip'
  | 'tar'
  | 'gzip'
  | 'bzip2'
  | 'xz'
  | 'lzma'
  | 'zlib'
  | '7z'
  | 'lz4'
  | 'onnx'
  | 'json'
  | 'text'
  | 'empty'
  | 'unknown';

export interface MemberResult {
  /** Path inside the file: `archive/data.pkl`, `model.tar.gz!/inner.pkl`, `data.pkl#pickle@1234`. */
  path: string;
  format: ScanFormat;
  size: number;
}

export interface ScanStats {
  bytes: number;
  opcodes: number;
  pickles: number;
  members: number;
  ms: number;
}

export interface FileScanResult {
  path: string;
  format: ScanFormat;
  size: number;
  members: MemberResult[];
  findings: Finding[];
  /** False when any part was not scanned (limits, unsupported compression, malformed data). */
  complete: boolean;
  stats: ScanStats;
}

export type ScanProgress = (done: number, total: number, file: string) => void;

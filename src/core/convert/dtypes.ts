/**
 * PyTorch element types as they appear in checkpoints (storage classes such as `torch.FloatStorage`,
 * dtype globals such as `torch.bfloat16`) and their safetensors names. Only types safetensors can
 * hold bit for bit are listed; quantized and complex storages are deliberately absent.
 */
export interface DType {
  /** safetensors dtype name */
  safetensors: string;
  /** bytes per element */
  size: number;
  /** torch name, for messages */
  torch: string;
}

const T = (safetensors: string, size: number, torch: string): DType => ({ safetensors, size, torch });

const BY_TORCH_NAME: Record<string, DType> = {
  float32: T('F32', 4, 'float32'),
  float: T('F32', 4, 'float32'),
  float64: T('F64', 8, 'float64'),
  double: T('F64', 8, 'float64'),
  float16: T('F16', 2, 'float16'),
  half: T('F16', 2, 'float16'),
  bfloat16: T('BF16', 2, 'bfloat16'),
  int64: T('I64', 8, 'int64'),
  long: T('I64', 8, 'int64'),
  int32: T('I32', 4, 'int32'),
  int: T('I32', 4, 'int32'),
  int16: T('I16', 2, 'int16'),
  short: T('I16', 2, 'int16'),
  int8: T('I8', 1, 'int8'),
  uint8: T('U8', 1, 'uint8'),
  uint16: T('U16', 2, 'uint16'),
  uint32: T('U32', 4, 'uint32'),
  uint64: T('U64', 8, 'uint64'),
  bool: T('BOOL', 1, 'bool'),
  float8_e4m3fn: T('F8_E4M3', 1, 'float8_e4m3fn'),
  float8_e5m2: T('F8_E5M2', 1, 'float8_e5m2'),
};

/** `torch.FloatStorage` class names (legacy typed storages) → element type. */
const BY_STORAGE_CLASS: Record<string, DType> = {
  FloatStorage: BY_TORCH_NAME.float32,
  DoubleStorage: BY_TORCH_NAME.float64,
  HalfStorage: BY_TORCH_NAME.float16,
  BFloat16Storage: BY_TORCH_NAME.bfloat16,
  LongStorage: BY_TORCH_NAME.int64,
  IntStorage: BY_TORCH_NAME.int32,
  ShortStorage: BY_TORCH_NAME.int16,
  CharStorage: BY_TORCH_NAME.int8,
  ByteStorage: BY_TORCH_NAME.uint8,
  BoolStorage: BY_TORCH_NAME.bool,
  UInt16Storage: BY_TORCH_NAME.uint16,
  UInt32Storage: BY_TORCH_NAME.uint32,
  UInt64Storage: BY_TORCH_NAME.uint64,
  Float8_e4m3fnStorage: BY_TORCH_NAME.float8_e4m3fn,
  Float8_e5m2Storage: BY_TORCH_NAME.float8_e5m2,
};

/** Storage classes PyTorch knows but safetensors cannot represent exactly. */
const UNREPRESENTABLE_STORAGE = /^(?:Complex(?:Float|Double)|Q(?:U?Int\d+(?:x\d+)?)|QUInt\dx\d)Storage$/;

/** Element type of a storage global (`torch.FloatStorage`), or why there is none. */
export function storageDType(module: string, name: string): DType | { unsupported: string } | undefined {
  if (module !== 'torch') return undefined;
  const d = BY_STORAGE_CLASS[name];
  if (d) return d;
  if (UNREPRESENTABLE_STORAGE.test(name))
    return {
      unsupported: `torch.${name} (${name.replace('Storage', '').toLowerCase()} tensors have no safetensors dtype)`,
    };
  return undefined;
}

/** Element type of a dtype global (`torch.bfloat16`), used by `_rebuild_tensor_v3` and UntypedStorage. */
export function torchDType(module: string, name: string): DType | undefined {
  return module === 'torch' ? BY_TORCH_NAME[name] : undefined;
}

/** Every safetensors dtype this converter writes, with its size (for the validator side). */
export const SAFETENSORS_SIZES: Readonly<Record<string, number>> = Object.fromEntries(
  Object.values(BY_TORCH_NAME).map((d) => [d.safetensors, d.size]),
);

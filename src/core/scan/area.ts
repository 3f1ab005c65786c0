import { defineArea, nameMatches, type FileKind } from '../area.ts';
import { SCAN_RULES } from './rules.ts';

/** Weight files: the pickle machine, containers and format validators. */
export const scanArea = defineArea({
  id: 'scan',
  title: 'Weight files',
  categories: ['scan'],
  rules: SCAN_RULES,
  files: [
    {
      id: 'weights',
      title: 'model weights or serialized model',
      extensions: [
        '.safetensors',
        '.gguf',
        '.ggml',
        '.onnx',
        '.pt',
        '.pth',
        '.ckpt',
        '.pkl',
        '.pickle',
        '.joblib',
        '.dill',
        '.h5',
        '.hdf5',
        '.keras',
        '.npy',
        '.npz',
        '.tflite',
        '.mlmodel',
        '.mar',
        '.nemo',
        '.llamafile',
      ],
      weakExtensions: ['.bin', '.pb', '.msgpack', '.model', '.sav', '.dat', '.p', '.pck', '.pcl'],
      // Content decides the format wherever the name does not (a pickle named .txt is still scanned).
      magic: [
        { format: 'gguf', offset: 0, bytes: 'GGUF' },
        { format: 'hdf5', offset: 0, bytes: '\x89HDF\r\n\x1a\n' },
        { format: 'numpy', offset: 0, bytes: '\x93NUMPY' },
        { format: 'tflite', offset: 4, bytes: 'TFL3' },
      ],
      activation: 'files',
    },
  ],
  inspectors: ['scan'],
  gateEngine: 'scan',
  validators: [],
  explorer: [{ command: 'modelInspect.scan', kinds: ['weights'], folders: true }],
});

/** The weight-file kind: one list of extensions for every face (the scanner, model discovery, menus, watchers, pickers). */
export const WEIGHTS: FileKind = scanArea.files[0]!;

/** Every weight extension (with the dot), strong ones first, then those other files share (`.bin`, `.dat`). */
export const WEIGHT_EXTENSIONS: readonly string[] = [...(WEIGHTS.extensions ?? []), ...(WEIGHTS.weakExtensions ?? [])];

/** Whether a file name carries a weight extension (strong or weak). */
export function hasWeightName(file: string): boolean {
  return nameMatches(WEIGHTS, file);
}

/**
 * A weight file by name (the scan area's descriptor). An extension other files share (`.bin`,
 * `.pb`, `.dat`…) is a weight file only when the rest of its name says so (pytorch_model.bin,
 * model-00001-of-00002.bin, saved_model.pb), so a vocabulary or an image does not make a model.
 */
export function isWeightFile(file: string): boolean {
  const base = file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1).toLowerCase();
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return false;
  const ext = base.slice(dot);
  if (WEIGHTS.extensions?.includes(ext)) return true;
  if (!WEIGHTS.weakExtensions?.includes(ext)) return false;
  return /model|weights?|ckpt|checkpoint|adapter|pytorch|tf_|flax|saved/.test(base.slice(0, dot));
}

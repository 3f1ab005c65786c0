import path from 'node:path';
import { convertArea } from './area.ts';

/** Extensions of PyTorch checkpoints (and the pickles people save weights in): the convert area's `checkpoint` files. */
export const CHECKPOINT_EXTENSIONS: readonly string[] =
  convertArea.files.find((k) => k.id === 'checkpoint')?.extensions ?? [];

/**
 * The safetensors name for a checkpoint, as Hugging Face's converter names it: the weight
 * extension becomes `.safetensors` and `pytorch_model` becomes `model` (so shards
 * `pytorch_model-00001-of-00002.bin` become `model-00001-of-00002.safetensors`).
 */
export function safetensorsName(file: string): string {
  const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/') + 1) : '';
  let base = file.slice(dir.length).replace(/\.(?:pth\.tar|pt|pth|bin|ckpt|pkl|pickle|tar)$/i, '');
  if (/^pytorch_model(?:-\d{5}-of-\d{5})?$/.test(base)) base = base.replace('pytorch_model', 'model');
  return `${dir}${base}.safetensors`;
}

/** Default output path: next to the checkpoint. */
export function defaultOutputPath(input: string): string {
  return path.join(path.dirname(input), safetensorsName(path.basename(input)));
}

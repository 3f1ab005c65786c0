import fs from 'node:fs/promises';
import path from 'node:path';
import { isWeightFile, WEIGHTS } from '../scan/area.ts';
import { walk, type WalkEntry, type WalkLink, type WalkSkipped, type WalkSpecial } from '../fsutil/walk.ts';
import { frontMatter, modelCardKind } from '../modelcard/files.ts';

/**
 * What "a model" is to the gate and the report: a folder with weight files and/or a model card
 * (or a single weight file, whose folder is then the model). Files are classified by name and by
 * their first bytes, never by executing or parsing their content.
 */
export interface ModelTarget {
  /** The model folder (absolute). */
  root: string;
  /** A short name for titles (folder name, or the card's model_details.name when known). */
  name: string;
  weightFiles: WalkEntry[];
  /** Our model-card.yaml (preferred) or a Hugging Face README.md. */
  cardFile?: string;
  files: WalkEntry[];
  /** Why the file list may be partial (walk limits). */
  truncated?: string;
  /** FIFOs, sockets and devices: never opened, never covered by a signature. */
  special: WalkSpecial[];
  /** Symbolic links that were not followed (leaving the folder, to folders, dangling…). */
  links: WalkLink[];
  /** Folders not entered (`.git`, `node_modules`, `venv`…), with how many entries they hold. */
  skipped: WalkSkipped[];
  /** Entries that could not be read: not inspected. */
  errors: { path: string; rel: string; message: string }[];
}

// Named by the scan area, so the policy search's model boundary (a foundation) reads it too.
export { isWeightFile };

export type WeightFormat =
  'safetensors' | 'gguf' | 'pickle' | 'pytorch-zip' | 'zip' | 'hdf5' | 'numpy' | 'onnx' | 'tflite' | 'unknown';

/** The format of a weight file from its first 16 bytes (and its extension where bytes can't tell). */
export async function sniffWeightFormat(file: string): Promise<WeightFormat> {
  let head: Buffer;
  try {
    const fh = await fs.open(file, 'r');
    try {
      head = Buffer.alloc(16);
      const { bytesRead } = await fh.read(head, 0, 16, 0);
      head = head.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch {
    return 'unknown';
  }
  const ext = path.extname(file).toLowerCase();
  const magic = WEIGHTS.magic?.find(
    (m) => head.subarray(m.offset, m.offset + m.bytes.length).toString('latin1') === m.bytes,
  );
  if (magic) return magic.format as WeightFormat;
  if (head.subarray(0, 4).toString('latin1') === 'PK\x03\x04')
    return ext === '.pt' || ext === '.pth' || ext === '.bin' || ext === '.ckpt' ? 'pytorch-zip' : 'zip';
  if (head.length >= 9 && head[0] !== undefined && head.readBigUInt64LE(0) < 100_000_000n && head[8] === 0x7b)
    return 'safetensors';
  if (head[0] === 0x80 && head[1] !== undefined && head[1] <= 5) return 'pickle';
  if (ext === '.onnx') return 'onnx';
  return 'unknown';
}

/** Model folders under `root`: every folder that directly holds weight files or a model card. */
export async function discoverModels(root: string, options: { maxFiles?: number } = {}): Promise<ModelTarget[]> {
  const walked = await walk(root, { maxFiles: options.maxFiles ?? 20_000 });
  const byDir = new Map<string, WalkEntry[]>();
  for (const f of walked.files) {
    const dir = path.dirname(f.path);
    const list = byDir.get(dir) ?? [];
    list.push(f);
    byDir.set(dir, list);
  }
  const out: ModelTarget[] = [];
  for (const [dir, entries] of byDir) {
    if (!entries.some((e) => isWeightFile(e.path) || modelCardKind(e.path) === 'card-yaml')) continue;
    out.push(await modelTarget(dir));
  }
  return out.sort((a, b) => a.root.localeCompare(b.root));
}

/** The model a path belongs to: a folder is the model; a file's model is its folder. */
export async function modelTarget(p: string): Promise<ModelTarget> {
  const abs = path.resolve(p);
  const st = await fs.stat(abs);
  const root = st.isDirectory() ? abs : path.dirname(abs);
  const walked = await walk(root, { maxFiles: 20_000 });
  // Everything below the folder is the model the gate judges, subfolders with a card of their own
  // included: approving a folder approves what it holds, so a card dropped into `extra/` must not
  // take `extra/`'s files out of coverage and scanning. (The tree still lists such a subfolder as a
  // model of its own as well.) The card is the one at the model's root.
  const files = walked.files;
  const weightFiles = files.filter((f) => isWeightFile(f.path));
  const cards = files.filter((f) => !f.rel.includes('/') && modelCardKind(f.path) === 'card-yaml');
  cards.sort((a, b) => a.rel.localeCompare(b.rel));
  const readme = files.find((f) => f.rel.toLowerCase() === 'readme.md');
  return {
    root,
    name: path.basename(root),
    weightFiles,
    cardFile: cards[0]?.path ?? (readme && (await hasFrontMatter(readme.path)) ? readme.path : undefined),
    files,
    truncated: walked.truncated,
    special: walked.special,
    links: walked.links,
    skipped: walked.skipped,
    errors: walked.errors,
  };
}

/** A README.md is a model card only when it starts with YAML front matter (Hugging Face). */
async function hasFrontMatter(file: string): Promise<boolean> {
  try {
    const fh = await fs.open(file, 'r');
    try {
      const buf = Buffer.alloc(64 * 1024);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      return frontMatter(buf.subarray(0, bytesRead).toString('utf8')) !== undefined;
    } finally {
      await fh.close();
    }
  } catch {
    return false;
  }
}

import type crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isWeightFile } from '../model/target.ts';
import { MODEL_SIG } from './modelSigning.ts';
import { keyFingerprint, parsePublicKey } from './keys.ts';

/**
 * Where new key pairs go. A key generated into a model folder ends up beside the weights, in the
 * next folder signature's reach and in whatever publishes the folder; so the default is a folder
 * of the user's own, and a folder inside a model is named before anything is written there.
 */

/** `~/.model-inspect/keys`: outside every workspace and model. */
export function defaultKeyDir(home: string = os.homedir()): string {
  return path.join(home, '.model-inspect', 'keys');
}

/**
 * The model folder that holds `dir` (itself or an ancestor directly holding weight files or a
 * model.sig), or undefined. Only folder listings are read; an unreadable folder is not a model.
 */
export async function modelFolderAround(dir: string): Promise<string | undefined> {
  let d = path.resolve(dir);
  for (let depth = 0; depth < 64; depth++) {
    let names: string[] = [];
    try {
      names = await fs.readdir(d);
    } catch {
      /* not there or not readable */
    }
    if (names.some((n) => n === MODEL_SIG || isWeightFile(n))) return d;
    const up = path.dirname(d);
    if (up === d) return undefined;
    d = up;
  }
  return undefined;
}

/**
 * The public key that goes with a private key file: `cosign.pub` beside `cosign.key`, `K.pub`
 * beside `K.pem`/`K.key`, or `K.key.pub`; only a file whose key is the private key's own counts
 * (a stray cosign.pub of another pair would make Verify fail for the wrong reason).
 */
export async function publicKeyBeside(keyFile: string, privateKey: crypto.KeyObject): Promise<string | undefined> {
  const dir = path.dirname(keyFile);
  const stem = path.basename(keyFile).replace(/\.(key|pem)$/i, '');
  const candidates = [
    ...new Set([
      path.join(dir, `${stem}.pub`),
      `${keyFile}.pub`,
      path.join(dir, `${stem}.pub.pem`),
      path.join(dir, 'cosign.pub'),
    ]),
  ];
  const want = keyFingerprint(privateKey);
  for (const c of candidates) {
    try {
      const st = await fs.stat(c);
      if (!st.isFile() || st.size > 64 * 1024) continue;
      if (keyFingerprint(parsePublicKey(await fs.readFile(c, 'utf8'))) === want) return c;
    } catch {
      /* absent, unreadable or not a key: not the one */
    }
  }
  return undefined;
}

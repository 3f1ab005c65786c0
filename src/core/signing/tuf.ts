import fs from 'node:fs/promises';
import path from 'node:path';
import { getTrustedRoot } from '@sigstore/tuf';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { validateTrustedRoot } from './trustedRoot.ts';

/**
 * The one online action of verification, and only on request: refresh the public-good trusted
 * root through Sigstore's TUF repository (signed metadata, rooted in the TUF root sigstore-js
 * embeds), and write it where later, offline, verifications read it.
 */

export interface RefreshResult {
  file: string;
  tlogs: number;
  certificateAuthorities: number;
}

export async function refreshTrustedRoot(cacheDir: string, mirrorURL?: string): Promise<RefreshResult> {
  await fs.mkdir(cacheDir, { recursive: true });
  const root = await getTrustedRoot({ cachePath: path.join(cacheDir, 'tuf'), mirrorURL, forceInit: false });
  const json = TrustedRoot.toJSON(root);
  validateTrustedRoot(json, 'TUF trusted_root.json');
  const file = path.join(cacheDir, 'trusted_root.json');
  const tmp = `${file}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(json, null, 2));
  await fs.rename(tmp, file);
  return { file, tlogs: root.tlogs.length, certificateAuthorities: root.certificateAuthorities.length };
}

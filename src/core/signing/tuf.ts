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

/**
 * `mirrorURL` and `tufRootPath` (the initial TUF root.json) serve private Sigstore instances; by
 * default the public-good mirror and the TUF root embedded in @sigstore/tuf are used.
 */
export async function refreshTrustedRoot(
  cacheDir: string,
  mirrorURL?: string,
  tufRootPath?: string,
): Promise<RefreshResult> {
  await fs.mkdir(cacheDir, { recursive: true });
  const root = await getTrustedRoot({
    cachePath: path.join(cacheDir, 'tuf'),
    mirrorURL,
    rootPath: tufRootPath,
    forceInit: false,
    retry: 1,
    timeout: 15_000,
  });
  const json = TrustedRoot.toJSON(root);
  validateTrustedRoot(json, 'TUF trusted_root.json');
  const file = path.join(cacheDir, 'trusted_root.json');
  const tmp = `${file}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(json, null, 2));
  await fs.rename(tmp, file);
  return { file, tlogs: root.tlogs.length, certificateAuthorities: root.certificateAuthorities.length };
}

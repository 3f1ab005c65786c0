import fs from 'node:fs/promises';
import type { Finding, TextRange } from '../findings.ts';
import type { WalkEntry } from '../fsutil/walk.ts';
import { resolveCardPath } from '../modelcard/fileDigests.ts';
import { MAX_SBOM_BYTES, readSbomFile } from './read.ts';
import type { SbomDocument } from './types.ts';

/** What a JSON file in a model folder is, from its first bytes (the full parse confirms it). */
export type JsonFileKind = 'cyclonedx' | 'spdx' | 'grype' | 'trivy' | 'other';

const HEAD_BYTES = 8192;

export async function peekJsonKind(file: string): Promise<JsonFileKind> {
  let head: string;
  try {
    const fh = await fs.open(file, 'r');
    try {
      const buf = Buffer.alloc(HEAD_BYTES);
      const { bytesRead } = await fh.read(buf, 0, HEAD_BYTES, 0);
      head = buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await fh.close();
    }
  } catch {
    return 'other';
  }
  head = head.replace(/^\ufeff/, '');
  if (/^\s*\[\s*\{\s*"Target"\s*:/.test(head)) return 'trivy'; // trivy before v0.20: a bare Results array
  if (!/^\s*\{/.test(head)) return 'other';
  if (/"bomFormat"\s*:\s*"CycloneDX"/.test(head)) return 'cyclonedx';
  if (/"spdxVersion"\s*:\s*"SPDX-/.test(head)) return 'spdx';
  if (/"SchemaVersion"\s*:/.test(head) && /"(ArtifactName|Results|ArtifactType)"\s*:/.test(head)) return 'trivy';
  if (/^\s*\{\s*"matches"\s*:/.test(head) || /"descriptor"\s*:\s*\{\s*"name"\s*:\s*"grype"/.test(head)) return 'grype';
  return 'other';
}

/** JSON files of a folder that are worth classifying (size-bounded; generated reports are small). */
export function jsonCandidates(files: readonly WalkEntry[]): WalkEntry[] {
  return files.filter((f) => /\.json$/i.test(f.path) && f.size > 0 && f.size <= MAX_SBOM_BYTES);
}

export interface SbomRef {
  /** The value of `sbom_ref` as written. */
  value: string;
  /** The model card that names it. */
  file: string;
  range?: TextRange;
}

/** Whether an `sbom_ref` names something remote (a URL or an OCI reference) rather than a local path. */
export function isRemoteRef(ref: string): boolean {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(ref)) return true;
  // registry.host/repo[:tag|@digest]: a first segment with a dot, followed by a slash
  return /^[a-z0-9-]+(\.[a-z0-9-]+)+(:\d+)?\//i.test(ref) && !ref.startsWith('.');
}

export interface SbomDiscovery {
  sboms: SbomDocument[];
  findings: Finding[];
}

/** SBOMs of a model: CycloneDX/SPDX JSON files in the folder, plus the card's `sbom_ref` when it is a local path. */
export async function discoverSboms(
  files: readonly WalkEntry[],
  ref?: SbomRef,
  kinds?: Map<string, JsonFileKind>,
): Promise<SbomDiscovery> {
  const findings: Finding[] = [];
  const paths = new Set<string>();
  for (const f of jsonCandidates(files)) {
    const kind = kinds?.get(f.path) ?? (await peekJsonKind(f.path));
    if (kind === 'cyclonedx' || kind === 'spdx') paths.add(f.path);
  }
  if (ref) {
    if (isRemoteRef(ref.value)) {
      findings.push({
        ruleId: 'sbom/ref-remote',
        severity: 'info',
        message: `sbom_ref '${ref.value}' names a remote SBOM; it is not fetched (offline). Keep a copy in the model folder to have it checked.`,
        file: ref.file,
        range: ref.range,
      });
    } else {
      // Only inside the model folder: a card must not make the gate read (and echo) ../../secret.env.
      const abs = resolveCardPath(ref.file, ref.value);
      let exists = false;
      try {
        exists = abs !== undefined && (await fs.stat(abs)).isFile();
      } catch {
        /* reported below */
      }
      if (exists) paths.add(abs!);
      else if (!abs)
        findings.push({
          ruleId: 'sbom/ref-missing',
          severity: 'warning',
          message: `sbom_ref '${ref.value}' points outside the model folder; it is not read (keep the SBOM in the model folder)`,
          file: ref.file,
          range: ref.range,
        });
      else
        findings.push({
          ruleId: 'sbom/ref-missing',
          severity: 'warning',
          message: `sbom_ref '${ref.value}' names a local file that does not exist`,
          file: ref.file,
          range: ref.range,
        });
    }
  }
  const sboms: SbomDocument[] = [];
  for (const p of [...paths].sort()) {
    const r = await readSbomFile(p);
    findings.push(...r.findings);
    if (r.sbom) sboms.push(r.sbom);
  }
  return { sboms, findings };
}

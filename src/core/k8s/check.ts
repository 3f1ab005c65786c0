import fs from 'node:fs/promises';
import type { Finding } from '../findings.ts';
import { decodeUtf8 } from '../yaml/decode.ts';
import { FindingSink, type K8sCheckOptions } from './context.ts';
import { hardening } from './hardening.ts';
import { readManifest, type ManifestFile } from './manifest.ts';
import { modelChecks } from './model.ts';
import { loadSchemaValidators, schemaKeysFor, unknownFields, validateSchema } from './schema.ts';
import { isWorkloadKind, podTemplates } from './workloads.ts';

export interface ManifestCheck {
  manifest: ManifestFile;
  findings: Finding[];
  /** Objects that are serving workloads (checked by the hardening and model rules). */
  workloads: number;
}

/**
 * Check the serving workloads of one manifest file: Kubernetes schema, hardening, model rules.
 * Objects of other kinds (Services, ConfigMaps, admission policies) are left to their checkers.
 */
export async function checkManifestText(
  text: string,
  file: string | undefined,
  options: K8sCheckOptions = {},
): Promise<ManifestCheck> {
  const manifest = readManifest(text, file);
  await loadSchemaValidators(schemaKeysFor(manifest.objects));
  return checkManifest(manifest, options);
}

/** The synchronous part, once the validators the objects need are loaded. */
export function checkManifest(manifest: ManifestFile, options: K8sCheckOptions = {}): ManifestCheck {
  const sink = new FindingSink(manifest.file);
  sink.findings.push(...manifest.findings);
  let workloads = 0;
  for (const obj of manifest.objects) {
    if (!isWorkloadKind(obj) && !/^(extensions|apps)\/v1beta[12]$/.test(obj.apiVersion)) continue;
    workloads++;
    const templates = podTemplates(obj);
    try {
      if (!validateSchema(sink, obj, templates)) continue;
      for (const t of templates) {
        unknownFields(sink, t);
        hardening(sink, t);
        modelChecks(sink, t, options.admissionScopes);
      }
    } catch (e) {
      sink.add(
        'k8s/incomplete',
        obj.doc,
        obj.node,
        `${obj.label} could not be checked completely: ${(e as Error)?.message ?? e}`,
      );
    }
  }
  return { manifest, findings: sink.findings, workloads };
}

const MAX_FILE_BYTES = 8 * 1024 * 1024;

/** Read and check a manifest file; encoding problems become findings (suppressions are the faces' step, src/core/present.ts). */
export async function checkManifestFile(file: string, options: K8sCheckOptions = {}): Promise<ManifestCheck> {
  const text = await readManifestFileText(file);
  if (typeof text !== 'string') return { manifest: readManifest('', file), findings: [text], workloads: 0 };
  const decoded = text;
  const result = await checkManifestText(decoded, file, options);
  return result;
}

/** A manifest's text, or a finding saying why it was not read. */
export async function readManifestFileText(file: string): Promise<string | Finding> {
  try {
    const st = await fs.stat(file);
    if (st.size > MAX_FILE_BYTES)
      return {
        ruleId: 'k8s/incomplete',
        severity: 'warning',
        message: `${st.size} bytes is over the ${MAX_FILE_BYTES}-byte limit for a manifest; not checked`,
        file,
      };
    const decoded = decodeUtf8(await fs.readFile(file));
    return decoded.text;
  } catch (e) {
    return {
      ruleId: 'k8s/incomplete',
      severity: 'warning',
      message: `cannot read ${file}: ${(e as Error).message}`,
      file,
    };
  }
}

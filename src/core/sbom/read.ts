import { FileTooLargeError, readRegularFile } from '../fsutil/read.ts';
import type { Finding } from '../findings.ts';
import { decodeUtf8 } from '../yaml/decode.ts';
import type { SbomComponent, SbomDocument, SbomHash } from './types.ts';
import { jsonErrorMessage } from '../jsonError.ts';
import { plural } from '../messageText.ts';

/** SBOMs above this size are not parsed (a hostile file must not exhaust memory). */
export const MAX_SBOM_BYTES = 64 * 1024 * 1024;
/** Components kept per document; the rest are counted in a finding. */
export const MAX_COMPONENTS = 50_000;

const CYCLONEDX_VERSIONS = new Set(['1.4', '1.5', '1.6']);

export interface SbomReadResult {
  sbom?: SbomDocument;
  findings: Finding[];
}

/** What a JSON value is, when it is an SBOM we know: by content, never by file name. */
export function sbomKind(json: unknown): 'cyclonedx' | 'spdx' | undefined {
  if (!isObject(json)) return undefined;
  if (json.bomFormat === 'CycloneDX') return 'cyclonedx';
  if (typeof json.spdxVersion === 'string' && json.spdxVersion.startsWith('SPDX-')) return 'spdx';
  return undefined;
}

/** Read an SBOM file; every problem (size, encoding, JSON, unsupported version) becomes a finding. */
export async function readSbomFile(file: string): Promise<SbomReadResult> {
  let bytes: Buffer;
  try {
    bytes = await readRegularFile(file, MAX_SBOM_BYTES);
  } catch (e) {
    if (e instanceof FileTooLargeError)
      return {
        findings: [
          {
            ruleId: 'sbom/unreadable',
            severity: 'warning',
            message: `SBOM is ${e.size} bytes, over the ${MAX_SBOM_BYTES}-byte limit; not read`,
            file,
          },
        ],
      };
    return {
      findings: [
        { ruleId: 'sbom/unreadable', severity: 'warning', message: `cannot read SBOM: ${(e as Error).message}`, file },
      ],
    };
  }
  const decoded = decodeUtf8(bytes);
  let json: unknown;
  try {
    json = JSON.parse(decoded.text);
  } catch (e) {
    return {
      findings: [
        {
          ruleId: 'sbom/unreadable',
          severity: 'warning',
          message: `SBOM is not valid JSON: ${jsonErrorMessage(e)}`,
          file,
        },
      ],
    };
  }
  return parseSbomJson(json, file);
}

/** Turn parsed JSON into an SbomDocument (CycloneDX 1.4–1.6 or SPDX 2.3). */
export function parseSbomJson(json: unknown, file: string): SbomReadResult {
  const kind = sbomKind(json);
  if (kind === 'cyclonedx') return readCycloneDx(json as Record<string, unknown>, file);
  if (kind === 'spdx') return readSpdx(json as Record<string, unknown>, file);
  return {
    findings: [
      {
        ruleId: 'sbom/unsupported',
        severity: 'warning',
        message: 'not a CycloneDX or SPDX JSON document (no bomFormat "CycloneDX" and no spdxVersion)',
        file,
      },
    ],
  };
}

function readCycloneDx(json: Record<string, unknown>, file: string): SbomReadResult {
  const findings: Finding[] = [];
  const specVersion = typeof json.specVersion === 'string' ? json.specVersion : '';
  if (!CYCLONEDX_VERSIONS.has(specVersion)) {
    findings.push({
      ruleId: 'sbom/unsupported',
      severity: 'warning',
      message: `CycloneDX specVersion ${JSON.stringify(json.specVersion ?? null)} is not one this reader knows (1.4, 1.5, 1.6); components were read on a best-effort basis`,
      file,
    });
  }
  const components: SbomComponent[] = [];
  let dropped = 0;
  // Components nest (a component's `components`); walk them iteratively with a depth-first stack.
  const stack: unknown[] = [];
  const metaComponent = isObject(json.metadata) ? json.metadata.component : undefined;
  if (Array.isArray(json.components))
    for (let i = json.components.length - 1; i >= 0; i--) stack.push(json.components[i]);
  let invalid = 0;
  while (stack.length) {
    const c = stack.pop();
    if (!isObject(c)) {
      invalid++;
      continue;
    }
    if (Array.isArray(c.components)) for (let i = c.components.length - 1; i >= 0; i--) stack.push(c.components[i]);
    const comp = cycloneDxComponent(c);
    if (!comp) {
      invalid++;
      continue;
    }
    if (components.length >= MAX_COMPONENTS) {
      dropped++;
      continue;
    }
    components.push(comp);
  }
  findings.push(...skippedFindings(file, 'component', invalid, dropped));
  const subject = isObject(metaComponent) ? cycloneDxComponent(metaComponent) : undefined;
  return {
    sbom: {
      file,
      format: 'cyclonedx',
      specVersion: specVersion || 'unknown',
      subject: subject ? [subject.name, subject.version].filter(Boolean).join(' ') : undefined,
      components,
      vulnerabilityCount: Array.isArray(json.vulnerabilities) ? json.vulnerabilities.length : 0,
    },
    findings,
  };
}

function cycloneDxComponent(c: Record<string, unknown>): SbomComponent | undefined {
  if (typeof c.name !== 'string' || !c.name) return undefined;
  const licenses: string[] = [];
  if (Array.isArray(c.licenses)) {
    for (const l of c.licenses) {
      if (!isObject(l)) continue;
      if (typeof l.expression === 'string') licenses.push(l.expression);
      else if (isObject(l.license)) {
        const id = l.license.id ?? l.license.name;
        if (typeof id === 'string') licenses.push(id);
      }
    }
  }
  const hashes: SbomHash[] = [];
  if (Array.isArray(c.hashes)) {
    for (const h of c.hashes)
      if (isObject(h) && typeof h.alg === 'string' && typeof h.content === 'string')
        hashes.push({ alg: normaliseAlg(h.alg), value: h.content.toLowerCase() });
  }
  return {
    name: typeof c.group === 'string' && c.group ? `${c.group}/${c.name}` : c.name,
    version: typeof c.version === 'string' ? c.version : undefined,
    type: typeof c.type === 'string' ? c.type : 'unknown',
    purl: typeof c.purl === 'string' ? c.purl : undefined,
    licenses,
    hashes,
  };
}

function readSpdx(json: Record<string, unknown>, file: string): SbomReadResult {
  const findings: Finding[] = [];
  const specVersion = String(json.spdxVersion);
  if (specVersion !== 'SPDX-2.3') {
    findings.push({
      ruleId: 'sbom/unsupported',
      severity: specVersion.startsWith('SPDX-2.') ? 'info' : 'warning',
      message: `${specVersion} is not SPDX 2.3; packages were read on a best-effort basis`,
      file,
    });
  }
  const components: SbomComponent[] = [];
  let invalid = 0;
  let dropped = 0;
  const packages = Array.isArray(json.packages) ? json.packages : [];
  for (const p of packages) {
    if (!isObject(p) || typeof p.name !== 'string' || !p.name) {
      invalid++;
      continue;
    }
    if (components.length >= MAX_COMPONENTS) {
      dropped++;
      continue;
    }
    let purl: string | undefined;
    if (Array.isArray(p.externalRefs)) {
      for (const r of p.externalRefs)
        if (isObject(r) && r.referenceType === 'purl' && typeof r.referenceLocator === 'string') {
          purl = r.referenceLocator;
          break;
        }
    }
    const licenses = [p.licenseConcluded, p.licenseDeclared].filter(
      (l): l is string => typeof l === 'string' && l !== 'NOASSERTION' && l !== 'NONE',
    );
    const hashes: SbomHash[] = [];
    if (Array.isArray(p.checksums)) {
      for (const h of p.checksums)
        if (isObject(h) && typeof h.algorithm === 'string' && typeof h.checksumValue === 'string')
          hashes.push({ alg: normaliseAlg(h.algorithm), value: h.checksumValue.toLowerCase() });
    }
    components.push({
      name: p.name,
      version: typeof p.versionInfo === 'string' ? p.versionInfo : undefined,
      type: typeof p.primaryPackagePurpose === 'string' ? p.primaryPackagePurpose.toLowerCase() : 'package',
      purl,
      licenses: [...new Set(licenses)],
      hashes,
    });
  }
  findings.push(...skippedFindings(file, 'package', invalid, dropped));
  return {
    sbom: {
      file,
      format: 'spdx',
      specVersion,
      subject: typeof json.name === 'string' ? json.name : undefined,
      components,
      vulnerabilityCount: 0,
    },
    findings,
  };
}

/** "sha256", "SHA256" and "SHA-256" are the same algorithm. */
function normaliseAlg(alg: string): string {
  const m = /^(sha|md|blake)[-_]?(\d+)(?:[-_](\d+))?$/i.exec(alg.trim());
  if (!m) return alg.toUpperCase();
  return `${m[1].toUpperCase()}-${m[2]}${m[3] ? `-${m[3]}` : ''}`.replace(/^MD-/, 'MD');
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** What a reader left out of an SBOM: entries without a name, and entries past MAX_COMPONENTS. */
function skippedFindings(file: string, noun: 'component' | 'package', invalid: number, dropped: number): Finding[] {
  const out: Finding[] = [];
  if (invalid)
    out.push({
      ruleId: 'sbom/invalid-component',
      severity: 'warning',
      message: `${plural(invalid, noun)} without a name (or not an object) ${invalid === 1 ? 'was' : 'were'} skipped`,
      file,
    });
  if (dropped)
    out.push({
      ruleId: 'sbom/unreadable',
      severity: 'warning',
      message: `only the first ${MAX_COMPONENTS} ${noun}s were read; ${dropped} more were skipped`,
      file,
    });
  return out;
}

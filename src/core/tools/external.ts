import { parseSbomJson } from '../sbom/read.ts';
import type { SbomDocument } from '../sbom/types.ts';
import { findExecutable } from './locate.ts';
import { runTool, type RunOptions } from './run.ts';
import type { ToolId, ToolStatus } from './types.ts';
import {
  parseCycloneDxVulnerabilities,
  parseGrypeJson,
  parseTrivyJson,
  type Vulnerability,
} from './vulnerabilities.ts';

/** The optional external tools: what they are for and how to install them. */
export interface ToolInfo {
  id: ToolId;
  purpose: string;
  install: string;
  homepage: string;
}

export const TOOLS: Readonly<Record<ToolId, ToolInfo>> = {
  syft: {
    id: 'syft',
    purpose: 'SBOM of the Python environment and other packages in the folder',
    // A supply-chain tool should not recommend piping a script into a shell: point at checksummed releases.
    install:
      'brew install syft, or a checksummed release binary from https://github.com/anchore/syft/releases (verify it with cosign)',
    homepage: 'https://github.com/anchore/syft',
  },
  grype: {
    id: 'grype',
    purpose: 'vulnerabilities of the packages in the folder or in its SBOM',
    install:
      'brew install grype, or a checksummed release binary from https://github.com/anchore/grype/releases (verify it with cosign)',
    homepage: 'https://github.com/anchore/grype',
  },
  trivy: {
    id: 'trivy',
    purpose: 'vulnerabilities of the packages in the folder',
    install: 'brew install trivy, or see https://trivy.dev/latest/getting-started/installation/',
    homepage: 'https://github.com/aquasecurity/trivy',
  },
};

export interface ToolLocations {
  /** Configured paths (settings); ignored by the caller in untrusted workspaces. */
  configured?: Partial<Record<ToolId, string>>;
  pathEnv?: string;
}

export async function locateTools(where: ToolLocations = {}): Promise<ToolStatus[]> {
  const out: ToolStatus[] = [];
  for (const info of Object.values(TOOLS)) {
    const p = await findExecutable(info.id, { configured: where.configured?.[info.id], pathEnv: where.pathEnv });
    out.push({ id: info.id, path: p, purpose: info.purpose, install: info.install });
  }
  return out;
}

/**
 * `syft scan dir:DIR -o cyclonedx-json`: an SBOM of what syft recognises in the folder. The
 * `dir:` scheme keeps syft from treating the argument as an image name (which it would pull).
 */
export async function runSyft(
  exe: string,
  dir: string,
  options: RunOptions = {},
): Promise<{ sbom?: SbomDocument; raw: string }> {
  const r = await runTool(exe, ['scan', `dir:${dir}`, '-o', 'cyclonedx-json', '-q'], options);
  const json = parseJsonOutput('syft', r.stdout);
  const parsed = parseSbomJson(json, `${dir} (syft)`);
  return { sbom: parsed.sbom, raw: r.stdout };
}

export interface ScannerRun {
  vulnerabilities: Vulnerability[];
  /** The tool's JSON report as it printed it (to keep next to the model). */
  raw: string;
}

/** `grype dir:DIR -o json` (or `sbom:FILE` to match an existing SBOM). */
export async function runGrype(
  exe: string,
  target: { dir: string } | { sbom: string },
  options: RunOptions = {},
): Promise<ScannerRun> {
  const source = 'dir' in target ? `dir:${target.dir}` : `sbom:${target.sbom}`;
  const r = await runTool(exe, [source, '-o', 'json', '-q'], options);
  return { vulnerabilities: parseGrypeJson(parseJsonOutput('grype', r.stdout), `grype ${source}`), raw: r.stdout };
}

/** `trivy fs --format json --scanners vuln DIR`. */
export async function runTrivy(exe: string, dir: string, options: RunOptions = {}): Promise<ScannerRun> {
  const r = await runTool(exe, ['fs', '--format', 'json', '--scanners', 'vuln', '--quiet', dir], options);
  return { vulnerabilities: parseTrivyJson(parseJsonOutput('trivy', r.stdout), `trivy fs ${dir}`), raw: r.stdout };
}

function parseJsonOutput(tool: string, stdout: string): unknown {
  try {
    return JSON.parse(stdout);
  } catch (e) {
    throw new Error(`${tool} printed no JSON report (${(e as Error).message}): ${stdout.slice(0, 200)}`);
  }
}

/** Vulnerabilities from any report JSON we recognise (grype, trivy, CycloneDX with vulnerabilities). */
export function vulnerabilitiesFromJson(
  json: unknown,
  file: string,
  kind: 'grype' | 'trivy' | 'cyclonedx',
): Vulnerability[] {
  if (kind === 'grype') return parseGrypeJson(json, file);
  if (kind === 'trivy') return parseTrivyJson(json, file);
  return parseCycloneDxVulnerabilities(json, file);
}

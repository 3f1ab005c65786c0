/**
 * Vulnerabilities as the gate and the report see them, whichever scanner reported them.
 * Parsers for grype (`grype … -o json`) and trivy (`trivy fs|image|sbom … --format json`).
 */
export type VulnSeverity = 'critical' | 'high' | 'medium' | 'low' | 'negligible' | 'unknown';

export const VULN_SEVERITIES: readonly VulnSeverity[] = ['critical', 'high', 'medium', 'low', 'negligible', 'unknown'];

const RANK: Record<VulnSeverity, number> = { critical: 5, high: 4, medium: 3, low: 2, negligible: 1, unknown: 0 };

export function vulnRank(s: VulnSeverity): number {
  return RANK[s];
}

export function isVulnSeverity(v: unknown): v is VulnSeverity {
  return typeof v === 'string' && v in RANK;
}

export interface Vulnerability {
  id: string;
  severity: VulnSeverity;
  package: string;
  version?: string;
  /** Versions that fix it (empty when no fix is known). */
  fixedIn: string[];
  purl?: string;
  title?: string;
  url?: string;
  scanner: 'grype' | 'trivy' | 'cyclonedx';
  /** The report file it came from. */
  file: string;
}

export function normaliseSeverity(s: unknown): VulnSeverity {
  const v = typeof s === 'string' ? s.trim().toLowerCase() : '';
  if (v === 'moderate') return 'medium';
  if (v === 'info' || v === 'none') return 'negligible';
  return isVulnSeverity(v) ? v : 'unknown';
}

// No imports: the report panel's browser bundle uses vulnRank.
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/** grype JSON: `{"matches":[{"vulnerability":{id,severity,fix:{versions,state}},"artifact":{name,version,purl}}]}`. */
export function parseGrypeJson(json: unknown, file: string): Vulnerability[] {
  if (!isObject(json) || !Array.isArray(json.matches)) throw new Error('not a grype JSON report (no "matches" array)');
  const out: Vulnerability[] = [];
  for (const m of json.matches) {
    if (!isObject(m) || !isObject(m.vulnerability)) continue;
    const v = m.vulnerability;
    const a = isObject(m.artifact) ? m.artifact : {};
    const id = str(v.id);
    if (!id) continue;
    const fix =
      isObject(v.fix) && Array.isArray(v.fix.versions)
        ? v.fix.versions.filter((x): x is string => typeof x === 'string')
        : [];
    const urls = Array.isArray(v.urls) ? v.urls.filter((x): x is string => typeof x === 'string') : [];
    out.push({
      id,
      severity: normaliseSeverity(v.severity),
      package: str(a.name) ?? 'unknown',
      version: str(a.version),
      fixedIn: fix,
      purl: str(a.purl),
      title: str(v.description)?.split('\n')[0],
      url: str(v.dataSource) ?? urls[0],
      scanner: 'grype',
      file,
    });
  }
  return out;
}

/**
 * trivy JSON: schema 2 is `{"SchemaVersion":2,"Results":[{"Target","Vulnerabilities":[…]}]}`; before
 * v0.20 the report was the bare Results array.
 */
export function parseTrivyJson(json: unknown, file: string): Vulnerability[] {
  const results = Array.isArray(json)
    ? json
    : isObject(json) &&
        (Array.isArray(json.Results) || json.Results === null || json.Results === undefined) &&
        'SchemaVersion' in json
      ? (json.Results ?? [])
      : undefined;
  if (!Array.isArray(results)) throw new Error('not a trivy JSON report (no "Results" array)');
  const out: Vulnerability[] = [];
  for (const r of results) {
    if (!isObject(r) || !Array.isArray(r.Vulnerabilities)) continue;
    for (const v of r.Vulnerabilities) {
      if (!isObject(v)) continue;
      const id = str(v.VulnerabilityID);
      if (!id) continue;
      const fixed = str(v.FixedVersion);
      out.push({
        id,
        severity: normaliseSeverity(v.Severity),
        package: str(v.PkgName) ?? 'unknown',
        version: str(v.InstalledVersion),
        // trivy lists several fixed versions as "1.5.13, 1.3.15"
        fixedIn: fixed
          ? fixed
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : [],
        purl: isObject(v.PkgIdentifier) ? str(v.PkgIdentifier.PURL) : undefined,
        title: str(v.Title),
        url: str(v.PrimaryURL),
        scanner: 'trivy',
        file,
      });
    }
  }
  return out;
}

/**
 * Vulnerabilities embedded in a CycloneDX document (`vulnerabilities[]`, as grype/trivy write with
 * `-o cyclonedx-json`): ratings give the severity, `affects[].ref` the component.
 */
export function parseCycloneDxVulnerabilities(json: unknown, file: string): Vulnerability[] {
  if (!isObject(json) || !Array.isArray(json.vulnerabilities)) return [];
  const byRef = new Map<string, { name: string; version?: string; purl?: string }>();
  const comps = Array.isArray(json.components) ? json.components : [];
  for (const c of comps)
    if (isObject(c) && typeof c['bom-ref'] === 'string' && typeof c.name === 'string')
      byRef.set(c['bom-ref'], { name: c.name, version: str(c.version), purl: str(c.purl) });
  const out: Vulnerability[] = [];
  for (const v of json.vulnerabilities) {
    if (!isObject(v) || !str(v.id)) continue;
    let severity: VulnSeverity = 'unknown';
    if (Array.isArray(v.ratings))
      for (const r of v.ratings)
        if (isObject(r)) {
          const s = normaliseSeverity(r.severity);
          if (RANK[s] > RANK[severity]) severity = s;
        }
    const affects = Array.isArray(v.affects) ? v.affects.filter(isObject) : [];
    const targets = affects.length
      ? affects.map((a) => byRef.get(String(a.ref)) ?? { name: String(a.ref) })
      : [{ name: 'unknown' }];
    const fixedIn = Array.isArray(v.recommendation) ? [] : str(v.recommendation) ? [String(v.recommendation)] : [];
    for (const t of targets) {
      out.push({
        id: String(v.id),
        severity,
        package: t.name,
        version: t.version,
        purl: t.purl,
        fixedIn,
        title: str(v.description)?.split('\n')[0],
        url: isObject(v.source) ? str(v.source.url) : undefined,
        scanner: 'cyclonedx',
        file,
      });
    }
  }
  return out;
}

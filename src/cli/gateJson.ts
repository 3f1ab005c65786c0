import type { Evidence } from '../core/gate/evidence.ts';
import type { GateVerdict } from '../core/gate/verdict.ts';

/**
 * The verdict and the evidence behind it in `gate --format json`, the same for a folder and a
 * registry reference (CI logs and dashboards read one shape). `show` turns a path into what the
 * output prints (relative to the working folder for a folder; as read for a registry).
 */
export function gateVerdictJson(verdict: GateVerdict, evidence: Evidence, show: (file: string) => string) {
  return {
    verdict: verdict.passed ? 'approved' : 'blocked',
    checks: verdict.checks.map((c) => ({ id: c.id, title: c.title, status: c.status, reasons: c.reasons })),
    signatures: evidence.signatures.results.map((r) => ({
      file: show(r.file),
      signatureFile: show(r.signatureFile),
      format: r.format,
      verified: r.verified,
      identity: r.identity ?? null,
      issuer: r.issuer ?? null,
      time: r.time ?? null,
      tlog: r.tlogEntry ?? null,
      key: r.key ?? null,
      failures: r.failures,
    })),
    sboms: evidence.sbom.sboms.map((b) => ({
      file: show(b.file),
      format: b.format,
      specVersion: b.specVersion,
      components: b.components.length,
    })),
    vulnerabilities: evidence.vulnerabilities.vulnerabilities.map((v) => ({
      id: v.id,
      severity: v.severity,
      package: v.package,
      version: v.version ?? null,
      fixedIn: v.fixedIn,
      scanner: v.scanner,
    })),
  };
}

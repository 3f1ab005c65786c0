import path from 'node:path';
import type { Finding } from '../findings.ts';
import {
  findPolicyFile,
  parseRulesSection,
  policyInModelFinding,
  policyInsideFinding,
  searchPolicyFile,
  POLICY_FILE_NAMES,
  readPolicyText,
  untrustedOwnerReason,
  untrustedPolicyFinding,
  type PolicyLookup,
  type PolicyRules,
} from '../policyFile.ts';
import type { RuleSettings } from '../ruleSettings.ts';
import { isVulnSeverity, VULN_SEVERITIES, type VulnSeverity } from '../tools/vulnerabilities.ts';
import { compilePattern, parsePolicyPattern } from '../signing/policy.ts';
import { isInsidePath } from '../signing/expectations.ts';
import { parseYaml, type YamlDocument, type YamlNode } from '../yaml/document.ts';
import { yamlProblemFindings } from '../yaml/findings.ts';

/**
 * The promotion policy: the `gate:` section of a `.model-inspect.yaml` *outside* the inspected
 * folder (`--policy`, the `modelInspect.gate.policyFile` setting, or the nearest one above the
 * model folder in the repository). A policy inside the model folder is the model's own say about
 * how it is judged: reported and ignored. Every check can be switched off with `enabled: false`;
 * without a policy file the defaults apply (every check on, every file must be signed, no signer
 * expected: signatures pass only against expectations from the command line or the settings).
 */
export interface GatePolicy {
  signatures: {
    enabled: boolean;
    identities: string[];
    issuers: string[];
    keys: string[];
    /** Which files a verified signature must cover: every file of the model, or only its weight files. */
    cover: 'all-files' | 'weight-files';
    /** Paths (relative to the model folder; a folder covers what it holds) that may stay unsigned. */
    allowUnsigned: string[];
  };
  provenance: { enabled: boolean; sourceRepository?: string; requireVerified: boolean };
  /** notAnalysed: files in the folder no engine analyses (unknown binary content, links out, FIFOs…): block, warn (listed) or allow. */
  scan: { enabled: boolean; blockAt: 'error' | 'warning'; notAnalysed: 'block' | 'warn' | 'allow' };
  sbom: { enabled: boolean };
  vulnerabilities: { enabled: boolean; blockAt: VulnSeverity; requireReport: boolean; ignore: string[] };
  /** requireScanEvidence: a bare `vulnerability_scan: clean` (no scanner, date or report) blocks, instead of being an info. */
  modelCard: { enabled: boolean; maxAgeDays: number; requireScanEvidence: boolean };
}

export { findPolicyFile, POLICY_FILE_NAMES };

export function defaultPolicy(): GatePolicy {
  return {
    signatures: { enabled: true, identities: [], issuers: [], keys: [], cover: 'all-files', allowUnsigned: [] },
    provenance: { enabled: true, requireVerified: false },
    scan: { enabled: true, blockAt: 'error', notAnalysed: 'warn' },
    sbom: { enabled: true },
    vulnerabilities: { enabled: true, blockAt: 'critical', requireReport: true, ignore: [] },
    modelCard: { enabled: true, maxAgeDays: 365, requireScanEvidence: false },
  };
}

export interface LoadedPolicy {
  policy: GatePolicy;
  /** The policy file, when one was found. */
  file?: string;
  findings: Finding[];
  /** Policy files inside the inspected folder: reported, never read. */
  ignored?: string[];
  /** Why no policy file was looked for (an untrusted workspace), when that is the case. */
  notSearched?: string;
  /** The file's `rules:` section (rule settings for every face), when it has one. */
  rules?: RuleSettings;
  /** `rules.inline_suppressions`: false ignores inline suppression comments (default true). */
  inline?: boolean;
}

type FieldKind = 'boolean' | 'string' | 'string[]' | 'positive-integer' | { enum: readonly string[] };

/** The schema of `gate:`: section → key → (kind, how to store it). */
const SCHEMA: Record<string, Record<string, { kind: FieldKind; set: (p: GatePolicy, v: unknown) => void }>> = {
  signatures: {
    enabled: {
      kind: 'boolean',
      set: (p, v) => {
        p.signatures.enabled = v as boolean;
      },
    },
    identities: {
      kind: 'string[]',
      set: (p, v) => {
        p.signatures.identities = v as string[];
      },
    },
    issuers: {
      kind: 'string[]',
      set: (p, v) => {
        p.signatures.issuers = v as string[];
      },
    },
    keys: {
      kind: 'string[]',
      set: (p, v) => {
        p.signatures.keys = v as string[];
      },
    },
    cover: {
      kind: { enum: ['all-files', 'weight-files'] },
      set: (p, v) => {
        p.signatures.cover = v as 'all-files' | 'weight-files';
      },
    },
    allow_unsigned: {
      kind: 'string[]',
      set: (p, v) => {
        p.signatures.allowUnsigned = v as string[];
      },
    },
  },
  provenance: {
    enabled: {
      kind: 'boolean',
      set: (p, v) => {
        p.provenance.enabled = v as boolean;
      },
    },
    source_repository: {
      kind: 'string',
      set: (p, v) => {
        p.provenance.sourceRepository = v as string;
      },
    },
    require_verified: {
      kind: 'boolean',
      set: (p, v) => {
        p.provenance.requireVerified = v as boolean;
      },
    },
  },
  scan: {
    enabled: {
      kind: 'boolean',
      set: (p, v) => {
        p.scan.enabled = v as boolean;
      },
    },
    block_at: {
      kind: { enum: ['error', 'warning'] },
      set: (p, v) => {
        p.scan.blockAt = v as 'error' | 'warning';
      },
    },
    not_analysed: {
      kind: { enum: ['block', 'warn', 'allow'] },
      set: (p, v) => {
        p.scan.notAnalysed = v as 'block' | 'warn' | 'allow';
      },
    },
  },
  sbom: {
    enabled: {
      kind: 'boolean',
      set: (p, v) => {
        p.sbom.enabled = v as boolean;
      },
    },
  },
  vulnerabilities: {
    enabled: {
      kind: 'boolean',
      set: (p, v) => {
        p.vulnerabilities.enabled = v as boolean;
      },
    },
    block_at: {
      kind: { enum: VULN_SEVERITIES },
      set: (p, v) => {
        if (isVulnSeverity(v)) p.vulnerabilities.blockAt = v;
      },
    },
    require_report: {
      kind: 'boolean',
      set: (p, v) => {
        p.vulnerabilities.requireReport = v as boolean;
      },
    },
    ignore: {
      kind: 'string[]',
      set: (p, v) => {
        p.vulnerabilities.ignore = v as string[];
      },
    },
  },
  model_card: {
    enabled: {
      kind: 'boolean',
      set: (p, v) => {
        p.modelCard.enabled = v as boolean;
      },
    },
    max_age_days: {
      kind: 'positive-integer',
      set: (p, v) => {
        p.modelCard.maxAgeDays = v as number;
      },
    },
    require_scan_evidence: {
      kind: 'boolean',
      set: (p, v) => {
        p.modelCard.requireScanEvidence = v as boolean;
      },
    },
  },
};

/** Parse a policy file's text. Problems are `gate/policy-invalid` findings placed on the offending node. */
export function parsePolicy(
  text: string,
  file: string,
  options: { isKnownRule?: (id: string) => boolean } = {},
): LoadedPolicy {
  const policy = defaultPolicy();
  const doc = parseYaml(text);
  const findings: Finding[] = yamlProblemFindings(doc, file).map((f) => ({ ...f, ruleId: 'gate/policy-invalid' }));
  const bad = (node: { start: number; end: number }, message: string) =>
    findings.push({ ruleId: 'gate/policy-invalid', severity: 'error', message, file, range: doc.range(node) });
  const root = doc.resolveAlias(doc.root);
  if (!root || (root.kind === 'scalar' && root.value === null)) return { policy, file, findings };
  if (root.kind !== 'mapping') {
    bad(root, 'the policy file must be a mapping with a `gate:` section');
    return { policy, file, findings };
  }
  const ruled: PolicyRules = parseRulesSection(doc, file, options.isKnownRule);
  findings.push(...ruled.findings);
  const loaded: LoadedPolicy = {
    policy,
    file,
    findings,
    ...(ruled.rules ? { rules: ruled.rules } : {}),
    inline: ruled.inline,
  };
  const gate = doc.pair(root, 'gate');
  if (!gate) return loaded; // the file may configure other areas only
  const gateNode = doc.resolveAlias(gate.value);
  if (!gateNode || gateNode.kind !== 'mapping') {
    bad(
      gateNode ?? gate.key,
      '`gate` must be a mapping of checks (signatures, provenance, scan, sbom, vulnerabilities, model_card)',
    );
    return loaded;
  }
  for (const section of gateNode.pairs ?? []) {
    const fields = SCHEMA[section.keyText];
    if (!fields) {
      bad(section.key, `unknown gate check '${section.keyText}'; known: ${Object.keys(SCHEMA).join(', ')}`);
      continue;
    }
    const secNode = doc.resolveAlias(section.value);
    if (!secNode || secNode.kind !== 'mapping') {
      bad(secNode ?? section.key, `gate.${section.keyText} must be a mapping`);
      continue;
    }
    for (const pair of secNode.pairs ?? []) {
      const field = fields[pair.keyText];
      if (!field) {
        bad(
          pair.key,
          `unknown key '${pair.keyText}' in gate.${section.keyText}; known: ${Object.keys(fields).join(', ')}`,
        );
        continue;
      }
      const value = readField(doc, pair.value, field.kind);
      if ('error' in value) {
        bad(pair.value ?? pair.key, `gate.${section.keyText}.${pair.keyText}: ${value.error}`);
        continue;
      }
      if (section.keyText === 'signatures' && (pair.keyText === 'identities' || pair.keyText === 'issuers')) {
        const problem = (value.value as string[])
          .map((v) => {
            try {
              compilePattern(parsePolicyPattern(v));
              return undefined;
            } catch (e) {
              return (e as Error).message;
            }
          })
          .find(Boolean);
        if (problem) {
          bad(pair.value ?? pair.key, `gate.signatures.${pair.keyText}: ${problem}`);
          continue;
        }
      }
      if (section.keyText === 'signatures' && pair.keyText === 'allow_unsigned') {
        const problem = (value.value as string[]).find((v) => path.isAbsolute(v) || v.split(/[\\/]/).includes('..'));
        if (problem) {
          bad(
            pair.value ?? pair.key,
            `gate.signatures.allow_unsigned: '${problem}' must be a path inside the model folder`,
          );
          continue;
        }
      }
      field.set(policy, value.value);
    }
    if (section.keyText === 'signatures') {
      // cosign's rule: a keyless identity means something only together with the issuer that vouches for it.
      const ids = doc.pair(secNode, 'identities');
      const iss = doc.pair(secNode, 'issuers');
      if (policy.signatures.identities.length && !policy.signatures.issuers.length)
        bad(
          ids!.key,
          'gate.signatures.identities needs gate.signatures.issuers: an identity is only meaningful with the OIDC issuer that vouched for it',
        );
      if (policy.signatures.issuers.length && !policy.signatures.identities.length)
        bad(
          iss!.key,
          'gate.signatures.issuers needs gate.signatures.identities: an issuer alone accepts anyone it issues certificates to',
        );
    }
  }
  return loaded;
}

function readField(doc: YamlDocument, raw: YamlNode | null, kind: FieldKind): { value: unknown } | { error: string } {
  const node = doc.resolveAlias(raw);
  const scalar = node?.kind === 'scalar' ? node.value : undefined;
  if (kind === 'boolean') return typeof scalar === 'boolean' ? { value: scalar } : { error: 'expected true or false' };
  if (kind === 'string')
    return typeof scalar === 'string' && scalar.trim()
      ? { value: scalar.trim() }
      : { error: 'expected a non-empty string' };
  if (kind === 'positive-integer')
    return typeof scalar === 'number' && Number.isInteger(scalar) && scalar > 0
      ? { value: scalar }
      : { error: 'expected a whole number of days above 0' };
  if (kind === 'string[]') {
    if (!node || node.kind !== 'sequence') return { error: 'expected a list of strings' };
    const out: string[] = [];
    for (const item of node.items ?? []) {
      const it = doc.resolveAlias(item);
      if (!it || it.kind !== 'scalar' || typeof it.value !== 'string' || !it.value.trim())
        return { error: 'every item must be a non-empty string' };
      out.push(it.value.trim());
    }
    return { value: out };
  }
  return typeof scalar === 'string' && kind.enum.includes(scalar)
    ? { value: scalar }
    : { error: `expected one of ${kind.enum.join(', ')}` };
}

const isPolicyName = (name: string) => /^\.model-inspect\.ya?ml$/i.test(name);

/** Policy files inside the model (any depth, any case of the name): evidence, never authority. */
export function policiesInside(files: readonly { path: string }[]): string[] {
  return files
    .filter((f) => isPolicyName(path.basename(f.path)))
    .map((f) => f.path)
    .sort();
}

export type PolicySource = PolicyLookup;

export async function loadPolicy(modelDir: string, options: PolicySource = {}): Promise<LoadedPolicy> {
  const notSearched =
    options.search === false
      ? 'policy files were not searched for'
      : typeof options.search === 'string'
        ? options.search
        : undefined;
  const search = options.file || notSearched ? { inModel: [] } : await searchPolicyFile(modelDir, options.stopAt);
  // Policies the search passed in a model's own folder: refused, and the refusal blocks.
  const refused = search.inModel.map(policyInModelFinding);
  const loaded = await loadPolicyFile(options.file ?? search.file, options, notSearched);
  return refused.length ? { ...loaded, findings: [...refused, ...loaded.findings] } : loaded;
}

async function loadPolicyFile(
  file: string | undefined,
  options: PolicySource,
  notSearched: string | undefined,
): Promise<LoadedPolicy> {
  if (!file) return { policy: defaultPolicy(), findings: [], notSearched };
  if (options.inspected && isInsidePath(file, options.inspected)) {
    // The defaults apply, and the refusal blocks: a policy the user named cannot silently be replaced.
    return { policy: defaultPolicy(), file, findings: [policyInsideFinding(file, options.inspected)] };
  }
  // Found by climbing (not named by the user): used only when nobody else could have written it.
  const foreign = options.file ? undefined : untrustedOwnerReason(file);
  if (foreign) return { policy: defaultPolicy(), file, findings: [untrustedPolicyFinding(file, foreign)] };
  const read = await readPolicyText(file);
  if ('finding' in read) return { policy: defaultPolicy(), file, findings: [read.finding] };
  return parsePolicy(read.text, file);
}

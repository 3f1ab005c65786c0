import type { X509Certificate } from '@sigstore/core';
import { SUBJECT_DIGESTS, type Statement } from './dsse.ts';
import { digestFile } from './hashing.ts';
import type { ProvenancePolicy } from './types.ts';

/**
 * In-toto statements about one file, and SLSA provenance (v0.2 and v1): the subject digest must be
 * the file's, the builder and the source repository must be the expected ones (slsa-verifier's
 * checks, done offline on an already verified bundle).
 */

export const SLSA_PROVENANCE_TYPES = [
  'https://slsa.dev/provenance/v1',
  'https://slsa.dev/provenance/v0.2',
  'https://slsa.dev/provenance/v0.1',
];

export function isSlsaProvenance(st: Statement): boolean {
  return SLSA_PROVENANCE_TYPES.includes(st.predicateType);
}

/** Failures of "the file is one of the statement's subjects" (matched by digest only, as the spec says). */
export async function checkSubjectDigest(st: Statement, file: string, signal?: AbortSignal): Promise<string[]> {
  const algs = SUBJECT_DIGESTS.filter((a) => st.subjects.some((s) => s.digest[a.name]));
  if (algs.length === 0) {
    const found = [...new Set(st.subjects.flatMap((s) => Object.keys(s.digest)))];
    return [
      `subject digest: the statement's subjects have no sha256/sha384/sha512 digest (found ${found.join(', ') || 'none'}), so the file cannot be matched`,
    ];
  }
  const alg = algs[0];
  const digest = (await digestFile(file, alg.node, signal)).toString('hex');
  if (st.subjects.some((s) => s.digest[alg.name] === digest)) return [];
  const listed = st.subjects
    .filter((s) => s.digest[alg.name])
    .map((s) => `${s.name ?? '(unnamed)'} ${alg.name}:${s.digest[alg.name]}`);
  return [
    `subject digest: the file's ${alg.name} is ${digest}, which is none of the statement's subjects (${listed.slice(0, 5).join('; ')}${listed.length > 5 ? '; …' : ''})`,
  ];
}

export interface ProvenanceFacts {
  builderId?: string;
  /** Source repositories the provenance names (trigger and first material), normalized. */
  sources: string[];
  buildType?: string;
}

function get(o: unknown, ...keys: string[]): unknown {
  let cur = o;
  for (const k of keys) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v ? v : undefined;
}

/** `git+https://github.com/Org/Repo.git@refs/heads/main` → `github.com/org/repo`. */
export function normalizeRepo(uri: string): string {
  let s = uri
    .trim()
    .replace(/^git\+/, '')
    .replace(/^[a-z]+:\/\//i, '');
  const slash0 = s.indexOf('/');
  const at = slash0 < 0 ? -1 : s.indexOf('@', slash0);
  if (at >= 0) s = s.slice(0, at); // the ref: @refs/heads/main, @v1
  s = s.replace(/\.git$/, '').replace(/\/+$/, '');
  const slash = s.indexOf('/');
  return (slash < 0 ? s : s.slice(0, slash).toLowerCase() + s.slice(slash)).toLowerCase();
}

export function provenanceFacts(st: Statement): ProvenanceFacts {
  const p = st.predicate;
  const sources: string[] = [];
  const push = (v: unknown) => {
    const s = str(v);
    if (s) sources.push(normalizeRepo(s));
  };
  if (st.predicateType === 'https://slsa.dev/provenance/v1') {
    push(get(p, 'buildDefinition', 'externalParameters', 'workflow', 'repository'));
    push(get(p, 'buildDefinition', 'externalParameters', 'source', 'uri'));
    const deps = get(p, 'buildDefinition', 'resolvedDependencies');
    if (Array.isArray(deps) && deps.length) push(get(deps[0], 'uri'));
    return {
      builderId: str(get(p, 'runDetails', 'builder', 'id')),
      sources: [...new Set(sources)],
      buildType: str(get(p, 'buildDefinition', 'buildType')),
    };
  }
  push(get(p, 'invocation', 'configSource', 'uri'));
  const mats = get(p, 'materials');
  if (Array.isArray(mats) && mats.length) push(get(mats[0], 'uri'));
  return {
    builderId: str(get(p, 'builder', 'id')),
    sources: [...new Set(sources)],
    buildType: str(get(p, 'buildType')),
  };
}

/** An expected builder id without `@ref` accepts any ref of that builder; with one, only that ref. */
export function builderMatches(expected: string, actual: string | undefined): boolean {
  if (!actual) return false;
  if (expected === actual) return true;
  return !expected.includes('@') && actual.startsWith(`${expected}@`);
}

/** Fulcio extension: Source Repository URI (GitHub Actions certificates). */
const OID_SOURCE_REPOSITORY_URI = '1.3.6.1.4.1.57264.1.12';

function certSourceRepository(cert: X509Certificate | undefined): string | undefined {
  try {
    const ext = cert?.extension(OID_SOURCE_REPOSITORY_URI);
    if (!ext) return undefined;
    // The value is a DER UTF8String inside the extension's OCTET STRING.
    const v = ext.valueObj.subs[0]?.value ?? ext.valueObj.value;
    return v.toString('utf8').replace(/^[\x00-\x1f]+/, '');
  } catch {
    return undefined;
  }
}

/** slsa-verifier's builder and source checks, on a statement whose signature already verified. */
export function checkProvenance(
  st: Statement,
  policy: ProvenancePolicy,
  signer: { identity?: string; certificate?: X509Certificate },
): { failures: string[]; notes: string[] } {
  const failures: string[] = [];
  const notes: string[] = [];
  const facts = provenanceFacts(st);
  if (policy.builderId) {
    if (!builderMatches(policy.builderId, facts.builderId))
      failures.push(
        `builder id: expected ${JSON.stringify(policy.builderId)}, the provenance says ${JSON.stringify(facts.builderId ?? '(none)')}`,
      );
    // The provenance is only as good as its signer: the certificate must belong to that builder
    // (a reusable workflow's identity is its own workflow URI).
    if (signer.certificate && !builderMatches(policy.builderId, signer.identity))
      failures.push(
        `signer: the attestation was signed by ${JSON.stringify(signer.identity ?? '(none)')}, not by the expected builder ${JSON.stringify(policy.builderId)} (untrusted signer workflow)`,
      );
  } else
    notes.push(
      `builder not checked (the provenance names ${JSON.stringify(facts.builderId ?? '(none)')}); give an expected builder id`,
    );
  if (policy.sourceRepository) {
    const want = normalizeRepo(policy.sourceRepository);
    if (facts.sources.length === 0) failures.push(`source repository: expected ${want}, the provenance names none`);
    for (const s of facts.sources)
      if (s !== want) failures.push(`source repository: expected ${want}, the provenance names ${s}`);
    const fromCert = certSourceRepository(signer.certificate);
    if (fromCert && normalizeRepo(fromCert) !== want)
      failures.push(`source repository: expected ${want}, the signing certificate names ${normalizeRepo(fromCert)}`);
  } else
    notes.push(
      `source repository not checked (the provenance names ${facts.sources.join(', ') || 'none'}); give an expected source repository`,
    );
  return { failures, notes };
}

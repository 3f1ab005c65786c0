import fs from 'node:fs/promises';
import path from 'node:path';
import type { Finding, RelatedLocation, TextRange } from '../findings.ts';
import { decodeUtf8 } from '../yaml/decode.ts';
import { parseYaml } from '../yaml/document.ts';
import { GITHUB_ISSUER, githubSlug } from './chain.ts';
import type { AdmissionPolicy, Signer } from './policies.ts';
import { scopeBroaderThan, scopeCoversRepository } from './scope.ts';
import { clauseTakes, globMatch } from './admission.ts';
import { child, sequence, strings, text } from './yamlView.ts';

/**
 * The admission policy the promotion gate implies, and the differences between an existing
 * admission policy and the gate. The gate policy is `.model-inspect.yaml` as the user names it on
 * the command line (`--policy`): an expectation, not evidence.
 */

export interface GateExpectations {
  file: string;
  identities: { value: string; regex: boolean; range?: TextRange }[];
  issuers: { value: string; regex: boolean; range?: TextRange }[];
  /** Public keys: file (as written, resolved against the policy's folder) and PEM text. */
  keys: { file: string; pem?: string; error?: string; range?: TextRange }[];
  sourceRepository?: string;
  sbom: boolean;
  provenance: boolean;
  /** `admission.image_references`, else what the caller found (flags, workflows). */
  imageReferences: { value: string; range?: TextRange; source: string }[];
  namespaces: string[];
  signaturesEnabled: boolean;
}

const SLSA_GENERATOR_SUBJECT =
  '^https://github\\.com/slsa-framework/slsa-github-generator/\\.github/workflows/generator_(container|generic)_slsa3\\.yml@refs/tags/v[0-9]+\\.[0-9]+\\.[0-9]+$';

function anchored(re: string): string {
  return `${re.startsWith('^') ? '' : '^'}${re}${re.endsWith('$') ? '' : '$'}`;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Read the gate's expectations from a policy file named by the user. */
export async function readGateExpectations(
  file: string,
  extraImageReferences: readonly string[] = [],
): Promise<GateExpectations> {
  const textContent = decodeUtf8(await fs.readFile(file)).text;
  const doc = parseYaml(textContent);
  const list = (p: (string | number)[]) =>
    sequence(doc, doc.at(p) ?? undefined).flatMap((n) => {
      const v = text(doc, n);
      return v ? [{ v, range: doc.range(n) }] : [];
    });
  const re = (v: string) => /^\/(.+)\/[a-z]*$/.exec(v);
  const enabled = (section: string) => text(doc, doc.at(['gate', section, 'enabled'])) !== 'false';
  const keys: GateExpectations['keys'] = [];
  for (const k of list(['gate', 'signatures', 'keys'])) {
    const abs = path.resolve(path.dirname(file), k.v);
    try {
      keys.push({ file: k.v, pem: decodeUtf8(await fs.readFile(abs)).text.trim(), range: k.range });
    } catch (e) {
      keys.push({ file: k.v, error: (e as Error).message, range: k.range });
    }
  }
  const refs = list(['admission', 'image_references']).map((r) => ({ value: r.v, range: r.range, source: file }));
  return {
    file,
    identities: list(['gate', 'signatures', 'identities']).map((i) => ({
      value: re(i.v)?.[1] ?? i.v,
      regex: !!re(i.v),
      range: i.range,
    })),
    issuers: list(['gate', 'signatures', 'issuers']).map((i) => ({
      value: re(i.v)?.[1] ?? i.v,
      regex: !!re(i.v),
      range: i.range,
    })),
    keys,
    sourceRepository: text(doc, doc.at(['gate', 'provenance', 'source_repository'])) || undefined,
    sbom: enabled('sbom'),
    provenance: enabled('provenance') && !!text(doc, doc.at(['gate', 'provenance', 'source_repository'])),
    imageReferences: extraImageReferences.length
      ? extraImageReferences.map((value) => ({ value, source: '--image-reference' }))
      : refs,
    namespaces: list(['admission', 'namespaces']).map((n) => n.v),
    signaturesEnabled: enabled('signatures'),
  };
}

const q = (s: string) => JSON.stringify(s);

function keylessEntries(g: GateExpectations): { subject: [string, string]; issuer?: [string, string] }[] {
  const issuer =
    g.issuers.length === 1
      ? g.issuers[0].regex
        ? (['issuerRegExp', anchored(g.issuers[0].value)] as [string, string])
        : (['issuer', g.issuers[0].value] as [string, string])
      : g.issuers.length > 1
        ? ([
            'issuerRegExp',
            `^(?:${g.issuers.map((i) => (i.regex ? `(?:${i.value})` : escapeRe(i.value))).join('|')})$`,
          ] as [string, string])
        : undefined;
  return g.identities.map((i) => ({
    subject: i.regex ? ['subjectRegExp', anchored(i.value)] : ['subject', i.value],
    issuer,
  }));
}

function indent(lines: string[], n: number): string[] {
  return lines.map((l) => (l ? ' '.repeat(n) + l : l));
}

function kyvernoAttestors(g: GateExpectations): string[] {
  const out = ['- count: 1', '  entries:'];
  for (const e of keylessEntries(g)) {
    out.push('    - keyless:', `        ${e.subject[0]}: ${q(e.subject[1])}`);
    if (e.issuer) out.push(`        ${e.issuer[0]}: ${q(e.issuer[1])}`);
    out.push('        rekor:', '          url: https://rekor.sigstore.dev');
  }
  for (const k of g.keys) {
    if (!k.pem) continue;
    out.push(
      '    - keys:',
      '        publicKeys: |-',
      ...k.pem.split(/\r?\n/).map((l) => `          ${l}`),
      '        rekor:',
      '          url: https://rekor.sigstore.dev',
    );
  }
  return out;
}

/** A Kyverno ClusterPolicy or a policy-controller ClusterImagePolicy enforcing the gate. */
export function generateAdmissionPolicy(
  g: GateExpectations,
  format: 'kyverno' | 'policy-controller',
  name = 'require-promoted-model-images',
): { text: string; problems: string[] } {
  const problems: string[] = [];
  if (!g.signaturesEnabled)
    problems.push(
      'gate.signatures is switched off: the policy still requires signatures (an admission policy that checks nothing protects nothing)',
    );
  if (!g.identities.length && !g.keys.some((k) => k.pem))
    problems.push(
      'the promotion policy names no identity and no readable key: the cluster cannot know whose signature to accept; add gate.signatures.identities/issuers or keys',
    );
  if (g.identities.length && !g.issuers.length)
    problems.push(
      'the promotion policy names identities but no issuer; the generated policy would accept any OIDC issuer: add gate.signatures.issuers',
    );
  for (const k of g.keys) if (k.error) problems.push(`key ${k.file}: ${k.error}`);
  if (!g.imageReferences.length)
    problems.push(
      'no image references: set admission.image_references in the promotion policy, pass --image-reference, or keep the release workflows (which push the images) in the repository',
    );
  const slug = githubSlug(g.sourceRepository);
  const header = [
    `# Generated by model-inspect admission generate from ${path.basename(g.file)}: admits only model images signed`,
    '# by the signers the promotion gate accepts, with the attestations the gate requires.',
  ];
  const lines: string[] = [...header];
  if (format === 'kyverno') {
    lines.push(
      'apiVersion: kyverno.io/v1',
      'kind: ClusterPolicy',
      'metadata:',
      `  name: ${name}`,
      'spec:',
      '  failurePolicy: Fail',
      '  webhookTimeoutSeconds: 30',
      '  background: true',
      '  rules:',
      '    - name: verify-model-images',
      '      match:',
      '        any:',
      '          - resources:',
      '              kinds: ["Pod"]',
    );
    if (g.namespaces.length) lines.push(`              namespaces: [${g.namespaces.map(q).join(', ')}]`);
    lines.push(
      '      verifyImages:',
      `        - imageReferences: [${g.imageReferences.map((r) => q(r.value)).join(', ')}]`,
      '          failureAction: Enforce',
      '          required: true',
      '          verifyDigest: true',
      '          mutateDigest: true',
      '          attestors:',
      ...indent(kyvernoAttestors(g), 12),
    );
    const att: string[] = [];
    if (g.sbom)
      att.push('- predicateType: https://cyclonedx.org/bom', '  attestors:', ...indent(kyvernoAttestors(g), 4));
    if (g.provenance && slug) {
      att.push(
        '- predicateType: https://slsa.dev/provenance/v0.2',
        '  attestors:',
        '    - count: 1',
        '      entries:',
        '        - keyless:',
        `            subjectRegExp: ${q(SLSA_GENERATOR_SUBJECT)}`,
        `            issuer: ${q(GITHUB_ISSUER)}`,
        '            rekor:',
        '              url: https://rekor.sigstore.dev',
        '  conditions:',
        '    - all:',
        '        - key: "{{ invocation.configSource.uri }}"',
        '          operator: Equals',
        `          value: ${q(`git+https://github.com/${slug}@*`)}`,
        '        - key: "{{ builder.id }}"',
        '          operator: Equals',
        `          value: ${q('https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_*_slsa3.yml@refs/tags/v*')}`,
      );
    } else if (g.provenance)
      problems.push(
        `source_repository ${g.sourceRepository} is not a GitHub repository: no provenance condition was written`,
      );
    if (att.length) lines.push('          attestations:', ...indent(att, 12));
  } else {
    lines.push(
      'apiVersion: policy.sigstore.dev/v1beta1',
      'kind: ClusterImagePolicy',
      'metadata:',
      `  name: ${name}`,
      'spec:',
      '  mode: enforce',
      '  images:',
      ...g.imageReferences.map((r) => `    - glob: ${q(r.value.replace(/(^|[^*])\*$/, '$1**'))}`),
      '  authorities:',
    );
    const attestations: string[] = [];
    if (g.sbom) attestations.push('- name: sbom', '  predicateType: cyclonedx'); // policy-controller reads cosign's --type names
    if (g.provenance && slug)
      attestations.push(
        '- name: provenance',
        '  predicateType: slsaprovenance',
        '  policy:',
        '    type: cue',
        '    data: |',
        `      predicate: invocation: configSource: uri: =~"^git\\\\+https://github\\\\.com/${slug.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\/g, '\\\\')}@"`,
      );
    const e = keylessEntries(g);
    if (e.length) {
      lines.push(
        '    - name: release-identities',
        '      keyless:',
        '        url: https://fulcio.sigstore.dev',
        '        identities:',
      );
      for (const x of e) {
        lines.push(`          - ${x.subject[0]}: ${q(x.subject[1])}`);
        if (x.issuer) lines.push(`            ${x.issuer[0]}: ${q(x.issuer[1])}`);
      }
      lines.push('      ctlog:', '        url: https://rekor.sigstore.dev');
      if (attestations.length) lines.push('      attestations:', ...indent(attestations, 8));
    }
    g.keys
      .filter((k) => k.pem)
      .forEach((k, i) => {
        lines.push(
          `    - name: release-key-${i + 1}`,
          '      key:',
          '        data: |',
          ...k.pem!.split(/\r?\n/).map((l) => `          ${l}`),
          '      ctlog:',
          '        url: https://rekor.sigstore.dev',
        );
        if (attestations.length) lines.push('      attestations:', ...indent(attestations, 8));
      });
  }
  return { text: lines.join('\n') + '\n', problems };
}

// ---- compare an existing policy with the gate ----

function normRe(s: string): string {
  return s
    .replace(/^\^/, '')
    .replace(/\$$/, '')
    .replace(/^\(\?:(.*)\)$/, '$1');
}

function signerAccepts(
  s: Signer,
  identity: { value: string; regex: boolean },
  engine: AdmissionPolicy['engine'],
): boolean {
  if (s.kind !== 'keyless') return false;
  if (s.subject) {
    if (identity.regex) return false;
    if (s.subject.value === identity.value) return true;
    return (
      engine === 'kyverno' &&
      new RegExp(`^${s.subject.value.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(identity.value)
    );
  }
  if (s.subjectRegExp) {
    if (identity.regex) return normRe(s.subjectRegExp.value) === normRe(identity.value);
    try {
      return new RegExp(s.subjectRegExp.value).test(identity.value);
    } catch {
      return false;
    }
  }
  return false;
}

/**
 * A regular expression that matches exactly one literal string: anchored, with every metacharacter
 * escaped. Its literal, or undefined (`^.*$` matches the gate's issuer, and every other one).
 */
function literalOfRegExp(re: string): string | undefined {
  const body = re.replace(/^\^/, '').replace(/\$$/, '');
  if (body === re.replace(/\$$/, '') || !re.endsWith('$') || re.endsWith('\\$')) return undefined; // not anchored at both ends
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\\') {
      const n = body[i + 1];
      if (n === undefined || /[A-Za-z0-9]/.test(n)) return undefined; // \d, \w, \s…: a class, not a literal
      out += n;
      i++;
    } else if ('.*+?()[]{}|^$'.includes(c)) return undefined;
    else out += c;
  }
  return out;
}

/** The admitted issuer is one the gate accepts, and no other. */
function issuerOk(s: Signer, issuers: GateExpectations['issuers']): boolean {
  if (!issuers.length) return true;
  if (s.issuer) return issuers.some((i) => !i.regex && i.value === s.issuer!.value);
  const v = s.issuerRegExp?.value;
  if (!v) return false;
  const literal = literalOfRegExp(v);
  return issuers.some((i) => (i.regex ? normRe(v) === normRe(i.value) : literal === i.value));
}

/** Strings a Kyverno wildcard (`*` any run, `?` one character) stands for, to test a pattern against a regexp. */
const WILDCARD_PROBES = ['x', '', '/', 'x/y', '-', '.', '@', ':', 'X_9', '%2F', '../'];

/** Every string the Kyverno wildcard pattern admits (as far as the probes tell) matches the gate's regexp. */
function wildcardWithin(pattern: string, re: string): boolean {
  let rx: RegExp;
  try {
    rx = new RegExp(`^(?:${re})$`);
  } catch {
    return false;
  }
  if (!/[*?]/.test(pattern)) return rx.test(pattern);
  return WILDCARD_PROBES.every((p) => rx.test(pattern.replace(/\*/g, p).replace(/\?/g, p.slice(0, 1) || 'x')));
}

function pemBody(pem: string): string {
  return pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
}

/** Every difference between the policies and the gate, as admission/gate-mismatch findings. */
export function compareWithGate(
  policies: readonly AdmissionPolicy[],
  g: GateExpectations,
  pushedRepositories: readonly string[] = [],
): Finding[] {
  const out: Finding[] = [];
  const gateAt = (range?: TextRange): RelatedLocation => ({
    message: `promotion policy ${path.basename(g.file)}`,
    file: g.file,
    range,
  });
  for (const p of policies) {
    const doc = p.object.doc;
    const file = p.object.file;
    const add = (node: { start: number; end: number }, message: string, related: RelatedLocation[] = [gateAt()]) =>
      out.push({
        ruleId: 'admission/gate-mismatch',
        severity: 'error',
        message: `${p.object.label}: ${message}`,
        file,
        range: doc.range(node),
        related,
      });
    const rules = p.rules;
    const anchor = p.object.node.pairs?.[0]?.key ?? p.object.node;
    if (!rules.length) {
      add(anchor, 'has no image verification rule, so it enforces nothing the gate enforces');
      continue;
    }
    const signers = rules.flatMap((r) => r.signers);
    for (const r of rules)
      if (r.action.value !== 'Enforce')
        add(r.action.node ?? r.node, `only audits (${r.action.source}) while the gate blocks`);
    // signers the gate accepts must be admitted …
    for (const id of g.identities) {
      const ok = signers.some((s) => signerAccepts(s, id, p.engine) && issuerOk(s, g.issuers));
      if (!ok)
        add(
          signers[0]?.node ?? anchor,
          `the gate accepts the signer ${id.regex ? `/${id.value}/` : id.value}${g.issuers.length ? ` (issuer ${g.issuers.map((i) => i.value).join(' or ')})` : ''}, which this policy does not admit`,
          [gateAt(id.range)],
        );
    }
    for (const k of g.keys) {
      if (!k.pem) continue;
      if (!signers.some((s) => s.kind === 'key' && s.key && pemBody(s.key.value) === pemBody(k.pem!)))
        add(
          signers[0]?.node ?? anchor,
          `the gate accepts signatures made with the key ${k.file}, which this policy does not list`,
          [gateAt(k.range)],
        );
    }
    // … and only those
    for (const s of signers) {
      if (s.kind === 'keyless') {
        const subject = s.subject ?? s.subjectRegExp;
        if (!subject) {
          add(
            s.issuer?.node ?? s.issuerRegExp?.node ?? s.node,
            `has a keyless attestor with no subject: it admits any signer${s.issuer || s.issuerRegExp ? ` from ${(s.issuer ?? s.issuerRegExp)!.value}` : ''}, while the gate accepts only ${g.identities.map((i) => i.value).join(', ') || 'its keys'}`,
          );
          continue;
        }
        const literal = s.subjectRegExp ? literalOfRegExp(s.subjectRegExp.value) : undefined;
        const known = g.identities.some((id) =>
          s.subject
            ? (!id.regex && id.value === s.subject.value && !/[*?]/.test(s.subject.value)) ||
              (id.regex && wildcardWithin(s.subject.value, id.value))
            : (id.regex && normRe(id.value) === normRe(s.subjectRegExp!.value)) ||
              (literal !== undefined && (id.regex ? wildcardWithin(literal, id.value) : id.value === literal)),
        );
        if (!known)
          add(
            subject.node,
            `admits the signer ${subject.value}, which the gate does not accept: images the gate never promoted can run`,
          );
        else if (!issuerOk(s, g.issuers))
          add(
            (s.issuer ?? s.issuerRegExp ?? subject).node,
            `admits the issuer ${(s.issuer ?? s.issuerRegExp)?.value ?? '(any)'}; the gate accepts ${g.issuers.map((i) => i.value).join(', ') || 'any'}`,
          );
      } else if (s.kind === 'key' && s.key) {
        if (!g.keys.some((k) => k.pem && pemBody(k.pem) === pemBody(s.key!.value)))
          add(s.key.node, 'admits signatures made with a key the gate does not list');
      } else if (s.kind === 'static') add(s.node, 'has a static authority, which the gate has no equivalent of');
      else if (s.kind === 'certificate' || s.kind === 'notary')
        add(
          s.node,
          `has a ${s.kind} attestor, which the gate has no equivalent of: signatures the gate never checked are admitted`,
        );
    }
    // the policy as a whole: switched off, or auditing where the model runs
    if (p.admissionOff)
      add(
        p.admissionOff,
        'is switched off at admission time (it only reports on running workloads) while the gate blocks',
      );
    for (const o of p.auditOverrides) {
      const ns = strings(doc, child(doc, o, 'namespaces')).map((v) => v.value);
      if (!ns.length || !g.namespaces.length || g.namespaces.some((n) => ns.some((x) => globMatch(x, n)))) {
        add(
          o,
          `only audits in ${ns.length ? `namespace(s) ${ns.join(', ')}` : 'every namespace'} (validationFailureActionOverrides) while the gate blocks`,
        );
      }
    }
    // where the model runs: the gate's namespaces must be matched by a rule and not excluded
    for (const n of g.namespaces) {
      const takes = rules.some(
        (r) =>
          (p.engine === 'policy-controller' && !r.match.length) ||
          (r.match.some(
            (c) =>
              clauseTakes(c, undefined) && (!c.namespaces.length || c.namespaces.some((x) => globMatch(x.value, n))),
          ) &&
            !r.exclude.some(
              (c) =>
                clauseTakes(c, undefined) &&
                c.namespaces.some((x) => globMatch(x.value, n)) &&
                !c.labels.size &&
                !c.selectorNode &&
                !c.names.length,
            )),
      );
      if (!takes)
        add(
          rules[0].matchNode ?? rules[0].node,
          `does not check pods in namespace ${n}, where the promotion policy's admission.namespaces says the model runs`,
          [gateAt()],
        );
    }
    // image references
    const scopes = rules.flatMap((r) => r.scopes);
    const expected = [...g.imageReferences.map((r) => r.value.replace(/\/?\*+$/, '')), ...pushedRepositories];
    for (const e of [...new Set(expected)]) {
      if (!scopes.some((s) => scopeCoversRepository(s, e) || scopeCoversRepository(s, `${e}/x`)))
        add(
          rules[0].scopes[0]?.range
            ? { start: doc.offsetAt(rules[0].scopes[0].range!.start), end: doc.offsetAt(rules[0].scopes[0].range!.end) }
            : anchor,
          `does not cover ${e}, which the gate's registry paths include`,
          [gateAt(g.imageReferences.find((r) => r.value.startsWith(e))?.range)],
        );
    }
    for (const r of rules)
      for (const sk of r.skip) {
        const hit = [...new Set(expected)].find(
          (e) => scopeCoversRepository(sk, e) || scopeCoversRepository(sk, `${e}/x`),
        );
        if (hit)
          add(
            sk.range ? { start: doc.offsetAt(sk.range.start), end: doc.offsetAt(sk.range.end) } : r.node,
            `skips ${sk.pattern} (skipImageReferences), which covers ${hit}: those images are admitted without a signature check`,
          );
      }
    if (expected.length)
      for (const s of scopes) {
        const probe = scopeBroaderThan(
          s,
          expected.map((e) => e),
        );
        if (probe && !g.imageReferences.some((r) => r.value === s.pattern))
          add(
            { start: doc.offsetAt(s.range!.start), end: doc.offsetAt(s.range!.end) },
            `its pattern ${s.pattern} also admits ${probe.replace(/:1$/, '')}, outside the gate's registry paths (${[...new Set(expected)].join(', ')})`,
          );
      }
    // attestations
    const atts = rules.flatMap((r) => r.attestations);
    const types = atts.map((a) => a.predicateType?.value ?? '');
    if (g.sbom && !types.some((t) => /cyclonedx|spdx/i.test(t)))
      add(
        rules[0].node.pairs?.[0]?.key ?? anchor,
        'does not require an SBOM attestation (CycloneDX or SPDX), which the gate requires',
      );
    if (g.provenance) {
      const slsa = atts.filter((a) => /slsa/i.test(a.predicateType?.value ?? ''));
      const slug = githubSlug(g.sourceRepository);
      if (!slsa.length)
        add(
          rules[0].node.pairs?.[0]?.key ?? anchor,
          `does not require SLSA provenance; the gate requires provenance from ${g.sourceRepository}`,
        );
      else if (slug && !slsa.some((a) => a.conditions.replace(/\\/g, '').includes(slug)))
        add(
          slsa[0].predicateType?.node ?? slsa[0].node,
          `requires SLSA provenance but does not check that it comes from ${g.sourceRepository}, as the gate does`,
        );
    }
  }
  return out;
}

/**
 * `admission check`: the policies' own weaknesses (every `admission/*` finding: audit mode,
 * `required: false`, digests or the transparency log off, identities without issuers, skipped
 * images, matches that miss the pods) and every difference from the promotion gate. A policy that
 * enforces the gate's signers while admitting unsigned images is not "the same as the gate".
 */
export function checkAgainstGate(
  set: { policies: readonly AdmissionPolicy[]; findings: readonly Finding[] },
  g: GateExpectations,
  pushedRepositories: readonly string[] = [],
): Finding[] {
  const files = new Set(set.policies.map((p) => p.object.file));
  const own = set.findings.filter((f) => f.ruleId.startsWith('admission/') && files.has(f.file));
  return [...own, ...compareWithGate(set.policies, g, pushedRepositories)];
}

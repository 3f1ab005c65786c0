import type { YamlDocument, YamlNode } from '../yaml/document.ts';
import { replace } from '../workflow/edits.ts';
import type { FindingSink } from './context.ts';
import { crdVersionsOf, validateCrd } from './crdSchema.ts';
import { fix, setField } from './edits.ts';
import type { AdmissionPolicy, ImageRule, MatchClause, Signer } from './policies.ts';
import type { PodTemplate } from './workloads.ts';
import { scopeCoversRepository } from './scope.ts';
import { boolOf, child } from './yamlView.ts';

/**
 * The mistakes that make an image-verification policy admit what it should not, for Kyverno
 * (ClusterPolicy/Policy verifyImages, ImageValidatingPolicy) and the Sigstore policy-controller
 * (ClusterImagePolicy). Each sits on the value that causes it, or on the rule when the cause is
 * something missing.
 */

export interface AdmissionContext {
  /** Workloads found beside the policy: their pods must be matched by it. */
  workloads?: readonly PodTemplate[];
}

const COSIGN_SHORTHANDS: Record<string, string> = {
  slsaprovenance: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance02: 'https://slsa.dev/provenance/v0.2',
  slsaprovenance1: 'https://slsa.dev/provenance/v1',
  cyclonedx: 'https://cyclonedx.org/bom',
  spdx: 'https://spdx.dev/Document',
  spdxjson: 'https://spdx.dev/Document',
  vuln: 'https://cosign.sigstore.dev/attestation/vuln/v1',
  custom: 'https://cosign.sigstore.dev/attestation/v1',
  openvex: 'https://openvex.dev/ns',
};

const BROAD_REGEXPS = new Set(['.*', '.+', '^.*$', '^.+$', '^.*', '.*$', '^.+', '.+$', '*']);

function ruleAnchor(_doc: YamlDocument, rule: ImageRule): YamlNode {
  return rule.node.pairs?.[0]?.key ?? rule.node;
}

export function checkAdmissionPolicy(sink: FindingSink, policy: AdmissionPolicy, ctx: AdmissionContext = {}): void {
  const obj = policy.object;
  const doc = obj.doc;
  if (!validateCrd(sink, obj)) {
    const versions = crdVersionsOf(obj.group, obj.kind);
    if (versions.length)
      sink.add(
        'admission/schema',
        doc,
        child(doc, obj.node, 'apiVersion') ?? obj.node,
        `${obj.kind} has no version ${obj.version} in the CRD (known: ${versions.join(', ')}); the API server refuses it`,
      );
  }
  const spec = child(doc, obj.node, 'spec');

  if (policy.failurePolicy?.value === 'Ignore') {
    sink.add(
      'admission/fail-open',
      doc,
      policy.failurePolicy.node,
      `${obj.label} has failurePolicy: Ignore: while the admission webhook is unavailable every image is admitted unchecked`,
      {
        fixes: [
          fix('Set failurePolicy: Fail', [
            replace(doc, policy.failurePolicy.node.start, policy.failurePolicy.node.end, 'Fail'),
          ]),
        ],
      },
    );
  }
  if (policy.admissionOff)
    sink.add(
      'admission/fail-open',
      doc,
      policy.admissionOff,
      `${obj.label} is switched off at admission time: it only reports on running workloads`,
      { severity: 'error' },
    );
  for (const o of policy.auditOverrides)
    sink.add('admission/fail-open', doc, o, `${obj.label} only audits in the namespaces of this override`);

  if (policy.engine === 'policy-controller' && !policy.rules[0]?.signers.length) {
    sink.add(
      'admission/no-attestors',
      doc,
      child(doc, spec, 'authorities') ? doc.pair(doc.resolveAlias(spec) ?? undefined, 'authorities')!.key : obj.node,
      `${obj.label} has no authorities: matching images are not verified`,
    );
  }
  if (policy.engine === 'kyverno' && !policy.rules.length) return;

  for (const rule of policy.rules) {
    const where = policy.engine === 'kyverno' ? `${obj.label} ${rule.where}` : obj.label;
    // failure action
    if (rule.action.value !== 'Enforce') {
      const fixes = [];
      if (policy.engine === 'kyverno') {
        fixes.push(
          rule.action.node && rule.action.source !== 'validate.failureAction'
            ? fix('Set it to Enforce', [replace(doc, rule.action.node.start, rule.action.node.end, 'Enforce')])
            : fix('Add failureAction: Enforce', [setField(doc, rule.node, ['failureAction'], 'Enforce')]),
        );
      } else if (policy.engine === 'policy-controller' && rule.action.node) {
        fixes.push(fix('Set mode: enforce', [replace(doc, rule.action.node.start, rule.action.node.end, 'enforce')]));
      }
      sink.add(
        'admission/audit-mode',
        doc,
        rule.action.node ?? ruleAnchor(doc, rule),
        `${where} only audits (${rule.action.source}): unsigned images are admitted and merely reported`,
        { fixes },
      );
    }
    if (rule.required && boolOf(doc, rule.required) === false) {
      sink.add(
        'admission/not-required',
        doc,
        rule.required,
        `${where} has required: false: images without any signature are admitted`,
        {
          fixes: [fix('Set required: true', [replace(doc, rule.required.start, rule.required.end, 'true')])],
        },
      );
    }
    if (rule.verifyDigest && boolOf(doc, rule.verifyDigest) === false) {
      sink.add(
        'admission/verify-digest-off',
        doc,
        rule.verifyDigest,
        `${where} has verifyDigest: false: images referenced by tag are admitted, and the node pulls whatever the tag points at later`,
        {
          fixes: [
            fix('Set verifyDigest: true', [replace(doc, rule.verifyDigest.start, rule.verifyDigest.end, 'true')]),
          ],
        },
      );
    }
    if (rule.mutateDigest && boolOf(doc, rule.mutateDigest) === false) {
      sink.add(
        'admission/mutate-digest-off',
        doc,
        rule.mutateDigest,
        `${where} has mutateDigest: false: admitted pods keep their tags`,
        {
          fixes: [
            fix('Set mutateDigest: true', [replace(doc, rule.mutateDigest.start, rule.mutateDigest.end, 'true')]),
          ],
        },
      );
    }
    // image scope that is obviously broad
    for (const s of rule.scopes) {
      if (/^\*+$|^\*\/\*$|^\*\*$/.test(s.pattern)) {
        sink.add(
          'admission/image-scope',
          doc,
          doc.resolveAlias(nodeAtRange(doc, rule.node, s.range)) ?? ruleAnchor(doc, rule),
          `${where} matches every image ('${s.pattern}'): every workload in the matched namespaces needs your signature, and a narrower policy beside it is easy to miss`,
        );
      }
    }
    // Kyverno admits what skipImageReferences names without looking at it.
    for (const sk of rule.skip) {
      const covered = rule.scopes.find(
        (sc) => sc.pattern === sk.pattern || scopeCoversRepository(sk, sc.pattern.replace(/[/:@]?\*+$/, '')),
      );
      sink.add(
        'admission/image-scope',
        doc,
        doc.resolveAlias(nodeAtRange(doc, rule.node, sk.range)) ?? ruleAnchor(doc, rule),
        covered
          ? `${where} skips ${sk.pattern} (skipImageReferences), which covers the images it matches (${covered.pattern}): they are admitted without a signature check`
          : `${where} skips ${sk.pattern} (skipImageReferences): those images are admitted without a signature check`,
        { severity: covered ? 'error' : 'warning' },
      );
    }
    if (!rule.scopes.length && policy.engine !== 'policy-controller') {
      sink.add(
        'admission/image-scope',
        doc,
        ruleAnchor(doc, rule),
        `${where} names no image references: it checks no image`,
        { severity: 'error' },
      );
    }

    // what is verified
    const verifies = rule.signers.length || rule.attestations.some((a) => a.signers.length);
    if (policy.engine === 'kyverno' && !verifies) {
      sink.add(
        'admission/no-attestors',
        doc,
        ruleAnchor(doc, rule),
        `${where} has no attestors: nothing about the signer is checked`,
      );
    }
    if (policy.engine === 'kyverno-ivp') {
      const v = rule.validations ?? '';
      if (!/verifyImageSignatures|verifyAttestationSignatures/.test(v)) {
        sink.add(
          'admission/no-attestors',
          doc,
          doc.pair(doc.resolveAlias(spec) ?? undefined, 'validations')?.key ?? ruleAnchor(doc, rule),
          `${obj.label} has no validation that calls verifyImageSignatures or verifyAttestationSignatures: the attestors are declared but never used`,
        );
      }
      if (!rule.signers.length)
        sink.add('admission/no-attestors', doc, ruleAnchor(doc, rule), `${obj.label} declares no attestors`);
    }
    for (const s of rule.signers)
      if (s.kind === 'static' && /^pass$/i.test(s.staticAction?.value ?? '')) {
        sink.add(
          'admission/no-attestors',
          doc,
          s.staticAction!.node,
          `${obj.label} has a static pass authority: matching images are admitted without any check`,
        );
      }
    const allSigners = [...rule.signers, ...rule.attestations.flatMap((a) => a.signers)];
    for (const s of allSigners) signerChecks(sink, doc, s, where);

    // attestations
    for (const a of rule.attestations) {
      const pt = a.predicateType;
      if (pt && COSIGN_SHORTHANDS[pt.value.toLowerCase()] && policy.engine !== 'policy-controller') {
        const full = COSIGN_SHORTHANDS[pt.value.toLowerCase()];
        sink.add(
          'admission/attestation-mismatch',
          doc,
          pt.node,
          `'${pt.value}' is cosign's --type shorthand; attestations carry the predicate type ${full}, so this check never finds one`,
          {
            fixes: [fix(`Change to ${full}`, [replace(doc, pt.node.start, pt.node.end, full)])],
          },
        );
      }
      if (pt && /slsa\.dev\/provenance/.test(pt.value) && !a.conditions && policy.engine === 'kyverno') {
        sink.add(
          'admission/attestation-mismatch',
          doc,
          pt.node,
          `${where} requires a SLSA provenance attestation but checks nothing in it: any builder, any source repository passes`,
        );
      }
    }

    // match
    matchChecks(sink, doc, policy, rule, where, ctx);
  }
}

function nodeAtRange(
  doc: YamlDocument,
  root: YamlNode,
  range: { start: { line: number; character: number } } | undefined,
): YamlNode | null {
  if (!range) return null;
  const target = doc.offsetAt(range.start);
  const stack: YamlNode[] = [root];
  let best: YamlNode | null = null;
  let budget = 10_000;
  while (stack.length && --budget > 0) {
    const n = stack.pop()!;
    if (n.kind === 'scalar' && n.start === target) best = n;
    for (const i of n.items ?? []) stack.push(i);
    for (const p of n.pairs ?? []) if (p.value) stack.push(p.value);
  }
  return best;
}

function signerChecks(sink: FindingSink, doc: YamlDocument, s: Signer, where: string): void {
  if (s.kind === 'keyless') {
    const hasSubject = !!(s.subject || s.subjectRegExp);
    const hasIssuer = !!(s.issuer || s.issuerRegExp);
    if (hasSubject !== hasIssuer || (!hasSubject && !hasIssuer)) {
      const at = (s.subject ?? s.subjectRegExp ?? s.issuer ?? s.issuerRegExp)?.node ?? s.node.pairs?.[0]?.key ?? s.node;
      sink.add(
        'admission/identity-incomplete',
        doc,
        at,
        !hasSubject && !hasIssuer
          ? `${where}: a keyless attestor with neither subject nor issuer accepts any Sigstore signature`
          : hasSubject
            ? `${where}: subject ${(s.subject ?? s.subjectRegExp)!.value} without an issuer: any OIDC provider that vouches for that name will do`
            : `${where}: issuer ${(s.issuer ?? s.issuerRegExp)!.value} without a subject: anyone with an account there can sign`,
      );
    }
    for (const r of [s.subjectRegExp, s.issuerRegExp]) {
      if (!r) continue;
      const broad = BROAD_REGEXPS.has(r.value);
      const anchored = r.value.startsWith('^') && r.value.endsWith('$') && !r.value.endsWith('\\$');
      if (!broad && anchored) continue;
      const anchoredText = `${r.value.startsWith('^') ? '' : '^'}${r.value}${r.value.endsWith('$') ? '' : '$'}`;
      const n = doc.resolveAlias(r.node)!;
      sink.add(
        'admission/unanchored-regexp',
        doc,
        r.node,
        broad
          ? `${where}: '${r.value}' accepts every identity`
          : `${where}: '${r.value}' is not anchored (^…$): any identity that merely contains a match passes`,
        {
          fixes:
            broad || n.kind !== 'scalar'
              ? []
              : [fix('Anchor it with ^…$', [replace(doc, n.start, n.end, JSON.stringify(anchoredText))])],
        },
      );
    }
  }
  if (s.ignoreTlog)
    sink.add(
      'admission/tlog-disabled',
      doc,
      s.ignoreTlog,
      `${where}: the transparency log is not checked, so a signature made with a stolen key or certificate leaves no trace`,
      { severity: s.kind === 'keyless' ? 'error' : 'warning' },
    );
  if (s.ignoreSct && s.kind === 'keyless')
    sink.add(
      'admission/tlog-disabled',
      doc,
      s.ignoreSct,
      `${where}: certificate transparency (SCT) is not checked: a mis-issued signing certificate passes`,
    );
  if (s.customRoots && !s.rekorUrl && !s.rekorKey && !s.ignoreTlog) {
    sink.add(
      'admission/transparency-missing',
      doc,
      s.customRoots,
      `${where} trusts its own roots but names no Rekor URL or key: verification goes to the public-good log, which never saw these signatures`,
    );
  }
}

const POD_KINDS = /^(\*|Pod|v1\/Pod|\*\/Pod|\/v1\/Pod|core\/v1\/Pod|pods|\*\/\*|\*\/\*\/\*)$/;
const CONTROLLERS = new Set([
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'CronJob',
  'ReplicationController',
]);

function kindOf(v: string): string {
  return v.split('/').pop() ?? v;
}

export function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return re.test(value);
}

/** Does a match clause take the pods of this template (kind, namespace, labels)? undefined when it cannot tell. */
export function clauseTakes(c: MatchClause, t: PodTemplate | undefined): boolean {
  const kinds = c.kinds.map((k) => k.value);
  const podKind = kinds.length === 0 || kinds.some((k) => POD_KINDS.test(k));
  if (!podKind) return false;
  if (c.operations.length && !c.operations.some((o) => /^(CREATE|\*)$/i.test(o.value))) return false;
  if (!t) return true;
  if (c.namespaces.length) {
    const ns = t.namespace ?? t.object.namespace;
    if (!ns || !c.namespaces.some((n) => globMatch(n.value, ns))) return false;
  }
  for (const [k, v] of c.labels) if (t.labels.get(k) !== v) return false;
  if (c.names.length && !c.names.some((n) => globMatch(n.value, t.object.name ?? ''))) {
    // names apply to the Pod's own name; for controllers it is generated, so a name filter misses them
    return t.object.kind === 'Pod' && c.names.some((n) => globMatch(n.value, t.object.name ?? ''));
  }
  return true;
}

function matchChecks(
  sink: FindingSink,
  doc: YamlDocument,
  policy: AdmissionPolicy,
  rule: ImageRule,
  where: string,
  ctx: AdmissionContext,
): void {
  if (policy.engine === 'policy-controller' && !rule.match.length) return; // default: pods and every pod controller
  if (rule.customResources) return; // imageExtractors: the rule is meant for other kinds
  if (!rule.match.length) {
    if (policy.engine === 'kyverno')
      sink.add(
        'admission/match-misses-pods',
        doc,
        ruleAnchor(doc, rule),
        `${where} has no match: Kyverno applies it to nothing`,
      );
    return;
  }
  const anchor = rule.matchNode ?? ruleAnchor(doc, rule);
  const takesPods = rule.match.some((c) => clauseTakes(c, undefined));
  if (!takesPods) {
    const kinds = rule.match.flatMap((c) => c.kinds.map((k) => k.value));
    const ops = rule.match.flatMap((c) => c.operations.map((o) => o.value));
    const onlyControllers = kinds.length && kinds.every((k) => CONTROLLERS.has(kindOf(k)));
    const kindNode =
      rule.match.flatMap((c) => c.kinds)[0]?.node ?? rule.match.flatMap((c) => c.operations)[0]?.node ?? anchor;
    sink.add(
      'admission/match-misses-pods',
      doc,
      kindNode,
      kinds.length && !rule.match.some((c) => c.kinds.some((k) => POD_KINDS.test(k.value)))
        ? `${where} matches ${kinds.join(', ')} but not Pod: ${onlyControllers ? 'pods created directly or by other controllers' : 'pods'} are admitted without a signature check`
        : `${where} matches only ${ops.join(', ')} operations: pods are created (CREATE) without a check`,
    );
    return;
  }
  // exclusions that take every pod
  for (const c of rule.exclude) {
    if (
      clauseTakes({ ...c, operations: c.operations }, undefined) &&
      !c.namespaces.length &&
      !c.labels.size &&
      !c.names.length &&
      !c.namespaceSelectorNode &&
      !c.selectorNode &&
      c.kinds.length
    ) {
      sink.add(
        'admission/match-misses-pods',
        doc,
        c.kinds[0]?.node ?? c.node,
        `${where} excludes ${c.kinds.map((k) => k.value).join(', ')} everywhere: the rule checks nothing`,
      );
    }
  }
  // the workloads beside the policy
  for (const t of ctx.workloads ?? []) {
    if (rule.match.some((c) => clauseTakes(c, t))) {
      if (!rule.exclude.some((c) => clauseTakes(c, t) && (c.namespaces.length || c.labels.size || c.names.length)))
        continue;
    }
    const ns = t.namespace ?? t.object.namespace;
    const nsList = rule.match.flatMap((c) => c.namespaces.map((n) => n.value));
    const nsNode =
      rule.match.flatMap((c) => c.namespaces)[0]?.node ?? rule.match.find((c) => c.labels.size)?.selectorNode ?? anchor;
    const reason =
      nsList.length && (!ns || !nsList.some((n) => globMatch(n, ns)))
        ? ns
          ? `it runs in namespace ${ns} and the policy matches only ${nsList.join(', ')}`
          : `it sets no namespace (kubectl applies it to the current one) and the policy matches only ${nsList.join(', ')}`
        : rule.match.some((c) => c.labels.size)
          ? `its pod labels do not carry the policy's selector labels (${[...rule.match.find((c) => c.labels.size)!.labels].map(([k, v]) => `${k}=${v}`).join(', ')})`
          : 'an exclude block removes it';
    sink.add(
      'admission/match-misses-pods',
      doc,
      nsNode,
      `${where} does not take the pods of ${t.object.label}${t.object.file ? ` (${t.object.file.split(/[\\/]/).pop()})` : ''}: ${reason}`,
      {
        related: [
          {
            message: `${t.object.label} is here`,
            range: t.object.doc.range(t.object.node.pairs?.[0]?.key ?? t.object.node),
            file: t.object.file,
          },
        ],
      },
    );
  }
}

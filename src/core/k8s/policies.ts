import type { YamlDocument, YamlNode } from '../yaml/document.ts';
import type { K8sObject } from './manifest.ts';
import type { ImageScope } from './scope.ts';
import { bool, child, mapping, pair, pairs, path, sequence, str, strings, text } from './yamlView.ts';

/**
 * Admission policies that verify image signatures, read into one model whatever the engine:
 * Kyverno `ClusterPolicy`/`Policy` `verifyImages` rules, Kyverno `ImageValidatingPolicy`, and
 * the Sigstore policy-controller `ClusterImagePolicy`. Every value keeps its node, so rules and
 * chain comparisons can point at it.
 */

export type Engine = 'kyverno' | 'kyverno-ivp' | 'policy-controller';

export interface Value {
  value: string;
  node: YamlNode;
}

export interface Signer {
  kind: 'keyless' | 'key' | 'certificate' | 'static' | 'nested' | 'notary';
  node: YamlNode;
  subject?: Value;
  subjectRegExp?: Value;
  issuer?: Value;
  issuerRegExp?: Value;
  /** Public key PEM or KMS/secret reference. */
  key?: Value;
  /** Custom roots / trust root: a private Sigstore. */
  customRoots?: YamlNode;
  /** Transparency log settings. */
  rekorUrl?: Value;
  rekorKey?: Value;
  ctlogKey?: Value;
  ignoreTlog?: YamlNode;
  ignoreSct?: YamlNode;
  staticAction?: Value;
}

export interface AttestationCheck {
  node: YamlNode;
  predicateType?: Value;
  /** The conditions or policy text, as written (empty when the attestation is only required to exist). */
  conditions: string;
  conditionsNode?: YamlNode;
  signers: Signer[];
}

export interface MatchClause {
  node: YamlNode;
  kinds: Value[];
  namespaces: Value[];
  operations: Value[];
  /** matchLabels of the resource selector. */
  labels: Map<string, string>;
  selectorNode?: YamlNode;
  namespaceSelectorNode?: YamlNode;
  names: Value[];
}

export interface ImageRule {
  node: YamlNode;
  where: string;
  scopes: ImageScope[];
  skip: ImageScope[];
  /** Effective action: 'Enforce' or 'Audit' (or 'Warn'), where it comes from, and the node to point at. */
  action: { value: string; node?: YamlNode; source: string };
  required?: YamlNode;
  verifyDigest?: YamlNode;
  mutateDigest?: YamlNode;
  signers: Signer[];
  attestations: AttestationCheck[];
  /** Kyverno match/exclude (any/all), IVP resourceRules as kinds. */
  match: MatchClause[];
  matchNode?: YamlNode;
  exclude: MatchClause[];
  /** IVP: the CEL validations (nothing is verified without one). */
  validations?: string;
  /** Kyverno `imageExtractors`: the rule is about images in custom resources, not pods. */
  customResources?: boolean;
}

export interface AdmissionPolicy {
  object: K8sObject;
  engine: Engine;
  name: string;
  rules: ImageRule[];
  /** Kyverno spec.failurePolicy / IVP failurePolicy. */
  failurePolicy?: Value;
  /** Kyverno `admission: false`, IVP evaluation.admission.enabled: false. */
  admissionOff?: YamlNode;
  /** Kyverno validationFailureActionOverrides with Audit. */
  auditOverrides: YamlNode[];
  /** Whether Kyverno generates rules for pod controllers (autogen), and the annotation node. */
  autogen: { enabled: boolean; node?: YamlNode };
}

export function isAdmissionPolicy(obj: K8sObject): boolean {
  if (obj.group === 'kyverno.io' && (obj.kind === 'ClusterPolicy' || obj.kind === 'Policy')) return true;
  if (
    obj.group === 'policies.kyverno.io' &&
    (obj.kind === 'ImageValidatingPolicy' || obj.kind === 'NamespacedImageValidatingPolicy')
  )
    return true;
  return obj.group === 'policy.sigstore.dev' && obj.kind === 'ClusterImagePolicy';
}

function val(doc: YamlDocument, node: YamlNode | undefined, key: string): Value | undefined {
  const n = child(doc, node, key);
  const t = text(doc, n);
  return n && t !== undefined && t !== '' ? { value: t, node: n } : undefined;
}

function values(doc: YamlDocument, node: YamlNode | undefined): Value[] {
  return strings(doc, node).map((s) => ({ value: s.value, node: s.node }));
}

function scopes(
  doc: YamlDocument,
  list: YamlNode | undefined,
  syntax: ImageScope['syntax'],
  policy: string,
  file: string | undefined,
  key?: string,
): ImageScope[] {
  const out: ImageScope[] = [];
  const items = list?.kind === 'scalar' ? [list] : sequence(doc, list);
  for (const item of items) {
    const node = key ? child(doc, item, key) : item;
    const t = text(doc, node);
    if (node && t) out.push({ pattern: t, syntax, file, range: doc.range(node), policy });
  }
  return out;
}

// ---- Kyverno ClusterPolicy / Policy ----

function kyvernoTlog(doc: YamlDocument, s: Signer, node: YamlNode | undefined): void {
  const rekor = child(doc, node, 'rekor');
  const ctlog = child(doc, node, 'ctlog');
  s.rekorUrl = val(doc, rekor, 'url');
  s.rekorKey = val(doc, rekor, 'pubkey');
  s.ctlogKey = val(doc, ctlog, 'pubkey');
  if (bool(doc, rekor, 'ignoreTlog') === true) s.ignoreTlog = child(doc, rekor, 'ignoreTlog');
  if (bool(doc, ctlog, 'ignoreSCT') === true) s.ignoreSct = child(doc, ctlog, 'ignoreSCT');
}

function kyvernoSigners(doc: YamlDocument, attestors: YamlNode | undefined, depth = 0): Signer[] {
  const out: Signer[] = [];
  for (const a of sequence(doc, attestors)) {
    for (const e of sequence(doc, child(doc, a, 'entries'))) {
      const keyless = mapping(doc, child(doc, e, 'keyless'));
      const keys = mapping(doc, child(doc, e, 'keys'));
      const certs = mapping(doc, child(doc, e, 'certificates'));
      const nested = child(doc, e, 'attestor');
      if (keyless) {
        const s: Signer = {
          kind: 'keyless',
          node: keyless,
          subject: val(doc, keyless, 'subject'),
          subjectRegExp: val(doc, keyless, 'subjectRegExp'),
          issuer: val(doc, keyless, 'issuer'),
          issuerRegExp: val(doc, keyless, 'issuerRegExp'),
          customRoots: child(doc, keyless, 'roots'),
        };
        kyvernoTlog(doc, s, keyless);
        out.push(s);
      }
      if (keys) {
        const key =
          val(doc, keys, 'publicKeys') ??
          val(doc, keys, 'kms') ??
          (child(doc, keys, 'secret')
            ? {
                value: `secret ${str(doc, child(doc, keys, 'secret'), 'namespace') ?? ''}/${str(doc, child(doc, keys, 'secret'), 'name') ?? ''}`,
                node: child(doc, keys, 'secret')!,
              }
            : undefined);
        const s: Signer = { kind: 'key', node: keys, key };
        kyvernoTlog(doc, s, keys);
        out.push(s);
      }
      if (certs) {
        const s: Signer = {
          kind: 'certificate',
          node: certs,
          key: val(doc, certs, 'cert'),
          customRoots: child(doc, certs, 'certChain'),
        };
        kyvernoTlog(doc, s, certs);
        out.push(s);
      }
      if (nested && depth < 4) {
        const m = mapping(doc, nested);
        const inner = m ? kyvernoSigners(doc, child(doc, m, 'attestors') ?? undefined, depth + 1) : [];
        out.push(...(inner.length ? inner : [{ kind: 'nested' as const, node: nested }]));
      }
    }
  }
  return out;
}

function matchClauses(doc: YamlDocument, match: YamlNode | undefined): MatchClause[] {
  if (!match) return [];
  const blocks = [...sequence(doc, child(doc, match, 'any')), ...sequence(doc, child(doc, match, 'all'))];
  if (child(doc, match, 'resources')) blocks.push(match);
  return blocks.map((b) => {
    const r = child(doc, b, 'resources');
    const labels = new Map<string, string>();
    for (const p of pairs(doc, path(doc, r, ['selector', 'matchLabels'])))
      labels.set(p.keyText, text(doc, p.value) ?? '');
    const names = values(doc, child(doc, r, 'names'));
    const single = val(doc, r, 'name');
    if (single) names.push(single);
    return {
      node: b,
      kinds: values(doc, child(doc, r, 'kinds')),
      namespaces: values(doc, child(doc, r, 'namespaces')),
      operations: values(doc, child(doc, r, 'operations')),
      labels,
      selectorNode: child(doc, r, 'selector'),
      namespaceSelectorNode: child(doc, r, 'namespaceSelector'),
      names,
    };
  });
}

function kyverno(obj: K8sObject, file: string | undefined): AdmissionPolicy {
  const doc = obj.doc;
  const spec = child(doc, obj.node, 'spec');
  const name = obj.name ?? '(unnamed)';
  const specAction = val(doc, spec, 'validationFailureAction');
  const rules: ImageRule[] = [];
  sequence(doc, child(doc, spec, 'rules')).forEach((rule, ri) => {
    const ruleName = str(doc, rule, 'name') ?? `#${ri + 1}`;
    const match = matchClauses(doc, child(doc, rule, 'match'));
    const exclude = matchClauses(doc, child(doc, rule, 'exclude'));
    sequence(doc, child(doc, rule, 'verifyImages')).forEach((vi, vi_i) => {
      const own = val(doc, vi, 'failureAction');
      const ruleValidate = val(doc, child(doc, rule, 'validate'), 'failureAction');
      const action = own
        ? { value: own.value, node: own.node, source: 'failureAction' }
        : specAction
          ? { value: specAction.value, node: specAction.node, source: 'spec.validationFailureAction' }
          : ruleValidate
            ? { value: ruleValidate.value, node: ruleValidate.node, source: 'validate.failureAction' }
            : { value: 'Audit', source: 'the default (neither failureAction nor spec.validationFailureAction is set)' };
      const imageScopes = [
        ...scopes(doc, child(doc, vi, 'imageReferences'), 'kyverno', name, file),
        ...scopes(doc, child(doc, vi, 'image'), 'kyverno', name, file),
      ];
      const signers = kyvernoSigners(doc, child(doc, vi, 'attestors'));
      // the deprecated image-level fields (`key`, `subject`, `issuer`, `roots`)
      const legacyKey = val(doc, vi, 'key');
      if (legacyKey) signers.push({ kind: 'key', node: legacyKey.node, key: legacyKey });
      const legacySubject = val(doc, vi, 'subject');
      const legacyIssuer = val(doc, vi, 'issuer');
      if (legacySubject || legacyIssuer)
        signers.push({
          kind: 'keyless',
          node: (legacySubject ?? legacyIssuer)!.node,
          subject: legacySubject,
          issuer: legacyIssuer,
          customRoots: child(doc, vi, 'roots'),
        });
      const attestations = sequence(doc, child(doc, vi, 'attestations')).map((a): AttestationCheck => {
        const cond = child(doc, a, 'conditions');
        return {
          node: a,
          predicateType: val(doc, a, 'predicateType') ?? val(doc, a, 'type'),
          conditions: cond ? doc.source(cond) : '',
          conditionsNode: cond,
          signers: kyvernoSigners(doc, child(doc, a, 'attestors')),
        };
      });
      rules.push({
        node: vi,
        where: `rule '${ruleName}' verifyImages[${vi_i}]`,
        scopes: imageScopes,
        skip: scopes(doc, child(doc, vi, 'skipImageReferences'), 'kyverno', name, file),
        action,
        required: child(doc, vi, 'required'),
        verifyDigest: child(doc, vi, 'verifyDigest'),
        mutateDigest: child(doc, vi, 'mutateDigest'),
        signers,
        attestations,
        match,
        matchNode: pair(doc, rule, 'match')?.key,
        exclude,
        customResources: !!child(doc, rule, 'imageExtractors'),
      });
    });
  });
  const overrides = sequence(doc, child(doc, spec, 'validationFailureActionOverrides')).filter((o) =>
    /^audit$/i.test(str(doc, o, 'action') ?? ''),
  );
  const annotation = pair(
    doc,
    child(doc, child(doc, obj.node, 'metadata'), 'annotations'),
    'pod-policies.kyverno.io/autogen-controllers',
  );
  return {
    object: obj,
    engine: 'kyverno',
    name,
    rules,
    failurePolicy: val(doc, spec, 'failurePolicy'),
    admissionOff: bool(doc, spec, 'admission') === false ? child(doc, spec, 'admission') : undefined,
    auditOverrides: overrides,
    autogen: { enabled: !/^none$/i.test(text(doc, annotation?.value) ?? ''), node: annotation?.value ?? undefined },
  };
}

// ---- Kyverno ImageValidatingPolicy ----

function ivp(obj: K8sObject, file: string | undefined): AdmissionPolicy {
  const doc = obj.doc;
  const spec = child(doc, obj.node, 'spec');
  const name = obj.name ?? '(unnamed)';
  const actions = values(doc, child(doc, spec, 'validationActions'));
  const deny = actions.find((a) => a.value === 'Deny');
  const action = deny
    ? { value: 'Enforce', node: deny.node, source: 'validationActions' }
    : actions.length
      ? {
          value: 'Audit',
          node: actions[0].node,
          source: `validationActions [${actions.map((a) => a.value).join(', ')}]`,
        }
      : { value: 'Enforce', source: 'the default (validationActions: [Deny])' };
  const signers: Signer[] = [];
  for (const a of sequence(doc, child(doc, spec, 'attestors'))) {
    const cosign = mapping(doc, child(doc, a, 'cosign'));
    const notary = mapping(doc, child(doc, a, 'notary'));
    if (notary) signers.push({ kind: 'notary', node: notary });
    if (!cosign) continue;
    const ctlog = child(doc, cosign, 'ctlog');
    const tlog = (s: Signer) => {
      s.rekorUrl = val(doc, ctlog, 'url');
      s.rekorKey = val(doc, ctlog, 'rekorPubKey');
      s.ctlogKey = val(doc, ctlog, 'ctLogPubKey');
      if (bool(doc, ctlog, 'insecureIgnoreTlog') === true) s.ignoreTlog = child(doc, ctlog, 'insecureIgnoreTlog');
      if (bool(doc, ctlog, 'insecureIgnoreSCT') === true) s.ignoreSct = child(doc, ctlog, 'insecureIgnoreSCT');
      return s;
    };
    const keyless = mapping(doc, child(doc, cosign, 'keyless'));
    if (keyless) {
      const ids = sequence(doc, child(doc, keyless, 'identities'));
      for (const id of ids)
        signers.push(
          tlog({
            kind: 'keyless',
            node: id,
            subject: val(doc, id, 'subject'),
            subjectRegExp: val(doc, id, 'subjectRegExp'),
            issuer: val(doc, id, 'issuer'),
            issuerRegExp: val(doc, id, 'issuerRegExp'),
            customRoots: child(doc, keyless, 'roots') ?? child(doc, cosign, 'trustedRoot'),
          }),
        );
      if (!ids.length) signers.push(tlog({ kind: 'keyless', node: keyless }));
    }
    const key = mapping(doc, child(doc, cosign, 'key'));
    if (key)
      signers.push(
        tlog({
          kind: 'key',
          node: key,
          key: val(doc, key, 'data') ?? val(doc, key, 'kms') ?? val(doc, key, 'expression'),
        }),
      );
    const cert = mapping(doc, child(doc, cosign, 'certificate'));
    if (cert) signers.push(tlog({ kind: 'certificate', node: cert, customRoots: child(doc, cert, 'certChain') }));
  }
  const attestations = sequence(doc, child(doc, spec, 'attestations')).map((a): AttestationCheck => ({
    node: a,
    predicateType: val(doc, child(doc, a, 'intoto'), 'type') ?? val(doc, child(doc, a, 'referrer'), 'type'),
    conditions: '',
    signers: [],
  }));
  const validations = sequence(doc, child(doc, spec, 'validations'))
    .map((v) => str(doc, v, 'expression') ?? '')
    .join('\n');
  const cfg = child(doc, spec, 'validationConfigurations');
  const kinds: Value[] = [];
  const operations: Value[] = [];
  for (const r of sequence(doc, path(doc, spec, ['matchConstraints', 'resourceRules']))) {
    for (const res of values(doc, child(doc, r, 'resources')))
      kinds.push({ value: res.value === 'pods' ? 'Pod' : res.value, node: res.node });
    operations.push(...values(doc, child(doc, r, 'operations')));
  }
  const mc = child(doc, spec, 'matchConstraints');
  const match: MatchClause[] = mc
    ? [
        {
          node: mc,
          kinds,
          namespaces: [],
          operations,
          labels: new Map(),
          names: [],
          namespaceSelectorNode: child(doc, mc, 'namespaceSelector'),
          selectorNode: child(doc, mc, 'objectSelector'),
        },
      ]
    : [];
  const rule: ImageRule = {
    node: spec ?? obj.node,
    where: 'spec',
    scopes: scopes(doc, child(doc, spec, 'matchImageReferences'), 'kyverno-ivp', name, file, 'glob'),
    skip: [],
    action,
    required: child(doc, cfg, 'required'),
    verifyDigest: child(doc, cfg, 'verifyDigest'),
    mutateDigest: child(doc, cfg, 'mutateDigest'),
    signers,
    attestations,
    match,
    matchNode: pair(doc, spec, 'matchConstraints')?.key,
    exclude: [],
    validations,
  };
  const admission = path(doc, spec, ['evaluation', 'admission']);
  return {
    object: obj,
    engine: 'kyverno-ivp',
    name,
    rules: [rule],
    failurePolicy: val(doc, spec, 'failurePolicy'),
    admissionOff: bool(doc, admission, 'enabled') === false ? child(doc, admission, 'enabled') : undefined,
    auditOverrides: [],
    autogen: { enabled: true },
  };
}

// ---- Sigstore policy-controller ClusterImagePolicy ----

function policyController(obj: K8sObject, file: string | undefined): AdmissionPolicy {
  const doc = obj.doc;
  const spec = child(doc, obj.node, 'spec');
  const name = obj.name ?? '(unnamed)';
  const mode = val(doc, spec, 'mode');
  const action = mode
    ? { value: /^warn$/i.test(mode.value) ? 'Audit' : 'Enforce', node: mode.node, source: `mode: ${mode.value}` }
    : { value: 'Enforce', source: 'the default (mode: enforce)' };
  const signers: Signer[] = [];
  const attestations: AttestationCheck[] = [];
  for (const a of sequence(doc, child(doc, spec, 'authorities'))) {
    const ctlog = child(doc, a, 'ctlog');
    const tlog = (s: Signer) => {
      s.rekorUrl = val(doc, ctlog, 'url');
      if (text(doc, child(doc, ctlog, 'trustRootRef'))) s.rekorKey = val(doc, ctlog, 'trustRootRef');
      return s;
    };
    const authSigners: Signer[] = [];
    const keyless = mapping(doc, child(doc, a, 'keyless'));
    if (keyless) {
      const ids = sequence(doc, child(doc, keyless, 'identities'));
      const roots = child(doc, keyless, 'ca-cert') ?? child(doc, keyless, 'trustRootRef');
      const ignoreSct =
        bool(doc, keyless, 'insecureIgnoreSCT') === true ? child(doc, keyless, 'insecureIgnoreSCT') : undefined;
      for (const id of ids)
        authSigners.push(
          tlog({
            kind: 'keyless',
            node: id,
            subject: val(doc, id, 'subject'),
            subjectRegExp: val(doc, id, 'subjectRegExp'),
            issuer: val(doc, id, 'issuer'),
            issuerRegExp: val(doc, id, 'issuerRegExp'),
            customRoots: roots,
            ignoreSct,
          }),
        );
      if (!ids.length) authSigners.push(tlog({ kind: 'keyless', node: keyless, customRoots: roots, ignoreSct }));
    }
    const key = mapping(doc, child(doc, a, 'key'));
    if (key)
      authSigners.push(
        tlog({
          kind: 'key',
          node: key,
          key:
            val(doc, key, 'data') ??
            val(doc, key, 'kms') ??
            (child(doc, key, 'secretRef') ? { value: 'secretRef', node: child(doc, key, 'secretRef')! } : undefined),
        }),
      );
    const st = mapping(doc, child(doc, a, 'static'));
    if (st) authSigners.push({ kind: 'static', node: st, staticAction: val(doc, st, 'action') });
    signers.push(...authSigners);
    for (const at of sequence(doc, child(doc, a, 'attestations'))) {
      const pol = child(doc, at, 'policy');
      attestations.push({
        node: at,
        predicateType: val(doc, at, 'predicateType'),
        conditions: pol ? doc.source(pol) : '',
        conditionsNode: pol,
        signers: authSigners,
      });
    }
  }
  const match: MatchClause[] = sequence(doc, child(doc, spec, 'match')).map((m) => {
    const res = val(doc, m, 'resource');
    const labels = new Map<string, string>();
    for (const p of pairs(doc, path(doc, m, ['selector', 'matchLabels'])))
      labels.set(p.keyText, text(doc, p.value) ?? '');
    return {
      node: m,
      kinds: res ? [{ value: res.value === 'pods' ? 'Pod' : res.value, node: res.node }] : [],
      namespaces: [],
      operations: [],
      labels,
      selectorNode: child(doc, m, 'selector'),
      names: [],
    };
  });
  const rule: ImageRule = {
    node: spec ?? obj.node,
    where: 'spec',
    scopes: scopes(doc, child(doc, spec, 'images'), 'glob', name, file, 'glob'),
    skip: [],
    action,
    signers,
    attestations,
    match,
    matchNode: pair(doc, spec, 'match')?.key,
    exclude: [],
  };
  return {
    object: obj,
    engine: 'policy-controller',
    name,
    rules: [rule],
    auditOverrides: [],
    autogen: { enabled: true },
  };
}

export function readAdmissionPolicy(obj: K8sObject, file: string | undefined): AdmissionPolicy | undefined {
  if (!isAdmissionPolicy(obj)) return undefined;
  if (obj.group === 'kyverno.io') return kyverno(obj, file);
  if (obj.group === 'policies.kyverno.io') return ivp(obj, file);
  return policyController(obj, file);
}

/** Every image pattern a set of policies enforces (Audit rules admit anything and are left out). */
export function enforcedScopes(policies: readonly AdmissionPolicy[]): ImageScope[] {
  return policies.flatMap((p) => p.rules.filter((r) => r.action.value === 'Enforce').flatMap((r) => r.scopes));
}

import fs from 'node:fs/promises';
import path from 'node:path';
import type { Finding, RelatedLocation, TextRange } from '../findings.ts';
import type { WalkEntry } from '../fsutil/walk.ts';
import { cardFactsFromText } from '../modelcard/facts.ts';
import { modelCardKind } from '../modelcard/files.ts';
import { decodeUtf8 } from '../yaml/decode.ts';
import { parseYaml, type YamlDocument } from '../yaml/document.ts';
import { loadExpressionLib } from '../workflow/expressions.ts';
import { isWorkflowPath } from '../workflow/files.ts';
import { workflowSupplyChain, type WorkflowSupplyChain } from '../workflow/supplyChain.ts';
import { collect, isCandidateYaml } from './files.ts';
import { parseImageRef } from './imageRef.ts';
import type { AdmissionPolicy, Signer } from './policies.ts';
import { scopeBroaderThan, scopeCoversRepository } from './scope.ts';
import type { PodTemplate } from './workloads.ts';
import { child, sequence, str, text } from './yamlView.ts';

/**
 * The chain, end to end: the same signer identity in the release workflow, the model card, the
 * promotion policy and the admission policy; the same registry path in the workflow's push, the
 * card's `sbom_ref`, the workloads' images and the admission policy's image patterns. Every
 * disagreement is reported with both places. A folder may hold several repositories (each with its
 * own `.github/workflows`); each is compared on its own.
 */

export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

interface Place {
  file: string;
  range?: TextRange;
}

/** An identity as one place writes it. */
interface Identity extends Place {
  value: string;
  /** exact (glob `*` allowed for Kyverno), a regular expression (search), or a full-match regex (the gate's `/…/`). */
  syntax: 'exact' | 'glob' | 'search' | 'full';
  issuer?: string;
}

interface Signed extends Place {
  identity: string;
  issuer: string;
  what: string;
}

export interface ChainGroup {
  root: string;
  workflows: WorkflowSupplyChain[];
  cards: { file: string; signedBy?: Identity; sbomRef?: { value: string } & Place; sources: string[] }[];
  gate?: {
    file: string;
    identities: Identity[];
    issuers: Identity[];
    keys: ({ value: string } & Place)[];
    sourceRepository?: string;
    sbom: boolean;
    provenanceVerified: boolean;
    imageReferences: ({ value: string } & Place)[];
  };
  policies: AdmissionPolicy[];
  workloads: PodTemplate[];
}

function globMatch(pattern: string, value: string): boolean {
  return new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  ).test(value);
}

function safeRegExp(src: string, full: boolean): RegExp | undefined {
  try {
    return new RegExp(full ? `^(?:${src})$` : src);
  } catch {
    return undefined;
  }
}

/** Would a place that accepts `id` accept a signature made as `signer` (a glob over refs)? */
function accepts(id: Identity, signer: string): boolean {
  const example = signer.replace(/\*/g, 'v1.0.0');
  if (id.syntax === 'exact') return id.value === signer || id.value === example || globMatch(signer, id.value);
  if (id.syntax === 'glob') return globMatch(id.value, example) || globMatch(signer, id.value) || id.value === signer;
  const re = safeRegExp(id.value, id.syntax === 'full');
  return !!re && (re.test(example) || re.test(signer));
}

/** Two places name the same identity: equal text, equal patterns once anchors are stripped, or one accepts the other. */
function sameIdentity(a: Identity, b: Identity): boolean {
  const strip = (s: string) =>
    s
      .replace(/^\^/, '')
      .replace(/\$$/, '')
      .replace(/^\(\?:(.*)\)$/, '$1');
  const regex = (i: Identity) => i.syntax === 'full' || i.syntax === 'search';
  if (regex(a) && regex(b)) return strip(a.value) === strip(b.value);
  if (regex(a) || regex(b)) {
    const [re, plain] = regex(a) ? [a, b] : [b, a];
    return accepts(re, plain.value.replace(/\*/g, 'v1.0.0'));
  }
  return a.value === b.value || accepts(a, b.value) || accepts(b, a.value);
}

function issuerAccepts(id: Identity, issuer: string): boolean {
  if (!id.issuer) return true;
  return accepts(
    {
      ...id,
      value: id.issuer,
      syntax: id.issuer.startsWith('/') ? 'full' : id.syntax === 'search' ? 'search' : 'exact',
    },
    issuer,
  );
}

/** `owner/repo` of a GitHub repository from a URL in any spelling. */
export function githubSlug(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const m = /github\.com[/:]([\w.-]+)\/([\w.-]+?)(?:\.git)?(?:[@#/].*)?$/.exec(value.trim());
  return m ? `${m[1]}/${m[2]}` : undefined;
}

async function readText(file: string, max = 4 * 1024 * 1024): Promise<string | undefined> {
  try {
    const st = await fs.stat(file);
    if (!st.isFile() || st.size > max) return undefined;
    return decodeUtf8(await fs.readFile(file)).text;
  } catch {
    return undefined;
  }
}

function repoRoots(files: readonly WalkEntry[]): string[] {
  const roots = new Set<string>();
  for (const f of files) {
    const m = /^(.*?)(?:^|\/)\.github\/workflows\/[^/]+$/.exec(f.rel);
    if (m) roots.add(m[1]);
  }
  return [...roots].sort((a, b) => b.length - a.length);
}

function groupOf(rel: string, roots: readonly string[]): string {
  return roots.find((r) => r === '' || rel === r || rel.startsWith(r + '/')) ?? '';
}

function gateIdentities(doc: YamlDocument, file: string, key: 'identities' | 'issuers'): Identity[] {
  return sequence(doc, doc.at(['gate', 'signatures', key]) ?? undefined).flatMap((n) => {
    const v = text(doc, n);
    if (!v) return [];
    const re = /^\/(.+)\/[a-z]*$/.exec(v);
    return [{ value: re ? re[1] : v, syntax: re ? ('full' as const) : ('exact' as const), file, range: doc.range(n) }];
  });
}

async function readGate(file: string): Promise<ChainGroup['gate']> {
  const t = await readText(file, 1024 * 1024);
  if (t === undefined) return undefined;
  const doc = parseYaml(t);
  if (!doc.root) return undefined;
  const refs = sequence(doc, doc.at(['admission', 'image_references']) ?? undefined).flatMap((n) => {
    const v = text(doc, n);
    return v ? [{ value: v, file, range: doc.range(n) }] : [];
  });
  return {
    file,
    identities: gateIdentities(doc, file, 'identities'),
    issuers: gateIdentities(doc, file, 'issuers'),
    keys: sequence(doc, doc.at(['gate', 'signatures', 'keys']) ?? undefined).flatMap((n) => {
      const v = text(doc, n);
      return v ? [{ value: v, file, range: doc.range(n) }] : [];
    }),
    sourceRepository: text(doc, doc.at(['gate', 'provenance', 'source_repository'])) || undefined,
    sbom: doc.resolveAlias(doc.at(['gate', 'sbom', 'enabled']))?.value !== false,
    provenanceVerified:
      doc.resolveAlias(doc.at(['gate', 'provenance', 'require_verified']))?.value === true &&
      doc.resolveAlias(doc.at(['gate', 'provenance', 'enabled']))?.value !== false,
    imageReferences: refs,
  };
}

/** The nearest `.model-inspect.yaml` at or above `dir`, within `root`. */
function nearestPolicy(files: readonly WalkEntry[], groupRel: string): WalkEntry | undefined {
  const byRel = new Map(files.map((f) => [f.rel, f]));
  let dir = groupRel;
  for (;;) {
    for (const name of ['.model-inspect.yaml', '.model-inspect.yml']) {
      const hit = byRel.get(dir ? `${dir}/${name}` : name);
      if (hit) return hit;
    }
    if (!dir) return undefined;
    dir = dir.includes('/') ? dir.slice(0, dir.lastIndexOf('/')) : '';
  }
}

export async function readChainGroups(
  root: string,
  files: readonly WalkEntry[],
  signal?: AbortSignal,
): Promise<ChainGroup[]> {
  const roots = repoRoots(files);
  const groupRels = [...new Set([...roots, ...files.map((f) => groupOf(f.rel, roots))])];
  const lib = await loadExpressionLib();
  const groups: ChainGroup[] = [];
  for (const g of groupRels) {
    signal?.throwIfAborted();
    const mine = files.filter((f) => groupOf(f.rel, roots) === g);
    const group: ChainGroup = { root: path.join(root, g), workflows: [], cards: [], policies: [], workloads: [] };
    for (const f of mine) {
      if (!isWorkflowPath(f.rel)) continue;
      const t = await readText(f.path);
      if (t !== undefined) group.workflows.push(workflowSupplyChain(t, f.path, lib));
    }
    for (const f of mine) {
      const kind = modelCardKind(f.path);
      if (!kind) continue;
      const t = await readText(f.path);
      const facts = t === undefined ? undefined : cardFactsFromText(t, f.path);
      if (!facts) continue;
      const signed = facts.facts.find((x) => x.key === 'provenance.build_environment.signed_by');
      group.cards.push({
        file: f.path,
        signedBy: signed ? { value: signed.value, syntax: 'exact', file: f.path, range: signed.range } : undefined,
        sbomRef: facts.sbomRef ? { value: facts.sbomRef.value, file: f.path, range: facts.sbomRef.range } : undefined,
        sources: facts.sourceRepositories.map((s) => s.value),
      });
    }
    const policyFile = nearestPolicy(files, g);
    if (policyFile) group.gate = await readGate(policyFile.path);
    const texts: { path: string; text: string }[] = [];
    for (const f of mine) {
      if (!isCandidateYaml(f.rel) || f.size > 8 * 1024 * 1024) continue;
      const t = await readText(f.path, 8 * 1024 * 1024);
      if (t !== undefined) texts.push({ path: f.path, text: t });
    }
    const k = collect(texts);
    group.policies = k.policies;
    group.workloads = k.workloads;
    groups.push(group);
  }
  return groups.filter((g) => g.workflows.length || g.cards.length || g.policies.length || g.workloads.length);
}

async function repoSlug(group: ChainGroup): Promise<string | undefined> {
  const config = await readText(path.join(group.root, '.git', 'config'), 256 * 1024);
  const url = config && /\[remote "origin"\][^[]*?url\s*=\s*(\S+)/.exec(config)?.[1];
  return (
    githubSlug(url) ??
    githubSlug(group.gate?.sourceRepository) ??
    group.cards
      .flatMap((c) => c.sources)
      .map(githubSlug)
      .find(Boolean)
  );
}

function admissionIdentities(p: AdmissionPolicy): Identity[] {
  const out: Identity[] = [];
  const file = p.object.file ?? '';
  const doc = p.object.doc;
  for (const r of p.rules) {
    for (const s of r.signers as Signer[]) {
      if (s.kind !== 'keyless') continue;
      const subject = s.subject ?? s.subjectRegExp;
      if (!subject) continue;
      const issuer = (s.issuer ?? s.issuerRegExp)?.value;
      const syntax = s.subjectRegExp && !s.subject ? 'search' : p.engine === 'kyverno' ? 'glob' : 'exact';
      out.push({ value: subject.value, syntax, issuer, file, range: doc.range(subject.node) });
    }
  }
  return out;
}

function repoOf(ref: string): string | undefined {
  const cleaned = ref.replace(/^oci:\/\//, '');
  const name = cleaned.replace(/@.*$/, '');
  const slash = name.lastIndexOf('/');
  const colon = name.indexOf(':', slash + 1);
  const repo = colon > 0 ? name.slice(0, colon) : name;
  if (repo.includes('$') || repo.includes('{')) return undefined;
  return parseImageRef(repo)?.name;
}

function rel(file: string, group: ChainGroup): string {
  return path.relative(group.root, file) || path.basename(file);
}

function finding(
  ruleId: string,
  severity: Finding['severity'],
  message: string,
  at: Place,
  related: RelatedLocation[],
): Finding {
  return { ruleId, severity, message, file: at.file, range: at.range, related };
}

/** Compare the links of one group. */
export async function checkChainGroup(group: ChainGroup): Promise<Finding[]> {
  const out: Finding[] = [];
  const slug = await repoSlug(group);
  const signed: Signed[] = [];
  const keySigned: (Place & { what: string; key?: string })[] = [];
  for (const w of group.workflows) {
    for (const s of w.signing) {
      if (!s.keyless) {
        keySigned.push({ file: w.file, range: s.range, what: s.what, key: s.key });
        continue;
      }
      if (!slug) continue;
      for (const ref of w.refs.length ? w.refs : ['refs/heads/*']) {
        signed.push({
          identity: `https://github.com/${slug}/.github/workflows/${path.basename(w.file)}@${ref}`,
          issuer: GITHUB_ISSUER,
          what: s.what,
          file: w.file,
          range: s.range,
        });
      }
    }
  }
  const uniq = <T extends { identity: string }>(xs: T[]) => [...new Map(xs.map((x) => [x.identity, x])).values()];
  const signers = uniq(signed);
  const cardIds = group.cards.flatMap((c) => (c.signedBy ? [c.signedBy] : []));
  const gateIds = (group.gate?.identities ?? []).map((i) => ({ ...i, issuer: undefined }));
  const gateIssuers = group.gate?.issuers ?? [];
  const admission = group.policies.map((p) => ({ policy: p, ids: admissionIdentities(p) })).filter((x) => x.ids.length);
  const show = (xs: readonly { value: string }[]) => xs.map((x) => x.value).join(', ');
  const sigRel = (s: Signed): RelatedLocation => ({
    message: `${s.what} in ${rel(s.file, group)} signs as ${s.identity}`,
    file: s.file,
    range: s.range,
  });

  if (signers.length) {
    for (const c of cardIds) {
      if (signers.some((s) => accepts(c, s.identity))) continue;
      out.push(
        finding(
          'chain/identity-mismatch',
          'error',
          `the model card says signed_by ${c.value}, but the workflow signs as ${signers.map((s) => s.identity).join(' or ')} (issuer ${GITHUB_ISSUER})`,
          c,
          signers.slice(0, 3).map(sigRel),
        ),
      );
    }
    if (gateIds.length && !signers.some((s) => gateIds.some((g) => accepts(g, s.identity)))) {
      out.push(
        finding(
          'chain/identity-mismatch',
          'error',
          `the workflow signs as ${signers[0].identity}, but the promotion policy accepts only ${show(gateIds)}: promoted models fail the gate`,
          gateIds[0],
          signers.slice(0, 3).map(sigRel),
        ),
      );
    }
    const gateKeys = group.gate?.keys ?? [];
    if (!gateIds.length && gateKeys.length) {
      out.push(
        finding(
          'chain/identity-mismatch',
          'error',
          `the workflow signs keylessly as ${signers[0].identity}, but the promotion policy accepts only signatures made with ${gateKeys.map((k) => k.value).join(', ')}`,
          gateKeys[0],
          signers.slice(0, 3).map(sigRel),
        ),
      );
    }
    if (gateIssuers.length && !signers.some((s) => gateIssuers.some((g) => accepts(g, s.issuer)))) {
      out.push(
        finding(
          'chain/identity-mismatch',
          'error',
          `the workflow's keyless signatures come from ${GITHUB_ISSUER}, but the promotion policy accepts only the issuers ${show(gateIssuers)}`,
          gateIssuers[0],
          signers.slice(0, 1).map(sigRel),
        ),
      );
    }
    for (const a of admission) {
      if (signers.some((s) => a.ids.some((i) => accepts(i, s.identity) && issuerAccepts(i, s.issuer)))) continue;
      out.push(
        finding(
          'chain/identity-mismatch',
          'error',
          `the workflow signs as ${signers[0].identity} (issuer ${GITHUB_ISSUER}), but the cluster admits only ${a.ids.map((i) => `${i.value}${i.issuer ? ` (issuer ${i.issuer})` : ''}`).join(', ')} (${a.policy.object.label})`,
          a.ids[0],
          signers.slice(0, 3).map(sigRel),
        ),
      );
    }
  } else if (keySigned.length) {
    for (const a of admission) {
      out.push(
        finding(
          'chain/identity-mismatch',
          'error',
          `the workflow signs with a key (${keySigned[0].key ?? keySigned[0].what}), but ${a.policy.object.label} admits only keyless signatures from ${show(a.ids)}`,
          a.ids[0],
          [
            {
              message: `${keySigned[0].what} in ${rel(keySigned[0].file, group)}`,
              file: keySigned[0].file,
              range: keySigned[0].range,
            },
          ],
        ),
      );
    }
  } else {
    // no signing workflow: the card's claim against the two authorities
    for (const c of cardIds) {
      if (gateIds.length && !gateIds.some((g) => accepts(g, c.value)))
        out.push(
          finding(
            'chain/identity-mismatch',
            'error',
            `the model card says signed_by ${c.value}, but the promotion policy accepts only ${show(gateIds)}`,
            c,
            [{ message: 'promotion policy identities', file: gateIds[0].file, range: gateIds[0].range }],
          ),
        );
      for (const a of admission)
        if (!a.ids.some((i) => accepts(i, c.value)))
          out.push(
            finding(
              'chain/identity-mismatch',
              'error',
              `the model card says signed_by ${c.value}, but ${a.policy.object.label} admits only ${show(a.ids)}`,
              c,
              [{ message: 'admitted identities', file: a.ids[0].file, range: a.ids[0].range }],
            ),
          );
    }
  }
  // the two authorities: every identity the gate accepts should be admitted, and only those
  for (const a of admission) {
    for (const g of gateIds) {
      if (a.ids.some((i) => sameIdentity(i, g))) continue;
      out.push(
        finding(
          'chain/identity-mismatch',
          'error',
          `the promotion policy accepts ${g.value}, but ${a.policy.object.label} does not admit it: models the gate promotes are refused at deployment`,
          g,
          [{ message: `${a.policy.object.label} admits ${show(a.ids)}`, file: a.ids[0].file, range: a.ids[0].range }],
        ),
      );
    }
    if (!gateIds.length) continue;
    for (const i of a.ids) {
      if (gateIds.some((g) => sameIdentity(g, i))) continue;
      out.push(
        finding(
          'chain/identity-mismatch',
          'error',
          `${a.policy.object.label} admits ${i.value}, which the promotion policy does not accept: the cluster runs models that never passed the gate`,
          i,
          [
            {
              message: `the promotion policy accepts ${show(gateIds)}`,
              file: gateIds[0].file,
              range: gateIds[0].range,
            },
          ],
        ),
      );
    }
  }

  // registry paths
  const pushes = group.workflows
    .flatMap((w) => w.pushes.map((p) => ({ ...p, file: w.file, repo: repoOf(p.target) })))
    .filter((p) => p.repo);
  const pushed = [...new Set(pushes.map((p) => p.repo!))];
  const pushRel = (repo: string): RelatedLocation[] =>
    pushes
      .filter((p) => p.repo === repo)
      .slice(0, 1)
      .map((p) => ({ message: `${p.what} in ${rel(p.file, group)} pushes ${p.target}`, file: p.file, range: p.range }));
  const anyPushRel = () => pushed.slice(0, 3).flatMap(pushRel);
  if (pushed.length) {
    for (const c of group.cards) {
      const r = c.sbomRef && repoOf(c.sbomRef.value);
      if (!c.sbomRef || !r || !/[./]/.test(c.sbomRef.value.split('/')[0]) || pushed.includes(r)) continue;
      out.push(
        finding(
          'chain/registry-mismatch',
          'error',
          `the model card's sbom_ref is in ${r}, but the workflow pushes ${pushed.join(', ')}`,
          c.sbomRef,
          anyPushRel(),
        ),
      );
    }
    const owners = new Set(pushed.map((p) => p.split('/').slice(0, 2).join('/')));
    for (const t of group.workloads) {
      for (const img of workloadImages(t)) {
        const r = repoOf(img.value);
        if (!r || pushed.includes(r) || !owners.has(r.split('/').slice(0, 2).join('/'))) continue;
        out.push(
          finding(
            'chain/registry-mismatch',
            'error',
            `${t.object.label} runs ${img.value}, from ${r}, which no workflow here pushes (they push ${pushed.join(', ')})`,
            { file: t.object.file ?? '', range: t.doc.range(img.node) },
            anyPushRel(),
          ),
        );
      }
    }
    for (const p of group.policies) {
      const scopes = p.rules.flatMap((r) => r.scopes);
      if (!scopes.length) continue;
      for (const repo of pushed) {
        if (scopes.some((s) => scopeCoversRepository(s, repo))) continue;
        out.push(
          finding(
            'admission/image-scope',
            'error',
            `the workflow pushes ${repo}, but no image pattern of ${p.object.label} (${scopes.map((s) => s.pattern).join(', ')}) covers it: those images are admitted unchecked`,
            { file: scopes[0].file ?? '', range: scopes[0].range },
            pushRel(repo),
          ),
        );
      }
      for (const s of scopes) {
        const probe = scopeBroaderThan(s, pushed);
        if (probe)
          out.push(
            finding(
              'admission/image-scope',
              'warning',
              `the image pattern ${s.pattern} of ${p.object.label} also matches ${probe.replace(/:1$/, '')}, which the workflows here do not push (they push ${pushed.join(', ')})`,
              { file: s.file ?? '', range: s.range },
              anyPushRel(),
            ),
          );
      }
    }
    if (group.gate) {
      for (const r of group.gate.imageReferences) {
        if (pushed.some((repo) => scopeCoversRepository({ pattern: r.value, syntax: 'kyverno', policy: '' }, repo)))
          continue;
        out.push(
          finding(
            'chain/registry-mismatch',
            'error',
            `admission.image_references ${r.value} in the promotion policy covers none of the pushed repositories (${pushed.join(', ')})`,
            r,
            anyPushRel(),
          ),
        );
      }
    }
  }

  // attestations: what the gate requires must be what the cluster checks
  if (group.gate) {
    const gate = group.gate;
    const gateRel: RelatedLocation = { message: `promotion policy ${rel(gate.file, group)}`, file: gate.file };
    for (const p of group.policies) {
      const rules = p.rules.filter((r) => r.action.value === 'Enforce');
      if (!rules.length) continue;
      const atts = rules.flatMap((r) => r.attestations);
      const at: Place = {
        file: p.object.file ?? '',
        range: p.object.doc.range(rules[0].node.pairs?.[0]?.key ?? rules[0].node),
      };
      if (gate.sbom && !atts.some((a) => /cyclonedx|spdx/i.test(a.predicateType?.value ?? ''))) {
        out.push(
          finding(
            'admission/attestation-mismatch',
            'warning',
            `the promotion gate requires an SBOM, but ${p.object.label} admits images without an SBOM attestation (CycloneDX or SPDX)`,
            at,
            [gateRel],
          ),
        );
      }
      const slug = githubSlug(gate.sourceRepository);
      if (gate.provenanceVerified && slug) {
        const slsa = atts.filter((a) => /slsa/i.test(a.predicateType?.value ?? ''));
        if (!slsa.length)
          out.push(
            finding(
              'admission/attestation-mismatch',
              'warning',
              `the promotion gate requires verified provenance from ${gate.sourceRepository}, but ${p.object.label} requires no SLSA provenance attestation`,
              at,
              [gateRel],
            ),
          );
        else if (!slsa.some((a) => a.conditions.replace(/\\/g, '').includes(slug))) {
          const a = slsa[0];
          out.push(
            finding(
              'admission/attestation-mismatch',
              'warning',
              `${p.object.label} requires SLSA provenance but does not check that it comes from ${gate.sourceRepository}, as the promotion gate does`,
              { file: p.object.file ?? '', range: p.object.doc.range(a.predicateType?.node ?? a.node) },
              [gateRel],
            ),
          );
        }
      }
    }
  }

  // what could not be compared
  const links = {
    workflow: group.workflows.some((w) => w.signing.length),
    card: group.cards.length > 0,
    gate: !!group.gate,
    cluster: group.policies.length > 0 || group.workloads.length > 0,
  };
  const present = Object.values(links).filter(Boolean).length;
  if (present >= 2) {
    const missing = Object.entries(links)
      .filter(([, v]) => !v)
      .map(
        ([k]) =>
          ({
            workflow: 'no release workflow that signs',
            card: 'no model card',
            gate: 'no promotion policy (.model-inspect.yaml)',
            cluster: 'no Kubernetes manifest or admission policy',
          })[k],
      );
    if (signed.length === 0 && links.workflow && !slug && !keySigned.length)
      missing.push(
        'the repository of the signing workflow is unknown (no .git/config, no source_repository in the policy or the card)',
      );
    if (missing.length)
      out.push({
        ruleId: 'chain/incomplete',
        severity: 'info',
        message: `chain of ${path.basename(group.root) || group.root} not fully compared: ${missing.join('; ')}`,
        file: group.root,
      });
  }
  return out;
}

function workloadImages(t: PodTemplate): { value: string; node: import('../yaml/document.ts').YamlNode }[] {
  const doc = t.doc;
  const out: { value: string; node: import('../yaml/document.ts').YamlNode }[] = [];
  for (const c of t.containers) {
    const n = child(doc, c.node, 'image');
    const v = text(doc, n);
    if (n && v) out.push({ value: v, node: n });
  }
  for (const v of t.volumes.values()) {
    if (v.source !== 'image') continue;
    const n = child(doc, v.sourceNode, 'reference');
    const r = str(doc, v.sourceNode, 'reference');
    if (n && r) out.push({ value: r, node: n });
  }
  for (const u of t.modelUris) if (/^oci:\/\//.test(u.value)) out.push({ value: u.value, node: u.node });
  return out;
}

export async function checkChain(
  root: string,
  files: readonly WalkEntry[],
  signal?: AbortSignal,
): Promise<{ findings: Finding[]; groups: ChainGroup[] }> {
  const groups = await readChainGroups(root, files, signal);
  const findings: Finding[] = [];
  for (const g of groups) findings.push(...(await checkChainGroup(g)));
  return { findings, groups };
}

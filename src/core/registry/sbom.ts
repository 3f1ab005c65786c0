/**
 * `sbom REF`: a CycloneDX 1.6 ML-BOM for a model in a registry, from what was pulled and verified:
 * the model as `metadata.component` (named by the attested model card when there is a verified
 * one, with an OCI purl pinned to the digest), one component per layer (its SHA-256 is the layer's
 * digest, which the pull checked), one per file scanned inside archive layers (format, size), and
 * the card's facts as a `modelCard`.
 */
import { randomUUID } from 'node:crypto';
import type { CardFacts } from '../modelcard/types.ts';
import type { RemoteModel } from './remote.ts';
import { CUSTOM_PREDICATE, customPredicateText } from './gate.ts';
import { cardFactsFromText } from '../modelcard/facts.ts';

export interface RemoteBomOptions {
  now?: Date;
  toolVersion?: string;
  serialNumber?: string;
}

/** The OCI package URL: `pkg:oci/NAME@sha256%3Ahex?repository_url=REGISTRY/REPO&tag=TAG`. */
export function ociPurl(registry: string, repository: string, digest: string, tag?: string): string {
  const name = repository.split('/').pop()!;
  const q = new URLSearchParams({ repository_url: `${registry}/${repository}` });
  if (tag) q.set('tag', tag);
  return `pkg:oci/${encodeURIComponent(name)}@${encodeURIComponent(digest)}?${q.toString()}`;
}

function modelCard(card: CardFacts): Record<string, unknown> {
  const modelParameters: Record<string, unknown> = {};
  if (card.task) modelParameters.task = card.task;
  if (card.framework) modelParameters.architectureFamily = card.framework;
  if (card.datasets.length)
    modelParameters.datasets = card.datasets.map((d) => ({
      type: 'dataset',
      name: d.name,
      ...(d.url && /^[a-z][a-z0-9+.-]*:/i.test(d.url) ? { contents: { url: d.url } } : {}),
    }));
  const out: Record<string, unknown> = { 'bom-ref': 'model-card' };
  if (Object.keys(modelParameters).length) out.modelParameters = modelParameters;
  if (card.metrics.length)
    out.quantitativeAnalysis = { performanceMetrics: card.metrics.map((m) => ({ type: m.type, value: m.value })) };
  if (card.limitations.length) out.considerations = { technicalLimitations: card.limitations };
  const props = card.facts
    .filter((f) => f.key.startsWith('provenance.') || f.key.startsWith('security.'))
    .map((f) => ({ name: `modelCard:${f.key}`, value: f.value }));
  out.properties = [{ name: 'modelInspect:cardSource', value: 'verified cosign custom attestation' }, ...props];
  return out;
}

export function remoteMlBom(m: RemoteModel, opts: RemoteBomOptions = {}): Record<string, unknown> {
  if (!m.reference || !m.digest) throw new Error(`${m.input} could not be read; no ML-BOM`);
  const ref = m.reference;
  const cardAtt = [...(m.attachments?.attestations ?? [])]
    .reverse()
    .find(
      (a) =>
        a.verified &&
        a.predicateType === CUSTOM_PREDICATE &&
        a.statement &&
        customPredicateText(a.statement.predicate) !== undefined,
    );
  const card = cardAtt
    ? cardFactsFromText(customPredicateText(cardAtt.statement!.predicate)!, 'model-card.yaml')
    : undefined;
  const components: Record<string, unknown>[] = [];
  const refs: string[] = [];
  for (const im of m.manifests) {
    for (const l of im.layers) {
      const d = l.plan.descriptor;
      const [alg, hex] = d.digest.split(':');
      const bomRef = `layer:${im.platform ? `${im.platform}:` : ''}${d.digest}`;
      if (refs.includes(bomRef)) continue;
      refs.push(bomRef);
      const props = [
        { name: 'oci:mediaType', value: d.mediaType },
        { name: 'oci:size', value: String(d.size) },
        ...(l.found ? [{ name: 'modelInspect:content', value: l.found }] : []),
        ...(im.platform ? [{ name: 'oci:platform', value: im.platform }] : []),
        ...(l.plan.role ? [{ name: 'modelInspect:role', value: l.plan.role }] : []),
        { name: 'modelInspect:digestVerified', value: String(l.verified) },
      ];
      components.push({
        type: 'file',
        'bom-ref': bomRef,
        name: l.plan.title ?? d.digest,
        hashes: [{ alg: alg === 'sha512' ? 'SHA-512' : 'SHA-256', content: hex }],
        properties: props,
      });
      if (l.found && l.found.startsWith('tar')) {
        for (const f of l.files.filter((x) => x.scan)) {
          const member = f.name.replace(/^.*!\//, '');
          const memberRef = `${bomRef}!/${member}`;
          if (refs.includes(memberRef)) continue;
          refs.push(memberRef);
          components.push({
            type: 'file',
            'bom-ref': memberRef,
            name: member,
            properties: [
              { name: 'modelInspect:format', value: f.scan!.format },
              { name: 'modelInspect:size', value: String(f.size) },
              { name: 'modelInspect:layer', value: d.digest },
            ],
          });
        }
      }
    }
  }
  const model: Record<string, unknown> = {
    type: 'machine-learning-model',
    'bom-ref': 'model',
    name: card?.name ?? ref.repository,
    ...(card?.version ? { version: card.version } : ref.tag ? { version: ref.tag } : {}),
    purl: ociPurl(ref.registry, ref.repository, m.digest, ref.tag),
    ...(card?.license
      ? {
          licenses: [
            /^[A-Za-z0-9.+-]+$/.test(card.license)
              ? { license: { id: card.license } }
              : { license: { name: card.license } },
          ],
        }
      : {}),
    properties: [
      { name: 'oci:digest', value: m.digest },
      { name: 'oci:packaging', value: [...new Set(m.manifests.map((x) => x.packaging))].join(', ') },
      ...(m.fromTag ? [{ name: 'oci:resolvedFromTag', value: ref.tag ?? 'latest' }] : []),
    ],
    ...(card ? { modelCard: modelCard(card) } : {}),
  };
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: opts.serialNumber ?? `urn:uuid:${randomUUID()}`,
    version: 1,
    metadata: {
      timestamp: (opts.now ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      tools: {
        components: [
          {
            type: 'application',
            group: 'model-supply-chain-inspector',
            name: 'model-inspect',
            ...(opts.toolVersion ? { version: opts.toolVersion } : {}),
          },
        ],
      },
      component: model,
    },
    components,
    dependencies: [{ ref: 'model', dependsOn: refs }],
  };
}

import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import * as Enums from '@cyclonedx/cyclonedx-library/Enums';
import * as Models from '@cyclonedx/cyclonedx-library/Models';
import * as Serialize from '@cyclonedx/cyclonedx-library/Serialize';
import * as Spec from '@cyclonedx/cyclonedx-library/Spec';
import { PackageURL } from 'packageurl-js';
import type { Finding } from '../findings.ts';
import { modelTarget, sniffWeightFormat, type ModelTarget } from '../model/target.ts';
import { readCardFacts } from '../modelcard/facts.ts';
import type { CardFacts } from '../modelcard/types.ts';
import { decodeUtf8 } from '../yaml/decode.ts';
import { sha256File } from './hash.ts';
import { parsePyproject, parseRequirementsTxt, type PythonDependency } from './python.ts';
import { terminalSafeJson } from '../output/json.ts';

/**
 * An ML-BOM for a model folder: CycloneDX 1.6 whose subject (metadata.component) is the
 * `machine-learning-model`, with its `modelCard` built from the model card, a `file` component per
 * weight file (SHA-256, streamed; format) and a `library` component per declared Python
 * dependency. Built and serialised with @cyclonedx/cyclonedx-library; that library (10.x) has no
 * model-card model, so `modelCard` is added to the normalised JSON before it is written.
 */
export interface MlBomOptions {
  now?: Date;
  signal?: AbortSignal;
  toolVersion?: string;
  /** Fixed serial number (tests); a random urn:uuid otherwise. */
  serialNumber?: string;
  onProgress?: (message: string) => void;
}

export interface MlBomResult {
  bom: Record<string, unknown>;
  text: string;
  findings: Finding[];
  weightFiles: number;
  dependencies: number;
}

const MAX_DEP_FILE_BYTES = 1024 * 1024;

export async function generateMlBom(dir: string, options: MlBomOptions = {}): Promise<MlBomResult> {
  const target = await modelTarget(dir);
  const findings: Finding[] = [];
  if (target.truncated)
    findings.push({
      ruleId: 'gate/incomplete',
      severity: 'warning',
      message: `ML-BOM incomplete: ${target.truncated}`,
      file: target.root,
    });
  const card = target.cardFile ? await readCardFacts(target.cardFile) : undefined;
  if (!card)
    findings.push({
      ruleId: 'sbom/no-model-card',
      severity: 'info',
      message: 'no model card in the folder: the ML-BOM has no modelCard section',
      file: target.root,
    });

  const bom = new Models.Bom();
  bom.serialNumber = options.serialNumber ?? `urn:uuid:${randomUUID()}`;
  bom.metadata.timestamp = options.now ?? new Date();
  bom.metadata.tools.components.add(
    new Models.Component(Enums.ComponentType.Application, 'model-inspect', {
      version: options.toolVersion,
      group: 'model-supply-chain-inspector',
    }),
  );

  const model = new Models.Component(Enums.ComponentType.MachineLearningModel, card?.name ?? target.name, {
    bomRef: 'model',
    version: card?.version,
    description: card?.task ? `${card.task} model` : undefined,
  });
  if (card?.license) model.licenses.add(licenseOf(card.license));
  if (card?.framework) model.properties.add(new Models.Property('modelInspect:framework', card.framework));
  bom.metadata.component = model;

  for (const w of target.weightFiles) {
    options.signal?.throwIfAborted();
    options.onProgress?.(`hashing ${w.rel}`);
    const format = await sniffWeightFormat(w.path);
    const file = new Models.Component(Enums.ComponentType.File, w.rel, { bomRef: `file:${w.rel}` });
    try {
      file.hashes.set(Enums.HashAlgorithm['SHA-256'], await sha256File(w.path, options.signal));
    } catch (e) {
      if (options.signal?.aborted) throw e;
      findings.push({
        ruleId: 'gate/incomplete',
        severity: 'warning',
        message: `could not hash ${w.rel}: ${(e as Error).message}`,
        file: w.path,
      });
    }
    file.properties.add(new Models.Property('modelInspect:format', format));
    file.properties.add(new Models.Property('modelInspect:size', String(w.size)));
    bom.components.add(file);
    model.dependencies.add(file.bomRef);
  }

  const deps = await pythonDependencies(target, findings);
  const seen = new Set<string>();
  for (const d of deps) {
    const key = `${d.name}@${d.version ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const lib = new Models.Component(Enums.ComponentType.Library, d.name, {
      bomRef: `pypi:${key}`,
      version: d.version,
      purl: new PackageURL('pypi', undefined, d.name, d.version, undefined, undefined).toString(),
    });
    lib.properties.add(new Models.Property('modelInspect:requirement', d.specifier));
    lib.properties.add(new Models.Property('modelInspect:declaredIn', d.source));
    bom.components.add(lib);
    model.dependencies.add(lib.bomRef);
  }

  const normalized = new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6)
    .makeForBom()
    .normalize(bom, { sortLists: true }) as unknown as Record<string, unknown>;
  const metadata = normalized.metadata as { component?: Record<string, unknown> } | undefined;
  if (card && metadata?.component) metadata.component.modelCard = modelCardOf(card, target);
  return {
    bom: normalized,
    text: terminalSafeJson(normalized) + '\n',
    findings,
    weightFiles: target.weightFiles.length,
    dependencies: seen.size,
  };
}

function licenseOf(value: string): Models.License {
  // An SPDX id or expression is written as such; anything else as a named license.
  if (/^[A-Za-z0-9.+-]+$/.test(value)) return new Models.SpdxLicense(value);
  if (/\s(AND|OR|WITH)\s/.test(value)) return new Models.LicenseExpression(value);
  return new Models.NamedLicense(value);
}

/** CycloneDX 1.6 `modelCard` from the card's facts (schema: definitions.modelCard). */
function modelCardOf(card: CardFacts, target: ModelTarget): Record<string, unknown> {
  const modelParameters: Record<string, unknown> = {};
  if (card.task) modelParameters.task = card.task;
  if (card.framework) modelParameters.architectureFamily = card.framework;
  if (card.datasets.length) {
    modelParameters.datasets = card.datasets.map((d) => ({
      type: 'dataset',
      name: d.name,
      ...(d.url && /^[a-z][a-z0-9+.-]*:/i.test(d.url) ? { contents: { url: d.url } } : {}),
    }));
  }
  const out: Record<string, unknown> = { 'bom-ref': 'model-card' };
  if (Object.keys(modelParameters).length) out.modelParameters = modelParameters;
  if (card.metrics.length)
    out.quantitativeAnalysis = { performanceMetrics: card.metrics.map((m) => ({ type: m.type, value: m.value })) };
  if (card.limitations.length) out.considerations = { technicalLimitations: card.limitations };
  out.properties = [
    { name: 'modelInspect:cardFile', value: path.relative(target.root, card.file).split(path.sep).join('/') },
    ...card.facts
      .filter((f) => f.key.startsWith('provenance.') || f.key.startsWith('security.'))
      .map((f) => ({ name: `modelCard:${f.key}`, value: f.value })),
  ];
  return out;
}

async function pythonDependencies(target: ModelTarget, findings: Finding[]): Promise<PythonDependency[]> {
  const out: PythonDependency[] = [];
  for (const f of target.files) {
    const base = path.basename(f.path).toLowerCase();
    const isReq = /^requirements([-_.][\w.-]*)?\.txt$/.test(base);
    if (!isReq && base !== 'pyproject.toml') continue;
    if (f.size > MAX_DEP_FILE_BYTES) {
      findings.push({
        ruleId: 'gate/incomplete',
        severity: 'warning',
        message: `${f.rel} is over ${MAX_DEP_FILE_BYTES} bytes; its dependencies were not read`,
        file: f.path,
      });
      continue;
    }
    const text = decodeUtf8(await fs.readFile(f.path)).text;
    out.push(...(isReq ? parseRequirementsTxt(text, f.rel) : parsePyproject(text, f.rel)));
  }
  return out;
}

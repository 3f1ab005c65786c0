import type { InspectorId } from '../areas.ts';
import type { Inspector } from './types.ts';
import { modelCardInspector } from '../modelcard/inspector.ts';
import { pythonInspector } from '../python/files.ts';
import { cardWeightReferencesInspector } from '../convert/inspector.ts';
import { scanInspector } from '../scan/inspector.ts';
import { workflowInspector } from '../workflow/inspector.ts';
import { signingInspector } from '../signing/inspector.ts';
import { sbomInspector } from '../sbom/inspector.ts';
import { chainInspector, k8sInspector } from '../k8s/inspector.ts';

/**
 * The inspector of every id the areas declare (src/core/areas.ts), in report order: an id an area
 * declares and this record lacks, or one no area declares, does not compile.
 */
const BY_ID: Readonly<Record<InspectorId, Inspector>> = {
  card: modelCardInspector,
  workflow: workflowInspector,
  python: pythonInspector,
  convert: cardWeightReferencesInspector,
  scan: scanInspector,
  signing: signingInspector,
  sbom: sbomInspector,
  k8s: k8sInspector,
  chain: chainInspector,
};

/** Every engine that `inspect` runs over a folder, in report order. */
export const INSPECTORS: readonly Inspector[] = Object.values(BY_ID);

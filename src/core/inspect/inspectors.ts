import type { Inspector } from './types.ts';
import { modelCardInspector } from '../modelcard/inspector.ts';
import { pythonInspector } from '../python/files.ts';
import { cardWeightReferencesInspector } from '../convert/inspector.ts';
import { scanInspector } from '../scan/inspector.ts';
import { workflowInspector } from '../workflow/inspector.ts';
import { signingInspector } from '../signing/inspector.ts';
import { sbomInspector } from '../sbom/inspector.ts';
import { chainInspector, k8sInspector } from '../k8s/inspector.ts';

/** Every engine that `inspect` runs over a folder, in report order. Each area adds one line. */
export const INSPECTORS: readonly Inspector[] = [
  modelCardInspector,
  workflowInspector,
  pythonInspector,
  cardWeightReferencesInspector,
  scanInspector,
  signingInspector,
  sbomInspector,
  k8sInspector,
  chainInspector,
];

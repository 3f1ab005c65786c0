import { activationEventsOf, explorerWhenOf, type FileKind } from './area.ts';
import { convertArea } from './convert/area.ts';
import { gateArea } from './gate/area.ts';
import { k8sArea } from './k8s/area.ts';
import { modelCardArea } from './modelcard/area.ts';
import { pythonArea } from './python/area.ts';
import { registryArea } from './registry/area.ts';
import { sbomArea } from './sbom/area.ts';
import { scanArea } from './scan/area.ts';
import { signingArea } from './signing/area.ts';
import { workflowArea } from './workflow/area.ts';
import { yamlArea } from './yaml/area.ts';

/**
 * Every engine area, in rule-catalogue order. A new area is a folder with its `area.ts` and one
 * line here; the catalogue (rules.ts), the weight-file extensions, and package.json's activation
 * events and explorer menus follow from it (`npm run manifest` rewrites package.json; a unit test
 * fails while they disagree).
 */
export const AREAS = [
  yamlArea,
  gateArea,
  workflowArea,
  modelCardArea,
  sbomArea,
  pythonArea,
  convertArea,
  signingArea,
  scanArea,
  k8sArea,
  registryArea,
] as const;

type Area = (typeof AREAS)[number];
export type InspectorId = Area['inspectors'][number];
export type ValidatorId = Area['validators'][number];

/** Activation events of the faces themselves, not of a file kind (the report panel restored after a reload). */
export const FACE_ACTIVATION_EVENTS: readonly string[] = ['onWebviewPanel:modelInspect.report'];

export const FILE_KINDS: ReadonlyMap<string, FileKind> = new Map(
  AREAS.flatMap((a) => a.files.map((k) => [k.id, k] as const)),
);

// The weight-file kind lives with the scan area, so the scanner reads it without the other areas.
export { hasWeightName, WEIGHT_EXTENSIONS, WEIGHTS } from './scan/area.ts';

/** package.json's `activationEvents`, as the areas declare them. */
export function manifestActivationEvents(): string[] {
  return activationEventsOf(AREAS, FACE_ACTIVATION_EVENTS);
}

/** package.json's explorer/context `when` clause of each command that declares one. */
export function manifestExplorerWhen(): Map<string, string> {
  const out = new Map<string, string>();
  for (const a of AREAS) for (const m of a.explorer ?? []) out.set(m.command, explorerWhenOf(m, FILE_KINDS));
  return out;
}

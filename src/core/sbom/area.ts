import { defineArea } from '../area.ts';
import { SBOM_RULES } from './rules.ts';

/** SBOMs (CycloneDX, SPDX): found among a folder's JSON files by content. */
export const sbomArea = defineArea({
  id: 'sbom',
  title: 'SBOMs',
  categories: ['sbom'],
  rules: SBOM_RULES,
  files: [{ id: 'sbom', title: 'CycloneDX or SPDX SBOM', extensions: ['.json'], activation: 'none' }],
  inspectors: ['sbom'],
  validators: [],
  explorer: [{ command: 'modelInspect.report.generateSbom', kinds: [], folders: true }],
});

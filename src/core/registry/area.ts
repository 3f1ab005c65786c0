import { defineArea } from '../area.ts';
import { REGISTRY_RULES } from './rules.ts';

/** OCI registries: references, not files of the workspace. */
export const registryArea = defineArea({
  id: 'registry',
  title: 'Registries',
  categories: ['registry'],
  rules: REGISTRY_RULES,
  files: [],
  inspectors: [],
  validators: [],
});

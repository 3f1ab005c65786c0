import { defineArea } from '../area.ts';
import { YAML_RULES } from './rules.ts';

/** YAML documents: the parse errors every YAML-based area reports. */
export const yamlArea = defineArea({
  id: 'yaml',
  title: 'YAML',
  categories: ['yaml'],
  rules: YAML_RULES,
  files: [],
  inspectors: [],
  validators: [],
});

import { defineArea } from '../area.ts';
import { GATE_RULES } from './rules.ts';

/** The promotion gate: its policy file, validated in the editor; its engines belong to the areas they run. */
export const gateArea = defineArea({
  id: 'gate',
  title: 'Promotion gate',
  categories: ['gate'],
  rules: GATE_RULES,
  files: [
    {
      id: 'policy',
      title: 'promotion policy',
      names: ['.model-inspect.yaml', '.model-inspect.yml'],
      languages: ['yaml'],
      activation: 'language',
    },
  ],
  inspectors: [],
  validators: ['promotion policy'],
  explorer: [
    // The report panel shows the gate's verdict on a model: a folder, one of its weights, its card.
    { command: 'modelInspect.report.open', kinds: ['weights', 'model-card'], folders: true },
  ],
});

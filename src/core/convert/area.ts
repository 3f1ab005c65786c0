import { defineArea } from '../area.ts';
import { CONVERT_RULES } from './rules.ts';

/** Pickle checkpoints → safetensors, and model cards that still name the pickle. */
export const convertArea = defineArea({
  id: 'convert',
  title: 'Conversion to safetensors',
  categories: ['convert'],
  rules: CONVERT_RULES,
  files: [
    // The weights are the scan area's; these are the ones a PyTorch converter reads.
    {
      id: 'checkpoint',
      title: 'PyTorch checkpoint',
      extensions: ['.pt', '.pth', '.bin', '.ckpt', '.pkl', '.tar'],
      activation: 'none',
    },
  ],
  inspectors: ['convert'],
  validators: ['model card weight references'],
  explorer: [{ command: 'modelInspect.convertToSafetensors', kinds: ['checkpoint'], folders: false }],
});

import { defineArea } from '../area.ts';
import { PYTHON_RULES } from './rules.ts';

/** Python sources and notebooks that load or save models (content decides, so by language only). */
export const pythonArea = defineArea({
  id: 'python',
  title: 'Python code',
  categories: ['python'],
  rules: PYTHON_RULES,
  files: [
    {
      id: 'python',
      title: 'Python source or notebook cell',
      extensions: ['.py', '.ipynb'],
      languages: ['python'],
      notebookTypes: ['jupyter-notebook'],
      activation: 'language',
    },
  ],
  inspectors: ['python'],
  validators: ['python'],
});

import { defineArea } from '../area.ts';
import { WORKFLOW_RULES } from './rules.ts';

/** GitHub Actions workflows. */
export const workflowArea = defineArea({
  id: 'workflow',
  title: 'Release workflows',
  categories: ['workflow'],
  rules: WORKFLOW_RULES,
  files: [
    {
      id: 'workflow',
      title: 'GitHub Actions workflow',
      paths: ['.github/workflows/*.{yml,yaml}'],
      languages: ['yaml', 'github-actions-workflow'],
      activation: 'files',
    },
  ],
  inspectors: ['workflow'],
  validators: ['workflow'],
});

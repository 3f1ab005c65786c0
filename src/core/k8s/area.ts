import { defineArea } from '../area.ts';
import { ADMISSION_RULES, CHAIN_RULES, K8S_RULES } from './rules.ts';

/** Kubernetes serving manifests and admission policies (content decides: any YAML with apiVersion and kind). */
export const k8sArea = defineArea({
  id: 'k8s',
  title: 'Serving (Kubernetes)',
  categories: ['k8s', 'admission', 'chain'],
  rules: [...K8S_RULES, ...ADMISSION_RULES, ...CHAIN_RULES],
  files: [
    {
      id: 'k8s',
      title: 'Kubernetes manifest or admission policy',
      extensions: ['.yaml', '.yml'],
      languages: ['yaml'],
      activation: 'language',
    },
  ],
  inspectors: ['k8s', 'chain'],
  validators: ['k8s'],
});

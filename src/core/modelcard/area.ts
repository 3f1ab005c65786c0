import { defineArea } from '../area.ts';
import { CARD_RULES } from './rules.ts';

/** Model cards: our YAML card, and Hugging Face README.md front matter (content decides, so by language only). */
export const modelCardArea = defineArea({
  id: 'modelcard',
  title: 'Model cards',
  categories: ['card'],
  rules: CARD_RULES,
  files: [
    {
      id: 'model-card',
      title: 'model card',
      names: [
        'model-card.yaml',
        'model-card.yml',
        'model_card.yaml',
        'model_card.yml',
        'modelcard.yaml',
        'modelcard.yml',
      ],
      suffixes: ['.model-card.yaml', '.model-card.yml'],
      languages: ['yaml'],
      activation: 'files',
    },
    {
      id: 'hf-readme',
      title: 'Hugging Face model card (README.md front matter)',
      names: ['readme.md'],
      languages: ['markdown'],
      activation: 'language',
    },
  ],
  inspectors: ['card'],
  gateEngine: 'checkCard',
  validators: ['model card'],
});

import { defineArea } from '../area.ts';
import { SIGNING_RULES } from './rules.ts';

/** Signatures, attestations and keys. */
export const signingArea = defineArea({
  id: 'signing',
  title: 'Signatures and provenance',
  categories: ['signing'],
  rules: SIGNING_RULES,
  files: [
    {
      id: 'signature',
      title: 'signature, bundle or attestation',
      names: ['model.sig'],
      // Sibling names tried for a file X (X.sigstore.json…), in the order they are tried.
      suffixes: [
        '.sigstore.json',
        '.sigstore',
        '.bundle',
        '.sig',
        '.intoto.jsonl',
        '.intoto.json',
        '.intoto.build.slsa',
        '.att.json',
      ],
      activation: 'none',
    },
  ],
  inspectors: ['signing'],
  gateEngine: 'verify',
  validators: [],
  explorer: [
    { command: 'modelInspect.signing.sign', kinds: ['weights'], folders: true },
    { command: 'modelInspect.signing.verify', kinds: ['weights', 'signature'], folders: true },
  ],
});

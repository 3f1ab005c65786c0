import { checkCardWeightReferences } from '../core/convert/cardReferences.ts';
import { modelCardKind } from '../core/modelcard/files.ts';
import type { Services } from './services.ts';

/**
 * Model cards (README.md, model-card.yaml) that name pickle weights: suggest the safetensors file
 * beside them, or offer to convert the checkpoint. Only for files on disk, where "beside" means something.
 */
export function registerCardWeightReferences(s: Services): void {
  s.context.subscriptions.push(
    s.live.add({
      id: 'model card weight references',
      matches: (doc) => doc.uri.scheme === 'file' && modelCardKind(doc.uri.fsPath) !== undefined,
      validate: (doc) => checkCardWeightReferences(doc.getText(), doc.uri.fsPath),
    }),
  );
}

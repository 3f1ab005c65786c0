import path from 'node:path';
import type { Fix } from '../findings.ts';

/** The command id faces run to convert a checkpoint; its one argument is the file's absolute path. */
export const CONVERT_COMMAND = 'modelInspect.convertToSafetensors';

/**
 * A fix that converts `file` to safetensors, for any finding about a PyTorch checkpoint (the
 * scanner's pickle findings, model-card references). The extension registers the command.
 */
export function convertFix(file: string): Fix {
  return {
    kind: 'command',
    title: `Convert ${path.basename(file)} to safetensors`,
    command: CONVERT_COMMAND,
    args: [path.resolve(file)],
  };
}

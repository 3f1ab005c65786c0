import { checkModelCardFile } from '../modelcard/inspector.ts';
import type { GateEngines } from './collect.ts';

/**
 * The real engines behind the gate's interfaces. This is the only file that knows their APIs;
 * the gate, the CLI and the panel take `GateEngines`.
 */
export const DEFAULT_ENGINES: GateEngines = {
  async checkCard(file, ctx) {
    return (await checkModelCardFile(file, ctx.now)).findings;
  },
};

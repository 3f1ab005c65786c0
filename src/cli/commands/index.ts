import type { Command } from '../command.ts';
import { cardCommand } from './card.ts';
import { gateCommand } from './gate.ts';
import { inspectCommand } from './inspect.ts';
import { pythonCommand } from './python.ts';
import { sbomCommand } from './sbom.ts';
import { generateKeyPairCommand, signCommand } from './sign.ts';
import { verifyCommand } from './verify.ts';

/** Every CLI command, in the order `--help` lists them. Each area adds one line. */
export const COMMANDS: readonly Command[] = [
  inspectCommand,
  cardCommand,
  pythonCommand,
  gateCommand,
  sbomCommand,
  verifyCommand,
  signCommand,
  generateKeyPairCommand,
];

import type { Command } from '../command.ts';
import { cardCommand } from './card.ts';
import { gateCommand } from './gate.ts';
import { inspectCommand } from './inspect.ts';
import { pythonCommand } from './python.ts';
import { convertCommand } from './convert.ts';
import { rulesCommand } from './rules.ts';
import { sbomCommand } from './sbom.ts';
import { scanCommand } from './scan.ts';
import { generateKeyPairCommand, signCommand } from './sign.ts';
import { verifyCommand } from './verify.ts';
import { workflowCommand } from './workflow.ts';
import { k8sCommand } from './k8s.ts';
import { attestCommand } from './attest.ts';
import { registryCommand } from './registry.ts';

/** Every CLI command, in the order `--help` lists them. Each area adds one line. */
export const COMMANDS: readonly Command[] = [
  inspectCommand,
  scanCommand,
  cardCommand,
  workflowCommand,
  k8sCommand,
  pythonCommand,
  convertCommand,
  gateCommand,
  sbomCommand,
  verifyCommand,
  signCommand,
  attestCommand,
  registryCommand,
  generateKeyPairCommand,
  rulesCommand,
];

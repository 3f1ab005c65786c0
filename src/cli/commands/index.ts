import type { Command } from '../command.ts';
import { cardCommand } from './card.ts';
import { inspectCommand } from './inspect.ts';

/** Every CLI command, in the order `--help` lists them. Each area adds one line. */
export const COMMANDS: readonly Command[] = [
  inspectCommand,
  cardCommand,
];

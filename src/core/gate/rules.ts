import type { RuleInfo } from '../findings.ts';

export const GATE_RULES: readonly RuleInfo[] = [
  {
    id: 'gate/incomplete',
    title: 'Inspection incomplete',
    category: 'gate',
    defaultSeverity: 'warning',
    help: 'Part of the folder could not be inspected (a file could not be read, a limit was reached, or an engine failed). What was not inspected is not known to be safe: read the message for what was skipped.',
  },
];

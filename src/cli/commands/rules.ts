import { allRules } from '../../core/rules.ts';
import type { Command } from '../command.ts';
import { UsageError } from '../args.ts';
import { table } from '../table.ts';

/** The rule catalogue, for people (text), scripts (JSON) and code-scanning set-ups. */
export const rulesCommand: Command = {
  name: 'rules',
  summary: "list every rule (id, default severity, title), or show one rule's help",
  usage: 'rules [RULE-ID|AREA] [--format text|json]',
  flags: {},
  positionals: { min: 0, max: 1, metavar: 'RULE-ID' },
  async run(args) {
    const want = args.positionals[0];
    const rules = allRules().filter(
      (r) => !want || r.id === want || r.category === want || r.id.startsWith(`${want}/`),
    );
    if (want && rules.length === 0) throw new UsageError(`no rule or area named '${want}'`);
    const one = rules.length === 1 && rules[0].id === want ? rules[0] : undefined;
    const text = one
      ? `${one.id}  (${one.defaultSeverity}, ${one.category})\n${one.title}\n\n${one.help}`
      : table(
          ['rule', 'severity', 'title'],
          rules.map((r) => [r.id, r.defaultSeverity, r.title]),
        );
    return { findings: [], text, json: { rules }, exitCode: 0 };
  },
};

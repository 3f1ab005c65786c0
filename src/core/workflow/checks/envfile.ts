import type { Finding, Fix } from '../../findings.ts';
import { span } from '../analysis.ts';
import type { CheckContext } from '../context.ts';
import { editFix, replace } from '../edits.ts';
import type { EnvFileWrite } from '../flow.ts';
import type { Job, Step } from '../model.ts';
import type { Command } from '../shell.ts';
import { taintOf } from '../taint.ts';

/**
 * Environment-file injection: attacker-controlled text written to `$GITHUB_ENV`, `$GITHUB_PATH` or
 * `$GITHUB_OUTPUT`. The runner reads those files line by line after the step, so one newline in
 * the data defines variables (LD_PRELOAD, BASH_ENV, NODE_OPTIONS) or outputs of the attacker's
 * choosing for every later step.
 */
export function envFileInjection(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const job of ctx.wf.jobs) {
    for (const step of job.steps) {
      const flow = taintOf(ctx).flow(job, step);
      if (!flow) continue;
      for (const w of flow.writes) {
        if (!w.injects) continue;
        const fix = delimiterFix(ctx, step, w);
        out.push(
          ctx.finding('workflow/env-file-injection', span(ctx, step, w.data), message(job, w), {
            fixes: fix ? [fix] : [],
            related: [ctx.related(`written to $${w.file} here`, span(ctx, step, w.sink))],
          }),
        );
      }
    }
  }
  return out;
}

function message(job: Job, w: EnvFileWrite): string {
  const what = w.name ? ` as ${w.name}` : '';
  if (w.file === 'GITHUB_PATH')
    return `${w.taint.why} is added to $GITHUB_PATH: the attacker chooses where every later step of job '${job.id}' finds its programs`;
  if (w.file === 'GITHUB_OUTPUT')
    return `${w.taint.why} is written to $GITHUB_OUTPUT${what}: a newline in it sets outputs of the attacker's choosing, which later steps and jobs trust`;
  return `${w.taint.why} is written to $GITHUB_ENV${what}: a newline in it defines any variable (LD_PRELOAD, BASH_ENV, NODE_OPTIONS…) for every later step of job '${job.id}'`;
}

/**
 * `echo "NAME=$VALUE" >> "$GITHUB_ENV"` alone on its line becomes the multi-line form with a
 * random delimiter, which keeps the value (newlines included) and lets nothing out of it.
 */
function delimiterFix(ctx: CheckContext, step: Step, w: EnvFileWrite): Fix | undefined {
  if (w.file === 'GITHUB_PATH' || !w.name) return undefined;
  const script = ctx.script(step);
  const cmd = script?.commands.find(
    (c) =>
      c.start <= w.data.start &&
      w.data.end <= c.end + 1 &&
      c.redirects.some((r) => r.target && r.target.start === w.sink.start),
  );
  if (
    !script ||
    !cmd ||
    !standalone(script.commands, cmd) ||
    cmd.name !== 'echo' ||
    cmd.args.length !== 1 ||
    cmd.assignments.length
  )
    return undefined;
  const src = script.text.text;
  const arg = cmd.args[0];
  const raw = src.slice(arg.start, arg.end);
  const inner =
    raw.startsWith('"') && raw.endsWith('"') && raw.length > 1
      ? raw.slice(1, -1)
      : /^[^"'\s\\]+$/.test(raw)
        ? raw
        : undefined;
  const m = inner && /^([A-Za-z_][\w-]*)=(.*)$/s.exec(inner);
  if (!m || m[1] !== w.name || (m[2].includes('"') && !raw.startsWith('"'))) return undefined;
  const target = cmd.redirects.find((r) => r.target?.start === w.sink.start)!.target!;
  const redirectRaw = src.slice(target.start, target.end);
  const at = span(ctx, step, { start: cmd.start, end: target.end });
  const lineStart = ctx.doc.text.lastIndexOf('\n', at.start - 1) + 1;
  const indent = ctx.doc.text.slice(lineStart, at.start);
  if (!/^[ \t]*$/.test(indent)) return undefined;
  const delim = `${m[1].replace(/[^A-Za-z0-9_]/g, '_').toUpperCase()}_EOF`;
  const lines = [
    '{',
    `  ${delim}="$(openssl rand -hex 16)"`,
    `  echo "${m[1]}<<\${${delim}}"`,
    `  echo "${m[2]}"`,
    `  echo "\${${delim}}"`,
    `} >> ${redirectRaw}`,
  ];
  return editFix(
    `Write ${m[1]} with a random delimiter`,
    [replace(ctx.doc, at.start, at.end, lines.join('\n' + indent))],
    true,
  );
}

/** The command is a whole line of the script: nothing before or after it on its line. */
function standalone(cmds: readonly Command[], cmd: Command): boolean {
  return cmd.prev === '\n' && (cmd.next === '\n' || cmd.next === 'end') && !cmd.heredocs.length && cmds.includes(cmd);
}

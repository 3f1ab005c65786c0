import type { Finding, Fix } from '../../findings.ts';
import type { YamlNode } from '../../yaml/document.ts';
import { isReusableWorkflow, isSlsaGenerator, KNOWN_OUTPUTS, actionName } from '../actions.ts';
import { SIMPLE_PROGRAMS } from '../analysis.ts';
import { stepLabel, type CheckContext } from '../context.ts';
import { appendToMapping, columnOf, editFix, endOfLine, insert, prependToMapping, replace } from '../edits.ts';
import type { ContextRef } from '../expressions.ts';
import type { Job, Step } from '../model.ts';

/** Reusable workflows can only be called by jobs. */
export function reusableWorkflowAsStep(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const job of ctx.wf.jobs) {
    for (const step of job.steps) {
      if (!step.uses || !isReusableWorkflow(step.uses.text)) continue;
      const fix = moveToJobFix(ctx, job, step);
      out.push(
        ctx.finding(
          'workflow/reusable-workflow-as-step',
          step.uses.node,
          `${step.uses.text} is a reusable workflow: it must be called by a job (jobs.<id>.uses) with needs: ${job.id}, not as a step of job '${job.id}'; GitHub rejects this workflow`,
          { fixes: fix ? [fix] : [] },
        ),
      );
    }
  }
  return out;
}

/** What the SLSA generators document as the caller's permissions. */
function generatorPermissions(uses: string): string[] {
  if (!isSlsaGenerator(uses)) return [];
  if (/container/i.test(uses)) return ['actions: read', 'id-token: write', 'packages: write'];
  return ['actions: read', 'id-token: write', 'contents: write'];
}

/**
 * Moves a reusable-workflow step into a job of its own: the step is removed, a job with
 * `needs: <job>` calls the workflow, and every `steps.<id>.outputs.<name>` its inputs read becomes
 * `needs.<job>.outputs.<name>`, declared in the original job's `outputs:`.
 */
function moveToJobFix(ctx: CheckContext, job: Job, step: Step): Fix | undefined {
  const doc = ctx.doc;
  const jobsNode = ctx.wf.jobsNode;
  if (!jobsNode?.pairs?.length) return undefined;
  const jobCol = columnOf(doc, jobsNode.pairs[0].key);
  if (jobCol === undefined) return undefined;
  const ids = new Set(ctx.wf.jobs.map((j) => j.id));
  let id = isSlsaGenerator(step.uses!.text)
    ? 'provenance'
    : (step.id?.text ?? /\/([\w-]+)\.ya?ml@?/.exec(step.uses!.text)?.[1] ?? 'call');
  for (let k = 2; ids.has(id); k++) id = `${id.replace(/-\d+$/, '')}-${k}`;

  const withLines: string[] = [];
  const outputs = new Map<string, string>();
  for (const e of step.with.values()) {
    if (!e.value || e.value.kind !== 'scalar' || doc.source(e.value).includes('\n')) return undefined;
    let text = doc.source(e.value);
    const base = e.value.start;
    const edits: { start: number; end: number; text: string }[] = [];
    for (const x of ctx.expressions(e.value)) {
      for (const r of x.refs) {
        if (r.lower[0] !== 'steps' || r.lower[2] !== 'outputs' || !r.path[3] || r.path[3] === '*') continue;
        outputs.set(r.path[3], `\${{ steps.${r.path[1]}.outputs.${r.path[3]} }}`);
        edits.push({ start: r.start - base, end: r.end - base, text: `needs.${job.id}.outputs.${r.path[3]}` });
      }
    }
    for (const ed of edits.sort((a, b) => b.start - a.start))
      text = text.slice(0, ed.start) + ed.text + text.slice(ed.end);
    withLines.push(`    ${e.name}: ${text}`);
  }
  const perms = generatorPermissions(step.uses!.text);
  const jobLines = [
    `${id}:`,
    ...(step.name ? [`  name: ${doc.source(step.name.node)}`] : []),
    `  needs: ${job.id}`,
    ...(perms.length ? ['  permissions:', ...perms.map((p) => `    ${p}`)] : []),
    `  uses: ${doc.source(step.uses!.node)}`,
    ...(withLines.length ? ['  with:', ...withLines] : []),
  ].map((l) => ' '.repeat(jobCol) + l);

  const text = doc.text;
  const stepStart = text.lastIndexOf('\n', step.node.start - 1) + 1;
  const stepEnd = endOfLine(doc, step.node.end);
  if (!/^[ ]*-[ ]+$/.test(text.slice(stepStart, step.node.start))) return undefined;
  const last = jobsNode.pairs[jobsNode.pairs.length - 1];
  const jobsEnd = endOfLine(doc, Math.max(last.key.end, last.value?.end ?? 0));
  const edits = [];
  if (jobsEnd === stepEnd) {
    edits.push(replace(doc, stepStart, stepEnd, jobLines.join('\n')));
  } else {
    edits.push(replace(doc, stepStart, Math.min(text.length, stepEnd + 1), ''));
    edits.push(insert(doc, jobsEnd, '\n' + jobLines.join('\n')));
  }
  if (outputs.size) {
    const lines = [...outputs].map(([k, v]) => `${k}: ${v}`);
    const e = job.outputsNode
      ? appendToMapping(doc, job.outputsNode, lines)
      : prependToMapping(doc, job.node, ['outputs:', ...lines.map((l) => '  ' + l)]);
    if (!e) return undefined;
    edits.push(e);
  }
  return editFix(`Move it to a job '${id}' that needs '${job.id}'`, edits);
}

interface RefSite {
  ref: ContextRef;
  /** The step whose fields hold the reference, or undefined for job-level fields. */
  step?: Step;
  /** The reference is in the job's `outputs:` (where every step of the job is visible). */
  inOutputs: boolean;
}

/** Every context reference in a job, with where it sits. */
function jobRefs(ctx: CheckContext, job: Job): RefSite[] {
  const sites: RefSite[] = [];
  const add = (node: YamlNode | null | undefined, step: Step | undefined, inOutputs: boolean) => {
    for (const s of ctx.scalars(node, [], false)) {
      for (const e of ctx.expressions(s.node, s.bare)) for (const ref of e.refs) sites.push({ ref, step, inOutputs });
    }
  };
  for (const p of job.node.pairs ?? []) {
    if (p.keyText === 'steps') continue;
    if (p.keyText === 'if') {
      for (const e of ctx.expressions(p.value, true)) for (const ref of e.refs) sites.push({ ref, inOutputs: false });
      continue;
    }
    add(p.value, undefined, p.keyText === 'outputs');
  }
  for (const step of job.steps) add(step.node, step, false);
  return sites;
}

/** True when the script certainly never writes output `name` (see the rule's help). */
function neverWritesOutput(ctx: CheckContext, step: Step, name: string): boolean {
  const text = step.run!.script.text;
  const lower = name.toLowerCase();
  // the deprecated workflow command: echo "::set-output name=digest::$value"
  if (text.includes('::set-output'))
    return !text.toLowerCase().includes(`name=${lower}`) && !/::set-output name=\$/.test(text);
  const writes = text.split('\n').filter((l) => l.includes('GITHUB_OUTPUT'));
  if (writes.length) {
    const names = new Set<string>();
    for (const line of writes) {
      // a redirected group or loop (`{ …; } >> "$GITHUB_OUTPUT"`) writes from other lines too
      if (/(^|[;\s])(\}|done|fi|esac|\))\s*\d?>>?/.test(line)) return false;
      const m = /([A-Za-z_$][\w${}-]*)\s*(=|<<)/.exec(line.replace(/\$\{\{[^}]*\}\}/g, 'X'));
      if (!m || m[1].includes('$')) return false; // a group, a file or a computed name: cannot tell
      names.add(m[1].toLowerCase());
    }
    return !names.has(lower);
  }
  for (const cmd of ctx.commands(step)) {
    if (!cmd.program) continue;
    const prog = cmd.name;
    if (SIMPLE_PROGRAMS.has(prog)) continue;
    // inline code is part of the script text we already searched
    if (/^(python[\d.]*|node|ruby|perl)$/.test(prog) && cmd.args[0] && /^-[ce]$/.test(cmd.args[0].text)) continue;
    return false;
  }
  return true;
}

function slugWords(s: string): string[] {
  return s
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** An earlier step without an id that visibly does what the missing id names (e.g. `push`). */
function idCandidate(ctx: CheckContext, job: Job, before: number, id: string): Step | undefined {
  const want = slugWords(id);
  if (!want.length) return undefined;
  const hits = job.steps.slice(0, before).filter((s) => {
    if (s.id) return false;
    const words = new Set([...slugWords(s.name?.text ?? ''), ...slugWords(s.uses ? actionName(s.uses.text) : '')]);
    for (const c of ctx.commands(s)) for (const w of c.args.slice(0, 2)) words.add(w.text.toLowerCase());
    return want.every((w) => words.has(w));
  });
  return hits.length === 1 ? hits[0] : undefined;
}

/** `steps.<id>`, `needs.<job>` references and the outputs they read. */
export function references(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  const jobIds = new Map(ctx.wf.jobs.map((j) => [j.id.toLowerCase(), j]));
  for (const job of ctx.wf.jobs) {
    const needs = new Set(job.needs.map((n) => n.name.toLowerCase()));
    for (const n of job.needs) {
      if (n.name && !jobIds.has(n.name.toLowerCase())) {
        out.push(
          ctx.finding('workflow/unknown-job-reference', n.node, `needs: '${n.name}' names no job of this workflow`),
        );
      }
    }
    const ids = new Map<string, Step>();
    for (const s of job.steps) if (s.id?.text) ids.set(s.id.text.toLowerCase(), s);
    const reported = new Set<string>();
    for (const site of jobRefs(ctx, job)) {
      const r = site.ref;
      const key = `${r.start}`;
      if (reported.has(key)) continue;
      if (r.lower[0] === 'steps' && r.lower.length >= 2 && r.lower[1] !== '*') {
        if (!site.step && !site.inOutputs) {
          // a job that calls a reusable workflow has no steps: its `with:` sees no steps context
          if (job.uses && !reported.has(key)) {
            reported.add(key);
            out.push(
              ctx.finding(
                'workflow/unknown-step-reference',
                r,
                `job '${job.id}' calls a reusable workflow and has no steps, so ${r.path.slice(0, 2).join('.')}… is always empty here; declare the value in the outputs: of the job that computes it and read needs.<job>.outputs.<name>`,
              ),
            );
          }
          continue;
        }
        const id = r.path[1];
        const target = ids.get(id.toLowerCase());
        const here = site.step;
        if (!target) {
          const cand = idCandidate(ctx, job, here ? here.index : job.steps.length, id);
          const fixes: Fix[] = [];
          if (cand) {
            const e = prependToMapping(ctx.doc, cand.node, [`id: ${id}`]);
            if (e) fixes.push(editFix(`Add \`id: ${id}\` to step ${stepLabel(cand)}`, [e]));
          }
          reported.add(key);
          out.push(
            ctx.finding(
              'workflow/unknown-step-reference',
              r,
              `no step of job '${job.id}' has id '${id}'; steps.${id}… is always empty${cand ? ` (step ${stepLabel(cand)} has no id)` : ''}`,
              { fixes, related: cand ? [ctx.related('step without an id', cand.node)] : [] },
            ),
          );
          continue;
        }
        if (here && target.index >= here.index) {
          reported.add(key);
          out.push(
            ctx.finding(
              'workflow/unknown-step-reference',
              r,
              target === here
                ? `step '${id}' reads its own outputs, which are set only after it ends`
                : `step '${id}' runs after this step, so steps.${id}… is still empty here`,
              { related: [ctx.related(`step '${id}'`, target.node)] },
            ),
          );
          continue;
        }
        if (r.lower[2] === 'outputs' && r.lower[3] && r.lower[3] !== '*') {
          const name = r.path[3];
          if (target.run && !target.uses && neverWritesOutput(ctx, target, name)) {
            reported.add(key);
            out.push(
              ctx.finding(
                'workflow/output-not-written',
                r,
                `step '${id}' never writes output '${name}' (nothing in its script writes to $GITHUB_OUTPUT)`,
                { related: [ctx.related(`step '${id}'`, target.run.node)] },
              ),
            );
          } else if (target.uses) {
            const known = KNOWN_OUTPUTS[actionName(target.uses.text)];
            if (known && !known.includes(name.toLowerCase())) {
              reported.add(key);
              out.push(
                ctx.finding(
                  'workflow/output-not-written',
                  r,
                  `${actionName(target.uses.text)} has no output '${name}' (its outputs: ${known.join(', ')})`,
                ),
              );
            }
          }
        }
      } else if (r.lower[0] === 'needs' && r.lower.length >= 2 && r.lower[1] !== '*') {
        const name = r.path[1];
        const other = jobIds.get(name.toLowerCase());
        if (!needs.has(name.toLowerCase())) {
          reported.add(key);
          const fix = other ? addNeedsFix(ctx, job, other.id) : undefined;
          out.push(
            ctx.finding(
              'workflow/unknown-job-reference',
              r,
              other
                ? `job '${other.id}' is not in needs: of job '${job.id}', so needs.${name}… is empty`
                : `no job '${name}' in this workflow`,
              { fixes: fix ? [fix] : [] },
            ),
          );
          continue;
        }
        if (other && !other.uses && r.lower[2] === 'outputs' && r.lower[3] && r.lower[3] !== '*') {
          const declared = [...other.outputs.keys()].map((k) => k.toLowerCase());
          if (!declared.includes(r.lower[3])) {
            reported.add(key);
            out.push(
              ctx.finding(
                'workflow/unknown-job-reference',
                r,
                `job '${other.id}' declares no output '${r.path[3]}'${declared.length ? ` (it has: ${[...other.outputs.keys()].join(', ')})` : ' (it has no outputs:)'}`,
                { related: [ctx.related(`job '${other.id}'`, other.key)] },
              ),
            );
          }
        }
      }
    }
  }
  return out;
}

function addNeedsFix(ctx: CheckContext, job: Job, other: string): Fix | undefined {
  const doc = ctx.doc;
  const n = job.needsNode;
  const title = `Add '${other}' to needs`;
  if (!n) {
    const e = prependToMapping(doc, job.node, [`needs: ${other}`]);
    return e && editFix(title, [e], true);
  }
  if (n.kind === 'scalar') return editFix(title, [replace(doc, n.start, n.end, `[${doc.source(n)}, ${other}]`)], true);
  if (n.kind === 'sequence' && n.items?.length) {
    const last = n.items[n.items.length - 1];
    if (doc.text[n.start] === '[') return editFix(title, [insert(doc, last.end, `, ${other}`)], true);
    const col = columnOf(doc, last);
    if (col === undefined) return undefined;
    const dash = doc.text.lastIndexOf('-', last.start);
    const dashCol = dash - (doc.text.lastIndexOf('\n', dash) + 1);
    return editFix(title, [insert(doc, last.end, `\n${' '.repeat(dashCol)}- ${other}`)], true);
  }
  return undefined;
}

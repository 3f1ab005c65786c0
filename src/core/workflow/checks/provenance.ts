import type { Finding } from '../../findings.ts';
import { isSlsaGenerator } from '../actions.ts';
import { positionals, registryPushes, runsRepositoryCode, span } from '../analysis.ts';
import { stepLabel, type CheckContext } from '../context.ts';
import type { ContextRef } from '../expressions.ts';
import type { Job, Step } from '../model.ts';
import { commandsIn, type Command, type Word } from '../shell.ts';

/**
 * SLSA generator inputs (`base64-subjects`, `digest`) must describe the artifact as released: the
 * hashes are taken after the last step that could change the hashed files, and a digest read
 * from a tag is not pushed over afterwards.
 */

const SUBJECT_INPUTS = ['base64-subjects', 'digest', 'base64-subjects-as-file'];
const HASHERS = new Set(['sha256sum', 'sha512sum', 'shasum', 'sha384sum']);
/** Programs that write the files named in their arguments. */
const WRITERS = new Set([
  'cp',
  'mv',
  'install',
  'tar',
  'zip',
  'gzip',
  'xz',
  'bzip2',
  'zstd',
  'strip',
  'objcopy',
  'upx',
  'sed',
  'truncate',
  'rm',
  'codesign',
  'signtool',
  'rcodesign',
  'touch',
  'dd',
  'patch',
  'ln',
]);

interface Hashing {
  step: Step;
  cmd: Command;
  /** Hashed paths as written (globs and directories included). */
  files: string[];
}

/** The hashing commands of a step, including those inside `$(…)`. */
function hashings(ctx: CheckContext, step: Step): Hashing[] {
  const script = ctx.script(step);
  if (!script) return [];
  const out: Hashing[] = [];
  const visit = (cmds: readonly Command[], depth: number) => {
    for (const cmd of cmds) {
      if (HASHERS.has(cmd.name))
        out.push({
          step,
          cmd,
          files: positionals(cmd.args, new Set(['-b', '--binary', '-t', '--text', '--tag', '-z', '--zero'])).map(
            (w) => w.text,
          ),
        });
      if (depth < 3) {
        for (const w of cmd.words) {
          const raw = script.text.text.slice(w.start, w.end);
          const k = raw.indexOf('$(');
          if (k >= 0) visit(commandsIn(script.text.text, w.start + k + 2, w.end, ctx.meter), depth + 1);
        }
      }
    }
  };
  visit(script.commands, 0);
  return out;
}

/** Does a path written by a later command touch one of the hashed paths (same file, inside a hashed folder, or matching a glob)? */
function touches(written: string, hashed: readonly string[]): boolean {
  const w = written.replace(/^\.\//, '');
  return hashed.some((h0) => {
    const h = h0.replace(/^\.\//, '');
    if (w === h) return true;
    const dir = h.replace(/\/?\*.*$/, '');
    return dir.length > 0 && h.includes('*')
      ? w.startsWith(dir + '/') || w === dir
      : w.startsWith(h.replace(/\/$/, '') + '/');
  });
}

/** The first step after the hashing that may change what was hashed, and why. */
function laterChange(
  ctx: CheckContext,
  job: Job,
  h: Hashing,
): { step: Step; why: string; at: { start: number; end: number } } | undefined {
  for (const s of job.steps.slice(h.step.index + 1)) {
    if (runsRepositoryCode(ctx, s))
      return { step: s, why: 'builds or runs repository code', at: s.uses?.node ?? s.run?.node ?? s.node };
    for (const cmd of ctx.commands(s)) {
      const writes: Word[] = [];
      for (const r of cmd.redirects) if (r.target && /^&?>>?$/.test(r.op)) writes.push(r.target);
      if (WRITERS.has(cmd.name)) writes.push(...cmd.args.filter((a) => !a.text.startsWith('-')));
      const hit = writes.find((w) => touches(w.text, h.files));
      if (hit)
        return {
          step: s,
          why: `writes ${hit.text}`,
          at: span(ctx, s, { start: cmd.program?.start ?? cmd.start, end: cmd.end }),
        };
    }
  }
  return undefined;
}

/** `crane digest IMAGE:TAG`, `docker buildx imagetools inspect`, `skopeo inspect`: a digest read from a tag. */
function digestFromTag(ctx: CheckContext, step: Step): { cmd: Command; ref: string } | undefined {
  const script = ctx.script(step);
  if (!script) return undefined;
  const all: Command[] = [...script.commands];
  for (const cmd of script.commands)
    for (const w of cmd.words) {
      const k = script.text.text.slice(w.start, w.end).indexOf('$(');
      if (k >= 0) all.push(...commandsIn(script.text.text, w.start + k + 2, w.end, ctx.meter));
    }
  for (const cmd of all) {
    const w = cmd.args.filter((a) => !a.text.startsWith('-')).map((a) => a.text);
    let ref: string | undefined;
    if (cmd.name === 'crane' && w[0] === 'digest') ref = w[1];
    else if (
      cmd.name === 'docker' &&
      ((w[0] === 'buildx' && w[1] === 'imagetools' && w[2] === 'inspect') ||
        w[0] === 'inspect' ||
        (w[0] === 'image' && w[1] === 'inspect'))
    )
      ref = w[w.length - 1];
    else if (cmd.name === 'skopeo' && w[0] === 'inspect') ref = w[1]?.replace(/^docker:\/\//, '');
    if (ref && !ref.includes('@')) return { cmd, ref };
  }
  return undefined;
}

function outputStep(job: Job, ref: ContextRef): Step | undefined {
  if (ref.lower[0] !== 'steps' || ref.lower[2] !== 'outputs') return undefined;
  return job.steps.find((s) => s.id?.text.toLowerCase() === ref.lower[1]);
}

export function provenanceSubjects(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const gen of ctx.wf.jobs) {
    if (!gen.uses || !isSlsaGenerator(gen.uses.text)) continue;
    for (const input of SUBJECT_INPUTS) {
      const entry = gen.with.get(input);
      if (!entry?.value) continue;
      for (const e of ctx.expressions(entry.value))
        for (const r of e.refs) {
          if (r.lower[0] !== 'needs' || r.lower[2] !== 'outputs' || !r.lower[3]) continue;
          const job = ctx.wf.jobs.find((j) => j.id.toLowerCase() === r.lower[1]);
          const o = job && [...job.outputs.values()].find((x) => x.name.toLowerCase() === r.lower[3]);
          if (!job || !o?.value) continue;
          for (const oe of ctx.expressions(o.value))
            for (const or of oe.refs) {
              const step = outputStep(job, or);
              if (!step?.run) continue;
              for (const h of hashings(ctx, step)) {
                const change = laterChange(ctx, job, h);
                if (!change) continue;
                out.push(
                  ctx.finding(
                    'workflow/provenance-subject-stale',
                    span(ctx, step, { start: h.cmd.program!.start, end: h.cmd.program!.end }),
                    `${input} for the SLSA generator (${r.path.join('.')}) is hashed in step ${stepLabel(step)}, but step ${stepLabel(change.step)} runs after it in job '${job.id}' and ${change.why}: the provenance can name bytes that are not the ones released`,
                    {
                      related: [
                        ctx.related('may change the artifact after it was hashed', change.at),
                        ctx.related('handed to the generator', r),
                      ],
                    },
                  ),
                );
                break;
              }
              const tag = digestFromTag(ctx, step);
              if (tag) {
                const repoTag = tag.ref;
                const later = registryPushes(ctx, job).find(
                  (p) => p.step && p.step.index > step.index && p.target === repoTag,
                );
                if (later) {
                  out.push(
                    ctx.finding(
                      'workflow/provenance-subject-stale',
                      span(ctx, step, { start: tag.cmd.program!.start, end: tag.cmd.end }),
                      `${input} for the SLSA generator is the digest of ${repoTag} read in step ${stepLabel(step)}, but step ${stepLabel(later.step!)} pushes ${repoTag} again afterwards: the provenance names the image that was replaced`,
                      { related: [ctx.related('pushes the tag again', later)] },
                    ),
                  );
                }
              }
            }
        }
    }
  }
  return out;
}

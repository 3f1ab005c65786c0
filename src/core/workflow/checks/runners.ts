import type { Finding } from '../../findings.ts';
import { HOSTED_LABEL, runnerLabels } from '../analysis.ts';
import type { CheckContext } from '../context.ts';
import type { Job } from '../model.ts';
import { gatedToTrusted } from '../taint.ts';

/** Events anyone can cause from a fork or a comment. */
const FORK_REACHABLE = ['pull_request', 'pull_request_target', 'issue_comment'];

/**
 * Jobs that wait for a deployment environment (which can require a reviewer), themselves or
 * through `needs` on such a job or on one kept to trusted runs. Memoised over the whole `needs`
 * graph, so a long chain of jobs is walked once, not once per job.
 */
function environmentGate(ctx: CheckContext): (job: Job) => boolean {
  const byId = new Map(ctx.wf.jobs.map((j) => [j.id.toLowerCase(), j]));
  const memo = new Map<Job, boolean>();
  const behind = (job: Job): boolean => {
    const known = memo.get(job);
    if (known !== undefined) return known;
    memo.set(job, false); // a cycle in needs (invalid anyway) proves nothing
    const result =
      !!job.environment ||
      job.needs.some((n) => {
        if (ctx.meter) ctx.meter.units++;
        const o = byId.get(n.name.toLowerCase());
        return !!o && (gatedToTrusted(o.if?.text) || behind(o));
      });
    memo.set(job, result);
    return result;
  };
  return behind;
}

export function selfHostedRunners(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  const events = FORK_REACHABLE.filter((t) => ctx.wf.triggers.has(t));
  if (!events.length) return out;
  const behindEnvironment = environmentGate(ctx);
  for (const job of ctx.wf.jobs) {
    if (job.uses || gatedToTrusted(job.if?.text) || behindEnvironment(job)) continue;
    const labels = runnerLabels(ctx, job);
    const bad = labels?.find((l) => l.text === 'self-hosted' || !HOSTED_LABEL.test(l.text));
    if (!bad) continue;
    const what =
      bad.text === 'self-hosted'
        ? 'a self-hosted runner'
        : `runner label '${bad.text}', which is not a GitHub-hosted image (a self-hosted or custom runner)`;
    out.push(
      ctx.finding(
        'workflow/self-hosted-runner',
        bad.node,
        `job '${job.id}' runs on ${what} for ${events.join('/')} events, which anyone can cause from a fork; code from a pull request then runs on a machine that is not wiped between jobs`,
      ),
    );
  }
  return out;
}

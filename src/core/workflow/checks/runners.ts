import type { Finding } from '../../findings.ts';
import { HOSTED_LABEL, runnerLabels } from '../analysis.ts';
import type { CheckContext } from '../context.ts';
import type { Job } from '../model.ts';
import { gatedToTrusted } from '../taint.ts';

/** Events anyone can cause from a fork or a comment. */
const FORK_REACHABLE = ['pull_request', 'pull_request_target', 'issue_comment'];

/** A job that waits for a deployment environment (which can require a reviewer), itself or through `needs`. */
function behindEnvironment(ctx: CheckContext, job: Job, seen = new Set<Job>()): boolean {
  if (job.environment) return true;
  seen.add(job);
  return job.needs.some((n) => {
    const other = ctx.wf.jobs.find((j) => j.id.toLowerCase() === n.name.toLowerCase());
    return !!other && !seen.has(other) && (gatedToTrusted(other.if?.text) || behindEnvironment(ctx, other, seen));
  });
}

export function selfHostedRunners(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  const events = FORK_REACHABLE.filter((t) => ctx.wf.triggers.has(t));
  if (!events.length) return out;
  for (const job of ctx.wf.jobs) {
    if (job.uses || gatedToTrusted(job.if?.text) || behindEnvironment(ctx, job)) continue;
    const labels = runnerLabels(ctx, job);
    const bad = labels?.find((l) => l.text === 'self-hosted' || !HOSTED_LABEL.test(l.text));
    if (!bad) continue;
    const what = bad.text === 'self-hosted' ? 'a self-hosted runner' : `runner label '${bad.text}', which is not a GitHub-hosted image (a self-hosted or custom runner)`;
    out.push(ctx.finding('workflow/self-hosted-runner', bad.node,
      `job '${job.id}' runs on ${what} for ${events.join('/')} events, which anyone can cause from a fork; code from a pull request then runs on a machine that is not wiped between jobs`));
  }
  return out;
}

import type { Finding, Fix } from '../../findings.ts';
import { actionName, parseUses, SHA_RE, TOOLS } from '../actions.ts';
import { envFor, runsRepositoryCode, span } from '../analysis.ts';
import { stepLabel, type CheckContext } from '../context.ts';
import { appendToMapping, editFix, prependToMapping, replace } from '../edits.ts';
import type { ContextRef, Expression } from '../expressions.ts';
import { gatedToTrusted, PRIVILEGED, taintOf, untrustedCheckout, type TaintedRef } from '../taint.ts';
import type { Job, Step } from '../model.ts';
import { inSingleQuotes, pipelineAt } from '../shell.ts';
import { unsafeLoads } from './model.ts';

function envName(r: ContextRef): string {
  // steps.<id>.outputs.<name> and needs.<job>.outputs.<name>: the id and the output say what it is
  const chosen =
    (r.lower[0] === 'steps' || r.lower[0] === 'needs') && r.lower[2] === 'outputs'
      ? [r.path[1], r.path[3] ?? '']
      : r.path;
  const parts = chosen.filter((s) => s && s !== '*' && s.toLowerCase() !== 'github' && s.toLowerCase() !== 'event');
  const tail = parts
    .slice(-2)
    .join('_')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toUpperCase();
  return tail.replace(/^PULL_REQUEST_/, 'PR_') || 'UNTRUSTED_INPUT';
}

function moveToEnvFix(
  ctx: CheckContext,
  job: Job,
  step: Step,
  expr: Expression,
  ref: ContextRef,
  kind: 'shell' | 'script',
): Fix | undefined {
  const shell = (step.shell ?? job.defaultShell ?? 'bash').split(/\s+/)[0];
  let name = envName(ref);
  const env = envFor(ctx, job, step);
  const exprText = '${{ ' + expr.source.trim() + ' }}';
  for (let k = 2; env.has(name) && env.get(name)!.text !== exprText; k++) name = `${envName(ref)}_${k}`;
  let use: string;
  if (kind === 'script') use = `process.env.${name}`;
  else if (/^(pwsh|powershell)$/.test(shell)) use = `$env:${name}`;
  else if (/^(bash|sh)$/.test(shell))
    use = inSingleQuotes(ctx.script(step)!, expr.textStart, ctx.meter) ? `'"\${${name}}"'` : `\${${name}}`;
  else return undefined;
  const edits = [replace(ctx.doc, expr.start, expr.end, use)];
  if (!step.env.has(name)) {
    const e = step.envNode
      ? appendToMapping(ctx.doc, step.envNode, [`${name}: ${exprText}`])
      : prependToMapping(ctx.doc, step.node, ['env:', `  ${name}: ${exprText}`]);
    if (!e) return undefined;
    edits.push(e);
  }
  return editFix(`Pass it through env ${name}`, edits, true);
}

/** Untrusted data pasted into a `run:` script or `actions/github-script` code by `${{ }}`, in one job. */
export function injectionSites(
  ctx: CheckContext,
  job: Job,
): { step: Step; sink: 'shell' | 'script'; site: TaintedRef }[] {
  const out: { step: Step; sink: 'shell' | 'script'; site: TaintedRef }[] = [];
  for (const step of job.steps) {
    const sinks: { node: Parameters<CheckContext['expressions']>[0]; kind: 'shell' | 'script' }[] = [];
    if (step.run) sinks.push({ node: step.run.node, kind: 'shell' });
    if (step.uses && actionName(step.uses.text) === 'actions/github-script')
      sinks.push({ node: step.with.get('script')?.value, kind: 'script' });
    for (const sink of sinks)
      for (const site of taintOf(ctx).tainted(sink.node, job, step)) out.push({ step, sink: sink.kind, site });
  }
  return out;
}

function injection(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const job of ctx.wf.jobs) {
    for (const { step, sink, site } of injectionSites(ctx, job)) {
      const { ref, expr, taint } = site;
      const fix = ref.lower[0] !== 'env' ? moveToEnvFix(ctx, job, step, expr, ref, sink) : undefined;
      const who = /^github\./i.test(taint.why)
        ? 'is controlled by whoever opens the issue, pull request or commit'
        : 'carries what whoever opens the issue, pull request or comment wrote';
      out.push(
        ctx.finding(
          'workflow/expression-injection',
          ref,
          `${taint.why.startsWith(ref.path.join('.')) ? taint.why : `${ref.path.join('.')} (${taint.why})`} ${who}, and is pasted into the ${sink === 'shell' ? 'script' : 'github-script code'} before it runs`,
          { fixes: fix ? [fix] : [] },
        ),
      );
    }
  }
  return out;
}

function triggers(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  const privileged = PRIVILEGED.filter((t) => ctx.wf.triggers.has(t));
  // an artifact kept in a temporary folder and read as data is the documented safe pattern
  const landings = ctx.wf.jobs.flatMap((j) =>
    taintOf(ctx)
      .landingsIn(j)
      .filter((l) => l.inWorkspace)
      .map((l) => ({ job: j, l })),
  );
  for (const t of ['pull_request_target', 'workflow_run']) {
    const node = ctx.wf.triggers.get(t);
    // used the documented safe way (nothing of the pull request's is brought in), it is not worth a word
    if (!node || !landings.length) continue;
    const what = `; here ${landings
      .slice(0, 3)
      .map(({ job, l }) => `job '${job.id}' brings in ${l.what}`)
      .join(', ')}${landings.length > 3 ? ', …' : ''}`;
    out.push(
      ctx.finding(
        'workflow/dangerous-trigger',
        node,
        `${t} runs with secrets and a write token even for changes from forks${what}`,
        { related: landings.slice(0, 8).map(({ l }) => ctx.related(l.what, l.at)) },
      ),
    );
  }
  if (!privileged.length) return out;
  for (const job of ctx.wf.jobs) {
    const co = untrustedCheckout(ctx, job);
    if (!co || gatedToTrusted(job.if?.text) || gatedToTrusted(co.step.if?.text)) continue;
    // the checkout step itself counts when its own script goes on to build (`gh pr checkout 1 && make`)
    const runner = job.steps.slice(co.step.index).find((s) => runsRepositoryCode(ctx, s));
    if (!runner) continue;
    out.push(
      ctx.finding(
        'workflow/untrusted-checkout',
        co.at,
        `on ${privileged.join('/')}, job '${job.id}' checks out the pull request's code and then runs step ${stepLabel(runner)} with the repository's secrets and token`,
        { related: [ctx.related('runs code from the checkout', runner.node)] },
      ),
    );
  }
  return out;
}

const SHELLS = new Set([
  'sh',
  'bash',
  'zsh',
  'dash',
  'ksh',
  'fish',
  'python',
  'python3',
  'perl',
  'ruby',
  'node',
  'pwsh',
  'powershell',
  'iex',
  'source',
  '.',
]);
const DOWNLOADERS = new Set(['curl', 'wget', 'iwr', 'irm', 'invoke-webrequest', 'invoke-restmethod', 'http', 'fetch']);

/** `curl … | sh` and friends in a step: document ranges with the URL when visible. */
export function pipedInstallers(ctx: CheckContext, step: Step): { start: number; end: number; url?: string }[] {
  const out: { start: number; end: number; url?: string }[] = [];
  const cmds = ctx.commands(step);
  cmds.forEach((cmd, i) => {
    if (DOWNLOADERS.has(cmd.name.toLowerCase()) && cmd.next === '|') {
      const pipe = pipelineAt(cmds, i);
      const shell = pipe.slice(pipe.indexOf(cmd) + 1).find((c) => SHELLS.has(c.name.toLowerCase()));
      if (shell)
        out.push({
          ...span(ctx, step, { start: cmd.program!.start, end: shell.program!.end }),
          url: cmd.args.find((a) => /^https?:\/\//.test(a.text))?.text,
        });
    }
    if (SHELLS.has(cmd.name) || cmd.name === 'eval') {
      for (const a of cmd.args) {
        const m = /(?:^<\(|\$\()\s*(curl|wget)\b[^)]*?(https?:\/\/\S+)?/.exec(a.text);
        if (m) out.push({ ...span(ctx, step, { start: cmd.program!.start, end: a.end }), url: m[2] });
      }
    }
  });
  const text = step.run?.script.text ?? '';
  const ps = /\biex\s*\(?\s*(?:iwr|irm|invoke-webrequest|invoke-restmethod|\(new-object\s+net\.webclient\))/gi;
  for (let m = ps.exec(text); m; m = ps.exec(text))
    out.push(span(ctx, step, { start: m.index, end: m.index + m[0].length }));
  return out;
}

function curlPipe(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const job of ctx.wf.jobs)
    for (const step of job.steps) {
      for (const p of pipedInstallers(ctx, step)) {
        const tool = Object.keys(TOOLS).find((t) => p.url?.toLowerCase().includes(t));
        out.push(
          ctx.finding(
            'workflow/curl-pipe-shell',
            p,
            `a downloaded script is run unverified${p.url ? ` (${p.url})` : ''}${tool ? `; use ${TOOLS[tool].installer} instead` : ''}`,
          ),
        );
      }
    }
  return out;
}

function pushesWithGit(ctx: CheckContext, steps: readonly Step[]): boolean {
  return steps.some(
    (s) =>
      ctx
        .commands(s)
        .some(
          (c) =>
            (c.name === 'git' && c.args.some((a) => a.text === 'push')) ||
            (c.name === 'gh' && c.args[0]?.text === 'pr' && c.args[1]?.text === 'create'),
        ) ||
      (s.uses && /git-auto-commit|create-pull-request|github-push-action|ad-m\/github-push/i.test(s.uses.text)),
  );
}

function persistCredentials(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  // on pull_request the checkout is the pull request's merge commit; on the privileged triggers it
  // is the base branch, and the pull request's code arrives only by an explicit checkout, an
  // artifact unpacked in the workspace, or text injected into a script
  const prCheckout = ctx.wf.triggers.has('pull_request');
  for (const job of ctx.wf.jobs) {
    const landings = taintOf(ctx)
      .landingsIn(job)
      .filter((l) => l.inWorkspace);
    const injected = new Set(
      injectionSites(ctx, job)
        .filter((x) => x.sink === 'shell')
        .map((x) => x.step),
    );
    for (const step of job.steps) {
      if (!step.uses || actionName(step.uses.text) !== 'actions/checkout') continue;
      const pc = step.with.get('persist-credentials');
      if (pc && (pc.text === 'false' || pc.text?.includes('${{'))) continue;
      const later = job.steps.slice(step.index + 1);
      if (pushesWithGit(ctx, later)) continue;
      let reason: string | undefined;
      for (const s of later) {
        const text = s.run?.script.text ?? '';
        if (s.uses && actionName(s.uses.text) === 'actions/upload-artifact') {
          const path = s.with.get('path')?.text ?? '';
          if (
            path
              .split(/\n/)
              .map((l) => l.trim())
              .some(
                (l) =>
                  l === '.' || l === './' || l === '*' || l.includes('github.workspace') || /(^|\/)\.git(\/|$)/.test(l),
              )
          ) {
            reason = `step ${stepLabel(s)} uploads the workspace, .git/config included`;
            break;
          }
        }
        if (pipedInstallers(ctx, s).length) {
          reason = `step ${stepLabel(s)} runs a downloaded script`;
          break;
        }
        if (text && unsafeLoads(text).some((u) => u.rule !== 'workflow/unpinned-model')) {
          reason = `step ${stepLabel(s)} loads a model in a way that can run arbitrary code`;
          break;
        }
        if (injected.has(s)) {
          reason = `step ${stepLabel(s)} runs a script the pull request's author can inject into`;
          break;
        }
        if ((prCheckout || landings.some((l) => l.step.index <= s.index)) && runsRepositoryCode(ctx, s)) {
          reason = `step ${stepLabel(s)} runs code from the pull request`;
          break;
        }
      }
      if (!reason) continue;
      const e = step.withNode
        ? appendToMapping(ctx.doc, step.withNode, ['persist-credentials: false'])
        : appendToMapping(ctx.doc, step.node, ['with:', '  persist-credentials: false']);
      out.push(
        ctx.finding(
          'workflow/persist-credentials',
          pc?.value ?? step.uses.node,
          `actions/checkout leaves GITHUB_TOKEN in .git/config, and ${reason}`,
          { fixes: e ? [editFix('Set persist-credentials: false', [e], true)] : [] },
        ),
      );
    }
  }
  return out;
}

function secretsInherit(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  const own = ctx.repositoryOwner?.toLowerCase();
  for (const j of ctx.wf.jobs) {
    if (!j.uses || j.secrets?.text !== 'inherit') continue;
    const u = parseUses(j.uses.text);
    const external = u.kind === 'remote' && u.owner.toLowerCase() !== own;
    if (external && u.kind === 'remote' && !SHA_RE.test(u.ref)) {
      out.push(
        ctx.finding(
          'workflow/secrets-inherit-external',
          j.secrets!.node,
          `job '${j.id}' passes every secret to ${u.owner}/${u.repo}, ${own ? "another owner's" : 'a'} reusable workflow referenced by the movable ref '${u.ref}'; pin it to a commit SHA and pass only the secrets it needs`,
          { related: [ctx.related('the reusable workflow', j.uses.node)] },
        ),
      );
    } else {
      out.push(
        ctx.finding('workflow/secrets-inherit', j.secrets!.node, `job '${j.id}' passes every secret to ${j.uses.text}`),
      );
    }
  }
  return out;
}

export function injectionAndTriggers(ctx: CheckContext): Finding[] {
  return [...injection(ctx), ...triggers(ctx), ...curlPipe(ctx), ...persistCredentials(ctx), ...secretsInherit(ctx)];
}

import type { Finding, Fix } from '../../findings.ts';
import { actionName, TOOLS } from '../actions.ts';
import { envFor, runsRepositoryCode, span } from '../analysis.ts';
import { stepLabel, type CheckContext } from '../context.ts';
import { appendToMapping, editFix, prependToMapping, replace } from '../edits.ts';
import type { ContextRef, Expression } from '../expressions.ts';
import type { Job, Step } from '../model.ts';
import { inSingleQuotes, pipelineAt } from '../shell.ts';
import { unsafeLoads } from './model.ts';

const UNTRUSTED_LEAF = new Set(['title', 'body', 'message', 'page_name', 'head_ref', 'head_branch', 'label', 'default_branch', 'display_title', 'description', 'homepage']);

/** Fields of the event payload that whoever opens an issue, PR, comment or commit controls. */
export function isUntrusted(r: ContextRef): boolean {
  const p = r.lower;
  if (p[0] !== 'github') return false;
  if (p[1] === 'head_ref') return true;
  if (p[1] !== 'event' || p.length < 3) return false;
  const leaf = p[p.length - 1];
  if (p[2] === 'inputs' || p[2] === 'client_payload' || p[2] === 'release' || p[2] === 'repository' || p[2] === 'sender' || p[2] === 'organization') return false;
  if (UNTRUSTED_LEAF.has(leaf)) return true;
  if ((leaf === 'name' || leaf === 'email') && (p.includes('author') || p.includes('committer') || p.includes('pusher'))) return true;
  return leaf === 'ref' && p[p.length - 2] === 'head';
}

function envName(r: ContextRef): string {
  const parts = r.path.filter((s) => s !== '*' && s.toLowerCase() !== 'github' && s.toLowerCase() !== 'event');
  const tail = parts.slice(-2).join('_').replace(/[^A-Za-z0-9]+/g, '_').toUpperCase();
  return tail.replace(/^PULL_REQUEST_/, 'PR_') || 'UNTRUSTED_INPUT';
}

function moveToEnvFix(ctx: CheckContext, job: Job, step: Step, expr: Expression, ref: ContextRef, kind: 'shell' | 'script'): Fix | undefined {
  const shell = (step.shell ?? job.defaultShell ?? 'bash').split(/\s+/)[0];
  let name = envName(ref);
  const env = envFor(ctx, job, step);
  const exprText = '${{ ' + expr.source.trim() + ' }}';
  for (let k = 2; env.has(name) && env.get(name)!.text !== exprText; k++) name = `${envName(ref)}_${k}`;
  let use: string;
  if (kind === 'script') use = `process.env.${name}`;
  else if (/^(pwsh|powershell)$/.test(shell)) use = `$env:${name}`;
  else if (/^(bash|sh)$/.test(shell)) use = inSingleQuotes(ctx.script(step)!, expr.textStart, ctx.meter) ? `'"\${${name}}"'` : `\${${name}}`;
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

function injection(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const job of ctx.wf.jobs) {
    for (const step of job.steps) {
      const sinks: { node: Parameters<CheckContext['expressions']>[0]; kind: 'shell' | 'script' }[] = [];
      if (step.run) sinks.push({ node: step.run.node, kind: 'shell' });
      if (step.uses && actionName(step.uses.text) === 'actions/github-script') sinks.push({ node: step.with.get('script')?.value, kind: 'script' });
      for (const sink of sinks) {
        for (const expr of ctx.expressions(sink.node)) {
          for (const ref of expr.refs) {
            if (!ref.flows) continue;
            let why: string | undefined;
            if (isUntrusted(ref)) why = ref.path.join('.');
            else if (ref.lower[0] === 'env' && ref.lower[1]) {
              const e = envFor(ctx, job, step).get(ref.path[1]);
              const inner = e?.value ? ctx.expressions(e.value).flatMap((x) => x.refs).find((r) => r.flows && isUntrusted(r)) : undefined;
              if (inner) why = `env.${ref.path[1]} (set from ${inner.path.join('.')})`;
            }
            if (!why) continue;
            const fix = sink.kind === 'shell' || ref.lower[0] !== 'env' ? moveToEnvFix(ctx, job, step, expr, ref, sink.kind) : undefined;
            out.push(ctx.finding('workflow/expression-injection', ref,
              `${why} is controlled by whoever opens the issue, pull request or commit, and is pasted into the ${sink.kind === 'shell' ? 'script' : 'github-script code'} before it runs`,
              { fixes: fix && ref.lower[0] !== 'env' ? [fix] : [] }));
          }
        }
      }
    }
  }
  return out;
}

const PRIVILEGED = ['pull_request_target', 'workflow_run', 'issue_comment'];
const PR_HEAD = /github\.(event\.pull_request\.head\.(sha|ref)|head_ref|event\.workflow_run\.head_(sha|branch)|event\.workflow_run\.head_commit\.id|event\.pull_request\.merge_commit_sha|event\.workflow_run\.head_repository\.full_name|event\.pull_request\.head\.repo\.full_name)|refs\/pull\//i;

/** The step that brings the pull request's code into the workspace, if any. */
function untrustedCheckout(ctx: CheckContext, job: Job): { step: Step; at: { start: number; end: number } } | undefined {
  for (const step of job.steps) {
    if (step.uses && actionName(step.uses.text) === 'actions/checkout') {
      for (const key of ['ref', 'repository']) {
        const e = step.with.get(key);
        if (e?.value && e.text && PR_HEAD.test(e.text)) return { step, at: e.value };
      }
    }
    for (const cmd of ctx.commands(step)) {
      const words = cmd.args.map((a) => a.text);
      const pr = (cmd.name === 'gh' && words[0] === 'pr' && words[1] === 'checkout')
        || (cmd.name === 'git' && (words[0] === 'fetch' || words[0] === 'checkout' || words[0] === 'pull') && words.some((w) => PR_HEAD.test(w) || /^(\+?)pull\/|^pull\//.test(w)));
      if (pr) return { step, at: span(ctx, step, { start: cmd.program!.start, end: cmd.args[Math.min(1, cmd.args.length - 1)]?.end ?? cmd.program!.end }) };
    }
  }
  return undefined;
}


function triggers(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  const privileged = PRIVILEGED.filter((t) => ctx.wf.triggers.has(t));
  for (const t of ['pull_request_target', 'workflow_run']) {
    const node = ctx.wf.triggers.get(t);
    if (node) out.push(ctx.finding('workflow/dangerous-trigger', node, `${t} runs with secrets and a write token even for changes from forks; never run or read the pull request's code here`));
  }
  if (!privileged.length) return out;
  for (const job of ctx.wf.jobs) {
    const co = untrustedCheckout(ctx, job);
    if (!co) continue;
    // the checkout step itself counts when its own script goes on to build (`gh pr checkout 1 && make`)
    const runner = job.steps.slice(co.step.index).find((s) => runsRepositoryCode(ctx, s));
    if (!runner) continue;
    out.push(ctx.finding('workflow/untrusted-checkout', co.at,
      `on ${privileged.join('/')}, job '${job.id}' checks out the pull request's code and then runs step ${stepLabel(runner)} with the repository's secrets and token`,
      { related: [ctx.related('runs code from the checkout', runner.node)] }));
  }
  return out;
}

const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'fish', 'python', 'python3', 'perl', 'ruby', 'node', 'pwsh', 'powershell', 'iex', 'source', '.']);
const DOWNLOADERS = new Set(['curl', 'wget', 'iwr', 'irm', 'invoke-webrequest', 'invoke-restmethod', 'http', 'fetch']);

/** `curl … | sh` and friends in a step: document ranges with the URL when visible. */
export function pipedInstallers(ctx: CheckContext, step: Step): { start: number; end: number; url?: string }[] {
  const out: { start: number; end: number; url?: string }[] = [];
  const cmds = ctx.commands(step);
  cmds.forEach((cmd, i) => {
    if (DOWNLOADERS.has(cmd.name.toLowerCase()) && cmd.next === '|') {
      const pipe = pipelineAt(cmds, i);
      const shell = pipe.slice(pipe.indexOf(cmd) + 1).find((c) => SHELLS.has(c.name.toLowerCase()));
      if (shell) out.push({ ...span(ctx, step, { start: cmd.program!.start, end: shell.program!.end }), url: cmd.args.find((a) => /^https?:\/\//.test(a.text))?.text });
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
  for (let m = ps.exec(text); m; m = ps.exec(text)) out.push(span(ctx, step, { start: m.index, end: m.index + m[0].length }));
  return out;
}

function curlPipe(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const job of ctx.wf.jobs) for (const step of job.steps) {
    for (const p of pipedInstallers(ctx, step)) {
      const tool = Object.keys(TOOLS).find((t) => p.url?.toLowerCase().includes(t));
      out.push(ctx.finding('workflow/curl-pipe-shell', p, `a downloaded script is run unverified${p.url ? ` (${p.url})` : ''}${tool ? `; use ${TOOLS[tool].installer} instead` : ''}`));
    }
  }
  return out;
}

function pushesWithGit(ctx: CheckContext, steps: readonly Step[]): boolean {
  return steps.some((s) => ctx.commands(s).some((c) => (c.name === 'git' && c.args.some((a) => a.text === 'push')) || (c.name === 'gh' && c.args[0]?.text === 'pr' && c.args[1]?.text === 'create'))
    || (s.uses && /git-auto-commit|create-pull-request|github-push-action|ad-m\/github-push/i.test(s.uses.text)));
}

function persistCredentials(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  const prTriggered = ['pull_request', 'pull_request_target', 'workflow_run', 'issue_comment'].some((t) => ctx.wf.triggers.has(t));
  for (const job of ctx.wf.jobs) {
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
          if (path.split(/\n/).map((l) => l.trim()).some((l) => l === '.' || l === './' || l === '*' || l.includes('github.workspace') || /(^|\/)\.git(\/|$)/.test(l))) { reason = `step ${stepLabel(s)} uploads the workspace, .git/config included`; break; }
        }
        if (pipedInstallers(ctx, s).length) { reason = `step ${stepLabel(s)} runs a downloaded script`; break; }
        if (text && unsafeLoads(text).some((u) => u.rule !== 'workflow/unpinned-model')) { reason = `step ${stepLabel(s)} loads a model in a way that can run arbitrary code`; break; }
        if (prTriggered && runsRepositoryCode(ctx, s)) { reason = `step ${stepLabel(s)} runs code from the pull request`; break; }
      }
      if (!reason) continue;
      const e = step.withNode
        ? appendToMapping(ctx.doc, step.withNode, ['persist-credentials: false'])
        : appendToMapping(ctx.doc, step.node, ['with:', '  persist-credentials: false']);
      out.push(ctx.finding('workflow/persist-credentials', pc?.value ?? step.uses.node,
        `actions/checkout leaves GITHUB_TOKEN in .git/config, and ${reason}`,
        { fixes: e ? [editFix('Set persist-credentials: false', [e], true)] : [] }));
    }
  }
  return out;
}

function secretsInherit(ctx: CheckContext): Finding[] {
  return ctx.wf.jobs.filter((j) => j.uses && j.secrets?.text === 'inherit').map((j) =>
    ctx.finding('workflow/secrets-inherit', j.secrets!.node, `job '${j.id}' passes every secret to ${j.uses!.text}`));
}

export function injectionAndTriggers(ctx: CheckContext): Finding[] {
  return [...injection(ctx), ...triggers(ctx), ...curlPipe(ctx), ...persistCredentials(ctx), ...secretsInherit(ctx)];
}

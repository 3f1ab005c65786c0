import type { YamlNode } from '../yaml/document.ts';
import { actionName, ARTIFACT_DOWNLOADERS, matchesAction, prControlledOutput, type TaintKind } from './actions.ts';
import { span } from './analysis.ts';
import { stepLabel, type CheckContext } from './context.ts';
import type { ContextRef, Expression } from './expressions.ts';
import { analyseScript, type ScriptFlow, type Taint, type TaintSource } from './flow.ts';
import type { Job, Step } from './model.ts';

/**
 * Where attacker-controlled data enters a workflow and where it travels: event fields, outputs of
 * actions that repeat the pull request's file and branch names, step outputs and `$GITHUB_ENV`
 * values written from them, job outputs, `env:` values, and files that came from a fork's checkout
 * or the triggering run's artifact. Every answer is memoised, so the whole workflow is read once.
 */

export type { TaintKind } from './actions.ts';
export type { Taint } from './flow.ts';

/** Triggers that run with the base repository's secrets and token for changes from forks. */
export const PRIVILEGED = ['pull_request_target', 'workflow_run', 'issue_comment'];

const TEXT_LEAF = new Set(['title', 'body', 'message', 'display_title', 'description']);
const LINE_LEAF = new Set(['page_name', 'head_ref', 'head_branch', 'label', 'default_branch', 'homepage']);

/** The kind of an event field that whoever opens an issue, PR, comment or commit controls, if it is one. */
export function eventTaint(r: ContextRef): TaintKind | undefined {
  const p = r.lower;
  if (p[0] !== 'github') return undefined;
  if (p[1] === 'head_ref') return 'line';
  if (p[1] !== 'event' || p.length < 3) return undefined;
  const leaf = p[p.length - 1];
  if (
    p[2] === 'inputs' ||
    p[2] === 'client_payload' ||
    p[2] === 'release' ||
    p[2] === 'repository' ||
    p[2] === 'sender' ||
    p[2] === 'organization'
  )
    return undefined;
  if (TEXT_LEAF.has(leaf)) return 'text';
  if (LINE_LEAF.has(leaf)) return 'line';
  if (
    (leaf === 'name' || leaf === 'email') &&
    (p.includes('author') || p.includes('committer') || p.includes('pusher'))
  )
    return 'line';
  return leaf === 'ref' && p[p.length - 2] === 'head' ? 'line' : undefined;
}

/** Fields of the event payload that whoever opens an issue, PR, comment or commit controls. */
export function isUntrusted(r: ContextRef): boolean {
  return eventTaint(r) !== undefined;
}

const PR_HEAD =
  /github\.(event\.pull_request\.head\.(sha|ref)|head_ref|event\.workflow_run\.head_(sha|branch)|event\.workflow_run\.head_commit\.id|event\.pull_request\.merge_commit_sha|event\.workflow_run\.head_repository\.full_name|event\.pull_request\.head\.repo\.full_name)|refs\/pull\//i;

export interface Landing {
  step: Step;
  /** Document range naming what lands (the checkout's `ref:`, the download step's `uses:`). */
  at: { start: number; end: number };
  what: string;
  /** The files land in the workspace (where later steps run and read them), not in a temporary folder. */
  inWorkspace: boolean;
  /** The folder they land in, as written (`path:` of the step, `gh run download --dir`), when given. */
  dir?: string;
}

/** The step that brings the pull request's code into the workspace, if any. */
export function untrustedCheckout(ctx: CheckContext, job: Job): Landing | undefined {
  for (const step of job.steps) {
    if (step.uses && actionName(step.uses.text) === 'actions/checkout') {
      for (const key of ['ref', 'repository']) {
        const e = step.with.get(key);
        if (e?.value && e.text && PR_HEAD.test(e.text)) {
          const path = step.with.get('path')?.text;
          return {
            step,
            at: e.value,
            what: `the pull request's code (step ${stepLabel(step)})`,
            inWorkspace: !path || isWorkspacePath(path),
          };
        }
      }
    }
    for (const cmd of ctx.commands(step)) {
      const words = cmd.args.map((a) => a.text);
      const pr =
        (cmd.name === 'gh' && words[0] === 'pr' && words[1] === 'checkout') ||
        (cmd.name === 'git' &&
          (words[0] === 'fetch' || words[0] === 'checkout' || words[0] === 'pull') &&
          words.some((w) => PR_HEAD.test(w) || /^(\+?)pull\/|^pull\//.test(w)));
      if (pr)
        return {
          step,
          at: span(ctx, step, {
            start: cmd.program!.start,
            end: cmd.args[Math.min(1, cmd.args.length - 1)]?.end ?? cmd.program!.end,
          }),
          what: `the pull request's code (step ${stepLabel(step)})`,
          inWorkspace: true,
        };
    }
  }
  return undefined;
}

/** A path that resolves inside the workspace (relative, or under `github.workspace`); temp folders are not. */
export function isWorkspacePath(path: string): boolean {
  const p = path.trim().split('\n')[0].trim();
  if (!p || p === '.' || p.startsWith('./')) return true;
  if (
    /^\$\{\{\s*runner\.temp\s*\}\}|^\$\{?RUNNER_TEMP\b|^\$\{\{\s*env\.RUNNER_TEMP\s*\}\}|^\/tmp(\/|$)|^\$\{?TMPDIR\b/i.test(
      p,
    )
  )
    return false;
  if (/^\$\{\{\s*github\.workspace\s*\}\}|^\$\{?GITHUB_WORKSPACE\b/i.test(p)) return true;
  return !p.startsWith('/') && !p.startsWith('~') && !p.startsWith('$');
}

/**
 * Conditions that keep a job to runs from the repository itself or to trusted people: the fork
 * check, the triggering run's event, the commenter's association, a maintainer's label.
 */
export function gatedToTrusted(text: string | undefined): boolean {
  if (!text) return false;
  const t = text.replace(/\s+/g, ' ');
  return (
    /head_repository\.full_name ?== ?github\.repository\b|github\.repository ?== ?github\.event\.(workflow_run\.head_repository|pull_request\.head\.repo)\.full_name/.test(
      t,
    ) ||
    /pull_request\.head\.repo\.full_name ?== ?github\.repository\b/.test(t) ||
    /head\.repo\.fork ?== ?false|!\s?github\.event\.pull_request\.head\.repo\.fork\b|head_repository\.fork ?== ?false/.test(
      t,
    ) ||
    /workflow_run\.event ?== ?'push'|'push' ?== ?github\.event\.workflow_run\.event/.test(t) ||
    /author_association/.test(t) ||
    /github\.event\.label\.name ?==/.test(t)
  );
}

/** Downloads of the triggering run's (or a pull request's) artifacts. */
export function artifactDownloads(ctx: CheckContext, job: Job): Landing[] {
  const out: Landing[] = [];
  const wf = ctx.wf;
  if (!PRIVILEGED.some((t) => wf.triggers.has(t))) return out;
  for (const step of job.steps) {
    if (step.uses) {
      const name = actionName(step.uses.text);
      if (matchesAction(name, ARTIFACT_DOWNLOADERS)) {
        // actions/download-artifact reads another run only with run-id (and a token)
        if (name.startsWith('actions/download-artifact') && !step.with.has('run-id') && !step.with.has('github-token'))
          continue;
        const path = step.with.get('path')?.text;
        out.push({
          step,
          at: step.uses.node,
          what: `an artifact of the triggering run (step ${stepLabel(step)})`,
          inWorkspace: !path || isWorkspacePath(path),
          dir: path?.trim().split('\n')[0].trim(),
        });
      } else if (name === 'actions/github-script') {
        const script = step.with.get('script')?.text ?? '';
        if (/downloadArtifact|listWorkflowRunArtifacts/.test(script)) {
          out.push({
            step,
            at: step.uses.node,
            what: `an artifact of the triggering run (step ${stepLabel(step)})`,
            inWorkspace: !/RUNNER_TEMP|runner\.temp/.test(script),
          });
        }
      }
    }
    for (const cmd of ctx.commands(step)) {
      const w = cmd.args.map((a) => a.text);
      if (cmd.name === 'gh' && w[0] === 'run' && w[1] === 'download') {
        const k = w.findIndex((x) => x === '-D' || x === '--dir');
        const dir = k >= 0 ? w[k + 1] : w.find((x) => x.startsWith('--dir='))?.slice(6);
        out.push({
          step,
          at: span(ctx, step, { start: cmd.program!.start, end: cmd.args[1].end }),
          what: `an artifact of another run (step ${stepLabel(step)})`,
          inWorkspace: !dir || isWorkspacePath(dir),
          dir,
        });
      }
    }
  }
  // an archive fetched to a temporary folder and unzipped without -d lands in the workspace after all
  for (const d of out) {
    if (d.inWorkspace) continue;
    for (const s of job.steps.slice(d.step.index)) {
      for (const cmd of ctx.commands(s)) {
        if (
          (cmd.name === 'unzip' && !cmd.args.some((a) => a.text === '-d')) ||
          (cmd.name === 'tar' &&
            cmd.args.some((a) => /^-?[a-z]*x/.test(a.text)) &&
            !cmd.args.some((a) => a.text === '-C' || a.text.startsWith('--directory')))
        )
          d.inWorkspace = true;
      }
    }
  }
  return out;
}

/** Where a github-script gets pull request, issue and comment objects: the payload or the REST API. */
const PAYLOAD_SOURCE = String.raw`(?:context|github\.context)\.payload\b|github\.rest\.(?:pulls|issues)\.(?:get|list\w*)\b|github\.(?:pulls|issues)\.(?:get|list\w*)\b|github\.paginate\b|github\.graphql\b`;
const ATTACKER_FIELD = String.raw`\??\.(?:title|body)\b|\??\.head\??\.ref\b|\??\.head_ref\b`;
const MAX_ALIASES = 64;

/**
 * Does an `actions/github-script` script read text the pull request's or issue's author wrote?
 * The payload's fields read directly, through a variable or a destructuring that holds the
 * payload (or a pulls/issues API answer), or destructured by name (`const { title } = pr`).
 */
export function scriptReadsAttackerText(script: string): boolean {
  if (
    /payload\.(pull_request|issue|comment|review|discussion)\b[\w.?]*\.(title|body)|payload\.pull_request\??\.head\??\.ref|payload\.comment\??\.body/.test(
      script,
    )
  )
    return true;
  if (!new RegExp(PAYLOAD_SOURCE).test(script)) return false;
  // names bound to the payload, to one of its objects or to an API answer: `const pr = context.payload.pull_request`,
  // `const { pull_request: pr, issue } = context.payload`, `const { data: pr } = await github.rest.pulls.get(…)`
  const names = new Set<string>();
  const binding = new RegExp(
    String.raw`\b(?:const|let|var)\s+(\{[^}]{0,400}\}|[A-Za-z_$][\w$]*)\s*=\s*(?:await\s+)?(?:${PAYLOAD_SOURCE})`,
    'g',
  );
  for (let m = binding.exec(script); m && names.size < MAX_ALIASES; m = binding.exec(script)) {
    const target = m[1];
    // what the maintainers wrote (a release, the repository) is not the attacker's
    if (
      /^\.(release|repository|sender|organization|inputs|client_payload)\b/.test(
        script.slice(binding.lastIndex, binding.lastIndex + 20),
      )
    )
      continue;
    if (!target.startsWith('{')) {
      names.add(target);
      continue;
    }
    for (const part of target.slice(1, -1).split(',')) {
      const [key, alias] = part.split(':').map((x) => x.trim().replace(/\s*=.*$/, ''));
      if (key === 'title' || key === 'body') return true;
      if (/^[A-Za-z_$][\w$]*$/.test(alias ?? key)) names.add(alias ?? key);
    }
  }
  // one more hop: `const title = pr.title`, `const { title } = pr`, `pr.data.title`
  for (const n of names) {
    const id = n.replace(/\$/g, '\\$');
    if (
      new RegExp(
        String.raw`\b${id}(?:\??\.(?:data|pull_request|issue|comment|review|discussion))*(?:${ATTACKER_FIELD})`,
      ).test(script)
    )
      return true;
    if (new RegExp(String.raw`\{[^}]{0,400}\b(?:title|body)\b[^}]{0,400}\}\s*=\s*${id}\b`).test(script)) return true;
  }
  return false;
}

/** A flowing reference that carries attacker-controlled data. */
export interface TaintedRef {
  ref: ContextRef;
  expr: Expression;
  taint: Taint;
}

type Memo<T> = Map<string, T | null | 'pending'>;

export class TaintAnalysis implements TaintSource {
  private readonly flows = new Map<Step, ScriptFlow | 'pending'>();
  private readonly jobOutputs: Memo<Taint> = new Map();
  private readonly envs: Memo<Taint> = new Map();
  private readonly landings = new Map<Job, Landing[]>();

  constructor(private readonly ctx: CheckContext) {}

  /** The taint of one reference as seen from `step` of `job` (no step: the job's own fields, e.g. `outputs:`). */
  ref(r: ContextRef, job: Job, step?: Step): Taint | undefined {
    const kind = eventTaint(r);
    if (kind) return { kind, why: r.path.join('.') };
    const p = r.lower;
    if (p[0] === 'env' && p[1] && p[1] !== '*') {
      const t = this.env(job, step, r.path[1]);
      return t && { kind: t.kind, why: `env.${r.path[1]} (set from ${t.why})` };
    }
    if (p[0] === 'steps' && p[1] && p[1] !== '*' && p[2] === 'outputs' && p[3] && p[3] !== '*') {
      return this.stepOutput(job, r.path[1], r.path[3], step);
    }
    if (p[0] === 'needs' && p[1] && p[1] !== '*' && p[2] === 'outputs' && p[3] && p[3] !== '*') {
      const t = this.jobOutput(r.path[1], r.path[3]);
      return t && { kind: t.kind, why: `needs.${r.path[1]}.outputs.${r.path[3]} (${t.why})` };
    }
    if (p[0] === 'matrix' && p[1] && p[1] !== '*') {
      const t = this.matrixValue(job, r.path[1]);
      return t && { kind: t.kind, why: `matrix.${r.path[1]} (from ${t.why})` };
    }
    return undefined;
  }

  /**
   * Matrix `key` of a job: tainted when its values (`key: ${{ fromJSON(needs.x.outputs.y) }}`, a
   * list item, an `include` entry) or the whole matrix come from an expression that is.
   */
  private matrixValue(job: Job, key: string): Taint | undefined {
    const doc = this.ctx.doc;
    const m = doc.resolveAlias(job.matrix);
    if (!m) return undefined;
    if (m.kind === 'scalar') return this.node(m, job);
    if (m.kind !== 'mapping') return undefined;
    const values: YamlNode[] = [];
    const own = doc.resolveAlias(doc.pair(m, key)?.value);
    if (own) values.push(own);
    const include = doc.resolveAlias(doc.pair(m, 'include')?.value);
    if (include?.kind === 'scalar') values.push(include);
    for (const item of include?.kind === 'sequence' ? (include.items ?? []) : []) {
      const entry = doc.resolveAlias(item);
      if (entry?.kind === 'scalar') values.push(entry);
      const v = entry?.kind === 'mapping' ? doc.resolveAlias(doc.pair(entry, key)?.value) : undefined;
      if (v) values.push(v);
    }
    for (const v of values) {
      for (const n of v.kind === 'sequence' ? (v.items ?? []).map((i) => doc.resolveAlias(i)) : [v]) {
        const t = n?.kind === 'scalar' ? this.node(n, job) : undefined;
        if (t) return t;
      }
    }
    return undefined;
  }

  /** Flowing, tainted references of the expressions in a scalar. */
  tainted(node: YamlNode | null | undefined, job: Job, step?: Step): TaintedRef[] {
    const out: TaintedRef[] = [];
    for (const expr of this.ctx.expressions(node)) {
      for (const ref of expr.refs) {
        if (!ref.flows) continue;
        const taint = this.ref(ref, job, step);
        if (taint) out.push({ ref, expr, taint });
      }
    }
    return out;
  }

  /** The first taint of a scalar's expressions (an `env:` value, a job output). */
  node(node: YamlNode | null | undefined, job: Job, step?: Step): Taint | undefined {
    return this.tainted(node, job, step)[0]?.taint;
  }

  /** The taint of environment variable `name` in `step` (step, then `$GITHUB_ENV` from earlier steps, then job and workflow `env:`). */
  env(job: Job, step: Step | undefined, name: string): Taint | undefined {
    const key = `${job.id}\u0000${step?.index ?? -1}\u0000${name}`;
    const memo = this.envs.get(key);
    if (memo === 'pending') return undefined;
    if (memo !== undefined) return memo ?? undefined;
    this.envs.set(key, 'pending');
    const t = this.envUncached(job, step, name);
    this.envs.set(key, t ?? null);
    return t;
  }

  private envUncached(job: Job, step: Step | undefined, name: string): Taint | undefined {
    const own = step?.env.get(name);
    if (own) return this.node(own.value, job, step);
    if (step) {
      for (const s of job.steps.slice(0, step.index).reverse()) {
        const w = this.flow(job, s)?.envWrites.get(name);
        if (w !== undefined) return w ?? undefined;
      }
    }
    const jobEnv = job.env.get(name);
    if (jobEnv) return this.node(jobEnv.value, job);
    const wfEnv = this.ctx.wf.env.get(name);
    return wfEnv ? this.node(wfEnv.value, job) : undefined;
  }

  /** Output `name` of the step with id `id` (before `before`, when given). */
  stepOutput(job: Job, id: string, name: string, before?: Step): Taint | undefined {
    const s = job.steps.find((x) => x.id?.text.toLowerCase() === id.toLowerCase());
    if (!s || (before && s.index >= before.index)) return undefined;
    if (s.uses) {
      const known = prControlledOutput(s.uses.text, name);
      if (known) return { kind: known.kind, why: `output ${name} of ${known.action}: ${known.what}` };
      if (actionName(s.uses.text) === 'actions/github-script') {
        const script = s.with.get('script')?.text ?? '';
        if (scriptReadsAttackerText(script)) {
          return {
            kind: 'text',
            why: `output ${name} of step '${id}', set by a script from the pull request or issue text`,
          };
        }
      }
      return undefined;
    }
    const w = this.flow(job, s)?.outputWrites.get(name.toLowerCase());
    return w ? { kind: w.kind, why: `output ${name} of step '${id}', written from ${w.why}` } : undefined;
  }

  /** Output `name` of job `jobId` (its `outputs:` value). */
  jobOutput(jobId: string, name: string): Taint | undefined {
    const key = `${jobId.toLowerCase()}\u0000${name.toLowerCase()}`;
    const memo = this.jobOutputs.get(key);
    if (memo === 'pending') return undefined;
    if (memo !== undefined) return memo ?? undefined;
    this.jobOutputs.set(key, 'pending');
    const job = this.ctx.wf.jobs.find((j) => j.id.toLowerCase() === jobId.toLowerCase());
    const entry = job && [...job.outputs.values()].find((o) => o.name.toLowerCase() === name.toLowerCase());
    const t = job && entry ? this.node(entry.value, job) : undefined;
    this.jobOutputs.set(key, t ?? null);
    return t;
  }

  /** The data flow of a `run:` step's script (memoised; a step that reads itself sees nothing). */
  flow(job: Job, step: Step): ScriptFlow | undefined {
    if (!step.run) return undefined;
    const memo = this.flows.get(step);
    if (memo === 'pending') return undefined;
    if (memo) return memo;
    this.flows.set(step, 'pending');
    const f = analyseScript(this.ctx, this, job, step);
    this.flows.set(step, f);
    return f;
  }

  /** Where untrusted files land in the job: the pull request's checkout and downloaded artifacts, in step order. */
  landingsIn(job: Job): Landing[] {
    let l = this.landings.get(job);
    if (!l) {
      l = [];
      // a job kept to the repository's own runs or trusted people brings in nothing untrusted
      if (PRIVILEGED.some((t) => this.ctx.wf.triggers.has(t)) && !gatedToTrusted(job.if?.text)) {
        const co = untrustedCheckout(this.ctx, job);
        if (co && !gatedToTrusted(co.step.if?.text)) l.push(co);
        l.push(...artifactDownloads(this.ctx, job).filter((d) => !gatedToTrusted(d.step.if?.text)));
        l.sort((a, b) => a.step.index - b.step.index);
      }
      this.landings.set(job, l);
    }
    return l;
  }

  /** Are files read by `step` possibly the attacker's (a fork's checkout or an artifact landed before it)? */
  filesUntrusted(job: Job, step: Step): Landing | undefined {
    return this.landingsIn(job).find((l) => l.step.index <= step.index);
  }
}

const ANALYSES = new WeakMap<CheckContext, TaintAnalysis>();

/** The taint analysis of a workflow check (one per check, shared by every rule). */
export function taintOf(ctx: CheckContext): TaintAnalysis {
  let t = ANALYSES.get(ctx);
  if (!t) ANALYSES.set(ctx, (t = new TaintAnalysis(ctx)));
  return t;
}

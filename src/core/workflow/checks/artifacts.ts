import type { Finding } from '../../findings.ts';
import type { YamlNode } from '../../yaml/document.ts';
import { actionName } from '../actions.ts';
import { publishes, runsRepositoryCode, span } from '../analysis.ts';
import { stepLabel, type CheckContext } from '../context.ts';
import type { Job, Step } from '../model.ts';
import type { Command } from '../shell.ts';
import { artifactDownloads, gatedToTrusted, PRIVILEGED, untrustedCheckout, type Landing } from '../taint.ts';
import { injectionSites } from './injection.ts';

/**
 * What crosses from untrusted runs into trusted ones: artifacts of the triggering run unpacked
 * where trusted code runs, and GitHub Actions caches written by jobs that run untrusted code or
 * restored by release jobs.
 */

/** Interpreters: they run the file named by their first positional argument (or fed with `<`). */
const INTERPRETERS = new Set([
  'bash',
  'sh',
  'zsh',
  'dash',
  'source',
  '.',
  'python',
  'python3',
  'node',
  'ruby',
  'perl',
  'pwsh',
  'deno',
  'bun',
]);
/** Package managers: they run the install hooks of what they install, or the package they are pointed at. */
const INSTALLERS = new Set(['pip', 'pip3', 'uv', 'pipx', 'npm', 'npx', 'yarn', 'pnpm', 'gem', 'conda', 'mamba']);
/** Flags whose value is a project, requirements file or folder the tool then builds or installs from. */
const PROJECT_FLAGS = /^(--prefix|-C|--cwd|--dir|--directory|-e|--editable|-r|--requirement|-f|--file|--project)$/;
/** Programs that, given a path at all, use it as code or configuration they act on. */
const ACTS_ON = new Set(['chmod', 'eval', 'docker', 'helm', 'kubectl', 'terraform']);

/**
 * Does a command run what lies under one of `dirs`? Only as the program, the script of an
 * interpreter, what a package manager installs or builds, or a project folder; a path handed
 * to a trusted script as data (`python3 report.py "$RUNNER_TEMP/cov.xml"`) is read, not run.
 */
function executesFrom(cmd: Command, dirs: readonly string[]): boolean {
  const at = (t: string | undefined) => t !== undefined && dirs.some((v) => t.startsWith(v));
  if (at(cmd.program?.text)) return true;
  const args = cmd.args;
  if (INTERPRETERS.has(cmd.name)) {
    if (cmd.redirects.some((r) => r.op === '<' && at(r.target?.text))) return true;
    for (const a of args) {
      if (/^-[cem]$/.test(a.text) || a.text === '--eval') return false;
      if (!a.text.startsWith('-')) return at(a.text);
    }
    return false;
  }
  if (INSTALLERS.has(cmd.name) || cmd.name === 'make') {
    for (let k = 0; k < args.length; k++) {
      const t = args[k].text;
      if (t === '--') break; // what follows goes to a script, as its data
      if (PROJECT_FLAGS.test(t)) {
        if (at(args[k + 1]?.text)) return true;
        k++;
        continue;
      }
      const eq = /^(--[\w-]+)=(.*)$/.exec(t);
      if (eq) {
        if (PROJECT_FLAGS.test(eq[1]) && at(eq[2])) return true;
        continue;
      }
      if (cmd.name !== 'make' && !t.startsWith('-') && at(t)) return true;
    }
    return false;
  }
  if (ACTS_ON.has(cmd.name)) return args.some((a) => at(a.text) || (cmd.name === 'eval' && /\$\((cat|<)/.test(a.text)));
  return false;
}

/** A later step that runs code from where the artifact landed. */
function runsFromLanding(
  ctx: CheckContext,
  job: Job,
  d: Landing,
): { step: Step; at: { start: number; end: number } } | undefined {
  const variants = d.dir ? pathVariants(d.dir) : [];
  for (const s of job.steps.slice(d.step.index)) {
    if (s === d.step && s.uses) continue;
    if (d.inWorkspace && s !== d.step && runsRepositoryCode(ctx, s))
      return { step: s, at: s.uses?.node ?? s.run?.node ?? s.node };
    for (const cmd of ctx.commands(s)) {
      if (cmd.program && executesFrom(cmd, variants))
        return { step: s, at: span(ctx, s, { start: cmd.program.start, end: cmd.end }) };
    }
  }
  return undefined;
}

/** `${{ runner.temp }}/x` as scripts write it too (`$RUNNER_TEMP/x`, `${RUNNER_TEMP}/x`). */
function pathVariants(dir: string): string[] {
  const d = dir.replace(/\/+$/, '');
  const out = [d];
  const m = /^\$\{\{\s*runner\.temp\s*\}\}(.*)$/.exec(d) ?? /^\$\{?RUNNER_TEMP\}?(.*)$/.exec(d);
  if (m) out.push(`$RUNNER_TEMP${m[1]}`, `\${RUNNER_TEMP}${m[1]}`, `\${{ runner.temp }}${m[1]}`);
  return out.filter((x) => x.length > 1);
}

export function artifactPoisoning(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const job of ctx.wf.jobs) {
    if (gatedToTrusted(job.if?.text)) continue;
    for (const d of artifactDownloads(ctx, job)) {
      if (gatedToTrusted(d.step.if?.text)) continue;
      const run = runsFromLanding(ctx, job, d);
      if (!run) continue;
      const where = d.inWorkspace ? 'into the workspace' : 'and';
      out.push(
        ctx.finding(
          'workflow/artifact-poisoning',
          d.at,
          `job '${job.id}' downloads ${d.what} ${where}${d.inWorkspace ? ', then' : ''} step ${stepLabel(run.step)} runs ${d.inWorkspace ? 'code from the workspace, which the artifact can replace' : 'what it contains'}, with this workflow's secrets and token`,
          { related: [ctx.related('runs code the artifact controls', run.at)] },
        ),
      );
    }
  }
  return out;
}

/** Evidence that a job runs code the pull request's author controls. */
function untrustedExecution(
  ctx: CheckContext,
  job: Job,
): { what: string; at: { start: number; end: number } } | undefined {
  if (!PRIVILEGED.some((t) => ctx.wf.triggers.has(t)) || gatedToTrusted(job.if?.text)) return undefined;
  const co = untrustedCheckout(ctx, job);
  if (co) {
    const runner = job.steps.slice(co.step.index).find((s) => runsRepositoryCode(ctx, s));
    if (runner) return { what: `step ${stepLabel(runner)} runs the pull request's code`, at: runner.node };
  }
  for (const d of artifactDownloads(ctx, job)) {
    const run = runsFromLanding(ctx, job, d);
    if (run) return { what: `step ${stepLabel(run.step)} runs code a downloaded artifact controls`, at: run.at };
  }
  const inj = injectionSites(ctx, job).find((x) => x.sink === 'shell');
  if (inj) return { what: `${inj.site.taint.why} is injected into step ${stepLabel(inj.step)}`, at: inj.site.ref };
  return undefined;
}

const SETUP_CACHE: Record<string, { input: string; byDefault?: boolean }> = {
  'actions/setup-node': { input: 'cache' },
  'actions/setup-python': { input: 'cache' },
  'actions/setup-java': { input: 'cache' },
  'actions/setup-dotnet': { input: 'cache' },
  'actions/setup-go': { input: 'cache', byDefault: true },
  'ruby/setup-ruby': { input: 'bundler-cache' },
  'astral-sh/setup-uv': { input: 'enable-cache' },
  'pnpm/action-setup': { input: 'cache' },
  'oven-sh/setup-bun': { input: 'cache' },
  'denoland/setup-deno': { input: 'cache' },
};

export interface CacheUse {
  step: Step;
  at: { start: number; end: number };
  what: string;
  /** The step saves into the cache (not only restores). */
  saves: boolean;
  /** The key, for actions/cache (undefined for setup actions, which key on the lockfile). */
  key?: YamlNode;
  restoreKeys: boolean;
}

/** Steps that restore or save the GitHub Actions cache. */
export function cacheUses(job: Job): CacheUse[] {
  const out: CacheUse[] = [];
  for (const step of job.steps) {
    if (!step.uses) continue;
    const name = actionName(step.uses.text);
    const at = step.uses.node;
    if (name === 'actions/cache' || name === 'actions/cache/save' || name === 'actions/cache/restore') {
      const key = step.with.get('key')?.value ?? undefined;
      out.push({
        step,
        at,
        what: name,
        saves: name !== 'actions/cache/restore' && step.with.get('lookup-only')?.text !== 'true',
        key,
        restoreKeys: !!step.with.get('restore-keys')?.text,
      });
      continue;
    }
    const setup = SETUP_CACHE[name];
    if (setup) {
      const v = step.with.get(setup.input);
      const off = v?.text === undefined ? !setup.byDefault : v.text === '' || v.text === 'false';
      if (!off)
        out.push({
          step,
          at: v?.value ?? at,
          what: `${name} with ${setup.input}${v?.text && v.text !== 'true' ? `: ${v.text}` : ''}`,
          saves: true,
          restoreKeys: false,
        });
      continue;
    }
    if (
      name === 'swatinem/rust-cache' ||
      name === 'gradle/actions/setup-gradle' ||
      name === 'gradle/gradle-build-action'
    ) {
      if (
        step.with.get('cache-disabled')?.text === 'true' ||
        step.with.get('cache-read-only')?.text === 'true' ||
        step.with.get('save-if')?.text === 'false'
      )
        continue;
      out.push({ step, at, what: name, saves: true, restoreKeys: false });
      continue;
    }
    if (name === 'docker/build-push-action' || name === 'docker/bake-action') {
      const to = step.with.get('cache-to');
      const from = step.with.get('cache-from');
      if (to?.text && /type=gha/.test(to.text))
        out.push({
          step,
          at: to.value ?? at,
          what: `${name} with cache-to: type=gha`,
          saves: true,
          restoreKeys: false,
        });
      else if (from?.text && /type=gha/.test(from.text))
        out.push({
          step,
          at: from.value ?? at,
          what: `${name} with cache-from: type=gha`,
          saves: false,
          restoreKeys: false,
        });
    }
  }
  return out;
}

export function cachePoisoning(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const job of ctx.wf.jobs) {
    const writes = cacheUses(job).filter((c) => c.saves);
    if (!writes.length) continue;
    const evidence = untrustedExecution(ctx, job);
    if (!evidence) continue;
    for (const c of writes) {
      out.push(
        ctx.finding(
          'workflow/cache-poisoning',
          c.at,
          `${c.what} saves the cache after job '${job.id}', in which ${evidence.what}: every workflow on the default branch, release included, restores what that code leaves there`,
          { related: [ctx.related('untrusted code runs here', evidence.at)] },
        ),
      );
    }
  }
  return out;
}

/** Events only pull requests and comments cause: a workflow with nothing else is not a release. */
const PR_ONLY = new Set([
  'pull_request',
  'pull_request_target',
  'pull_request_review',
  'pull_request_review_comment',
  'issue_comment',
  'merge_group',
  'issues',
  'discussion',
  'discussion_comment',
]);

/** Only the OS, architecture, matrix and constant values besides hashFiles(): anyone can write such an entry first. */
function lockfileOnly(ctx: CheckContext, key: YamlNode | undefined): boolean {
  if (!key) return true;
  const exprs = ctx.expressions(key);
  return exprs.every((e) =>
    e.refs.every(
      (r) =>
        ['runner', 'matrix', 'env', 'vars', 'strategy'].includes(r.lower[0]) ||
        (r.lower[0] === 'github' && ['workflow', 'job', 'repository', 'action'].includes(r.lower[1] ?? '')),
    ),
  );
}

export function releaseCache(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  if (![...ctx.wf.triggers.keys()].some((t) => !PR_ONLY.has(t))) return out;
  for (const job of ctx.wf.jobs) {
    const uses = cacheUses(job);
    if (!uses.length) continue;
    const release = publishes(ctx, job);
    if (!release) continue;
    for (const c of uses) {
      if (c.key && !lockfileOnly(ctx, c.key) && !c.restoreKeys) continue;
      const why = c.key
        ? c.restoreKeys
          ? 'restores any entry that matches its restore-keys prefix'
          : 'is keyed only on the lockfile hash'
        : 'keys the cache on the lockfile hash';
      out.push(
        ctx.finding(
          'workflow/release-cache',
          c.key && !c.restoreKeys ? c.key : c.at,
          `job '${job.id}' (${release}) restores the cache with ${c.what}, which ${why}: an entry any default-branch workflow saved first ends up in the release`,
        ),
      );
    }
  }
  return out;
}

export function artifactsAndCaches(ctx: CheckContext): Finding[] {
  return [...artifactPoisoning(ctx), ...cachePoisoning(ctx), ...releaseCache(ctx)];
}

import type { Finding, Fix } from '../../findings.ts';
import { actionName, LOGIN_ACTIONS, pinnedUses, TOOLS } from '../actions.ts';
import { envFor, loginStepIndex, registryHost, registryPushes, span } from '../analysis.ts';
import type { CheckContext } from '../context.ts';
import { editFix, insertStepBefore } from '../edits.ts';
import type { Job, Step } from '../model.ts';
import { hasFlag } from '../shell.ts';

const INSTALLERS = new Set([
  'brew',
  'apt',
  'apt-get',
  'yum',
  'dnf',
  'apk',
  'snap',
  'go',
  'pip',
  'pip3',
  'pipx',
  'uv',
  'npm',
  'cargo',
  'nix',
  'nix-env',
  'choco',
  'scoop',
  'winget',
  'asdf',
  'mise',
  'aqua',
  'eget',
  'curl',
  'wget',
  'gh',
  'install',
  'mv',
  'cp',
  'chmod',
  'tar',
  'unzip',
  'ln',
  'dpkg',
  'rpm',
  'docker',
]);

/** GitHub-hosted runners (the only ones whose toolset we know); self-hosted and containers are skipped. */
function onHostedRunner(ctx: CheckContext, job: Job): boolean {
  if (job.container || job.uses) return false;
  const r = job.runsOn;
  if (!r) return false;
  const labels: string[] = [];
  if (r.kind === 'scalar') labels.push(String(r.value ?? ''));
  else if (r.kind === 'sequence')
    for (const i of r.items ?? []) labels.push(String(ctx.doc.resolveAlias(i)?.value ?? ''));
  else return false;
  return labels.length > 0 && labels.every((l) => l.includes('${{') || /^(ubuntu|windows|macos)-[\w.-]+$/.test(l));
}

/** Tools a step installs (setup actions, package managers, downloads). */
function installs(ctx: CheckContext, step: Step): Set<string> {
  const out = new Set<string>();
  // a local composite action (`uses: ./.github/actions/setup`) may install anything
  if (step.uses?.text.trim().startsWith('./')) return new Set(Object.keys(TOOLS));
  for (const [tool, info] of Object.entries(TOOLS)) {
    if (step.uses) {
      const name = actionName(step.uses.text);
      if (info.installedBy.some((a) => name === a || name.startsWith(a + '/')) || name.includes(tool)) out.add(tool);
    }
    for (const cmd of ctx.commands(step)) {
      if (INSTALLERS.has(cmd.name) && cmd.args.some((a) => a.text.toLowerCase().includes(tool))) out.add(tool);
    }
  }
  return out;
}

export function tools(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const job of ctx.wf.jobs) {
    if (!onHostedRunner(ctx, job)) continue;
    const installed = new Set<string>();
    const reported = new Set<string>();
    for (const step of job.steps) {
      for (const t of installs(ctx, step)) installed.add(t);
      for (const cmd of ctx.commands(step)) {
        const tool = cmd.name;
        if (!(tool in TOOLS) || installed.has(tool) || reported.has(tool)) continue;
        if (/^(\.{0,2}\/)/.test(cmd.program!.text) && !cmd.program!.text.startsWith('/usr/')) continue; // a binary by path
        reported.add(tool);
        const info = TOOLS[tool];
        const laterInstall = job.steps.slice(step.index + 1).some((s) => installs(ctx, s).has(tool));
        const e = insertStepBefore(ctx.doc, step.node, [
          `name: Install ${tool}`,
          `uses: ${pinnedUses(info.installer)}`,
        ]);
        out.push(
          ctx.finding(
            'workflow/tool-not-installed',
            span(ctx, step, cmd.program!),
            `${tool} is used here but ${laterInstall ? 'installed only in a later step' : `no earlier step of job '${job.id}' installs it`}; add ${info.installer} before this step`,
            { fixes: e ? [editFix(`Add a step using ${info.installer}`, [e], true)] : [] },
          ),
        );
      }
    }
  }
  return out;
}

const INLINE_CREDENTIALS = [
  '-u',
  '--username',
  '-p',
  '--password',
  '--password-stdin',
  '--registry-config',
  '--registry-username',
  '--registry-password',
  '--registry-token',
  '--identity-token',
];

export function logins(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const job of ctx.wf.jobs) {
    if (job.uses || (job.runsOn && !onHostedRunner(ctx, job) && !job.container)) continue;
    const env = envFor(ctx, job);
    if (env.has('DOCKER_CONFIG') || env.has('REGISTRY_AUTH_FILE')) continue;
    const login = loginStepIndex(ctx, job, LOGIN_ACTIONS);
    const pushes = registryPushes(ctx, job).filter((p) => {
      if (!p.step || (login >= 0 && p.step.index >= login)) return false; // a login earlier in the same script counts
      if (p.step.env.has('DOCKER_CONFIG')) return false;
      // credentials given on the command itself
      return !(p.cmd && hasFlag(p.cmd.args, INLINE_CREDENTIALS));
    });
    if (!pushes.length) continue;
    const first = pushes[0];
    const host = registryHost(first.target);
    let fixes: Fix[] = [];
    if (host === 'ghcr.io' && first.step) {
      const e = insertStepBefore(ctx.doc, first.step.node, [
        'name: Log in to ghcr.io',
        `uses: ${pinnedUses('docker/login-action')}`,
        'with:',
        '  registry: ghcr.io',
        '  username: ${{ github.actor }}',
        '  password: ${{ secrets.GITHUB_TOKEN }}',
      ]);
      if (e) fixes = [editFix('Add a docker/login-action step for ghcr.io', [e], true)];
    }
    const where = host ? ` to ${host}` : '';
    out.push(
      ctx.finding(
        'workflow/push-without-login',
        first,
        `${first.what} writes${where}, but ${login >= 0 ? 'the registry login happens only in a later step' : `no step of job '${job.id}' logs in to a registry`}${pushes.length > 1 ? ` (${pushes.length} pushes in this job)` : ''}`,
        { fixes, related: pushes.slice(1, 6).map((p) => ctx.related(p.what, p)) },
      ),
    );
  }
  return out;
}

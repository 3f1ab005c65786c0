import type { Finding, Fix } from '../../findings.ts';
import { actionName, isSlsaGenerator } from '../actions.ts';
import { attestActionUses, mayUseOidc, oidcUses, registryPushes, type Site } from '../analysis.ts';
import type { CheckContext } from '../context.ts';
import { appendToMapping, columnOf, editFix, prependToMapping, replace } from '../edits.ts';
import type { Job, Permissions } from '../model.ts';

type Level = 'read' | 'write';

/** The permissions that apply to a job: its own block replaces the workflow's entirely. */
function effective(ctx: CheckContext, job: Job): Permissions | undefined {
  return job.permissions ?? ctx.wf.permissions;
}

function grants(p: Permissions | undefined, scope: string, level: Level): boolean {
  if (!p) return false;
  if (p.kind === 'write-all') return true;
  if (p.kind === 'read-all') return level === 'read' && scope !== 'id-token';
  if (p.kind !== 'map') return true; // an expression or something unknown: assume it grants
  const v = p.scopes.get(scope)?.text;
  return v === 'write' || (level === 'read' && v === 'read');
}

function pushesToGhcr(ctx: CheckContext, job: Job): Site[] {
  return registryPushes(ctx, job).filter((p) => (p.target ?? '').toLowerCase().includes('ghcr.io'));
}

/** The scopes a job visibly needs (always `contents: read`), for quick fixes. */
export function neededScopes(ctx: CheckContext, job: Job): string[] {
  const lines = ['contents: read'];
  if (job.uses && isSlsaGenerator(job.uses.text)) lines.push('actions: read');
  if (pushesToGhcr(ctx, job).length || (job.uses && /container/i.test(job.uses.text))) lines.push('packages: write');
  if (oidcUses(ctx, job).length) lines.push('id-token: write');
  if (attestActionUses(job).length) lines.push('attestations: write');
  if (job.steps.some((s) => s.uses && actionName(s.uses.text) === 'github/codeql-action/upload-sarif'))
    lines.push('security-events: write');
  return lines;
}

/** A fix that makes `scope: write` available to the job without widening other jobs. */
function grantFix(ctx: CheckContext, job: Job, scope: string): Fix | undefined {
  const title = `Grant \`${scope}: write\` to job '${job.id}'`;
  if (job.permissions?.kind === 'map') {
    const e = appendToMapping(ctx.doc, job.permissions.node, [`${scope}: write`]);
    return e && editFix(title, [e], true);
  }
  if (job.permissions) return undefined;
  const base =
    ctx.wf.permissions?.kind === 'map'
      ? [...ctx.wf.permissions.scopes.values()].filter((s) => s.name !== scope).map((s) => `${s.name}: ${s.text ?? ''}`)
      : neededScopes(ctx, job).filter((l) => !l.startsWith(scope + ':'));
  const e = prependToMapping(ctx.doc, job.node, ['permissions:', ...base.map((l) => '  ' + l), `  ${scope}: write`]);
  return e && editFix(title, [e], ctx.wf.permissions?.kind === 'map');
}

export function permissions(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  const wf = ctx.wf;

  for (const p of [wf.permissions, ...wf.jobs.map((j) => j.permissions)]) {
    if (p?.kind !== 'write-all') continue;
    const job = wf.jobs.find((j) => j.permissions === p);
    let fixes: Fix[] = [];
    const col = columnOf(ctx.doc, p.key);
    if (job && col !== undefined) {
      const lines = neededScopes(ctx, job).map((l) => ' '.repeat(col + 2) + l);
      fixes = [
        editFix(`Replace with the scopes job '${job.id}' needs`, [
          replace(ctx.doc, p.key.end, p.node.end, ':\n' + lines.join('\n')),
        ]),
      ];
    }
    out.push(
      ctx.finding(
        'workflow/write-all',
        p.node,
        `permissions: write-all grants every scope${job ? ` to job '${job.id}'` : ' to every job'}, including id-token and contents write`,
        { fixes },
      ),
    );
  }

  for (const job of wf.jobs) {
    if (!wf.permissions && !job.permissions) {
      const scopes = neededScopes(ctx, job);
      const e = prependToMapping(ctx.doc, job.node, ['permissions:', ...scopes.map((l) => '  ' + l)]);
      out.push(
        ctx.finding(
          'workflow/missing-permissions',
          job.key,
          `job '${job.id}' has no permissions block (and the workflow none), so GITHUB_TOKEN gets the repository's default scope`,
          { fixes: e ? [editFix(`Add permissions: ${scopes.join(', ')}`, [e])] : [] },
        ),
      );
    }
    const eff = effective(ctx, job);
    const oidc = oidcUses(ctx, job);
    if (oidc.length && !grants(eff, 'id-token', 'write')) {
      const fix = grantFix(ctx, job, 'id-token');
      out.push(
        ctx.finding(
          'workflow/id-token-missing',
          oidc[0],
          `${oidc[0].what} needs the OIDC token, but job '${job.id}' does not have id-token: write`,
          { fixes: fix ? [fix] : [] },
        ),
      );
    }
    const attest = attestActionUses(job);
    if (attest.length && !grants(eff, 'attestations', 'write')) {
      const fix = grantFix(ctx, job, 'attestations');
      out.push(
        ctx.finding(
          'workflow/attestations-permission-missing',
          attest[0],
          `${attest[0].what} stores attestations, but job '${job.id}' does not have attestations: write`,
          { fixes: fix ? [fix] : [] },
        ),
      );
    }
    const ghcr = pushesToGhcr(ctx, job);
    if (ghcr.length && eff && eff.kind === 'map' && !grants(eff, 'packages', 'write')) {
      const fix = grantFix(ctx, job, 'packages');
      out.push(
        ctx.finding(
          'workflow/packages-permission-missing',
          ghcr[0],
          `${ghcr[0].what} pushes to ghcr.io, but job '${job.id}' does not have packages: write`,
          { fixes: fix ? [fix] : [] },
        ),
      );
    }
    const own = job.permissions?.kind === 'map' ? job.permissions.scopes.get('id-token') : undefined;
    if (own?.text === 'write' && !mayUseOidc(ctx, job)) {
      const start = ctx.doc.text.lastIndexOf('\n', own.key.start - 1) + 1;
      const nl = ctx.doc.text.indexOf('\n', own.value?.end ?? own.key.end);
      const end = nl < 0 ? ctx.doc.text.length : nl + 1;
      const onlyScope = job.permissions!.scopes.size === 1;
      out.push(
        ctx.finding(
          'workflow/id-token-unused',
          own.key,
          `job '${job.id}' is granted id-token: write but nothing in it signs, attests or logs in with OIDC`,
          { fixes: onlyScope ? [] : [editFix('Remove `id-token: write`', [replace(ctx.doc, start, end, '')], true)] },
        ),
      );
    }
  }

  const wfToken = wf.permissions?.kind === 'map' ? wf.permissions.scopes.get('id-token') : undefined;
  if (wfToken?.text === 'write') {
    const inheriting = wf.jobs.filter((j) => !j.permissions);
    const users = inheriting.filter((j) => mayUseOidc(ctx, j));
    const idle = inheriting.filter((j) => !users.includes(j));
    const parts = [
      inheriting.length
        ? `every job without its own permissions (${inheriting.map((j) => `'${j.id}'`).join(', ')}) can mint OIDC tokens as this workflow`
        : 'every job added later can mint OIDC tokens as this workflow',
      idle.length ? `${idle.map((j) => `'${j.id}'`).join(', ')} ${idle.length === 1 ? 'does' : 'do'} not use it` : '',
      users.length
        ? `grant it only to ${users.map((j) => `'${j.id}'`).join(', ')}`
        : 'grant it only to the jobs that sign',
    ].filter(Boolean);
    const fix = moveIdTokenFix(ctx, users);
    out.push(
      ctx.finding(
        'workflow/id-token-workflow-level',
        wfToken.key,
        `id-token: write is granted at workflow level: ${parts.join('; ')}`,
        { fixes: fix ? [fix] : [] },
      ),
    );
  }
  return out;
}

/**
 * Moves a workflow-level `id-token: write` into the jobs that use (or may use) the token: each gets
 * the workflow's scopes as its own block, and the workflow keeps the rest.
 */
function moveIdTokenFix(ctx: CheckContext, users: readonly Job[]): Fix | undefined {
  const p = ctx.wf.permissions;
  const token = p?.kind === 'map' ? p.scopes.get('id-token') : undefined;
  if (!p || !token || p.scopes.size < 2) return undefined;
  const text = ctx.doc.text;
  const start = text.lastIndexOf('\n', token.key.start - 1) + 1;
  if (!/^[ ]*$/.test(text.slice(start, token.key.start))) return undefined;
  const nl = text.indexOf('\n', token.value?.end ?? token.key.end);
  const edits = [replace(ctx.doc, start, nl < 0 ? text.length : nl + 1, '')];
  const scopes = [...p.scopes.values()].map((s) => `${s.name}: ${s.text ?? ''}`);
  for (const job of users) {
    const e = prependToMapping(ctx.doc, job.node, ['permissions:', ...scopes.map((l) => '  ' + l)]);
    if (!e) return undefined;
    edits.push(e);
  }
  return editFix(
    users.length
      ? `Move id-token: write to ${users.map((j) => `'${j.id}'`).join(', ')}`
      : 'Remove the workflow-level id-token: write',
    edits,
    true,
  );
}

import type { Finding, Fix, TextRange } from '../../findings.ts';
import type { YamlNode } from '../../yaml/document.ts';
import { BRANCH_REFS, isSlsaGenerator, parseUses, PINNED_ACTIONS, SHA_RE } from '../actions.ts';
import type { CheckContext } from '../context.ts';
import { editFix, endOfLine, replace, insert, trailingComment } from '../edits.ts';
import { scalarText, type ScalarField } from '../model.ts';

const SEMVER_TAG = /^v\d+\.\d+\.\d+(?:-rc\.\d+)?$/;

/** Every `uses:` of the workflow: job-level (reusable workflows) and step-level. */
function allUses(ctx: CheckContext): ScalarField[] {
  const out: ScalarField[] = [];
  for (const job of ctx.wf.jobs) {
    if (job.uses) out.push(job.uses);
    for (const s of job.steps) if (s.uses) out.push(s.uses);
  }
  return out;
}

/** Offset of the ref (after '@') inside the `uses:` scalar, when the scalar is written plainly. */
function refOffsets(ctx: CheckContext, uses: ScalarField): { start: number; end: number } | undefined {
  const src = ctx.doc.source(uses.node);
  const at = src.lastIndexOf('@');
  if (at < 0) return undefined;
  const quote = src[0] === '"' || src[0] === "'" ? 1 : 0;
  return { start: uses.node.start + at + 1, end: uses.node.end - quote };
}

/** Arguments of the online "resolve the tag to its commit" command (see RESOLVE_REF_COMMAND). */
export interface ResolveRefArgs {
  file?: string;
  /** Range of the ref after '@'. */
  range: TextRange;
  /** End of the line, where the `# tag` comment goes when the line has none. */
  lineEnd: TextRange['start'];
  hasComment: boolean;
  owner: string;
  repo: string;
  ref: string;
}

/** The faces run this command (with the user's consent for network access) to resolve a tag. */
export const RESOLVE_REF_COMMAND = 'modelInspect.workflow.resolveActionRef';

function pinFixes(ctx: CheckContext, uses: ScalarField, owner: string, repo: string, path: string, ref: string): Fix[] {
  const r = refOffsets(ctx, uses);
  if (!r) return [];
  const hasComment = trailingComment(ctx.doc, uses.node.end) !== undefined;
  const eol = endOfLine(ctx.doc, uses.node.end);
  const name = `${owner}/${repo}${path ? '/' + path : ''}`.toLowerCase();
  const known = PINNED_ACTIONS[name];
  const comment = !hasComment ? [insert(ctx.doc, eol, ` # ${ref}`)] : [];
  // the action's own release, whose commit is known: a certain pin
  if (known && known.version === ref)
    return [
      editFix(
        `Pin to ${known.sha.slice(0, 12)}… (${ref})`,
        [replace(ctx.doc, r.start, r.end, known.sha), ...comment],
        true,
      ),
    ];
  const edits = [
    { ...replace(ctx.doc, r.start, r.end, '<full-commit-sha>'), snippet: '${1:<full-commit-sha>}' },
    ...comment,
  ];
  const args: ResolveRefArgs = {
    file: ctx.file,
    range: ctx.doc.range(r),
    lineEnd: ctx.doc.position(eol),
    hasComment,
    owner,
    repo,
    ref,
  };
  return [
    {
      kind: 'command',
      title: `Resolve '${ref}' to its commit SHA (online, api.github.com)`,
      command: RESOLVE_REF_COMMAND,
      args: [args],
    },
    editFix(`Pin to a commit SHA (placeholder; keep '${ref}' as a comment)`, edits, false),
  ];
}

export function pinning(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const uses of allUses(ctx)) {
    const u = parseUses(uses.text);
    if (u.kind === 'docker') {
      if (!u.hasDigest)
        out.push(
          ctx.finding(
            'workflow/image-not-pinned',
            uses.node,
            `docker://${u.image} is pulled by tag; pin it by digest (@sha256:…)`,
          ),
        );
      continue;
    }
    if (u.kind !== 'remote') continue;
    if (/\$\{\{/.test(u.ref)) continue;
    if (isSlsaGenerator(uses.text)) {
      if (SEMVER_TAG.test(u.ref)) continue;
      const comment = trailingComment(ctx.doc, uses.node.end);
      const tag = comment && /^v\d+\.\d+\.\d+(?:-rc\.\d+)?/.exec(comment)?.[0];
      const r = refOffsets(ctx, uses);
      const fixes: Fix[] =
        tag && r
          ? [editFix(`Reference the generator by tag ${tag}`, [replace(ctx.doc, r.start, r.end, tag)], true)]
          : [];
      const what = SHA_RE.test(u.ref)
        ? 'a commit SHA'
        : /^v\d+(\.\d+)?$/.test(u.ref)
          ? `the short tag '${u.ref}'`
          : `'${u.ref}'`;
      out.push(
        ctx.finding(
          'workflow/slsa-generator-ref',
          r ?? uses.node,
          `the SLSA generator must be referenced by a release tag (@vX.Y.Z), not by ${what}; provenance generation fails otherwise`,
          { fixes },
        ),
      );
      continue;
    }
    if (SHA_RE.test(u.ref)) continue;
    const range = refOffsets(ctx, uses) ?? uses.node;
    const fixes = pinFixes(ctx, uses, u.owner, u.repo, u.path, u.ref);
    const name = `${u.owner}/${u.repo}${u.path ? '/' + u.path : ''}`;
    // refs with a slash (`release/v1`) are branch names; tags almost never contain one
    if (BRANCH_REFS.has(u.ref.toLowerCase()) || u.ref.includes('/')) {
      out.push(
        ctx.finding(
          'workflow/branch-ref',
          range,
          `${name}@${u.ref} follows a branch: every run may execute different code; pin a full commit SHA`,
          { fixes },
        ),
      );
    } else if (/^[0-9a-f]{7,39}$/i.test(u.ref)) {
      out.push(
        ctx.finding(
          'workflow/unpinned-action',
          range,
          `${name}@${u.ref} is an abbreviated SHA; only a full 40-character SHA is immutable`,
          { fixes },
        ),
      );
    } else {
      out.push(
        ctx.finding(
          'workflow/unpinned-action',
          range,
          `${name}@${u.ref} is not pinned to a full commit SHA; the tag can be moved`,
          { fixes },
        ),
      );
    }
  }
  // job containers and service containers
  for (const job of ctx.wf.jobs) {
    const images: YamlNode[] = [];
    const c = job.container;
    if (c?.kind === 'scalar') images.push(c);
    else if (c?.kind === 'mapping') {
      const i = ctx.doc.pair(c, 'image')?.value;
      if (i) images.push(i);
    }
    if (job.services?.kind === 'mapping') {
      for (const p of job.services.pairs ?? []) {
        const i = ctx.doc.pair(p.value, 'image')?.value;
        if (i) images.push(i);
      }
    }
    for (const node of images) {
      const image = scalarText(ctx.doc, node);
      if (!image || image.includes('${{') || /@sha256:[0-9a-f]{64}$/i.test(image)) continue;
      out.push(
        ctx.finding(
          'workflow/image-not-pinned',
          node,
          `container image ${image} is pulled by tag; pin it by digest (@sha256:…)`,
        ),
      );
    }
  }
  return out;
}

import type { Finding, Fix } from '../../findings.ts';
import type { YamlNode } from '../../yaml/document.ts';
import { BRANCH_REFS, isSlsaGenerator, parseUses, SHA_RE } from '../actions.ts';
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

function pinFix(ctx: CheckContext, uses: ScalarField, ref: string): Fix | undefined {
  const r = refOffsets(ctx, uses);
  if (!r) return undefined;
  const edits = [replace(ctx.doc, r.start, r.end, '<full-commit-sha>')];
  if (trailingComment(ctx.doc, uses.node.end) === undefined) edits.push(insert(ctx.doc, endOfLine(ctx.doc, uses.node.end), ` # ${ref}`));
  return editFix(`Pin to a commit SHA (placeholder; keep '${ref}' as a comment)`, edits, false);
}

export function pinning(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const uses of allUses(ctx)) {
    const u = parseUses(uses.text);
    if (u.kind === 'docker') {
      if (!u.hasDigest) out.push(ctx.finding('workflow/image-not-pinned', uses.node, `docker://${u.image} is pulled by tag; pin it by digest (@sha256:…)`));
      continue;
    }
    if (u.kind !== 'remote') continue;
    if (/\$\{\{/.test(u.ref)) continue;
    if (isSlsaGenerator(uses.text)) {
      if (SEMVER_TAG.test(u.ref)) continue;
      const comment = trailingComment(ctx.doc, uses.node.end);
      const tag = comment && /^v\d+\.\d+\.\d+(?:-rc\.\d+)?/.exec(comment)?.[0];
      const r = refOffsets(ctx, uses);
      const fixes: Fix[] = tag && r ? [editFix(`Reference the generator by tag ${tag}`, [replace(ctx.doc, r.start, r.end, tag)], true)] : [];
      const what = SHA_RE.test(u.ref) ? 'a commit SHA' : /^v\d+(\.\d+)?$/.test(u.ref) ? `the short tag '${u.ref}'` : `'${u.ref}'`;
      out.push(ctx.finding('workflow/slsa-generator-ref', r ?? uses.node, `the SLSA generator must be referenced by a release tag (@vX.Y.Z), not by ${what}; provenance generation fails otherwise`, { fixes }));
      continue;
    }
    if (SHA_RE.test(u.ref)) continue;
    const range = refOffsets(ctx, uses) ?? uses.node;
    const fix = pinFix(ctx, uses, u.ref);
    const name = `${u.owner}/${u.repo}${u.path ? '/' + u.path : ''}`;
    if (BRANCH_REFS.has(u.ref.toLowerCase())) {
      out.push(ctx.finding('workflow/branch-ref', range, `${name}@${u.ref} follows a branch: every run may execute different code; pin a full commit SHA`, { fixes: fix ? [fix] : [] }));
    } else if (/^[0-9a-f]{7,39}$/i.test(u.ref)) {
      out.push(ctx.finding('workflow/unpinned-action', range, `${name}@${u.ref} is an abbreviated SHA; only a full 40-character SHA is immutable`, { fixes: fix ? [fix] : [] }));
    } else {
      out.push(ctx.finding('workflow/unpinned-action', range, `${name}@${u.ref} is not pinned to a full commit SHA; the tag can be moved`, { fixes: fix ? [fix] : [] }));
    }
  }
  // job containers and service containers
  for (const job of ctx.wf.jobs) {
    const images: YamlNode[] = [];
    const c = job.container;
    if (c?.kind === 'scalar') images.push(c);
    else if (c?.kind === 'mapping') { const i = ctx.doc.pair(c, 'image')?.value; if (i) images.push(i); }
    if (job.services?.kind === 'mapping') {
      for (const p of job.services.pairs ?? []) { const i = ctx.doc.pair(p.value, 'image')?.value; if (i) images.push(i); }
    }
    for (const node of images) {
      const image = scalarText(ctx.doc, node);
      if (!image || image.includes('${{') || /@sha256:[0-9a-f]{64}$/i.test(image)) continue;
      out.push(ctx.finding('workflow/image-not-pinned', node, `container image ${image} is pulled by tag; pin it by digest (@sha256:…)`));
    }
  }
  return out;
}

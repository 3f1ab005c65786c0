import type { TextRange } from '../findings.ts';
import { parseYaml } from '../yaml/document.ts';
import { actionName, ATTEST_ACTIONS, matchesAction } from './actions.ts';
import { cosignCalls, envFor, expandEnv, isKeyless, positionals, registryPushes, span } from './analysis.ts';
import { CheckContext } from './context.ts';
import type { ExpressionLib } from './expressions.ts';
import { buildWorkflow, scalarText } from './model.ts';
import { flagValue } from './shell.ts';

/**
 * Who signs and what is pushed where, read from a workflow without judging it: the facts the
 * chain checks (src/core/k8s/chain.ts) compare with the model card, the promotion policy and the
 * cluster's admission policy. Pure: text in, plain data out.
 */

export interface WorkflowSigning {
  /** `cosign sign`, `cosign attest`, `actions/attest-build-provenance`, … */
  what: string;
  keyless: boolean;
  /** For key signing: the `--key` value as written (`env://COSIGN_KEY`, `cosign.key`, `awskms://…`). */
  key?: string;
  /** The image the signature or attestation is for, as written (expanded from `env:` where literal). */
  image?: string;
  range: TextRange;
}

export interface WorkflowPushTarget {
  what: string;
  /** The pushed reference, `env:` values substituted; may still hold `${{ … }}`. */
  target: string;
  range: TextRange;
}

export interface WorkflowSupplyChain {
  file: string;
  /** Git refs the workflow runs on, as certificate identities end: `refs/tags/model-v*`, `refs/heads/main`; `*` parts are globs. */
  refs: string[];
  signing: WorkflowSigning[];
  pushes: WorkflowPushTarget[];
}

function triggerRefs(ctx: CheckContext): string[] {
  const doc = ctx.doc;
  const refs: string[] = [];
  const on = doc.resolveAlias(doc.pair(ctx.wf.root, 'on')?.value ?? doc.pair(ctx.wf.root, 'true')?.value);
  const list = (path: string[]) => {
    let n = on;
    for (const k of path) n = doc.resolveAlias(doc.pair(n, k)?.value);
    if (!n) return undefined;
    if (n.kind === 'scalar') return [scalarText(doc, n) ?? ''];
    return (n.items ?? []).map((i) => scalarText(doc, i)).filter((v): v is string => !!v);
  };
  for (const event of ctx.wf.triggers.keys()) {
    if (event === 'push') {
      const tags = list(['push', 'tags']);
      const branches = list(['push', 'branches']);
      for (const t of tags ?? []) refs.push(`refs/tags/${t}`);
      for (const b of branches ?? []) refs.push(`refs/heads/${b}`);
      if (!tags && !branches) refs.push('refs/heads/*', 'refs/tags/*');
    } else if (event === 'release') refs.push('refs/tags/*');
    else if (event === 'workflow_dispatch' || event === 'schedule') refs.push('refs/heads/*');
    else if (event === 'pull_request' || event === 'pull_request_target') refs.push('refs/pull/*/merge');
    else if (event === 'workflow_call') refs.push('*');
  }
  return [...new Set(refs)];
}

export function workflowSupplyChain(text: string, file: string, lib: ExpressionLib): WorkflowSupplyChain {
  const out: WorkflowSupplyChain = { file, refs: [], signing: [], pushes: [] };
  const doc = parseYaml(text);
  if (doc.problems.some((p) => p.code === 'syntax')) return out;
  const wf = buildWorkflow(doc);
  if (!wf) return out;
  const ctx = new CheckContext(wf, file, lib);
  out.refs = triggerRefs(ctx);
  for (const job of wf.jobs) {
    for (const step of job.steps) {
      for (const call of cosignCalls(ctx, step)) {
        if (!['sign', 'attest', 'sign-blob', 'attest-blob'].includes(call.sub)) continue;
        const pos = positionals(call.args);
        const image = pos[pos.length - 1]?.text;
        out.signing.push({
          what: `cosign ${call.sub}`,
          keyless: isKeyless(call),
          key: flagValue(call.args, ['--key'])?.text,
          image: image && expandEnv(image, envFor(ctx, job, step)),
          range: doc.range(span(ctx, step, { start: call.cmd.program!.start, end: call.subWord.end })),
        });
      }
      if (step.uses && matchesAction(actionName(step.uses.text), ATTEST_ACTIONS)) {
        const subject = step.with.get('subject-name')?.text;
        out.signing.push({
          what: actionName(step.uses.text),
          keyless: true,
          image: subject && expandEnv(subject, envFor(ctx, job, step)),
          range: doc.range(step.uses.node),
        });
      }
    }
    for (const p of registryPushes(ctx, job)) {
      if (!p.target || /^cosign /.test(p.what)) continue;
      out.pushes.push({ what: p.what, target: p.target, range: doc.range(p) });
    }
  }
  return out;
}

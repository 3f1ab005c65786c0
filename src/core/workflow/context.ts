import type { Finding, Fix, RelatedLocation } from '../findings.ts';
import type { YamlDocument, YamlNode } from '../yaml/document.ts';
import { expressionsIn, type Expression, type ExpressionLib } from './expressions.ts';
import type { Job, Step, Workflow } from './model.ts';
import { WORKFLOW_RULE_SEVERITY } from './rules.ts';
import { parseScript, type Command, type Script, type WorkMeter } from './shell.ts';
import { mappedScalar } from './text.ts';

/** What every workflow check gets: the model, the file, and cached parses of scripts and expressions. */
export class CheckContext {
  private readonly scripts = new Map<Step, Script | null>();
  private readonly exprCache = new Map<YamlNode, Expression[]>();

  constructor(
    readonly wf: Workflow,
    readonly file: string | undefined,
    readonly lib: ExpressionLib,
    /** What the analysis visits, counted (tests bound it; see WorkMeter). */
    readonly meter: WorkMeter = { units: 0 },
    /** The owner of the repository the workflow belongs to, when the caller knows it. */
    readonly repositoryOwner?: string,
  ) {}

  get doc(): YamlDocument {
    return this.wf.doc;
  }

  /** The step's `run:` script, tokenized (undefined for `uses:` steps). */
  script(step: Step): Script | undefined {
    if (!step.run) return undefined;
    let s = this.scripts.get(step);
    if (s === undefined) {
      s = parseScript(step.run.script, this.meter);
      this.scripts.set(step, s);
    }
    return s ?? undefined;
  }

  commands(step: Step): Command[] {
    return this.script(step)?.commands ?? [];
  }

  /** Expressions in a scalar node (`bare`: the whole scalar is an expression, as in `if:`). */
  expressions(node: YamlNode | null | undefined, bare = false): Expression[] {
    const n = this.doc.resolveAlias(node);
    if (!n || n.kind !== 'scalar') return [];
    let e = this.exprCache.get(n);
    if (!e) {
      const mt = mappedScalar(this.doc, n);
      e = mt ? expressionsIn(mt, this.lib, bare, this.meter) : [];
      this.exprCache.set(n, e);
    }
    return e;
  }

  /** Every scalar under a node, with whether it is an `if:` condition (a bare expression). */
  scalars(
    node: YamlNode | null | undefined,
    out: { node: YamlNode; bare: boolean }[] = [],
    bare = false,
    depth = 0,
  ): { node: YamlNode; bare: boolean }[] {
    const n = this.doc.resolveAlias(node);
    if (!n || depth > 64) return out;
    if (n.kind === 'scalar') out.push({ node: n, bare });
    for (const item of n.items ?? []) this.scalars(item, out, false, depth + 1);
    for (const p of n.pairs ?? []) this.scalars(p.value, out, p.keyText === 'if', depth + 1);
    return out;
  }

  /** Document offsets of a span of a step's script. */
  scriptSpan(step: Step, start: number, end: number): { start: number; end: number } {
    return step.run!.script.span(start, end);
  }

  finding(
    ruleId: string,
    at: { start: number; end: number },
    message: string,
    extra: { fixes?: Fix[]; related?: RelatedLocation[]; data?: Finding['data'] } = {},
  ): Finding {
    const f: Finding = {
      ruleId,
      severity: WORKFLOW_RULE_SEVERITY.get(ruleId) ?? 'warning',
      message,
      file: this.file,
      range: this.doc.range(at),
    };
    if (extra.fixes?.length) f.fixes = extra.fixes;
    if (extra.related?.length) f.related = extra.related.map((r) => ({ ...r, file: r.file ?? this.file }));
    if (extra.data) f.data = extra.data;
    return f;
  }

  related(message: string, at: { start: number; end: number }): RelatedLocation {
    return { message, file: this.file, range: this.doc.range(at) };
  }
}

export type WorkflowCheck = (ctx: CheckContext) => Finding[];

/** A readable label for a step in messages: its name, id, uses, or position. */
export function stepLabel(step: Step): string {
  if (step.name?.text) return `'${step.name.text}'`;
  if (step.id?.text) return `'${step.id.text}'`;
  if (step.uses?.text) return step.uses.text;
  const first = step.run?.script.text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l && !l.startsWith('#'));
  if (first) return `\`${first.length > 40 ? first.slice(0, 39) + '…' : first}\``;
  return `#${step.index + 1}`;
}

export function jobLabel(job: Job): string {
  return `'${job.id}'`;
}

import type { ModelReport } from '../../src/core/report/model.ts';
import { h } from '../ui/dom.ts';
import { tag } from '../ui/toolkit.ts';
import { location, note, section, type RenderContext } from './context.ts';
import { messageNode } from '../ui/message.ts';

/**
 * The chain: the same signer and registry path in the release workflow, the model card, the
 * promotion policy, the manifests and the admission policy, and every place they disagree (each
 * finding names both places; the second is in its related locations).
 */
export function chainSection(ctx: RenderContext, report: ModelReport): HTMLElement {
  const c = report.chain;
  if (!c) return section('chain', 'Chain', note('The chain was not compared for this report.'));
  const link = (label: string, files: readonly string[]) => [
    h('dt', null, label),
    h(
      'dd',
      { attrs: { 'data-link': label } },
      ...(files.length
        ? files.flatMap((f, i) => [i ? ', ' : '', location(ctx, { file: f })])
        : [tag('NOT FOUND', 'neutral')]),
    ),
  ];
  const problems = c.findings.filter((f) => f.ruleId !== 'chain/incomplete');
  const missing = c.findings.filter((f) => f.ruleId === 'chain/incomplete');
  return section(
    'chain',
    'Chain',
    h('p', { className: 'muted' }, `Read from ${c.root}`),
    h(
      'dl',
      { className: 'facts' },
      ...link('Release workflow', c.links.workflows),
      ...link('Model card', c.links.cards),
      ...link('Promotion policy', c.links.gate ? [c.links.gate] : []),
      ...link('Manifests', c.links.manifests),
      ...link('Admission policy', c.links.policies),
    ),
    ...missing.map((m) => note(m.message)),
    h('h3', null, `Disagreements (${problems.length})`),
    problems.length
      ? h(
          'ul',
          { className: 'findings' },
          ...problems.map((f) =>
            h(
              'li',
              { attrs: { 'data-rule': f.ruleId } },
              tag(
                f.severity.toUpperCase(),
                f.severity === 'error' ? 'fail' : f.severity === 'warning' ? 'medium' : 'info',
              ),
              ' ',
              h('code', null, f.ruleId),
              ' ',
              messageNode(f.message),
              ' ',
              location(ctx, f),
              ...(f.related ?? [])
                .filter((r) => r.file)
                .map((r) => h('span', null, ' ↔ ', location(ctx, { file: r.file, range: r.range }))),
            ),
          ),
        )
      : note(
          c.links.workflows.length + c.links.cards.length + c.links.policies.length > 1
            ? 'Every link that was found agrees.'
            : 'Nothing to compare: fewer than two links of the chain were found.',
        ),
  );
}

import type { ModelReport } from '../../src/core/report/model.ts';
import { h } from '../ui/dom.ts';
import { actionLink, tag } from '../ui/toolkit.ts';
import { location, note, section, type RenderContext } from './context.ts';
import { messageNode } from '../ui/message.ts';

export function cardSection(ctx: RenderContext, report: ModelReport): HTMLElement {
  const c = report.evidence.card;
  if (!c.file)
    return section(
      'card',
      'Model card',
      note('No model card (model-card.yaml, or README.md with front matter) in the model folder.', 'warn'),
    );
  const facts = c.facts?.facts ?? [];
  return section(
    'card',
    'Model card',
    h('p', null, location(ctx, { file: c.file })),
    facts.length
      ? h(
          'dl',
          { className: 'facts' },
          ...facts.flatMap((f) => [
            h('dt', null, f.label),
            h(
              'dd',
              { attrs: { 'data-key': f.key } },
              f.range ? actionLink(f.value, () => ctx.open(c.file!, f.range), `Open ${f.key}`) : f.value,
            ),
          ]),
        )
      : null,
    c.facts?.limitations.length
      ? h(
          'div',
          null,
          h('h3', null, 'Known limitations'),
          h('ul', null, ...c.facts.limitations.map((l) => h('li', null, l))),
        )
      : null,
    h('h3', null, `Findings (${c.findings.length})`),
    c.findings.length
      ? h(
          'ul',
          { className: 'findings' },
          ...c.findings.map((f) =>
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
            ),
          ),
        )
      : note('The model card engine reports nothing.'),
  );
}

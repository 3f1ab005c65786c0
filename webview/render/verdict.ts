import type { GateCheck } from '../../src/core/gate/verdict.ts';
import type { ModelReport } from '../../src/core/report/model.ts';
import { h } from '../ui/dom.ts';
import { tag } from '../ui/toolkit.ts';
import { location, section, type RenderContext } from './context.ts';
import { messageNode } from '../ui/message.ts';

const LABEL = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' } as const;

export function verdictBanner(report: ModelReport): HTMLElement {
  const v = report.verdict;
  const failed = v.checks.filter((c) => c.status === 'fail').length;
  return h(
    'div',
    {
      className: `verdict ${v.passed ? 'verdict-pass' : 'verdict-fail'}`,
      attrs: { role: 'status', id: 'verdict-banner' },
    },
    h('strong', null, v.passed ? 'Promotion APPROVED' : 'Promotion BLOCKED'),
    v.passed ? ': every check passed.' : `: ${failed} of ${v.checks.length} checks failed.`,
  );
}

export function verdictSection(ctx: RenderContext, report: ModelReport): HTMLElement {
  const rows = report.verdict.checks.map((c) => checkRow(ctx, c));
  return section(
    'verdict',
    'Verdict',
    h(
      'p',
      { className: 'muted' },
      report.policyFile ? 'Policy: ' : 'Policy: default (no .model-inspect.yaml)',
      report.policyFile ? location(ctx, { file: report.policyFile }) : null,
    ),
    h(
      'table',
      { className: 'data checks' },
      h('caption', { className: 'visually-hidden' }, 'Gate checks'),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          h('th', { attrs: { scope: 'col' } }, 'Check'),
          h('th', { attrs: { scope: 'col' } }, 'Result'),
          h('th', { attrs: { scope: 'col' } }, 'Why'),
        ),
      ),
      h('tbody', null, ...rows),
    ),
  );
}

function checkRow(ctx: RenderContext, c: GateCheck): HTMLElement {
  const why = c.findings.length
    ? h(
        'ul',
        { className: 'reasons' },
        ...c.findings.map((f) =>
          h('li', null, messageNode(f.message), f.file ? ' ' : null, f.file ? location(ctx, f) : null),
        ),
      )
    : h('ul', { className: 'reasons' }, ...c.reasons.map((r) => h('li', null, r)));
  return h(
    'tr',
    { attrs: { 'data-check': c.id, 'data-status': c.status } },
    h('th', { attrs: { scope: 'row' } }, c.title),
    h('td', null, tag(LABEL[c.status], c.status)),
    h('td', null, why),
  );
}

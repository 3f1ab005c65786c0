import type { SignatureResult } from '../../src/core/gate/evidence.ts';
import type { ModelReport } from '../../src/core/report/model.ts';
import { h } from '../ui/dom.ts';
import { dataTable } from '../ui/table.ts';
import { actionLink, tag } from '../ui/toolkit.ts';
import { note, rel, section, type RenderContext } from './context.ts';
import { messageNode, messageText } from '../ui/message.ts';

export function signaturesSection(ctx: RenderContext, report: ModelReport): HTMLElement {
  const sig = report.evidence.signatures;
  if (!sig.available)
    return section(
      'signatures',
      'Signatures',
      note(`Signatures were not verified: ${sig.note ?? 'no signature engine'}.`, 'warn'),
    );
  const signed = new Set(sig.results.filter((s) => s.verified).flatMap((s) => [s.file, ...s.covers]));
  const unsigned = report.evidence.weightFiles.filter((w) => !signed.has(w.path));
  return section(
    'signatures',
    'Signatures',
    unsigned.length ? note(`Without a verified signature: ${unsigned.map((w) => w.rel).join(', ')}`, 'warn') : null,
    dataTable<SignatureResult>({
      id: 'signatures-table',
      caption: 'signatures',
      rows: sig.results,
      empty: 'No signatures found next to the weight files or as model.sig.',
      columns: [
        { key: 'file', title: 'Signed', text: (s) => rel(ctx, s.file) },
        {
          key: 'signature',
          title: 'Signature file',
          text: (s) => rel(ctx, s.signatureFile),
          cell: (s) => actionLink(rel(ctx, s.signatureFile), () => ctx.open(s.signatureFile)),
        },
        { key: 'format', title: 'Format', text: (s) => s.format },
        {
          key: 'verified',
          title: 'Verified',
          text: (s) => (s.verified ? 'verified' : 'failed'),
          cell: (s) => tag(s.verified ? 'VERIFIED' : 'FAILED', s.verified ? 'pass' : 'fail'),
        },
        { key: 'identity', title: 'Signer', text: (s) => s.identity ?? (s.verified && s.key ? 'expected key' : '') },
        { key: 'issuer', title: 'Issuer', text: (s) => s.issuer ?? '' },
        { key: 'time', title: 'Time', text: (s) => s.time ?? '' },
        { key: 'tlog', title: 'Transparency log', text: (s) => s.tlogEntry ?? 'none' },
        { key: 'key', title: 'Key or certificate', text: (s) => s.key ?? '' },
        {
          key: 'failures',
          title: 'Problems',
          text: (s) => s.failures.map(messageText).join('; '),
          cell: (s) =>
            s.failures.length
              ? h('ul', { className: 'reasons' }, ...s.failures.map((f) => h('li', null, messageNode(f))))
              : '',
        },
      ],
      rowAttrs: (s) => ({ 'data-verified': String(s.verified) }),
    }),
  );
}

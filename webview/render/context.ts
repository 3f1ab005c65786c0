import type { Finding, TextRange } from '../../src/core/findings.ts';
import type { ActionId, PersistedPanelState } from '../../src/core/report/protocol.ts';
import { h } from '../ui/dom.ts';
import { actionLink } from '../ui/toolkit.ts';

/** What every section renderer gets: how to open a location, run an action, and keep UI state. */
export interface RenderContext {
  root: string;
  open(file: string, range?: TextRange, offset?: number): void;
  action(id: ActionId): void;
  ui: PersistedPanelState['ui'];
  saveUi(): void;
}

/** A path relative to the model folder, for display. */
export function rel(ctx: RenderContext, file: string | undefined): string {
  if (!file) return '';
  const root =
    ctx.root.endsWith('/') || ctx.root.endsWith('\\')
      ? ctx.root
      : ctx.root + (ctx.root.includes('\\') && !ctx.root.includes('/') ? '\\' : '/');
  if (file === ctx.root) return `${ctx.root.split(/[\\/]/).filter(Boolean).pop() ?? ctx.root}/`;
  return file.startsWith(root) ? file.slice(root.length) : file;
}

/** "file:12:3", "file@1024", "file!member@64": where a finding is, as a button that opens it. */
export function location(
  ctx: RenderContext,
  f: Pick<Finding, 'file' | 'range' | 'offset' | 'member'>,
): HTMLElement | string {
  if (!f.file) return '';
  let where = rel(ctx, f.file);
  if (f.member) where += `!${f.member}`;
  if (f.range) where += `:${f.range.start.line + 1}:${f.range.start.character + 1}`;
  else if (f.offset !== undefined) where += `@${f.offset}`;
  return actionLink(where, () => ctx.open(f.file!, f.range, f.offset), `Open ${where}`);
}

export function section(
  id: string,
  title: string,
  ...children: (Node | string | null | undefined | false)[]
): HTMLElement {
  return h(
    'section',
    { attrs: { id, 'aria-labelledby': `${id}-title` } },
    h('h2', { attrs: { id: `${id}-title` } }, title),
    ...children,
  );
}

export function note(text: string, tone: 'info' | 'warn' = 'info'): HTMLElement {
  return h('p', { className: `note note-${tone}` }, text);
}

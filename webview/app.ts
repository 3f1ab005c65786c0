import type { TextRange } from '../src/core/findings.ts';
import {
  isHostMessage,
  isPersistedPanelState,
  PROTOCOL_VERSION,
  type ActionId,
  type HostMessage,
  type PanelMessage,
  type PanelState,
  type PersistedPanelState,
} from '../src/core/report/protocol.ts';
import { cardSection } from './render/card.ts';
import { chainSection } from './render/chain.ts';
import { note, type RenderContext } from './render/context.ts';
import { sbomSection } from './render/sbom.ts';
import { scanSection } from './render/scan.ts';
import { signaturesSection } from './render/signatures.ts';
import { verdictBanner, verdictSection } from './render/verdict.ts';
import { vulnerabilitiesSection } from './render/vulnerabilities.ts';
import { h, replaceChildren } from './ui/dom.ts';
import { button, progressRing } from './ui/toolkit.ts';

/** The subset of the webview API the app uses (the real one comes from acquireVsCodeApi()). */
export interface VsCodeApi {
  postMessage(message: PanelMessage): void;
  getState(): unknown;
  setState(state: PersistedPanelState): void;
}

const DEFAULT_UI: PersistedPanelState['ui'] = {
  sbomFilter: '',
  sbomSort: { column: 'name', descending: false },
  vulnFilter: '',
};

/**
 * The panel app: renders the whole state on every state message (states are small: one model),
 * keeps it with setState so a reload shows it at once, and talks to the host only through
 * `PanelMessage`s.
 */
export class ReportApp {
  private seq = -1;
  private state: PanelState | undefined;
  private ui: PersistedPanelState['ui'] = { ...DEFAULT_UI };
  private nextRequest = 1;
  private readonly pending = new Map<number, ActionId>();
  private lastResult: { ok: boolean; message: string } | undefined;

  constructor(
    private readonly api: VsCodeApi,
    private readonly root: HTMLElement,
  ) {}

  start(restored: unknown): void {
    if (isPersistedPanelState(restored)) {
      this.seq = restored.seq;
      this.state = restored.state;
      this.ui = { ...DEFAULT_UI, ...restored.ui };
      this.render();
    }
    window.addEventListener('message', (ev: MessageEvent) => this.receive(ev.data));
    this.api.postMessage({ type: 'ready', protocol: PROTOCOL_VERSION });
  }

  receive(data: unknown): void {
    if (!isHostMessage(data)) return;
    const msg: HostMessage = data;
    if (msg.seq <= this.seq && msg.type === 'state') return; // an older state than the one shown
    this.seq = Math.max(this.seq, msg.seq);
    if (msg.type === 'state') {
      this.state = msg.state;
      this.persist();
    } else {
      this.pending.delete(msg.requestId);
      this.lastResult = { ok: msg.ok, message: msg.message };
    }
    this.render();
  }

  private persist(): void {
    if (this.state) this.api.setState({ protocol: PROTOCOL_VERSION, seq: this.seq, state: this.state, ui: this.ui });
  }

  private context(state: PanelState): RenderContext {
    return {
      root: state.target.root,
      ui: this.ui,
      saveUi: () => this.persist(),
      open: (file: string, range?: TextRange, offset?: number) =>
        this.api.postMessage({ type: 'open', file, range, offset }),
      action: (id: ActionId) => this.runAction(id),
    };
  }

  private runAction(action: ActionId): void {
    const requestId = this.nextRequest++;
    this.pending.set(requestId, action);
    this.lastResult = undefined;
    this.api.postMessage({ type: 'action', requestId, action });
    this.render();
  }

  private render(): void {
    const state = this.state;
    if (!state) return;
    // Keep keyboard focus across re-renders when the focused control still exists.
    const focusedId = (document.activeElement as HTMLElement | null)?.id;
    const ctx = this.context(state);
    const report = state.report;
    this.root.setAttribute('aria-busy', String(state.status === 'loading'));
    replaceChildren(
      this.root,
      h(
        'header',
        { className: 'header' },
        h('h1', null, report?.evidence.name ?? state.target.name),
        h('p', { className: 'muted path' }, state.target.root),
        report ? verdictBanner(report) : null,
        this.actionBar(state),
        state.progress
          ? h(
              'div',
              { className: 'progress', attrs: { role: 'status', id: 'progress' } },
              progressRing(state.progress.message),
              h('span', null, state.progress.message),
              state.progress.cancellable
                ? button('Cancel', { onClick: () => this.api.postMessage({ type: 'cancel' }), id: 'cancel' })
                : null,
            )
          : null,
        this.lastResult ? note(this.lastResult.message, this.lastResult.ok ? 'info' : 'warn') : null,
        state.status === 'error' || (state.error && state.error !== 'cancelled')
          ? h(
              'div',
              { className: 'note note-warn', attrs: { role: 'alert', id: 'error' } },
              `The report could not be ${report ? 'refreshed' : 'built'}: ${state.error ?? 'unknown error'}`,
            )
          : state.error === 'cancelled'
            ? note(report ? 'Refresh cancelled: showing the previous report.' : 'Cancelled.')
            : null,
        report ? h('p', { className: 'muted' }, `Generated ${new Date(report.generatedAt).toLocaleString()}`) : null,
        report
          ? h(
              'nav',
              { attrs: { 'aria-label': 'Sections' } },
              ...[
                ['verdict', 'Verdict'],
                ['signatures', 'Signatures'],
                ['sbom', 'SBOM'],
                ['vulnerabilities', 'Vulnerabilities'],
                ['scan', 'Scan'],
                ['card', 'Model card'],
                ['chain', 'Chain'],
              ].map(([id, title]) => h('a', { attrs: { href: `#${id}` } }, title)),
            )
          : null,
      ),
      report ? verdictSection(ctx, report) : null,
      report ? signaturesSection(ctx, report) : null,
      report ? sbomSection(ctx, report) : null,
      report ? vulnerabilitiesSection(ctx, report) : null,
      report ? scanSection(ctx, report) : null,
      report ? cardSection(ctx, report) : null,
      report ? chainSection(ctx, report) : null,
      !report && state.status === 'loading' ? h('p', { className: 'placeholder' }, 'Building the report…') : null,
    );
    if (focusedId) document.getElementById(focusedId)?.focus();
  }

  private actionBar(state: PanelState): HTMLElement | null {
    if (!state.actions.length) return null;
    const busy = state.status === 'loading' || this.pending.size > 0;
    return h(
      'div',
      { className: 'actions', attrs: { role: 'toolbar', 'aria-label': 'Actions' } },
      ...state.actions.map((a, i) =>
        button(a.title, {
          appearance: i === 0 ? 'primary' : 'secondary',
          onClick: () => this.runAction(a.id),
          disabled: busy,
          id: `action-${a.id}`,
        }),
      ),
    );
  }
}

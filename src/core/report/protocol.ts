/**
 * The typed messages between the report panel (webview/) and its host (src/extension/report*.ts).
 * Both sides import this file; it has no runtime dependencies so it bundles for the browser.
 *
 * The host sends the whole state (never a diff), so the panel can always re-render from the last
 * message alone and restore it after a reload. The panel says `ready` first; the host sends
 * nothing before that. Every host message carries a sequence number; the panel drops anything
 * older than what it has shown, and a reply to an action names the request it answers.
 */
import type { TextRange } from '../findings.ts';
import type { ModelReport } from './model.ts';

export const PROTOCOL_VERSION = 1;
export const REPORT_VIEW_TYPE = 'modelInspect.report';

/** What the panel's buttons can ask for. The host sends only those whose command exists. */
export type ActionId =
  'refresh' | 'verify' | 'sign' | 'scan' | 'generateSbom' | 'runVulnerabilityScan' | 'exportReport';

export const ACTION_IDS: readonly ActionId[] = [
  'refresh',
  'verify',
  'sign',
  'scan',
  'generateSbom',
  'runVulnerabilityScan',
  'exportReport',
];

export interface PanelAction {
  id: ActionId;
  title: string;
}

export interface PanelTarget {
  /** The model folder (absolute). */
  root: string;
  name: string;
}

export interface PanelProgress {
  message: string;
  /** Whether the host accepts a `cancel` for it. */
  cancellable: boolean;
}

export interface PanelState {
  status: 'loading' | 'ready' | 'error';
  target: PanelTarget;
  /** Present while work runs (also during `ready`, when a refresh runs over a shown report). */
  progress?: PanelProgress;
  error?: string;
  report?: ModelReport;
  actions: PanelAction[];
}

export type HostMessage =
  | { type: 'state'; seq: number; state: PanelState }
  | { type: 'actionResult'; seq: number; requestId: number; ok: boolean; message: string };

export type PanelMessage =
  | { type: 'ready'; protocol: number }
  | { type: 'open'; file: string; range?: TextRange; offset?: number }
  | { type: 'action'; requestId: number; action: ActionId }
  | { type: 'cancel' };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

function isRange(v: unknown): v is TextRange {
  const pos = (p: unknown) => isObj(p) && isInt(p.line) && isInt(p.character);
  return isObj(v) && pos(v.start) && pos(v.end);
}

/** The host checks every message from the panel: a webview is a browser, and its input is untrusted. */
export function isPanelMessage(v: unknown): v is PanelMessage {
  if (!isObj(v)) return false;
  switch (v.type) {
    case 'ready':
      return isInt(v.protocol);
    case 'open':
      return (
        typeof v.file === 'string' &&
        v.file.length > 0 &&
        (v.range === undefined || isRange(v.range)) &&
        (v.offset === undefined || isInt(v.offset))
      );
    case 'action':
      return isInt(v.requestId) && typeof v.action === 'string' && (ACTION_IDS as readonly string[]).includes(v.action);
    case 'cancel':
      return true;
    default:
      return false;
  }
}

export function isHostMessage(v: unknown): v is HostMessage {
  if (!isObj(v) || !isInt(v.seq)) return false;
  if (v.type === 'state')
    return (
      isObj(v.state) &&
      (v.state.status === 'loading' || v.state.status === 'ready' || v.state.status === 'error') &&
      isObj(v.state.target) &&
      Array.isArray(v.state.actions)
    );
  if (v.type === 'actionResult')
    return isInt(v.requestId) && typeof v.ok === 'boolean' && typeof v.message === 'string';
  return false;
}

/** What the webview keeps with `setState`, so a reloaded or restored panel shows the same thing. */
export interface PersistedPanelState {
  protocol: number;
  seq: number;
  state: PanelState;
  ui: { sbomFilter: string; sbomSort: { column: string; descending: boolean }; vulnFilter: string };
}

export function isPersistedPanelState(v: unknown): v is PersistedPanelState {
  return (
    isObj(v) &&
    v.protocol === PROTOCOL_VERSION &&
    isInt(v.seq) &&
    isObj(v.state) &&
    isObj((v.state as Record<string, unknown>).target) &&
    isObj(v.ui)
  );
}

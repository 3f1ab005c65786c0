import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeNonce, panelHtml } from '../../../src/core/report/html.ts';
import {
  isHostMessage,
  isPanelMessage,
  isPersistedPanelState,
  PROTOCOL_VERSION,
} from '../../../src/core/report/protocol.ts';

test('panel messages are validated before the host acts on them', () => {
  const ok = [
    { type: 'ready', protocol: 1 },
    {
      type: 'open',
      file: '/m/model-card.yaml',
      range: { start: { line: 1, character: 2 }, end: { line: 1, character: 9 } },
    },
    { type: 'open', file: '/m/model.pt', offset: 42 },
    { type: 'action', requestId: 3, action: 'generateSbom' },
    { type: 'cancel' },
  ];
  for (const m of ok) assert.equal(isPanelMessage(m), true, JSON.stringify(m));
  const bad = [
    null,
    'ready',
    [],
    { type: 'ready' },
    { type: 'open', file: '' },
    { type: 'open', file: 'x', offset: -1 },
    { type: 'open', file: 'x', range: { start: { line: 1 } } },
    { type: 'action', requestId: 1, action: 'rm -rf' },
    { type: 'action', requestId: -1, action: 'refresh' },
    { type: 'runCommand', command: 'workbench.action.terminal.new' },
  ];
  for (const m of bad) assert.equal(isPanelMessage(m), false, JSON.stringify(m));
});

test('host messages carry a sequence number and a whole state', () => {
  const state = { status: 'ready', target: { root: '/m', name: 'm' }, actions: [] };
  assert.equal(isHostMessage({ type: 'state', seq: 1, state }), true);
  assert.equal(isHostMessage({ type: 'state', state }), false);
  assert.equal(isHostMessage({ type: 'state', seq: 1, state: { ...state, status: 'done' } }), false);
  assert.equal(isHostMessage({ type: 'actionResult', seq: 2, requestId: 1, ok: true, message: 'x' }), true);
  assert.equal(isPersistedPanelState({ protocol: PROTOCOL_VERSION, seq: 4, state, ui: {} }), true);
  assert.equal(isPersistedPanelState({ protocol: 0, seq: 4, state, ui: {} }), false);
});

test('the HTML shell: default-src none, nonce on scripts and the toolkit style probe, no inline code, escaped attributes', () => {
  const nonce = makeNonce((n) => new Uint8Array(n).map((_, i) => i * 7));
  assert.match(nonce, /^[A-Za-z0-9]{32}$/);
  const html = panelHtml({
    cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
    nonce,
    scriptUri: 'https://x/dist/webview.js?a=1&b="2"',
    styleUri: 'https://x/media/report.css',
    title: 'Model Report: <evil>',
  });
  const csp = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html)![1];
  assert.match(csp, /^default-src 'none'; /);
  assert.match(csp, new RegExp(`script-src 'nonce-${nonce}'`));
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https:\s|\*/);
  assert.match(html, new RegExp(`<meta property="csp-nonce" content="${nonce}">`));
  assert.match(html, /<title>Model Report: &lt;evil&gt;<\/title>/);
  assert.match(html, /src="https:\/\/x\/dist\/webview\.js\?a=1&amp;b=&quot;2&quot;"/);
  // every <script> has the nonce and a src: nothing inline
  for (const tag of html.match(/<script[^>]*>/g) ?? []) assert.match(tag, new RegExp(`nonce="${nonce}" src=`));
  assert.doesNotMatch(html, /<script[^>]*>[^<]+<\/script>/);
  assert.doesNotMatch(html, /style="/);
});

/**
 * The built report panel in Chromium: the real app bundle (webview/main.ts, bundled by esbuild for
 * the browser), the real HTML shell and CSP (src/core/report/html.ts), and a stand-in for
 * acquireVsCodeApi that records what the panel posts. Screenshots go to test/output/.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import esbuild from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { DEFAULT_ENGINES } from '../../../src/core/gate/engines.ts';
import { buildModelReport } from '../../../src/core/report/build.ts';
import type { ModelReport } from '../../../src/core/report/model.ts';
import { panelHtml } from '../../../src/core/report/html.ts';
import type { PanelState } from '../../../src/core/report/protocol.ts';
import { REPO } from '../helpers.ts';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SKIP = fs.existsSync(CHROMIUM)
  ? false
  : `Chromium not found at ${CHROMIUM} (set CHROMIUM_PATH or install Debian's chromium): the panel's browser tests are skipped`;
const OUT = path.join(REPO, 'test', 'output');
const NONCE = 'TestNonce0123456789abcdefABCDEF0';

/** Hostile strings as a model file could carry them: markup, script, event handlers. */
const XSS_CARD = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
/** The module and name a real pickle imports: the scanner reports them, the panel shows them. */
const XSS_MODULE = '<img src=x onerror="window.__pwned=3">';
const XSS_NAME = '<script>window.__pwned=5</script>';
const XSS_GLOBAL = `${XSS_MODULE}.${XSS_NAME}`;

const THEMES: Record<string, Record<string, string>> = {
  dark: {
    '--vscode-foreground': '#cccccc',
    '--vscode-editor-background': '#1e1e1e',
    '--vscode-font-family': 'sans-serif',
    '--vscode-font-size': '13px',
    '--vscode-descriptionForeground': '#9d9d9d',
    '--vscode-textLink-foreground': '#3794ff',
    '--vscode-focusBorder': '#007fd4',
    '--vscode-button-background': '#0e639c',
    '--vscode-button-foreground': '#ffffff',
    '--vscode-panel-border': '#444',
    '--vscode-editor-font-family': 'monospace',
    '--vscode-textBlockQuote-background': '#2a2a2a',
    '--vscode-input-background': '#3c3c3c',
    '--vscode-input-foreground': '#cccccc',
    '--vscode-badge-background': '#4d4d4d',
    '--vscode-badge-foreground': '#ffffff',
  },
  light: {
    '--vscode-foreground': '#3b3b3b',
    '--vscode-editor-background': '#ffffff',
    '--vscode-font-family': 'sans-serif',
    '--vscode-font-size': '13px',
    '--vscode-descriptionForeground': '#717171',
    '--vscode-textLink-foreground': '#005fb8',
    '--vscode-focusBorder': '#005fb8',
    '--vscode-button-background': '#005fb8',
    '--vscode-button-foreground': '#ffffff',
    '--vscode-panel-border': '#ddd',
    '--vscode-editor-font-family': 'monospace',
    '--vscode-textBlockQuote-background': '#f2f2f2',
    '--vscode-input-background': '#ffffff',
    '--vscode-input-foreground': '#3b3b3b',
    '--vscode-badge-background': '#cccccc',
    '--vscode-badge-foreground': '#333333',
  },
  'high-contrast': {
    '--vscode-foreground': '#ffffff',
    '--vscode-editor-background': '#000000',
    '--vscode-font-family': 'sans-serif',
    '--vscode-font-size': '13px',
    '--vscode-contrastBorder': '#6fc3df',
    '--vscode-descriptionForeground': '#ffffff',
    '--vscode-textLink-foreground': '#21a6ff',
    '--vscode-focusBorder': '#f38518',
    '--vscode-button-background': '#000000',
    '--vscode-button-foreground': '#ffffff',
    '--vscode-panel-border': '#6fc3df',
    '--vscode-editor-font-family': 'monospace',
    '--vscode-input-background': '#000000',
    '--vscode-input-foreground': '#ffffff',
  },
};

let browser: Browser | undefined;
let dir = '';
let report: ModelReport;

function state(over: Partial<PanelState> = {}): PanelState {
  return {
    status: 'ready',
    target: { root: report.evidence.root, name: 'hostile-model' },
    report,
    actions: [
      { id: 'refresh', title: 'Verify Again' },
      { id: 'generateSbom', title: 'Generate ML-BOM' },
      { id: 'exportReport', title: 'Export Report' },
    ],
    ...over,
  };
}

/** A page with the panel, a theme, and optionally a state the stand-in returns from getState(). */
async function openPanel(theme = 'dark', restored?: unknown): Promise<{ page: Page; errors: string[] }> {
  const standIn = path.join(dir, `stand-in-${theme}-${restored ? 'restored' : 'fresh'}.js`);
  fs.writeFileSync(
    standIn,
    `
    window.__posted = [];
    document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' by ' + (e.target && e.target.nodeName) + ' ' + (e.target && e.target.outerHTML ? e.target.outerHTML.slice(0, 160) : '') + ' sample ' + e.sample));
    window.__saved = ${JSON.stringify(restored ?? null)};
    let acquired = false;
    window.acquireVsCodeApi = () => {
      if (acquired) throw new Error('acquireVsCodeApi called twice');
      acquired = true;
      return {
        postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
        getState: () => window.__saved,
        setState: (s) => { window.__saved = JSON.parse(JSON.stringify(s)); },
      };
    };
    const vars = ${JSON.stringify(THEMES[theme])};
    for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(k, v);
    document.addEventListener('DOMContentLoaded', () => document.body.classList.add(${JSON.stringify(theme === 'high-contrast' ? 'vscode-high-contrast' : `vscode-${theme}`)}));
  `,
  );
  const html = panelHtml({
    cspSource: 'file:',
    nonce: NONCE,
    title: 'Model report',
    scriptUri: pathToFileURL(path.join(dir, 'webview.js')).href,
    styleUri: pathToFileURL(path.join(REPO, 'media', 'report.css')).href,
    preludeScripts: [pathToFileURL(standIn).href],
  });
  const file = path.join(dir, `panel-${theme}-${restored ? 'r' : 'f'}.html`);
  fs.writeFileSync(file, html);
  const page = await browser!.newPage({ viewport: { width: 1200, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(pathToFileURL(file).href);
  await page.waitForFunction(() => (globalThis as unknown as PageGlobals).__posted.some((m) => m.type === 'ready'));
  return { page, errors };
}

/**
 * The page's globals as the callbacks passed to page.evaluate use them: this file is type-checked as
 * Node code (no DOM lib), and those callbacks run in the browser, where these exist.
 */
interface PageGlobals {
  __posted: Record<string, unknown>[];
  __pwned?: number;
  __saved: unknown;
  postMessage(message: unknown, targetOrigin: string): void;
  document: {
    querySelectorAll(selector: string): { length: number };
    getElementById(id: string): { textContent: string | null } | null;
  };
}

async function send(page: Page, message: unknown): Promise<void> {
  await page.evaluate((m) => (globalThis as unknown as PageGlobals).postMessage(m, '*'), message);
}

const posted = (page: Page) => page.evaluate(() => (globalThis as unknown as PageGlobals).__posted);

describe('report panel in Chromium', { skip: SKIP }, () => {
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mi-panel-'));
    await esbuild.build({
      entryPoints: [path.join(REPO, 'webview', 'main.ts')],
      bundle: true,
      outfile: path.join(dir, 'webview.js'),
      platform: 'browser',
      format: 'iife',
      target: 'es2022',
      logLevel: 'silent',
    });
    // A model folder whose files carry markup and script in every string the panel shows.
    const model = path.join(dir, 'hostile-model');
    fs.mkdirSync(model);
    fs.writeFileSync(
      path.join(model, 'model-card.yaml'),
      [
        'model_details:',
        `  name: '${XSS_CARD}'`,
        '  version: "1.0.0"',
        '  license: "Apache-2.0"',
        'security:',
        '  last_security_review: 2025-05-01',
        '  sbom_ref: "sbom.cdx.json"',
        'known_limitations:',
        `  - '${XSS_CARD}'`,
      ].join('\n'),
    );
    // A protocol-2 pickle: GLOBAL <module> <name>, an empty tuple, REDUCE: a call on load.
    fs.writeFileSync(
      path.join(model, 'model.pt'),
      Buffer.concat([Buffer.from([0x80, 0x02]), Buffer.from(`c${XSS_MODULE}\n${XSS_NAME}\n)R.`, 'latin1')]),
    );
    fs.writeFileSync(
      path.join(model, 'sbom.cdx.json'),
      JSON.stringify({
        bomFormat: 'CycloneDX',
        specVersion: '1.6',
        version: 1,
        components: [
          {
            type: 'library',
            name: '<svg onload="window.__pwned=4">torch',
            version: '2.1.2',
            purl: 'pkg:pypi/torch@2.1.2',
            licenses: [{ license: { id: 'BSD-3-Clause' } }],
            hashes: [{ alg: 'SHA-256', content: 'ab'.repeat(32) }],
          },
          { type: 'library', name: 'numpy', version: '1.26.4', purl: 'pkg:pypi/numpy@1.26.4' },
          { type: 'library', name: 'safetensors', version: '0.4.1', purl: 'pkg:pypi/safetensors@0.4.1' },
        ],
      }),
    );
    fs.writeFileSync(
      path.join(model, 'grype.json'),
      JSON.stringify({
        matches: [
          {
            vulnerability: {
              id: 'GHSA-pg7h-5qx3-wjr3',
              severity: 'Critical',
              fix: { versions: ['2.6.0'], state: 'fixed' },
            },
            artifact: { name: 'torch', version: '2.1.2' },
          },
          {
            vulnerability: { id: 'CVE-2024-0001', severity: 'Low', fix: { versions: [], state: 'not-fixed' } },
            artifact: { name: 'numpy', version: '1.26.4' },
          },
        ],
        descriptor: { name: 'grype' },
      }),
    );
    report = await buildModelReport(model, {
      now: new Date('2025-06-01T00:00:00Z'),
      tools: { pathEnv: '' },
      // The real engines: the model card engine and the pickle scanner read the hostile files.
      engines: DEFAULT_ENGINES,
      chain: true,
    });
    // An archive member name is attacker-chosen too (zip entry names): add one to a scan finding.
    const pickleFinding = report.evidence.scan.files
      .flatMap((f) => f.findings)
      .find((f) => f.ruleId === 'scan/pickle-unsafe-call');
    assert.ok(pickleFinding, 'the scanner reports the call');
    pickleFinding.member = '<b>data.pkl</b>';
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    fs.mkdirSync(OUT, { recursive: true });
  });
  after(async () => {
    await browser?.close();
  });

  test('says ready first, then renders every section of the state it is sent', async () => {
    const { page, errors } = await openPanel('dark');
    const first = await posted(page);
    assert.deepEqual(first, [{ type: 'ready', protocol: 1 }]);
    await send(page, { type: 'state', seq: 1, state: state() });
    await page.waitForSelector('#verdict-banner');
    assert.match((await page.textContent('#verdict-banner')) ?? '', /Promotion BLOCKED/);
    for (const id of ['verdict', 'signatures', 'sbom', 'vulnerabilities', 'scan', 'card', 'chain'])
      assert.ok(await page.$(`section#${id}`), `section ${id}`);
    const checks = await page.$$eval('tr[data-check]', (rows) =>
      rows.map((r) => [r.getAttribute('data-check'), r.getAttribute('data-status')]),
    );
    assert.deepEqual(Object.fromEntries(checks), {
      policy: 'pass',
      signatures: 'fail',
      provenance: 'skip',
      scan: 'fail',
      sbom: 'fail',
      vulnerabilities: 'fail',
      'model-card': 'fail',
    });
    assert.match(
      (await page.textContent('tr[data-check="vulnerabilities"]')) ?? '',
      /GHSA-pg7h-5qx3-wjr3 \(critical\) in torch 2\.1\.2; fixed in 2\.6\.0/,
    );
    assert.match((await page.textContent('#vulnerabilities-table')) ?? '', /CVE-2024-0001/);
    assert.match((await page.textContent('#tools-missing')) ?? '', /grype.*install/s);
    assert.equal(await page.$$eval('#sbom-table tbody tr', (r) => r.length), 3);
    await page.screenshot({ path: path.join(OUT, 'report-panel-dark.png'), fullPage: true });
    assert.deepEqual(errors, [], 'no script errors and no CSP violations');
    await page.close();
  });

  test('strings from model files are shown as text, never run or parsed as markup', async () => {
    const { page, errors } = await openPanel('dark');
    await send(page, { type: 'state', seq: 1, state: state() });
    await page.waitForSelector('#card');
    const probe = await page.evaluate(() => {
      const win = globalThis as unknown as PageGlobals;
      return {
        pwned: win.__pwned,
        scripts: win.document.querySelectorAll('#app script').length,
        injected: win.document.querySelectorAll('#app img, #app svg, #app b').length,
        text: win.document.getElementById('app')!.textContent,
      };
    });
    assert.equal(probe.pwned, undefined);
    assert.equal(probe.scripts, 0);
    assert.equal(probe.injected, 0);
    assert.ok(probe.text!.includes(XSS_CARD), 'the card value is shown literally');
    assert.ok(probe.text!.includes(XSS_GLOBAL), 'the pickle global is shown literally');
    assert.ok(
      await page.$eval('#scan', (el) =>
        el.textContent!.includes('<img src=x onerror="window.__pwned=3">.<script>window.__pwned=5</script>'),
      ),
      "in the Scan section's Import column",
    );
    assert.ok(probe.text!.includes('<b>data.pkl</b>'), 'the archive member is shown literally');
    assert.ok(probe.text!.includes('<svg onload="window.__pwned=4">torch'), 'the SBOM name is shown literally');
    await page.screenshot({ path: path.join(OUT, 'report-panel-escaping.png'), fullPage: true });
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('SBOM filter and sort, by mouse and keyboard; locations and actions post typed messages', async () => {
    const { page } = await openPanel('light');
    await send(page, { type: 'state', seq: 1, state: state() });
    await page.waitForSelector('#sbom-table');
    await page.locator('#sbom-table-filter input').fill('numpy');
    assert.deepEqual(await page.$$eval('#sbom-table tbody tr td:first-child', (c) => c.map((x) => x.textContent)), [
      'numpy',
    ]);
    await page.locator('#sbom-table-filter input').fill('');
    await page.click('#sbom-table button.sort[data-column="version"]');
    assert.deepEqual(await page.$$eval('#sbom-table tbody tr td:nth-child(2)', (c) => c.map((x) => x.textContent)), [
      '0.4.1',
      '1.26.4',
      '2.1.2',
    ]);
    await page.focus('#sbom-table button.sort[data-column="version"]');
    await page.keyboard.press('Enter');
    assert.deepEqual(await page.$$eval('#sbom-table tbody tr td:nth-child(2)', (c) => c.map((x) => x.textContent)), [
      '2.1.2',
      '1.26.4',
      '0.4.1',
    ]);
    assert.equal(await page.getAttribute('#sbom-table th:nth-child(2)', 'aria-sort'), 'descending');
    // A card finding's location, activated from the keyboard.
    const link = page.locator('#card ul.findings button.link').first();
    await link.focus();
    await page.keyboard.press('Enter');
    const open = (await posted(page)).find((m) => m.type === 'open') as { file: string; range?: unknown };
    assert.ok(open && open.file.endsWith('model-card.yaml') && open.range, JSON.stringify(open));
    // The pickle finding's offset opens the weight file at that byte.
    await page.click('#scan button.link >> text=/model\\.pt@\\d+/');
    const openOffset = (await posted(page)).filter((m) => m.type === 'open').pop() as { file: string; offset?: number };
    assert.ok(
      openOffset.file.endsWith('model.pt') && typeof openOffset.offset === 'number',
      JSON.stringify(openOffset),
    );
    await page.click('#action-refresh');
    const action = (await posted(page)).find((m) => m.type === 'action') as { requestId: number; action: string };
    assert.equal(action.action, 'refresh');
    await send(page, {
      type: 'actionResult',
      seq: 2,
      requestId: action.requestId,
      ok: true,
      message: 'Verified again: 0 signatures',
    });
    await page.waitForSelector('text=Verified again: 0 signatures');
    await page.screenshot({ path: path.join(OUT, 'report-panel-light.png'), fullPage: true });
    await page.close();
  });

  test('loading and error states, stale messages dropped, state restored after a reload', async () => {
    const { page } = await openPanel('high-contrast');
    await send(page, {
      type: 'state',
      seq: 5,
      state: state({
        status: 'loading',
        report: undefined,
        progress: { message: 'scanning weight files', cancellable: true },
      }),
    });
    await page.waitForSelector('#progress');
    assert.match((await page.textContent('#progress')) ?? '', /scanning weight files/);
    await page.click('#cancel');
    assert.ok((await posted(page)).some((m) => m.type === 'cancel'));
    await send(page, { type: 'state', seq: 3, state: state() }); // older than what is shown
    assert.equal(await page.$('#verdict-banner'), null);
    await send(page, {
      type: 'state',
      seq: 6,
      state: state({ status: 'error', report: undefined, error: 'EACCES: permission denied' }),
    });
    await page.waitForSelector('#error');
    assert.match((await page.textContent('#error')) ?? '', /EACCES/);
    await send(page, { type: 'state', seq: 7, state: state() });
    await page.waitForSelector('#verdict-banner');
    await page.locator('#sbom-table-filter input').fill('torch');
    await page.screenshot({ path: path.join(OUT, 'report-panel-high-contrast.png'), fullPage: true });
    const saved = await page.evaluate(() => (globalThis as unknown as PageGlobals).__saved);
    await page.close();
    // A reloaded webview (or one restored by the serializer) gets its last state from getState().
    const again = await openPanel('dark', saved);
    await again.page.waitForSelector('#verdict-banner');
    assert.equal(await again.page.$$eval('#sbom-table tbody tr', (r) => r.length), 1, 'the filter was restored');
    assert.equal(await again.page.inputValue('#sbom-table-filter input'), 'torch');
    await again.page.close();
  });

  test('a huge SBOM renders a bounded number of rows and says so; the filter still searches all', async () => {
    const { page } = await openPanel('dark');
    const big = JSON.parse(JSON.stringify(report)) as ModelReport;
    big.evidence.sbom.sboms[0].components = Array.from({ length: 20_000 }, (_, i) => ({
      name: `pkg-${i}`,
      version: '1.0',
      type: 'library',
      licenses: [],
      hashes: [],
    }));
    await send(page, { type: 'state', seq: 1, state: state({ report: big }) });
    await page.waitForSelector('#sbom-table');
    assert.equal(await page.$$eval('#sbom-table tbody tr', (r) => r.length), 1001);
    assert.match((await page.textContent('#sbom-table')) ?? '', /Showing the first 1000 of 20000 rows/);
    await page.locator('#sbom-table-filter input').fill('pkg-19999');
    assert.deepEqual(await page.$$eval('#sbom-table tbody tr td:first-child', (c) => c.map((x) => x.textContent)), [
      'pkg-19999',
    ]);
    // Bounded by the rows in the DOM (counted above), not by a wall clock, which flakes under load.
    await page.close();
  });

  test('garbage from the host is ignored', async () => {
    const { page, errors } = await openPanel('dark');
    await send(page, { type: 'state', seq: 1, state: state() });
    await page.waitForSelector('#verdict-banner');
    for (const junk of [
      null,
      'state',
      { type: 'state' },
      { type: 'state', seq: 2, state: { status: 'weird' } },
      { type: 'nope', seq: 9 },
    ])
      await send(page, junk);
    assert.ok(await page.$('#verdict-banner'));
    assert.deepEqual(errors, []);
    await page.close();
  });
});

import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM } from './paths.ts';

/**
 * Debian's chromium, headless, driven by playwright-core (which never downloads a browser).
 * Playwright refuses --user-data-dir here and makes a fresh temp profile itself; chromium's crash
 * reporter still writes under $HOME, so HOME points into the run folder.
 */
export async function launchChromium(home: string): Promise<Browser> {
  return chromium.launch({
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
    env: { ...process.env, HOME: home },
  });
}

/** Mirrors the page's console errors into a file, for the failure report. */
export function recordConsole(page: Page, file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const out = fs.createWriteStream(file);
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') out.write(`[${m.type()}] ${m.text()}\n`);
  });
  page.on('pageerror', (e) => out.write(`[pageerror] ${e.message}\n`));
  page.once('close', () => out.end());
}

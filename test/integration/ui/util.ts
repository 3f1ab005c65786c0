/**
 * Workbench helpers for UI tests (VS Code 1.100 selectors; they differ between versions, which
 * is why UI tests stay few and most assertions live in the extension-host suite).
 */
import type { FrameLocator, Locator, Page } from 'playwright-core';

/** Runs a command from the palette (F1) by its visible title, e.g. "Model Inspect: Show Rule Help". */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
  await page.keyboard.press('Enter');
}

/** Opens a workspace file through Quick Open (Ctrl+P), as a person would, and waits for its editor. */
export async function openFile(page: Page, name: string): Promise<Locator> {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.tabs-container .tab.active', { hasText: name }).waitFor();
  const editor = page.locator('.editor-instance .monaco-editor').first();
  await editor.locator('.view-lines').waitFor();
  return editor;
}

/** Closes editors, panels' focus and any open widget, so the next test starts from a plain window. */
export async function resetWindow(page: Page): Promise<void> {
  await page.keyboard.press('Escape');
  await page.keyboard.press('Escape');
  await runCommand(page, 'View: Close All Editors');
  // Within the page's default timeout (not a shorter one of its own, which a loaded machine beats):
  // the next test must not start while the editors are still closing.
  await page
    .locator('.tabs-container .tab')
    .first()
    .waitFor({ state: 'detached' })
    .catch(() => undefined);
}

/** A line of the visible editor by (part of) its text. */
export function editorLine(editor: Locator, text: string): Locator {
  return editor.locator('.view-lines .view-line', { hasText: text });
}

/** The content frame of the newest webview (webviews nest two iframes deep). */
export function webviewContent(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').last().frameLocator('iframe#active-frame');
}

import * as assert from 'node:assert/strict';
import type { UiTest } from './types.ts';
import { openFile, resetWindow, runCommand, webviewContent } from './util.ts';

/** The report panel as a person sees it in the workbench: the real webview, with the gate's result. */
export const uiTests: UiTest[] = [
  {
    name: 'report-panel',
    async run({ page, screenshot, log }) {
      // With the model card active, the command reports on the model folder it belongs to.
      await openFile(page, 'model-card.yaml');
      await runCommand(page, 'Model Inspect: Open Model Report');
      await page.locator('.tabs-container .tab.active', { hasText: 'Model Report' }).waitFor();
      const panel = webviewContent(page);
      const heading = panel.locator('h1').first();
      await heading.waitFor();
      await panel.locator('#action-refresh').waitFor();
      // The panel shows "loading" until the gate's first run is in: wait for the result itself.
      await panel.locator('body', { hasText: 'yaml/duplicate-key' }).waitFor();
      const text = await panel.locator('body').innerText();
      log(
        'report heading:',
        await heading.innerText(),
        '|',
        text.split('\n').find((l) => /promotion/i.test(l)),
      );
      // The fixture's card has errors (a duplicate key, missing fields): the gate must block it and say why.
      assert.match(text, /blocked/i, 'the verdict blocks promotion');
      assert.match(text, /yaml\/duplicate-key/, "the model-card check names the card's errors");
      await screenshot('report-panel');
      await resetWindow(page);
    },
  },
];

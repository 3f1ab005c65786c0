import type { Page } from 'playwright-core';

/**
 * A UI test: drives the real workbench in Chromium and looks at what a person sees. Files named
 * test/integration/ui/*.ui.ts export `uiTests: UiTest[]`; the harness runs them in order in one
 * window (loading the workbench is the slow part), so each test starts by bringing the window to
 * the state it needs (ui/util.ts has the helpers).
 */
export interface UiTest {
  name: string;
  run(ctx: UiContext): Promise<void>;
}

export interface UiContext {
  page: Page;
  /** The per-run copy of test/integration/workspace/ that the window has open. */
  workspace: string;
  /** Saves test/output/ui-<name>.png and returns its path. */
  screenshot(name: string): Promise<string>;
  log(...parts: unknown[]): void;
}

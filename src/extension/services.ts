import type * as vscode from 'vscode';
import type { LiveValidation } from './liveValidation.ts';

/** What every feature module gets when it registers itself. */
export interface Services {
  context: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  live: LiveValidation;
}

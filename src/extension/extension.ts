import * as vscode from 'vscode';
import { FindingCodeActions } from './codeActions.ts';
import { RuleHelpHover } from './hovers.ts';
import { LiveValidation } from './liveValidation.ts';
import { registerModelCard } from './modelCard.ts';
import { registerModelCardEditing } from './modelCardEditing.ts';
import { registerReport } from './reportCommands.ts';
import { registerPython } from './python.ts';
import { registerCardWeightReferences } from './convertCards.ts';
import { registerConvert } from './convert.ts';
import { registerRuleHelp } from './ruleHelp.ts';
import { registerScan } from './scan.ts';
import type { Services } from './services.ts';
import type { ModelReport } from '../core/report/model.ts';
import type { ActionId } from '../core/report/protocol.ts';
import { workUnder, type WorkCounts } from './work.ts';
import { registerSigning } from './signing.ts';
import { registerWorkflow } from './workflow.ts';
import { registerRegistry } from './registry.ts';
import { registerK8s } from './k8s.ts';

/**
 * What the extension gives other extensions and its integration tests: the services, the model
 * store's verdicts, the report panels' buttons, and the engine work done per path.
 */
export interface ExtensionApi extends Services {
  models: {
    /** The model's report as the files are now (runs the gate only when out of date). */
    current(root: string): Promise<ModelReport | undefined>;
    /** Whether a gate run is queued, waiting for a burst of changes to end, or running. */
    pending(root: string): boolean;
  };
  /** Presses a button of the open report panel of `root`; resolves with the message it shows. */
  panelAction(root: string, action: ActionId): Promise<string>;
  /** Gate runs, verifications and scans done on `path` and below it since activation. */
  work(path: string): WorkCounts;
}

/**
 * Activation registers listeners and providers only; each engine does its work on the first
 * document or command that needs it. Everything registered goes into context.subscriptions.
 */
export function activate(context: vscode.ExtensionContext): ExtensionApi {
  const log = vscode.window.createOutputChannel('Model Supply Chain Inspector', { log: true });
  const live = new LiveValidation();
  context.subscriptions.push(log, live);
  const services: Services = { context, log, live };

  registerRuleHelp(context);
  // Notebook cells are documents of their own scheme; Python checks run on them.
  const selector: vscode.DocumentSelector = [
    { scheme: 'file' },
    { scheme: 'untitled' },
    { scheme: 'vscode-remote' },
    { scheme: 'vscode-notebook-cell', language: 'python' },
  ];
  context.subscriptions.push(
    vscode.languages.registerCodeActionsProvider(selector, new FindingCodeActions(), FindingCodeActions.metadata),
    vscode.languages.registerHoverProvider(selector, new RuleHelpHover()),
  );

  registerModelCard(services);
  registerModelCardEditing(services);
  registerWorkflow(services);
  registerK8s(services);
  registerPython(services);
  registerCardWeightReferences(services);
  registerConvert(services);
  registerScan(services);

  registerSigning(services);
  const { panels, store } = registerReport(services);
  registerRegistry(services, panels);

  log.info(`activated (VS Code ${vscode.version}, ${vscode.env.appName})`);
  return {
    ...services,
    models: { current: (root) => store.current(root), pending: (root) => store.get(root)?.pending ?? false },
    panelAction: async (root, action) => {
      const panel = panels.get(root);
      if (!panel) throw new Error(`no report panel is open for ${root}`);
      return panel.runAction(action);
    },
    work: workUnder,
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}

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
import { registerSigning } from './signing.ts';
import { registerWorkflow } from './workflow.ts';
import { registerRegistry } from './registry.ts';
import { registerK8s } from './k8s.ts';

/**
 * Activation registers listeners and providers only; each engine does its work on the first
 * document or command that needs it. Everything registered goes into context.subscriptions.
 */
export function activate(context: vscode.ExtensionContext): Services {
  const log = vscode.window.createOutputChannel('Model Supply Chain Inspector', { log: true });
  const live = new LiveValidation();
  context.subscriptions.push(log, live);
  const services: Services = { context, log, live };

  registerRuleHelp(context);
  // Notebook cells are documents of their own scheme; Python checks run on them.
  const selector: vscode.DocumentSelector = [{ scheme: 'file' }, { scheme: 'untitled' }, { scheme: 'vscode-remote' }, { scheme: 'vscode-notebook-cell', language: 'python' }];
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
  const panels = registerReport(services);
  registerRegistry(services, panels);

  log.info(`activated (VS Code ${vscode.version}, ${vscode.env.appName})`);
  return services;
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}

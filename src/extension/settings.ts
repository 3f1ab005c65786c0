import * as vscode from 'vscode';
import { isSeverity, type Severity } from '../core/findings.ts';
import type { RuleSettings } from '../core/ruleSettings.ts';

export const SECTION = 'modelInspect';

/** Per-rule settings for a resource (settings are resource-scoped, so a folder can differ). */
export function ruleSettings(scope?: vscode.Uri): RuleSettings {
  const cfg = vscode.workspace.getConfiguration(SECTION, scope);
  const raw = cfg.get<Record<string, string>>('rules.severity') ?? {};
  const severity: Record<string, Severity | 'off'> = {};
  for (const [id, v] of Object.entries(raw)) if (isSeverity(v) || v === 'off') severity[id] = v;
  return { severity, disabled: cfg.get<string[]>('rules.disabled') ?? [] };
}

export function setting<T>(key: string, fallback: T, scope?: vscode.Uri): T {
  return vscode.workspace.getConfiguration(SECTION, scope).get<T>(key) ?? fallback;
}

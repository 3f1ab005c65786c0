/**
 * Our thin wrapper over @vscode/webview-ui-toolkit (pinned 1.4.0; archived upstream). The rest of
 * the panel only calls these functions, so replacing the toolkit means rewriting this file alone.
 * The components take VS Code's theme from its CSS variables (light, dark, high contrast).
 */
import {
  provideVSCodeDesignSystem,
  vsCodeButton,
  vsCodeDivider,
  vsCodeProgressRing,
  vsCodeTextField,
} from '@vscode/webview-ui-toolkit';
import { h, type Child } from './dom.ts';

let registered = false;

export function registerToolkit(): void {
  if (registered) return;
  registered = true;
  provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeDivider(), vsCodeProgressRing(), vsCodeTextField());
}

export interface ButtonOptions {
  appearance?: 'primary' | 'secondary' | 'icon';
  ariaLabel?: string;
  title?: string;
  disabled?: boolean;
  onClick: () => void;
  id?: string;
}

export function button(label: Child, o: ButtonOptions): HTMLElement {
  const el = h(
    'vscode-button',
    {
      attrs: {
        appearance: o.appearance ?? 'secondary',
        'aria-label': o.ariaLabel,
        title: o.title,
        id: o.id,
        'data-action': o.id,
      },
      on: {
        click: () => {
          if (!el.hasAttribute('disabled')) o.onClick();
        },
      },
    },
    label,
  );
  if (o.disabled) el.setAttribute('disabled', '');
  return el;
}

/**
 * A small status label (PASS / FAIL / severities); `tone` picks the colour from the stylesheet.
 * Not the toolkit's <vscode-tag>/<vscode-badge>: their template binds a `style` attribute, which
 * the panel's CSP (no 'unsafe-inline') blocks. A styled span looks the same and needs nothing.
 */
export function tag(
  text: string,
  tone: 'pass' | 'fail' | 'skip' | 'critical' | 'high' | 'medium' | 'low' | 'info' | 'neutral',
): HTMLElement {
  return h('span', { className: `tag tone-${tone}`, attrs: { 'data-tone': tone } }, text);
}

export function textField(o: {
  placeholder: string;
  label: string;
  value: string;
  onInput: (value: string) => void;
  id?: string;
}): HTMLElement {
  const el = h('vscode-text-field', {
    attrs: { placeholder: o.placeholder, 'aria-label': o.label, value: o.value, id: o.id },
    on: { input: () => o.onInput((el as HTMLInputElement).value ?? '') },
  });
  return el;
}

export function progressRing(label: string): HTMLElement {
  return h('vscode-progress-ring', { attrs: { 'aria-label': label } });
}

export function divider(): HTMLElement {
  return h('vscode-divider', { attrs: { role: 'separator' } });
}

/** A link-styled control that runs `onActivate` (mouse or keyboard); never navigates. */
export function actionLink(label: Child, onActivate: () => void, title?: string): HTMLElement {
  // A native <button> styled as a link: focusable and Enter/Space-activated without extra code.
  return h('button', { className: 'link', attrs: { type: 'button', title }, on: { click: () => onActivate() } }, label);
}

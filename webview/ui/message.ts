import { editorMessage, messageParts, plainMessage } from '../../src/core/messageText.ts';
import { h } from './dom.ts';

/** A finding's message for the panel: its code spans as <code>, its command-line hints in the editor's words; nothing else is markup. */
export function messageNode(message: string): HTMLElement {
  return h(
    'span',
    { className: 'message' },
    ...messageParts(editorMessage(message)).map((p) => (p.kind === 'code' ? h('code', null, p.text) : p.text)),
  );
}

/** The same message as plain text (sorting, filtering, copying). */
export function messageText(message: string): string {
  return plainMessage(editorMessage(message));
}

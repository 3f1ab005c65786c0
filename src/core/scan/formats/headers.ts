/**
 * Header readers loaded on first use (the extension's `extension-scan-headers.js` chunk; a CLI
 * chunk): the .npy Python-literal reader and the chat-template tokenizer are needed only when such
 * a file is scanned, not when the extension activates.
 */
export { parseNpyHeader } from './npy.ts';
export { chatTemplateEscape } from './chatTemplate.ts';

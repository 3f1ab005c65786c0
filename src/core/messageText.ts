/**
 * How a finding's message reaches each face. The engine writes one message: Markdown with inline
 * code only (`security.sbom_ref`), and, where the user has to give an expectation, the command
 * line's word for it in a parenthesis (`(--key)`), the CLI being the face that reads messages as
 * they are. The editor's faces render it here: code spans as code (hovers, the report panel) or
 * as plain text (diagnostics, toasts, which VS Code shows as they are), and each command-line hint
 * in the editor's words (the setting or the policy key to use).
 *
 * Messages quote hostile text (names, card values): nothing but code spans is ever rendered, so a
 * link or an image in a model's file name stays text.
 */

export type MessagePart = { kind: 'text' | 'code'; text: string };

/** The message as text and code spans (a lone backtick is text). */
export function messageParts(message: string): MessagePart[] {
  const parts: MessagePart[] = [];
  const push = (kind: MessagePart['kind'], text: string) => {
    if (!text) return;
    const last = parts[parts.length - 1];
    if (last && last.kind === kind && kind === 'text') last.text += text;
    else parts.push({ kind, text });
  };
  let i = 0;
  while (i < message.length) {
    const open = message.indexOf('`', i);
    if (open < 0) break;
    let ticks = 1;
    while (message[open + ticks] === '`') ticks++;
    const fence = '`'.repeat(ticks);
    const close = findFence(message, open + ticks, ticks);
    if (close < 0) {
      push('text', message.slice(i, open + ticks));
      i = open + ticks;
      continue;
    }
    push('text', message.slice(i, open));
    push('code', message.slice(open + ticks, close));
    i = close + fence.length;
  }
  push('text', message.slice(i));
  return parts;
}

function findFence(s: string, from: number, ticks: number): number {
  let at = s.indexOf('`', from);
  while (at >= 0) {
    let n = 0;
    while (s[at + n] === '`') n++;
    if (n === ticks) return at;
    at = s.indexOf('`', at + n);
  }
  return -1;
}

/** Plain text for faces that show no Markdown (a diagnostic's message, a notification): code spans lose their backticks. */
export function plainMessage(message: string): string {
  return messageParts(message)
    .map((p) => p.text)
    .join('');
}

const MD_SPECIAL = /[\\`*_{}[\]()#+\-.!<>|~&]/g;

/** Markdown that renders the message's code spans and nothing else of it (its text is escaped). */
export function markdownMessage(message: string): string {
  return messageParts(message)
    .map((p) => {
      if (p.kind === 'text') return p.text.replace(MD_SPECIAL, '\\$&');
      const fence = p.text.includes('`') ? '``' : '`';
      const pad = p.text.startsWith('`') || p.text.endsWith('`') ? ' ' : '';
      return `${fence}${pad}${p.text}${pad}${fence}`;
    })
    .join('');
}

/**
 * The command line's hints and their words in the editor. A message gives the way to supply an
 * expectation as a parenthesis that starts with a flag of `model-inspect` (`(--key)`, `(--key, or
 * the policy's keys)`); in the editor the whole parenthesis becomes the words here. A test checks
 * that every such parenthesis in the engine's sources starts with a flag listed here.
 */
export const EDITOR_HINTS: Readonly<Record<string, string>> = {
  '--key': 'the `modelInspect.signing.publicKey` setting, or `gate.signatures.keys` in the promotion policy',
  '--certificate-chain': 'the `modelInspect.signing.certificateChain` setting',
  '--ignore-paths': 'the paths given to ignore',
  '--allow-insecure-registry': 'the `modelInspect.registry.insecureRegistries` setting',
  '--registry-username': '`docker login`, or a credential helper in `~/.docker/config.json`',
};

/** The message in the editor's words: each parenthesised `model-inspect` flag hint names the setting or policy key instead. */
export function editorMessage(message: string): string {
  return message.replace(/\((--[a-z][a-z-]*)\b[^()]*\)/g, (whole, flag: string) => {
    const words = EDITOR_HINTS[flag];
    return words === undefined ? whole : `(${words})`;
  });
}

/** "1 tensor", "2 tensors", "0 files" (the plural given when it is not the singular plus s). */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : pluralForm}`;
}

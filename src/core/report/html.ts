/**
 * The report panel's HTML shell. Pure, so the host and the browser tests build the same page.
 * CSP: nothing by default; the stylesheet and the script only from the extension's own resources
 * (`cspSource`), the script also needing the nonce; no remote content. The one inline style
 * allowed is the toolkit's own <style> probe, which carries the nonce: FAST reads it from
 * `<meta property="csp-nonce">` (microsoft/vscode-webview-ui-toolkit#545). No 'unsafe-inline'.
 * The shell holds no data: the app renders it from the state message with DOM APIs.
 */
export interface PanelHtmlOptions {
  cspSource: string;
  scriptUri: string;
  styleUri: string;
  nonce: string;
  title: string;
  /** Extra script tags (test stand-ins) with the nonce, placed before the app. */
  preludeScripts?: string[];
}

export function panelHtml(o: PanelHtmlOptions): string {
  const csp = [
    "default-src 'none'",
    `style-src ${o.cspSource} 'nonce-${o.nonce}'`,
    `font-src ${o.cspSource}`,
    `img-src ${o.cspSource}`,
    `script-src 'nonce-${o.nonce}'`,
  ].join('; ');
  const prelude = (o.preludeScripts ?? [])
    .map((src) => `  <script nonce="${attr(o.nonce)}" src="${attr(src)}"></script>\n`)
    .join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${attr(csp)}">
  <meta property="csp-nonce" content="${attr(o.nonce)}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <link rel="stylesheet" href="${attr(o.styleUri)}">
  <title>${text(o.title)}</title>
</head>
<body>
  <main id="app" aria-busy="true"><p class="placeholder">Loading the model report…</p></main>
${prelude}  <script nonce="${attr(o.nonce)}" src="${attr(o.scriptUri)}"></script>
</body>
</html>
`;
}

/** A nonce for one page load: 32 characters from [A-Za-z0-9], from a CSPRNG. */
export function makeNonce(random: (n: number) => Uint8Array): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return [...random(32)].map((b) => chars[b % chars.length]).join('');
}

function attr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function text(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

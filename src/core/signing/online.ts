/**
 * Everything that talks to Sigstore's services, as one lazily loaded unit: keyless signing (on
 * sigstore-js), the browser OIDC sign-in and the TUF refresh of the trusted root. Faces reach it
 * only through `await import('…/signing/online.ts')` when the user asks for an online action, so
 * neither the extension's activation nor an offline CLI command loads it (or sigstore-js's HTTP
 * stack). The build makes it a chunk of its own (esbuild.js); the constants every face shows live
 * in endpoints.ts.
 */
export { ambientIdentity, signPathKeyless, type KeylessOptions } from './keyless.ts';
export { browserIdentityToken, tokenIdentity, type BrowserFlowOptions } from './oidc.ts';
export { refreshTrustedRoot, type RefreshResult } from './tuf.ts';

/**
 * The public-good Sigstore services and what every face says about them, without loading the
 * online code (keyless.ts, oidc.ts, tuf.ts), which only the online chunk (online.ts) holds.
 */
export const PUBLIC_GOOD_FULCIO = 'https://fulcio.sigstore.dev';
export const PUBLIC_GOOD_REKOR = 'https://rekor.sigstore.dev';
export const SIGSTORE_OAUTH_ISSUER = 'https://oauth2.sigstore.dev/auth';

/** sigstore-js puts the whole identity token into some error messages; a token is a credential. */
export function redactTokens(text: string): string {
  return text.replace(/eyJ[\w-]*\.[\w-]*\.[\w-]*/g, '<identity token>');
}

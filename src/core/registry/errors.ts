/**
 * Everything that can go wrong talking to a registry, with a kind the findings are chosen by.
 * Messages say what was asked, of whom, and what came back; they never carry credentials.
 */
export type RegistryErrorKind =
  /** DNS, connection refused or reset, idle timeout. */
  | 'network'
  /** TLS handshake or certificate verification failed. */
  | 'tls'
  /** 401/403 after authenticating, or a token service that refused. */
  | 'auth'
  /** Manifest, blob or repository unknown (404). */
  | 'not-found'
  /** Any other HTTP status the operation cannot use. */
  | 'http'
  /** A size, count or redirect limit was reached: the operation is incomplete. */
  | 'limit'
  /** Content does not hash to its digest, or its size differs from its descriptor. */
  | 'digest'
  /** A manifest, index, token or tag list that is not what the specification says. */
  | 'invalid'
  /** A redirect the client refuses to follow (loop, downgrade to plain HTTP). */
  | 'redirect'
  /** Plain HTTP to a registry that is neither loopback nor explicitly allowed. */
  | 'insecure'
  /** The operation was cancelled by the caller. */
  | 'aborted';

export class RegistryError extends Error {
  override name = 'RegistryError';
  constructor(
    readonly kind: RegistryErrorKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export function isRegistryError(e: unknown): e is RegistryError {
  return e instanceof RegistryError;
}

/** Basic-auth headers, tokens and passwords never reach a message. */
export function redactSecrets(text: string): string {
  return text
    .replace(/(authorization:\s*)(basic|bearer)\s+\S+/gi, '$1$2 <redacted>')
    .replace(/\b(access_token|refresh_token|token|password)=[^&\s"]+/gi, '$1=<redacted>')
    .replace(/eyJ[\w-]*\.[\w-]*\.[\w-]*/g, '<token>');
}

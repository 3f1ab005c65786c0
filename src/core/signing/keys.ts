import crypto from 'node:crypto';

/**
 * Keys: PEM public keys (cosign.pub, model_signing keys), private keys (PEM PKCS#8/SEC1, or cosign's
 * encrypted `cosign.key`: scrypt + NaCl secretbox over PKCS#8 DER, as go-securesystemslib writes it),
 * the two key-hint conventions, and the hash that goes with each curve.
 */

export class KeyError extends Error {
  override name = 'KeyError';
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

export interface PemBlock {
  label: string;
  der: Buffer;
  text: string;
}

/** Every PEM block in `text`; text around the blocks (gnutls/openssl dumps) is ignored. */
export function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  for (const m of text.matchAll(PEM_BLOCK)) {
    out.push({ label: m[1], der: Buffer.from(m[2].replace(/[^A-Za-z0-9+/=]/g, ''), 'base64'), text: m[0] });
  }
  return out;
}

/** A public key from PEM text (`PUBLIC KEY`, or the key of a `CERTIFICATE`). */
export function parsePublicKey(text: string): crypto.KeyObject {
  const blocks = pemBlocks(text);
  const pub = blocks.find((b) => b.label === 'PUBLIC KEY');
  if (pub) return crypto.createPublicKey({ key: pub.der, format: 'der', type: 'spki' });
  const cert = blocks.find((b) => b.label === 'CERTIFICATE');
  if (cert) return new crypto.X509Certificate(cert.der).publicKey;
  if (blocks.some((b) => b.label.includes('PRIVATE KEY')))
    throw new KeyError('this is a private key; verification needs the public key (for example cosign.pub)');
  throw new KeyError('no PEM "PUBLIC KEY" block found');
}

/** cosign and sigstore-go: base64(sha256(DER SPKI)). */
export function cosignKeyHint(key: crypto.KeyObject): string {
  return crypto
    .createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('base64');
}

/** model_signing: hex(sha256(PEM SPKI)), Node's PEM being byte-identical to Python cryptography's. */
export function modelSigningKeyHint(key: crypto.KeyObject): string {
  return crypto
    .createHash('sha256')
    .update(key.export({ type: 'spki', format: 'pem' }) as string)
    .digest('hex');
}

/** True when `hint` names `key` under either convention (a hint is a lookup aid, never trust). */
export function hintMatches(hint: string, key: crypto.KeyObject): boolean {
  return hint === cosignKeyHint(key) || hint.toLowerCase() === modelSigningKeyHint(key);
}

/** The digest ECDSA uses with this key's curve (model_signing's rule; cosign uses it for P-384/521 too). */
export function hashForKey(key: crypto.KeyObject): 'sha256' | 'sha384' | 'sha512' | null {
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'secp384r1') return 'sha384';
    if (curve === 'secp521r1') return 'sha512';
    return 'sha256';
  }
  if (key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448') return null;
  return 'sha256';
}

const CURVE_NAMES: Record<string, string> = {
  prime256v1: 'ECDSA P-256',
  secp384r1: 'ECDSA P-384',
  secp521r1: 'ECDSA P-521',
};

/** One line naming a key: algorithm and cosign hint. */
export function describeKey(key: crypto.KeyObject): string {
  const d = key.asymmetricKeyDetails ?? {};
  const alg =
    key.asymmetricKeyType === 'ec'
      ? (CURVE_NAMES[d.namedCurve ?? ''] ?? `EC ${d.namedCurve}`)
      : key.asymmetricKeyType === 'rsa'
        ? `RSA ${d.modulusLength}`
        : String(key.asymmetricKeyType);
  return `${alg} public key ${keyFingerprint(key)}`;
}

/**
 * The one fingerprint of a public key shown everywhere (verify, sign, Generate Key Pair, the
 * panel): `sha256:` + hex SHA-256 of the DER SubjectPublicKeyInfo, the digest cosign's key hint
 * carries in base64. A public key, or its private key, gives the same fingerprint.
 */
export function keyFingerprint(key: crypto.KeyObject): string {
  const pub = key.type === 'private' ? crypto.createPublicKey(key) : key;
  return `sha256:${crypto
    .createHash('sha256')
    .update(pub.export({ type: 'spki', format: 'der' }))
    .digest('hex')}`;
}

/** A bundle's key hint in the same form: cosign's (base64 of the DER digest) becomes the fingerprint; model_signing's (a digest of the PEM) is named as such. */
export function describeKeyHint(hint: string): string {
  const raw = /^[A-Za-z0-9+/]{43}=$/.test(hint) ? Buffer.from(hint, 'base64') : undefined;
  if (raw?.length === 32) return `key ${`sha256:${raw.toString('hex')}`}`;
  return /^[0-9a-f]{64}$/i.test(hint)
    ? `model_signing key hint ${hint.toLowerCase()} (sha256 of the PEM key)`
    : `key hint ${JSON.stringify(hint.slice(0, 100))}`;
}

// ---------- cosign.key (encrypted) ----------

export const COSIGN_KEY_LABELS = ['ENCRYPTED SIGSTORE PRIVATE KEY', 'ENCRYPTED COSIGN PRIVATE KEY'] as const;

export function isEncryptedCosignKey(text: string): boolean {
  return pemBlocks(text).some((b) => (COSIGN_KEY_LABELS as readonly string[]).includes(b.label));
}

import crypto from 'node:crypto';
import nacl from 'tweetnacl';

/**
 * Keys: PEM public keys (cosign.pub, model_signing keys), private keys (PEM PKCS#8/SEC1, or cosign's
 * encrypted `cosign.key`: scrypt + NaCl secretbox over PKCS#8 DER, as go-securesystemslib writes it),
 * the two key-hint conventions, and the hash that goes with each curve.
 */

export class KeyError extends Error {
  override name = 'KeyError';
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

export interface PemBlock { label: string; der: Buffer; text: string }

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
  if (blocks.some((b) => b.label.includes('PRIVATE KEY'))) throw new KeyError('this is a private key; verification needs the public key (for example cosign.pub)');
  throw new KeyError('no PEM "PUBLIC KEY" block found');
}

/** cosign and sigstore-go: base64(sha256(DER SPKI)). */
export function cosignKeyHint(key: crypto.KeyObject): string {
  return crypto.createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('base64');
}

/** model_signing: hex(sha256(PEM SPKI)), Node's PEM being byte-identical to Python cryptography's. */
export function modelSigningKeyHint(key: crypto.KeyObject): string {
  return crypto.createHash('sha256').update(key.export({ type: 'spki', format: 'pem' }) as string).digest('hex');
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

const CURVE_NAMES: Record<string, string> = { prime256v1: 'ECDSA P-256', secp384r1: 'ECDSA P-384', secp521r1: 'ECDSA P-521' };

/** One line naming a key: algorithm and cosign hint. */
export function describeKey(key: crypto.KeyObject): string {
  const d = key.asymmetricKeyDetails ?? {};
  const alg = key.asymmetricKeyType === 'ec' ? CURVE_NAMES[d.namedCurve ?? ''] ?? `EC ${d.namedCurve}`
    : key.asymmetricKeyType === 'rsa' ? `RSA ${d.modulusLength}` : String(key.asymmetricKeyType);
  return `${alg} public key ${keyFingerprint(key)}`;
}

/**
 * The one fingerprint of a public key shown everywhere (verify, sign, Generate Key Pair, the
 * panel): `sha256:` + hex SHA-256 of the DER SubjectPublicKeyInfo, the digest cosign's key hint
 * carries in base64. A public key, or its private key, gives the same fingerprint.
 */
export function keyFingerprint(key: crypto.KeyObject): string {
  const pub = key.type === 'private' ? crypto.createPublicKey(key) : key;
  return `sha256:${crypto.createHash('sha256').update(pub.export({ type: 'spki', format: 'der' })).digest('hex')}`;
}

/** A bundle's key hint in the same form: cosign's (base64 of the DER digest) becomes the fingerprint; model_signing's (a digest of the PEM) is named as such. */
export function describeKeyHint(hint: string): string {
  const raw = /^[A-Za-z0-9+/]{43}=$/.test(hint) ? Buffer.from(hint, 'base64') : undefined;
  if (raw?.length === 32) return `key ${`sha256:${raw.toString('hex')}`}`;
  return /^[0-9a-f]{64}$/i.test(hint) ? `model_signing key hint ${hint.toLowerCase()} (sha256 of the PEM key)` : `key hint ${JSON.stringify(hint.slice(0, 100))}`;
}

// ---------- cosign.key (encrypted) ----------

export const COSIGN_KEY_LABELS = ['ENCRYPTED SIGSTORE PRIVATE KEY', 'ENCRYPTED COSIGN PRIVATE KEY'] as const;
/** go-securesystemslib accepts exactly these scrypt work factors (legacy, standard, OWASP). */
const SCRYPT_N = new Set([32768, 65536, 131072]);

interface EncryptedKeyJson {
  kdf: { name: string; params: { N: number; r: number; p: number }; salt: string };
  cipher: { name: string; nonce: string };
  ciphertext: string;
}

export function isEncryptedCosignKey(text: string): boolean {
  return pemBlocks(text).some((b) => (COSIGN_KEY_LABELS as readonly string[]).includes(b.label));
}

function scryptKey(password: string, salt: Buffer, N: number, r: number, p: number): Buffer {
  return crypto.scryptSync(Buffer.from(password, 'utf8'), salt, 32, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 });
}

/** Decrypts a cosign.key. Wrong password, tampering and unknown parameters are KeyErrors. */
export function decryptCosignKey(text: string, password: string): crypto.KeyObject {
  const block = pemBlocks(text).find((b) => (COSIGN_KEY_LABELS as readonly string[]).includes(b.label));
  if (!block) throw new KeyError('not an encrypted cosign key (no "ENCRYPTED SIGSTORE PRIVATE KEY" block)');
  let j: EncryptedKeyJson;
  try {
    j = JSON.parse(block.der.toString('utf8')) as EncryptedKeyJson;
  } catch {
    throw new KeyError('encrypted cosign key: the PEM body is not the expected JSON');
  }
  if (j?.kdf?.name !== 'scrypt' || j?.cipher?.name !== 'nacl/secretbox') throw new KeyError(`encrypted cosign key: unsupported kdf ${j?.kdf?.name} / cipher ${j?.cipher?.name} (expected scrypt / nacl/secretbox)`);
  const { N, r, p } = j.kdf.params ?? {};
  if (!SCRYPT_N.has(N) || r !== 8 || p !== 1) throw new KeyError(`encrypted cosign key: scrypt parameters N=${N} r=${r} p=${p} are not one of cosign's (N 32768/65536/131072, r 8, p 1)`);
  const salt = Buffer.from(j.kdf.salt, 'base64');
  const nonce = Buffer.from(j.cipher.nonce, 'base64');
  if (nonce.length !== nacl.secretbox.nonceLength) throw new KeyError('encrypted cosign key: bad nonce length');
  const plain = nacl.secretbox.open(new Uint8Array(Buffer.from(j.ciphertext, 'base64')), new Uint8Array(nonce), new Uint8Array(scryptKey(password, salt, N, r, p)));
  if (!plain) throw new KeyError('wrong password for the cosign key (or the key file was modified)');
  try {
    return crypto.createPrivateKey({ key: Buffer.from(plain), format: 'der', type: 'pkcs8' });
  } finally {
    plain.fill(0);
  }
}

/** Encrypts a private key the way `cosign generate-key-pair` does (scrypt N=65536, r=8, p=1). */
export function encryptCosignKey(key: crypto.KeyObject, password: string): string {
  const der = key.export({ type: 'pkcs8', format: 'der' });
  const salt = crypto.randomBytes(32);
  const nonce = crypto.randomBytes(nacl.secretbox.nonceLength);
  const box = nacl.secretbox(new Uint8Array(der), new Uint8Array(nonce), new Uint8Array(scryptKey(password, salt, 65536, 8, 1)));
  der.fill(0);
  const body = JSON.stringify({
    kdf: { name: 'scrypt', params: { N: 65536, r: 8, p: 1 }, salt: salt.toString('base64') },
    cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
    ciphertext: Buffer.from(box).toString('base64'),
  });
  const b64 = Buffer.from(body, 'utf8').toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n${b64}-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n`;
}

/** Loads a private key: encrypted cosign.key (asks for the password) or an unencrypted/encrypted PEM. */
export async function loadPrivateKey(text: string, password: () => Promise<string>): Promise<crypto.KeyObject> {
  if (isEncryptedCosignKey(text)) return decryptCosignKey(text, await password());
  const blocks = pemBlocks(text);
  const enc = blocks.find((b) => b.label === 'ENCRYPTED PRIVATE KEY');
  try {
    if (enc) return crypto.createPrivateKey({ key: enc.text, format: 'pem', passphrase: await password() });
    const block = blocks.find((b) => b.label === 'PRIVATE KEY' || b.label === 'EC PRIVATE KEY');
    if (!block) throw new KeyError('no private key found (expected cosign.key or a PEM "PRIVATE KEY")');
    return crypto.createPrivateKey({ key: block.text, format: 'pem' });
  } catch (e) {
    if (e instanceof KeyError) throw e;
    throw new KeyError(`cannot read the private key: ${(e as Error).message}`);
  }
}

export interface GeneratedKeyPair {
  /** `cosign.key`: encrypted, safe to write to disk. */
  privateKeyPem: string;
  /** `cosign.pub`. */
  publicKeyPem: string;
}

/** A new ECDSA P-256 key pair in cosign's files (the private key only ever leaves memory encrypted). */
export function generateCosignKeyPair(password: string): GeneratedKeyPair {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKeyPem: encryptCosignKey(privateKey, password), publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string };
}

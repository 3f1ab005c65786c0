import crypto from 'node:crypto';
import nacl from 'tweetnacl';
import { COSIGN_KEY_LABELS, isEncryptedCosignKey, KeyError, pemBlocks } from './keys.ts';

/**
 * Private keys: cosign's encrypted `cosign.key` (scrypt + NaCl secretbox over PKCS#8 DER, as
 * go-securesystemslib writes it) and PEM private keys. Only signing and key generation need this
 * (and NaCl): the extension loads it on first use (esbuild.js LAZY), so Errors that cross from
 * here are compared by message, not by class.
 */

/** go-securesystemslib accepts exactly these scrypt work factors (legacy, standard, OWASP). */
const SCRYPT_N = new Set([32768, 65536, 131072]);

interface EncryptedKeyJson {
  kdf: { name: string; params: { N: number; r: number; p: number }; salt: string };
  cipher: { name: string; nonce: string };
  ciphertext: string;
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
  if (j?.kdf?.name !== 'scrypt' || j?.cipher?.name !== 'nacl/secretbox')
    throw new KeyError(
      `encrypted cosign key: unsupported kdf ${j?.kdf?.name} / cipher ${j?.cipher?.name} (expected scrypt / nacl/secretbox)`,
    );
  const { N, r, p } = j.kdf.params ?? {};
  if (!SCRYPT_N.has(N) || r !== 8 || p !== 1)
    throw new KeyError(
      `encrypted cosign key: scrypt parameters N=${N} r=${r} p=${p} are not one of cosign's (N 32768/65536/131072, r 8, p 1)`,
    );
  const salt = Buffer.from(j.kdf.salt, 'base64');
  const nonce = Buffer.from(j.cipher.nonce, 'base64');
  if (nonce.length !== nacl.secretbox.nonceLength) throw new KeyError('encrypted cosign key: bad nonce length');
  const plain = nacl.secretbox.open(
    new Uint8Array(Buffer.from(j.ciphertext, 'base64')),
    new Uint8Array(nonce),
    new Uint8Array(scryptKey(password, salt, N, r, p)),
  );
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
  const box = nacl.secretbox(
    new Uint8Array(der),
    new Uint8Array(nonce),
    new Uint8Array(scryptKey(password, salt, 65536, 8, 1)),
  );
  der.fill(0);
  const body = JSON.stringify({
    kdf: { name: 'scrypt', params: { N: 65536, r: 8, p: 1 }, salt: salt.toString('base64') },
    cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
    ciphertext: Buffer.from(box).toString('base64'),
  });
  const b64 = Buffer.from(body, 'utf8')
    .toString('base64')
    .replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n${b64}-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n`;
}

/** Loads a private key: encrypted cosign.key (asks for the password) or an unencrypted/encrypted PEM. */
export async function loadPrivateKey(text: string, password: () => Promise<string>): Promise<crypto.KeyObject> {
  if (isEncryptedCosignKey(text)) return decryptCosignKey(text, await password());
  const blocks = pemBlocks(text);
  const enc = blocks.find((b) => b.label === 'ENCRYPTED PRIVATE KEY');
  // Asked outside the try: a cancelled prompt reaches the caller as it was thrown.
  const passphrase = enc ? await password() : undefined;
  try {
    if (enc) return crypto.createPrivateKey({ key: enc.text, format: 'pem', passphrase });
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
  return {
    privateKeyPem: encryptCosignKey(privateKey, password),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
}

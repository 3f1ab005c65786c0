import crypto from 'node:crypto';
import { hashForKey } from './keys.ts';
import { jsonErrorMessage } from '../jsonError.ts';

/** DSSE (secure-systems-lab/dsse protocol.md) and in-toto statements. */

export const INTOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/** PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, LEN in ASCII decimal bytes. */
export function preAuthEncoding(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, 'utf8'),
    type,
    Buffer.from(` ${payload.length} `, 'utf8'),
    payload,
  ]);
}

/**
 * Verifies a DSSE signature with the digest that matches the key's curve. @sigstore/verify lets
 * OpenSSL default to SHA-256, which rejects valid ECDSA P-384/SHA-384 signatures (model_signing's).
 * SHA-256 is tried as well for P-384/P-521 keys, since some signers always use it.
 */
export function verifyDsseSignature(
  payloadType: string,
  payload: Buffer,
  signature: Buffer,
  key: crypto.KeyObject,
): boolean {
  const pae = preAuthEncoding(payloadType, payload);
  const hash = hashForKey(key);
  try {
    if (crypto.verify(hash, pae, key, signature)) return true;
    return hash !== null && hash !== 'sha256' && crypto.verify('sha256', pae, key, signature);
  } catch {
    return false;
  }
}

/**
 * model_signing 0.2 signed a non-standard encoding: the UTF-8 text
 * `DSSEV1 <len type> <type> <len payload> <Python repr of the payload bytes>`, always with SHA-256.
 * Only used for its legacy `https://model_signing/Digests/v0.1` statements; the distinct "DSSEV1"
 * prefix keeps it from ever matching a standard PAE.
 */
export function legacyModelSigningPae(payloadType: string, payload: Buffer): Buffer {
  return Buffer.from(
    `DSSEV1 ${Buffer.byteLength(payloadType)} ${payloadType} ${payload.length} ${pythonBytesRepr(payload)}`,
    'utf8',
  );
}

/** Python's repr() of a bytes object. */
export function pythonBytesRepr(b: Buffer): string {
  const quote = b.includes(0x27) && !b.includes(0x22) ? '"' : "'";
  let out = '';
  for (const c of b) {
    const ch = String.fromCharCode(c);
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c < 0x20 || c >= 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `b${quote}${out}${quote}`;
}

export function verifyLegacyModelSigningDsse(
  payloadType: string,
  payload: Buffer,
  signature: Buffer,
  key: crypto.KeyObject,
): boolean {
  try {
    return crypto.verify('sha256', legacyModelSigningPae(payloadType, payload), key, signature);
  } catch {
    return false;
  }
}

export function signDsse(payloadType: string, payload: Buffer, key: crypto.KeyObject): Buffer {
  return crypto.sign(hashForKey(key), preAuthEncoding(payloadType, payload), key);
}

export interface Subject {
  name?: string;
  digest: Record<string, string>;
}

export interface Statement {
  type: string;
  subjects: Subject[];
  predicateType: string;
  predicate: unknown;
}

/** Parses an in-toto Statement (v0.1 or v1). Unknown fields are ignored, as the spec requires. */
export function parseStatement(payload: Buffer): Statement | string {
  let j: unknown;
  try {
    j = JSON.parse(payload.toString('utf8'));
  } catch (e) {
    return `the DSSE payload is not JSON (${jsonErrorMessage(e)})`;
  }
  if (typeof j !== 'object' || j === null) return 'the DSSE payload is not a JSON object';
  const o = j as Record<string, unknown>;
  const type = typeof o._type === 'string' ? o._type : '';
  if (!type.startsWith('https://in-toto.io/Statement/'))
    return `the payload's _type is ${JSON.stringify(o._type)}, expected https://in-toto.io/Statement/v1`;
  if (!Array.isArray(o.subject)) return 'the statement has no subject list';
  const subjects: Subject[] = [];
  for (const s of o.subject as unknown[]) {
    if (typeof s !== 'object' || s === null) continue;
    const so = s as Record<string, unknown>;
    const digest: Record<string, string> = {};
    if (typeof so.digest === 'object' && so.digest !== null) {
      for (const [k, v] of Object.entries(so.digest as Record<string, unknown>))
        if (typeof v === 'string') digest[k.toLowerCase()] = v.toLowerCase();
    }
    subjects.push({ name: typeof so.name === 'string' ? so.name : undefined, digest });
  }
  return {
    type,
    subjects,
    predicateType: typeof o.predicateType === 'string' ? o.predicateType : '',
    predicate: o.predicate,
  };
}

/** Digest algorithms usable to match a subject, strongest first (node names). */
export const SUBJECT_DIGESTS: readonly { name: string; node: string }[] = [
  { name: 'sha256', node: 'sha256' },
  { name: 'sha512', node: 'sha512' },
  { name: 'sha384', node: 'sha384' },
];

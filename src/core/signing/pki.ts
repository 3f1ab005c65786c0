import crypto from 'node:crypto';
import { X509Certificate as SigstoreCertificate } from '@sigstore/core';
import { pemBlocks } from './keys.ts';

/**
 * Self-managed PKI (model_signing `certificate` mode, cosign `--certificate-chain`): the leaf
 * certificate in the bundle must chain, through the bundle's intermediates, to a CA certificate
 * the user names. There is no transparency log or timestamp, so validity is checked at `now`.
 */

export function readCertificates(pemText: string): crypto.X509Certificate[] {
  return pemBlocks(pemText)
    .filter((b) => b.label === 'CERTIFICATE')
    .map((b) => new crypto.X509Certificate(b.der));
}

function name(c: crypto.X509Certificate): string {
  return c.subject.replace(/\n/g, ', ') || '(empty subject)';
}

/** Failures of the chain leaf → intermediates → one of `roots`. Empty when it verifies. */
export function verifyChain(
  chain: readonly crypto.X509Certificate[],
  roots: readonly crypto.X509Certificate[],
  now = new Date(),
): string[] {
  if (chain.length === 0) return ['certificate chain: the bundle has no certificate'];
  if (roots.length === 0)
    return ['certificate chain: no CA certificate was given to verify the chain with (--certificate-chain)'];
  const valid = (c: crypto.X509Certificate) => new Date(c.validFrom) <= now && now <= new Date(c.validTo);
  const failures: string[] = [];
  for (const c of chain)
    if (!valid(c))
      failures.push(
        `certificate chain: ${name(c)} is valid from ${c.validFrom} to ${c.validTo}, not now (${now.toISOString()})`,
      );
  let cur = chain[0];
  const pool = chain.slice(1);
  for (let depth = 0; depth < 8; depth++) {
    const root = roots.find((r) => cur.checkIssued(r) && cur.verify(r.publicKey));
    if (root) {
      if (!valid(root))
        failures.push(
          `certificate chain: the CA ${name(root)} is valid from ${root.validFrom} to ${root.validTo}, not now`,
        );
      if (cur.fingerprint256 !== root.fingerprint256 && depth === 0 && chain[0].ca)
        failures.push('certificate chain: the signing certificate is a CA certificate');
      return failures;
    }
    const next = pool.find((p) => cur.checkIssued(p) && cur.verify(p.publicKey));
    if (!next)
      return [
        ...failures,
        `certificate chain: ${name(cur)} (issued by ${cur.issuer.replace(/\n/g, ', ')}) does not chain to the given CA certificate(s) ${roots.map(name).join('; ')}`,
      ];
    if (!next.ca) return [...failures, `certificate chain: ${name(next)} issued a certificate but is not a CA`];
    cur = next;
  }
  return [...failures, 'certificate chain: longer than 8 certificates'];
}

export function describeCertificate(c: crypto.X509Certificate): string {
  return `certificate ${name(c)} issued by ${c.issuer.replace(/\n/g, ', ')}, valid ${new Date(c.validFrom).toISOString()} to ${new Date(c.validTo).toISOString()}`;
}

const OID_FULCIO_ISSUER_V1 = '1.3.6.1.4.1.57264.1.1';
const OID_FULCIO_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';

/**
 * The identity and OIDC issuer a signing certificate names, read as @sigstore/verify reads a
 * Fulcio certificate (the SAN's URI or else its email; the issuer extension), so that the same
 * expected identities mean the same thing for own-PKI signatures as for keyless ones.
 */
export function certificateIdentity(cert: crypto.X509Certificate): { identity?: string; issuer?: string } {
  try {
    const c = SigstoreCertificate.parse(cert.raw);
    const v2 = c.extension(OID_FULCIO_ISSUER_V2);
    const issuer = v2
      ? v2.valueObj.subs?.[0]?.value.toString('ascii')
      : c.extension(OID_FULCIO_ISSUER_V1)?.value.toString('ascii');
    return { identity: c.subjectAltName, issuer };
  } catch {
    return {};
  }
}

/**
 * What a registry signature must show, from the one expectation resolver (command line, settings,
 * promotion policy; never the registry's content): keys read, signer patterns, CA and trusted root.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Expectations } from '../signing/expectations.ts';
import { parsePublicKey } from '../signing/keys.ts';
import { readCertificates } from '../signing/pki.ts';
import type { RegistryTrust } from './signatures.ts';

export function trustFromExpectations(e: Expectations): RegistryTrust {
  const keys = e.signers.keys.map((k) => {
    let text: string;
    try {
      text = fs.readFileSync(k, 'utf8');
    } catch (err) {
      throw new Error(
        `${e.signers.source ?? 'the expectations'} names ${k}, which cannot be read (${(err as Error).message})`,
      );
    }
    return { key: parsePublicKey(text), label: path.basename(k) };
  });
  const chain = e.signers.certificateChain;
  return {
    keys,
    identity: {},
    signers: { identities: e.signers.identities, issuers: e.signers.issuers },
    requireIdentity: true,
    trustedRoot: e.trustedRoot?.path,
    caRoots: chain ? readCertificates(fs.readFileSync(chain, 'utf8')) : undefined,
    provenance: { builderId: e.provenance.builderId, sourceRepository: e.provenance.sourceRepository },
  };
}

import fs from 'node:fs';
import path from 'node:path';
import { generateMlBom } from '../../core/sbom/generate.ts';
import type { Command } from '../command.ts';
import { REGISTRY_FLAGS, TRUST_FLAGS } from '../registryFlagSpecs.ts';
import { VERSION } from '../version.ts';

export const sbomCommand: Command = {
  name: 'sbom',
  summary:
    'generate a CycloneDX 1.6 ML-BOM for a model folder (model card, weight files with SHA-256, Python dependencies)',
  usage:
    'sbom DIR|REF [--output FILE] [--key PUB | --certificate-identity ID --certificate-oidc-issuer ISS] (references: only a verified card attestation is used)',
  flags: { ...TRUST_FLAGS, ...REGISTRY_FLAGS },
  positionals: { min: 1, max: 1, metavar: 'DIR|REF' },
  async run(args, io) {
    const dir = path.resolve(io.cwd, args.positionals[0]);
    if (!fs.existsSync(dir)) {
      const remote = await import('../remoteCommands.ts');
      if (await remote.isReference(args.positionals[0], io.cwd))
        return remote.sbomReference(args, io, args.positionals[0]);
    }
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`not a folder: ${args.positionals[0]}`);
    const r = await generateMlBom(dir, { signal: io.signal, toolVersion: VERSION });
    return {
      findings: r.findings,
      document: r.text,
      json: { bom: r.bom, weightFiles: r.weightFiles, dependencies: r.dependencies },
      exitCode: 0,
    };
  },
};

/** What the rest of the engine knows about an SBOM, whichever format it was read from. */

export type SbomFormat = 'cyclonedx' | 'spdx';

export interface SbomHash {
  /** Algorithm as the document names it, normalised to upper case with a dash (SHA-256, SHA-1, MD5). */
  alg: string;
  value: string;
}

export interface SbomComponent {
  name: string;
  version?: string;
  /** CycloneDX component type (library, machine-learning-model, file, …) or the SPDX package purpose. */
  type: string;
  purl?: string;
  /** SPDX ids, expressions or license names, as given. */
  licenses: string[];
  hashes: SbomHash[];
}

export interface SbomDocument {
  file: string;
  format: SbomFormat;
  /** "1.6" for CycloneDX, "SPDX-2.3" for SPDX. */
  specVersion: string;
  /** The document's subject: CycloneDX metadata.component or the SPDX document name. */
  subject?: string;
  components: SbomComponent[];
  /** Vulnerabilities embedded in a CycloneDX document (VEX / scanner output). */
  vulnerabilityCount: number;
}

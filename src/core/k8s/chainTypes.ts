import type { Finding } from '../findings.ts';

/**
 * The chain section of a model report. Kept apart from chainReport.ts because the report panel's
 * browser bundle type-checks against it without Node types.
 */
export interface ChainReport {
  /** The repository folder the chain was read from (every location below is inside it). */
  root: string;
  links: { workflows: string[]; cards: string[]; gate?: string; policies: string[]; manifests: string[] };
  findings: Finding[];
}

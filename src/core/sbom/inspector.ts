import type { InspectResult, Inspector } from '../inspect/types.ts';
import { discoverSboms } from './discover.ts';

/** `model-inspect inspect DIR`: the SBOMs of the folder (read by content), with what they list. */
export const sbomInspector: Inspector = {
  id: 'sbom',
  title: 'SBOM',
  async inspect(ctx): Promise<InspectResult> {
    const { sboms, findings } = await discoverSboms(ctx.files);
    return {
      findings,
      files: sboms.map((s) => ({
        path: s.file,
        kind: s.format === 'cyclonedx' ? `SBOM (CycloneDX ${s.specVersion})` : `SBOM (${s.specVersion})`,
        summary: `${s.components.length} component${s.components.length === 1 ? '' : 's'}${s.subject ? ` for ${s.subject}` : ''}${s.vulnerabilityCount ? `, ${s.vulnerabilityCount} vulnerabilities` : ''}`,
      })),
    };
  },
};

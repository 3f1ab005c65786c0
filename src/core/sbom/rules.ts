import type { RuleInfo } from '../findings.ts';

export const SBOM_RULES: readonly RuleInfo[] = [
  {
    id: 'sbom/unreadable',
    title: 'SBOM could not be read',
    category: 'sbom',
    defaultSeverity: 'warning',
    help: 'A file that looks like an SBOM could not be read: it is not valid JSON, it is over the size limit, or part of it was skipped. An SBOM that cannot be read lists nothing, so the promotion gate does not count it. Regenerate it (`model-inspect sbom DIR`, or `syft dir:DIR -o cyclonedx-json`) and check that it is complete JSON.',
  },
  {
    id: 'sbom/unsupported',
    title: 'Unsupported SBOM format or version',
    category: 'sbom',
    defaultSeverity: 'warning',
    help: 'The reader knows CycloneDX 1.4, 1.5 and 1.6 JSON and SPDX 2.3 JSON. Other versions are read on a best-effort basis (fields may be missed); other formats (XML, tag-value) are not read. Export the SBOM as CycloneDX 1.6 JSON (`syft … -o cyclonedx-json@1.6`) or SPDX 2.3 JSON.',
  },
  {
    id: 'sbom/invalid-component',
    title: 'SBOM component without a name',
    category: 'sbom',
    defaultSeverity: 'warning',
    help: 'Every CycloneDX component and every SPDX package must have a name; entries without one were skipped. An unnamed component cannot be matched against vulnerability databases. Fix the tool or the hand edit that produced it.',
  },
  {
    id: 'sbom/ref-missing',
    title: "Model card's sbom_ref names a missing file",
    category: 'sbom',
    defaultSeverity: 'warning',
    help: "The model card's `security.sbom_ref` is a local path, but no file exists there. A reviewer following the card finds no SBOM. Generate one (`model-inspect sbom DIR --output DIR/sbom.cdx.json`) and point `sbom_ref` at it (relative to the card).",
  },
  {
    id: 'sbom/ref-remote',
    title: "Model card's sbom_ref is remote",
    category: 'sbom',
    defaultSeverity: 'info',
    help: "The model card's `security.sbom_ref` names a URL or an OCI reference. The inspector works offline and does not fetch it, so it cannot count towards the promotion gate's SBOM check. Keep a copy of the SBOM in the model folder (e.g. `cosign download attestation … > sbom.cdx.json`).",
  },
  {
    id: 'sbom/no-model-card',
    title: 'ML-BOM without a model card',
    category: 'sbom',
    defaultSeverity: 'info',
    help: 'The generated ML-BOM has no `modelCard` because the folder has no model card (model-card.yaml or a Hugging Face README.md with front matter). Add one so the ML-BOM records the task, datasets, metrics and limitations.',
  },
];

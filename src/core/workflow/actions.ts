/** What a `uses:` string points at, and facts about the actions that matter for signing and SBOMs. */

export type UsesRef =
  | { kind: 'local'; path: string }
  | { kind: 'docker'; image: string; hasDigest: boolean }
  | { kind: 'remote'; owner: string; repo: string; path: string; ref: string; refStart: number; reusable: boolean }
  | { kind: 'invalid' };

export function parseUses(uses: string): UsesRef {
  const u = uses.trim();
  if (u.startsWith('./') || u.startsWith('.\\')) return { kind: 'local', path: u };
  if (u.startsWith('docker://')) return { kind: 'docker', image: u.slice(9), hasDigest: /@sha256:[0-9a-f]{64}$/i.test(u) };
  const at = u.lastIndexOf('@');
  if (at <= 0) return { kind: 'invalid' };
  const [owner, repo, ...rest] = u.slice(0, at).split('/');
  if (!owner || !repo) return { kind: 'invalid' };
  const path = rest.join('/');
  return { kind: 'remote', owner, repo, path, ref: u.slice(at + 1), refStart: uses.indexOf(u) + at + 1, reusable: isReusableWorkflowPath(path) };
}

export function isReusableWorkflowPath(path: string): boolean {
  return /^\.github\/workflows\/[^/]+\.ya?ml$/i.test(path);
}

/** A reusable workflow reference, local or remote (`./.github/workflows/x.yml`). */
export function isReusableWorkflow(uses: string): boolean {
  const r = parseUses(uses);
  if (r.kind === 'local') return isReusableWorkflowPath(r.path.replace(/^\.\//, ''));
  return r.kind === 'remote' && r.reusable;
}

/** owner/repo[/path] in lower case, without the ref. */
export function actionName(uses: string): string {
  const r = parseUses(uses);
  if (r.kind !== 'remote') return '';
  return [r.owner, r.repo, r.path].filter(Boolean).join('/').toLowerCase();
}

export const SHA_RE = /^[0-9a-f]{40}$/i;
export const BRANCH_REFS = new Set(['main', 'master', 'develop', 'dev', 'trunk', 'head', 'latest', 'nightly', 'release', 'stable', 'next', 'canary']);

export function isSlsaGenerator(uses: string): boolean {
  return /^slsa-framework\/slsa-github-generator\/\.github\/workflows\//i.test(uses.trim());
}

/** Tools whose absence the rules check, with the official setup action to add. */
export const TOOLS: Readonly<Record<string, { installer: string; ref: string; installedBy: readonly string[] }>> = {
  cosign: { installer: 'sigstore/cosign-installer', ref: 'v3', installedBy: ['sigstore/cosign-installer'] },
  syft: { installer: 'anchore/sbom-action/download-syft', ref: 'v0', installedBy: ['anchore/sbom-action/download-syft', 'anchore/sbom-action'] },
  grype: { installer: 'anchore/scan-action/download-grype', ref: 'v7', installedBy: ['anchore/scan-action/download-grype', 'anchore/scan-action'] },
  trivy: { installer: 'aquasecurity/setup-trivy', ref: 'v0.2.6', installedBy: ['aquasecurity/setup-trivy', 'aquasecurity/trivy-action'] },
  oras: { installer: 'oras-project/setup-oras', ref: 'v1', installedBy: ['oras-project/setup-oras'] },
  'slsa-verifier': { installer: 'slsa-framework/slsa-verifier/actions/installer', ref: 'v2.7.0', installedBy: ['slsa-framework/slsa-verifier/actions/installer'] },
  crane: { installer: 'imjasonh/setup-crane', ref: 'v0.4', installedBy: ['imjasonh/setup-crane'] },
};

/** Actions that log in to a container registry (their credentials land in the Docker config every tool reads). */
export const LOGIN_ACTIONS = [
  'docker/login-action', 'aws-actions/amazon-ecr-login', 'azure/docker-login', 'redhat-actions/podman-login',
  'google-github-actions/auth', 'azure/login',
];

/** Actions that need the OIDC token (`id-token: write`). */
export const OIDC_ACTIONS = [
  'actions/attest-build-provenance', 'actions/attest-sbom', 'actions/attest', 'sigstore/gh-action-sigstore-python',
  'slsa-framework/slsa-github-generator', 'aws-actions/configure-aws-credentials', 'google-github-actions/auth',
  'azure/login', 'hashicorp/vault-action', 'pypa/gh-action-pypi-publish', 'docker/github-builder',
];

/** Actions that store attestations in GitHub (`attestations: write`). */
export const ATTEST_ACTIONS = ['actions/attest-build-provenance', 'actions/attest-sbom', 'actions/attest'];

/**
 * Actions known not to use the OIDC token. A job made only of these and plain scripts that do not
 * sign has no use for `id-token: write`; any other action might, so such jobs are left alone.
 */
export const NON_OIDC_ACTIONS = [
  'actions/checkout', 'actions/setup-python', 'actions/setup-node', 'actions/setup-go', 'actions/setup-java', 'actions/cache',
  'actions/upload-artifact', 'actions/download-artifact', 'actions/github-script', 'actions/labeler', 'actions/stale',
  'docker/setup-buildx-action', 'docker/setup-qemu-action', 'docker/metadata-action', 'docker/login-action',
  'anchore/sbom-action/download-syft', 'anchore/scan-action/download-grype', 'anchore/scan-action', 'aquasecurity/setup-trivy',
  'aquasecurity/trivy-action', 'oras-project/setup-oras', 'imjasonh/setup-crane', 'github/codeql-action/upload-sarif',
  'astral-sh/setup-uv', 'pnpm/action-setup', 'softprops/action-gh-release',
];

/** Outputs of widely used actions, where they are certain. */
export const KNOWN_OUTPUTS: Readonly<Record<string, readonly string[]>> = {
  'docker/build-push-action': ['imageid', 'digest', 'metadata'],
  'actions/checkout': ['ref', 'commit'],
  'actions/attest-build-provenance': ['bundle-path', 'attestation-id', 'attestation-url'],
  'actions/attest-sbom': ['bundle-path', 'attestation-id', 'attestation-url'],
  'actions/attest': ['bundle-path', 'attestation-id', 'attestation-url'],
};

export function matchesAction(name: string, list: readonly string[]): boolean {
  return list.some((a) => name === a || name.startsWith(a + '/'));
}

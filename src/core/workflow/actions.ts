/** What a `uses:` string points at, and facts about the actions that matter for signing and SBOMs. */

export type UsesRef =
  | { kind: 'local'; path: string }
  | { kind: 'docker'; image: string; hasDigest: boolean }
  | { kind: 'remote'; owner: string; repo: string; path: string; ref: string; refStart: number; reusable: boolean }
  | { kind: 'invalid' };

export function parseUses(uses: string): UsesRef {
  const u = uses.trim();
  if (u.startsWith('./') || u.startsWith('.\\')) return { kind: 'local', path: u };
  if (u.startsWith('docker://'))
    return { kind: 'docker', image: u.slice(9), hasDigest: /@sha256:[0-9a-f]{64}$/i.test(u) };
  const at = u.lastIndexOf('@');
  if (at <= 0) return { kind: 'invalid' };
  const [owner, repo, ...rest] = u.slice(0, at).split('/');
  if (!owner || !repo) return { kind: 'invalid' };
  const path = rest.join('/');
  return {
    kind: 'remote',
    owner,
    repo,
    path,
    ref: u.slice(at + 1),
    refStart: uses.indexOf(u) + at + 1,
    reusable: isReusableWorkflowPath(path),
  };
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
export const BRANCH_REFS = new Set([
  'main',
  'master',
  'develop',
  'dev',
  'trunk',
  'head',
  'latest',
  'nightly',
  'release',
  'stable',
  'next',
  'canary',
]);

export function isSlsaGenerator(uses: string): boolean {
  return /^slsa-framework\/slsa-github-generator\/\.github\/workflows\//i.test(uses.trim());
}

/**
 * Actions the quick fixes insert, pinned to the full commit SHA of a release tag (the tag stays as
 * a comment). Each SHA is the commit the tag points at in the action's public repository
 * (`git rev-parse <tag>^{commit}`); update them together with the versions.
 */
export const PINNED_ACTIONS: Readonly<Record<string, { sha: string; version: string }>> = {
  'sigstore/cosign-installer': { sha: '6f9f17788090df1f26f669e9d70d6ae9567deba6', version: 'v4.1.2' },
  'anchore/sbom-action/download-syft': { sha: 'e22c389904149dbc22b58101806040fa8d37a610', version: 'v0.24.0' },
  'anchore/scan-action/download-grype': { sha: 'e1165082ffb1fe366ebaf02d8526e7c4989ea9d2', version: 'v7.4.0' },
  'aquasecurity/setup-trivy': { sha: '81e514348e19b6112ce2a7e3ecbafe19c1e1f567', version: 'v0.3.1' },
  'oras-project/setup-oras': { sha: '38de303aac69abb66f3e6255b7198bff35f323e3', version: 'v2.0.0' },
  'slsa-framework/slsa-verifier/actions/installer': {
    sha: 'ea584f4502babc6f60d9bc799dbbb13c1caa9ee6',
    version: 'v2.7.1',
  },
  'imjasonh/setup-crane': { sha: '6da1ae018866400525525ce74ff892880c099987', version: 'v0.5' },
  'docker/login-action': { sha: '4907a6ddec9925e35a0a9e82d7399ccc52663121', version: 'v4.1.0' },
};

/** `owner/repo[/path]@<sha> # <version>` for an action in PINNED_ACTIONS. */
export function pinnedUses(action: string): string {
  const p = PINNED_ACTIONS[action];
  return `${action}@${p.sha} # ${p.version}`;
}

/** Tools whose absence the rules check, with the official setup action to add (pinned in PINNED_ACTIONS). */
export const TOOLS: Readonly<Record<string, { installer: string; installedBy: readonly string[] }>> = {
  cosign: { installer: 'sigstore/cosign-installer', installedBy: ['sigstore/cosign-installer'] },
  syft: {
    installer: 'anchore/sbom-action/download-syft',
    installedBy: ['anchore/sbom-action/download-syft', 'anchore/sbom-action'],
  },
  grype: {
    installer: 'anchore/scan-action/download-grype',
    installedBy: ['anchore/scan-action/download-grype', 'anchore/scan-action'],
  },
  trivy: {
    installer: 'aquasecurity/setup-trivy',
    installedBy: ['aquasecurity/setup-trivy', 'aquasecurity/trivy-action'],
  },
  oras: { installer: 'oras-project/setup-oras', installedBy: ['oras-project/setup-oras'] },
  'slsa-verifier': {
    installer: 'slsa-framework/slsa-verifier/actions/installer',
    installedBy: ['slsa-framework/slsa-verifier/actions/installer'],
  },
  crane: { installer: 'imjasonh/setup-crane', installedBy: ['imjasonh/setup-crane'] },
};

/** Actions that log in to a container registry (their credentials land in the Docker config every tool reads). */
export const LOGIN_ACTIONS = [
  'docker/login-action',
  'aws-actions/amazon-ecr-login',
  'azure/docker-login',
  'redhat-actions/podman-login',
  'google-github-actions/auth',
  'azure/login',
];

/** Actions that need the OIDC token (`id-token: write`). */
export const OIDC_ACTIONS = [
  'actions/attest-build-provenance',
  'actions/attest-sbom',
  'actions/attest',
  'sigstore/gh-action-sigstore-python',
  'slsa-framework/slsa-github-generator',
  'aws-actions/configure-aws-credentials',
  'google-github-actions/auth',
  'azure/login',
  'hashicorp/vault-action',
  'pypa/gh-action-pypi-publish',
  'docker/github-builder',
  'actions/deploy-pages',
];

/** Actions that store attestations in GitHub (`attestations: write`). */
export const ATTEST_ACTIONS = ['actions/attest-build-provenance', 'actions/attest-sbom', 'actions/attest'];

/**
 * Actions known not to use the OIDC token. A job made only of these and plain scripts that do not
 * sign has no use for `id-token: write`; any other action might, so such jobs are left alone.
 */
export const NON_OIDC_ACTIONS = [
  'actions/checkout',
  'actions/setup-python',
  'actions/setup-node',
  'actions/setup-go',
  'actions/setup-java',
  'actions/cache',
  'actions/upload-artifact',
  'actions/download-artifact',
  'actions/github-script',
  'actions/labeler',
  'actions/stale',
  'docker/setup-buildx-action',
  'docker/setup-qemu-action',
  'docker/metadata-action',
  'docker/login-action',
  'anchore/sbom-action/download-syft',
  'anchore/scan-action/download-grype',
  'anchore/scan-action',
  'aquasecurity/setup-trivy',
  'aquasecurity/trivy-action',
  'oras-project/setup-oras',
  'imjasonh/setup-crane',
  'github/codeql-action/upload-sarif',
  'astral-sh/setup-uv',
  'pnpm/action-setup',
  'softprops/action-gh-release',
  'actions/upload-pages-artifact',
  'actions/configure-pages',
  'actions/setup-dotnet',
  'ruby/setup-ruby',
  'dtolnay/rust-toolchain',
  'swatinem/rust-cache',
  'actions/jekyll-build-pages',
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

/** How much of a value an attacker controls: free text (newlines included) or one line (a branch name). */
export type TaintKind = 'text' | 'line';

/**
 * Actions whose outputs repeat what the pull request's author chose: file names (which may hold
 * `$(…)`, backticks and newlines), branch names, comment and PR text. Kept small and documented
 * (README, "Outputs the PR author controls"); outputs not matched (counts, booleans) are trusted.
 */
export const PR_CONTROLLED_OUTPUTS: readonly { action: string; outputs: RegExp; kind: TaintKind; what: string }[] = [
  {
    action: 'tj-actions/changed-files',
    outputs: /_files$|^(changed|modified)_keys$/i,
    kind: 'text',
    what: 'file names from the pull request',
  },
  {
    action: 'step-security/changed-files',
    outputs: /_files$|^(changed|modified)_keys$/i,
    kind: 'text',
    what: 'file names from the pull request',
  },
  { action: 'dorny/paths-filter', outputs: /_files$/i, kind: 'text', what: 'file names from the pull request' },
  {
    action: 'jitterbit/get-changed-files',
    outputs: /^(all|added|removed|renamed|modified|added_modified)$/i,
    kind: 'text',
    what: 'file names from the pull request',
  },
  {
    action: 'ana06/get-changed-files',
    outputs: /^(all|added|removed|renamed|modified|added_modified)$/i,
    kind: 'text',
    what: 'file names from the pull request',
  },
  { action: 'trilom/file-changes-action', outputs: /^files/i, kind: 'text', what: 'file names from the pull request' },
  {
    action: 'tj-actions/branch-names',
    outputs: /^(current_branch|head_ref_branch|ref_branch)$/i,
    kind: 'line',
    what: "the pull request's branch name",
  },
  {
    action: 'xt0rted/pull-request-comment-branch',
    outputs: /^head_ref$/i,
    kind: 'line',
    what: "the pull request's branch name",
  },
  { action: 'peter-evans/find-comment', outputs: /^comment-body$/i, kind: 'text', what: "a comment's text" },
  {
    action: '8bitjonny/gh-get-current-pr',
    outputs: /^(pr|pr_title|pr_body)$/i,
    kind: 'text',
    what: "the pull request's title and body",
  },
];

export function prControlledOutput(
  uses: string,
  output: string,
): { kind: TaintKind; what: string; action: string } | undefined {
  const name = actionName(uses);
  const hit = PR_CONTROLLED_OUTPUTS.find(
    (a) => (name === a.action || name.startsWith(a.action + '/')) && a.outputs.test(output),
  );
  return hit && { kind: hit.kind, what: hit.what, action: hit.action };
}

/** Actions that download artifacts (the triggering run's, with a run id or a token). */
export const ARTIFACT_DOWNLOADERS = ['actions/download-artifact', 'dawidd6/action-download-artifact'];

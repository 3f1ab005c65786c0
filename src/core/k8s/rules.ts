import type { RuleInfo, Severity } from '../findings.ts';

const k8s = (id: string, title: string, defaultSeverity: Severity, help: string): RuleInfo => ({
  id: `k8s/${id}`,
  title,
  category: 'k8s',
  defaultSeverity,
  help,
});
const adm = (id: string, title: string, defaultSeverity: Severity, help: string): RuleInfo => ({
  id: `admission/${id}`,
  title,
  category: 'admission',
  defaultSeverity,
  help,
});
const chain = (id: string, title: string, defaultSeverity: Severity, help: string): RuleInfo => ({
  id: `chain/${id}`,
  title,
  category: 'chain',
  defaultSeverity,
  help,
});

/** Serving manifests: Pods, workloads, KServe and Seldon resources. */
export const K8S_RULES: readonly RuleInfo[] = [
  k8s(
    'schema',
    'Manifest does not match the Kubernetes schema',
    'error',
    'A value has the wrong type, is not one of the allowed values, or a required field is missing, according to the Kubernetes API schema (the `kubernetes-models` package, Kubernetes 1.32/1.33 API). The API server rejects the object, or (for fields a controller reads leniently) silently ignores it. The diagnostic sits on the offending value; for a missing field, on the mapping that needs it.',
  ),
  k8s(
    'unknown-field',
    'Unknown field in a security-relevant object',
    'warning',
    'A key in a container, pod spec, security context, volume mount or volume that Kubernetes does not know. `kubectl apply --validate=false`, Helm, Argo CD and most operators drop unknown fields without a word, so `runAsNonroot: true` or `readOnlyRootFileSystem: true` looks like hardening in review and does nothing in the cluster. Rename it (the quick fix offers the closest known field).',
  ),
  k8s(
    'incomplete',
    'Manifest not completely checked',
    'warning',
    'A limit was reached (documents per file, items per List, nodes expanded through aliases) or the file could not be read, so part of it was not checked. Nothing is known about that part; split the file or check it by hand.',
  ),
  k8s(
    'run-as-root',
    'Container runs as root',
    'error',
    "The effective `runAsUser` is 0 (the container's `securityContext` overrides the pod's, as the kubelet applies them), or `runAsNonRoot: false` is set with no non-root user. A process that escapes the serving code is root in the container and one kernel bug away from the node. With `runAsNonRoot: true` and `runAsUser: 0` together the kubelet refuses to start the container. Set `runAsUser` to a non-zero UID and `runAsNonRoot: true`.",
  ),
  k8s(
    'run-as-non-root',
    'Container may run as root',
    'warning',
    "Neither the container nor the pod sets `runAsNonRoot: true` or a non-zero `runAsUser`, so the image's `USER` decides, and most serving images (Triton, TorchServe, vLLM, many custom ones) run as root. `runAsNonRoot: true` makes the kubelet refuse to start a container whose user is root. The quick fix adds it to the pod's `securityContext` (or the container's where the pod has none).",
  ),
  k8s(
    'writable-root-filesystem',
    'Root filesystem is writable',
    'warning',
    "`readOnlyRootFilesystem` is not `true` for this container (it exists only at container level). An attacker who gets code execution can rewrite the serving code, drop tools, or replace model files cached on the container's filesystem. Set `readOnlyRootFilesystem: true` and mount an `emptyDir` where the server must write (`/tmp`, caches).",
  ),
  k8s(
    'privilege-escalation',
    'Privilege escalation allowed',
    'warning',
    "`allowPrivilegeEscalation` is not `false` (it defaults to true, and is always true for privileged containers or with `CAP_SYS_ADMIN`), so setuid binaries in the image can gain privileges. Set `allowPrivilegeEscalation: false` in the container's `securityContext`.",
  ),
  k8s(
    'capabilities-not-dropped',
    'Linux capabilities not dropped',
    'warning',
    '`capabilities.drop` does not contain `ALL`: the container keeps the runtime\'s default capabilities (`NET_RAW`, `CHOWN`, `SETUID`, …). A model server needs none of them. Set `capabilities: {drop: ["ALL"]}` and add back only what is needed (`NET_BIND_SERVICE` for a port below 1024).',
  ),
  k8s(
    'dangerous-capability',
    'Dangerous Linux capability added',
    'error',
    "`capabilities.add` grants a capability that breaks container isolation (`SYS_ADMIN`, `NET_ADMIN`, `SYS_PTRACE`, `SYS_MODULE`, `DAC_READ_SEARCH`, `SYS_RAWIO`, `BPF`, `ALL`, …). The Pod Security Standards' baseline profile forbids them. Remove it; GPU access does not need it (the device plugin provides the devices).",
  ),
  k8s(
    'privileged',
    'Privileged container',
    'error',
    "`privileged: true` gives the container every capability and the host's devices: it is root on the node. GPUs are exposed by the device plugin (`nvidia.com/gpu` limits), not by privilege. Remove it.",
  ),
  k8s(
    'host-namespace',
    'Host namespace shared',
    'error',
    "`hostNetwork`, `hostPID` or `hostIPC` is `true`: the pod shares the node's network stack, process table or shared memory, and can see or talk to everything else on the node. Remove it (for NCCL over shared memory, mount an `emptyDir` with `medium: Memory` at `/dev/shm` instead of `hostIPC`).",
  ),
  k8s(
    'host-path',
    'hostPath volume',
    'error',
    'A `hostPath` volume mounts a path of the node into the pod. Anything on the node can change it, and a writable one lets the pod change the node. Use a PersistentVolumeClaim, an `image` volume or an `emptyDir` filled by a verified download.',
  ),
  k8s(
    'seccomp',
    'No seccomp profile (or Unconfined)',
    'warning',
    "The effective `seccompProfile` (container over pod) is not `RuntimeDefault` or `Localhost`, so every system call is allowed. `Unconfined` is reported as an error. Set `seccompProfile: {type: RuntimeDefault}` in the pod's `securityContext`.",
  ),
  k8s(
    'service-account-token',
    'Service account token mounted',
    'warning',
    '`automountServiceAccountToken` is not `false`, so a Kubernetes API token is mounted into every container. A model server rarely needs the API; an attacker who reaches the token can use whatever the service account may do. Set `automountServiceAccountToken: false` on the pod (or the ServiceAccount) unless the server talks to the API.',
  ),
  k8s(
    'resource-limits',
    'No memory limit',
    'warning',
    'The container has no `resources.limits.memory`. A model that loads more than expected (a larger checkpoint, a long context) takes memory from every other pod on the node until the kernel kills something. Set a memory limit sized for the model.',
  ),
  k8s(
    'gpu-limit',
    'GPU requested without a limit',
    'error',
    'A GPU (`nvidia.com/gpu`, `amd.com/gpu`, `gpu.intel.com/*`, …) is requested in `resources.requests` without the same value in `resources.limits`. Extended resources cannot be overcommitted: the API server rejects a request without an equal limit. Put the GPU count in `limits` (requests then default to it).',
  ),
  k8s(
    'model-volume-writable',
    'Model volume mounted writable',
    'error',
    'A volume that holds the model (by its name or mount path: `model`, `weights`, `checkpoint`, `/mnt/models`, …) is mounted without `readOnly: true` and its source is not read-only either. The serving process (and anyone who gets code execution in it) can then rewrite the weights every later load trusts. Set `readOnly: true` on the mount and, for a PersistentVolumeClaim, on `persistentVolumeClaim.readOnly`. Init containers that download the model are exempt.',
  ),
  k8s(
    'model-pvc-writable',
    'Model PersistentVolumeClaim not read-only',
    'warning',
    'The PersistentVolumeClaim that holds the model is mounted read-only by the container, but the volume source itself does not say `readOnly: true`, so another container of the pod (or a later edit) can mount it writable. Set `persistentVolumeClaim.readOnly: true`.',
  ),
  k8s(
    'host-path-model',
    'Model loaded from a hostPath',
    'error',
    "The model directory is a `hostPath`: the weights are whatever is on that node's disk, never verified, shared with every pod that mounts the path, and writable by anything on the node. Ship the model as an OCI artifact pulled by digest (an `image` volume, KServe `oci://` storage) or on a read-only PersistentVolumeClaim filled by a verified job.",
  ),
  k8s(
    'image-not-pinned',
    'Container image not pinned by digest',
    'warning',
    'The image is referenced by tag. A tag can be moved to other content at any time (by whoever can push, or an attacker who can), and two nodes can run two different images under the same tag. An admission policy that verifies signatures checks the digest the tag points at when the pod is created, not what a later restart pulls. Pin `image: registry/repo@sha256:…` (the tag may stay as a comment). In VS Code the quick fix "Pin to digest (online)" asks the registry, only when you choose it.',
  ),
  k8s(
    'model-image-not-pinned',
    'Model artifact not pinned by digest',
    'error',
    'The model itself comes from an OCI reference by tag: a Kubernetes 1.31+ `image` volume (`volumes[].image.reference`), a KServe `storageUri: oci://…` (modelcar) or a Seldon `modelUri`. Whoever moves the tag decides which weights are served, after every review and gate. Pin it by digest: `…@sha256:…`.',
  ),
  k8s(
    'image-latest',
    'Image uses latest',
    'error',
    'The image has the `latest` tag, or no tag and no digest (which means `latest`). What runs changes with every push and cannot be traced to a reviewed build. Pin a digest.',
  ),
  k8s(
    'pull-policy-with-tag',
    'imagePullPolicy keeps a tag on the node',
    'warning',
    '`imagePullPolicy: IfNotPresent` (or `Never`) with a tag: each node keeps whatever the tag pointed at when it first pulled it, so pods of one Deployment can run different images, and a re-pushed tag reaches some nodes and not others. Pin the image by digest (then `IfNotPresent` is right), or use `Always` while it is still a tag.',
  ),
  k8s(
    'unverified-model-download',
    'Init container downloads the model without a digest check',
    'error',
    "A container's command downloads weights (`curl`, `wget`, `huggingface-cli download`, `hf download`, `aws s3 cp`, `gsutil cp`, `azcopy`, `git clone`/`git lfs`, `snapshot_download`) and nothing in the same command checks a digest (`sha256sum -c`, `--checksum`, `cosign verify-blob`, `model_signing verify`, a 40-hex `--revision`). Whatever the source serves at that moment becomes the model. Verify the digest (or signature) of what was downloaded before the server starts, or ship the model as an OCI artifact pinned by digest.",
  ),
  k8s(
    'image-outside-admission',
    "Image outside the admission policy's scope",
    'error',
    'This image is not matched by the `imageReferences` (Kyverno) or `images[].glob` (Sigstore policy-controller) of any admission policy found beside it, so the cluster admits it without checking any signature. Either the policy misses this registry path, or the image comes from somewhere it should not.',
  ),
];

/** Admission policies: Kyverno ClusterPolicy/Policy verifyImages, ImageValidatingPolicy, Sigstore ClusterImagePolicy. */
export const ADMISSION_RULES: readonly RuleInfo[] = [
  adm(
    'schema',
    'Policy does not match its CRD schema',
    'error',
    "A field is unknown, has the wrong type, or is not one of the allowed values according to the policy's CustomResourceDefinition (Kyverno ClusterPolicy/Policy/ImageValidatingPolicy, Sigstore policy-controller ClusterImagePolicy). The API server prunes unknown fields without a word, so a misspelt `verifyDigest` or `mutateDigest` vanishes and the default applies. Fix the spelling (the quick fix offers the closest known field).",
  ),
  adm(
    'audit-mode',
    'Policy only audits',
    'error',
    'The effective failure action is `Audit` (Kyverno: `failureAction` on the verifyImages rule, else `spec.validationFailureAction`, else the default `Audit`; ImageValidatingPolicy `validationActions` without `Deny`; policy-controller `mode: warn`). Unsigned images are admitted and only reported. Set `failureAction: Enforce` (or `validationActions: [Deny]`, `mode: enforce`).',
  ),
  adm(
    'fail-open',
    'Policy fails open',
    'warning',
    '`failurePolicy: Ignore` admits everything while the admission webhook is down, slow or overloaded; `admission: false` (Kyverno) switches the policy off at admission time; namespace overrides (`validationFailureActionOverrides`) that audit. An attacker who can slow the webhook wins. Use `failurePolicy: Fail` for signature checks.',
  ),
  adm(
    'not-required',
    'Signature not required',
    'error',
    '`required: false` makes Kyverno admit images that have no signature at all (it only checks signatures that exist). Remove it (the default is `true`).',
  ),
  adm(
    'verify-digest-off',
    'Digest not verified',
    'error',
    '`verifyDigest: false` admits images referenced by tag: the signature is checked for the digest the tag points at during admission, but the pod runs whatever the tag points at when the node pulls. Remove it (the default is `true`).',
  ),
  adm(
    'mutate-digest-off',
    'Tags not replaced by digests',
    'warning',
    '`mutateDigest: false` leaves tags in the admitted pod, so a node can pull different content than was verified. Remove it (the default is `true`), or keep `verifyDigest: true` so tags are refused.',
  ),
  adm(
    'image-scope',
    'imageReferences broader or narrower than the published images',
    'warning',
    "The policy's image patterns do not match the registry paths the release workflows push to: a pattern such as `*` or `ghcr.io/*` covers images nobody in this repository signs (every one of them must then carry your signature, or the policy blocks unrelated workloads), and a pushed path no pattern matches is admitted without any check. Write one pattern per published repository (`ghcr.io/acme/ml-models/*`).",
  ),
  adm(
    'identity-incomplete',
    'Keyless identity without its issuer (or the reverse)',
    'error',
    'A keyless attestor names a `subject` without an `issuer` (or `issuerRegExp`), or an issuer without a subject. An identity is only meaningful with the OIDC issuer that vouched for it: `ml-team@acme.com` from any issuer (or any subject from GitHub Actions) admits signatures anyone can obtain. Name both.',
  ),
  adm(
    'unanchored-regexp',
    'Identity regular expression not anchored',
    'error',
    '`subjectRegExp` / `issuerRegExp` (Kyverno), `subjectRegExp` / `issuerRegExp` (policy-controller) are searched, not matched whole: `https://github.com/acme/.*` also accepts `https://github.com/acme-evil/x` and any URL containing it. Anchor with `^…$` and escape dots; `.*` alone accepts every signer.',
  ),
  adm(
    'match-misses-pods',
    'Policy does not match the pods it should',
    'error',
    "The rule's `match` does not cover the pods that serve the model: it lists no `Pod` kind (pods created by controllers or directly are not checked), it matches only some operations, its namespaces or label selector exclude the namespace or labels of the workloads found beside it, or an `exclude` block removes them.",
  ),
  adm(
    'tlog-disabled',
    'Transparency log or certificate checks switched off',
    'error',
    '`rekor.ignoreTlog: true`, `ctlog.ignoreSCT: true` (Kyverno) or `insecureIgnoreSCT`/`ignoreTlog` (policy-controller) accept signatures that were never logged: a stolen key or a mis-issued certificate leaves no public trace, and the signature time cannot be proven. Keep the checks on; for a private Sigstore, name its Rekor URL and keys.',
  ),
  adm(
    'transparency-missing',
    'Private trust root without transparency-log settings',
    'warning',
    "The attestor trusts its own roots (`roots`, `trustRootRef`, `certificates`) but names no Rekor/CT log (`rekor.url`/`rekor.pubkey`, `ctlog.pubkey`), so verification goes to the public-good Sigstore logs, which never saw these signatures: the policy either blocks everything or someone switches the checks off later. Name the private instance's log URL and keys.",
  ),
  adm(
    'no-attestors',
    'Nothing is verified',
    'error',
    'An image rule has neither attestors (keys, keyless identities, certificates) nor attestations, or a policy-controller authority is a `static: {action: pass}`: matching images are admitted without any check.',
  ),
  adm(
    'attestation-mismatch',
    'Attestations do not check what the promotion gate checks',
    'warning',
    'An attestation check names a predicate type that no tool writes (`cyclonedx` or `slsaprovenance` are cosign `--type` shorthands; the statement carries `https://cyclonedx.org/bom` and `https://slsa.dev/provenance/v0.2` or `…/v1`), or has no conditions where the gate checks something (the SLSA builder, the source repository), or the gate requires an SBOM or provenance the policy never asks for.',
  ),
  adm(
    'gate-mismatch',
    'Admission policy and promotion gate disagree',
    'error',
    "`model-inspect admission check` compares the cluster's policy with the promotion gate's (`.model-inspect.yaml`): a signer, issuer or key the gate accepts that the cluster refuses (promoted models cannot be deployed), or one the cluster admits that the gate never approved (the cluster runs models that never passed the gate). Each difference is reported with both locations; `model-inspect admission generate` writes a policy that agrees.",
  ),
];

/** The chain: the same identity and registry path in workflow, model card, promotion policy, manifests and admission policy. */
export const CHAIN_RULES: readonly RuleInfo[] = [
  chain(
    'identity-mismatch',
    'Signer identity differs along the chain',
    'error',
    "The identity that signs (the release workflow's keyless `cosign sign` runs as `https://github.com/OWNER/REPO/.github/workflows/FILE@REF` with issuer `https://token.actions.githubusercontent.com`), the identity the model card claims (`signed_by`), the identities the promotion gate accepts (`.model-inspect.yaml`) and the identities the cluster admits (Kyverno `subject`/`issuer`, policy-controller `identities`) are not the same. Either promoted models are refused at deployment, or something other than the release workflow can sign its way into the cluster. Each finding names both places.",
  ),
  chain(
    'registry-mismatch',
    'Registry path differs along the chain',
    'error',
    "The registry path the workflow pushes to, the model card's `sbom_ref`, the Deployment's image and the admission policy's `imageReferences` do not name the same repository. The image that runs is then not the one that was built, signed and described, or the policy checks a path nothing is pushed to. Each finding names both places.",
  ),
  chain(
    'incomplete',
    'Chain not fully checked',
    'info',
    'A link of the chain was not found in the folder (no release workflow that signs, no model card, no promotion policy, no manifest or no admission policy), so the comparison of that link was skipped.',
  ),
];

export const K8S_RULE_SEVERITY: ReadonlyMap<string, Severity> = new Map(
  [...K8S_RULES, ...ADMISSION_RULES, ...CHAIN_RULES].map((r) => [r.id, r.defaultSeverity]),
);

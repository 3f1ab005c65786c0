import {
  actionName,
  ATTEST_ACTIONS,
  isSlsaGenerator,
  matchesAction,
  NON_OIDC_ACTIONS,
  OIDC_ACTIONS,
  parseUses,
  PINNED_ACTIONS,
} from './actions.ts';
import type { CheckContext } from './context.ts';
import type { YamlNode } from '../yaml/document.ts';
import type { Job, MapEntry, Step } from './model.ts';
import { flagValue, hasFlag, type Command, type Word } from './shell.ts';

/**
 * What a job visibly does with signing, registries and OIDC, read from its steps' actions and
 * shell commands. Shared by the permission, tool, login and signing rules.
 */

export interface Site {
  /** The step, or undefined for a job-level reusable-workflow call. */
  step?: Step;
  /** Document offsets. */
  start: number;
  end: number;
  what: string;
}

export interface CosignCall {
  step: Step;
  cmd: Command;
  sub: string;
  subWord: Word;
  /** Arguments after the subcommand. */
  args: Word[];
}

/**
 * Programs whose behaviour is known: they neither write step outputs nor request OIDC tokens
 * nor run code from the repository. Anything else (make, a script, `python train.py`) might.
 */
export const SIMPLE_PROGRAMS: ReadonlySet<string> = new Set([
  'echo',
  'printf',
  'cat',
  'cd',
  'ls',
  'cp',
  'mv',
  'rm',
  'mkdir',
  'touch',
  'chmod',
  'chown',
  'ln',
  'tar',
  'gzip',
  'gunzip',
  'zip',
  'unzip',
  'sha256sum',
  'sha512sum',
  'shasum',
  'md5sum',
  'jq',
  'yq',
  'grep',
  'sed',
  'awk',
  'tr',
  'cut',
  'head',
  'tail',
  'sort',
  'uniq',
  'wc',
  'test',
  '[',
  '[[',
  'true',
  'false',
  'set',
  'export',
  'curl',
  'wget',
  'git',
  'docker',
  'podman',
  'buildah',
  'oras',
  'cosign',
  'syft',
  'grype',
  'trivy',
  'crane',
  'skopeo',
  'slsa-verifier',
  'sleep',
  'date',
  'env',
  'pwd',
  'find',
  'du',
  'df',
  'stat',
  'basename',
  'dirname',
  'readlink',
  'realpath',
  'base64',
  'xxd',
  'openssl',
  'gpg',
  'exit',
  'return',
  'unset',
  'local',
  'declare',
  'readonly',
  'shift',
]);

/** Programs that run code from the checked-out repository (build files, scripts, package hooks). */
const BUILD_TOOLS = new Set([
  'make',
  'cmake',
  'ninja',
  'npm',
  'npx',
  'yarn',
  'pnpm',
  'bun',
  'deno',
  'pip',
  'pip3',
  'uv',
  'poetry',
  'pdm',
  'hatch',
  'pytest',
  'tox',
  'nox',
  'go',
  'cargo',
  'mvn',
  'gradle',
  'gradlew',
  'bazel',
  'bazelisk',
  'dotnet',
  'bundle',
  'rake',
  'composer',
  'just',
  'task',
  'goreleaser',
  'ko',
  'python',
  'python3',
  'node',
  'ruby',
  'perl',
  'bash',
  'sh',
  'zsh',
  'pwsh',
  'source',
  '.',
  'conda',
  'mamba',
  'jupyter',
  'papermill',
  'accelerate',
  'torchrun',
]);

/**
 * Actions that build or run the checked-out project (its Dockerfile's RUN lines, setup.py,
 * build.rs, hooks, test suite). docker/build-push-action and bake-action do so only with a
 * local `context`/`source`: without one they build the event's commit from git, not the workspace.
 */
const BUILDING_ACTIONS: Readonly<Record<string, (step: Step) => boolean>> = {
  'docker/build-push-action': (s) => localContext(s.with.get('context')?.text),
  'docker/bake-action': (s) => localContext(s.with.get('source')?.text) || !!s.with.get('files')?.text,
  'pre-commit/action': () => true,
  'pypa/cibuildwheel': () => true,
  'pyo3/maturin-action': () => true,
  'goreleaser/goreleaser-action': () => true,
  'cypress-io/github-action': () => true,
  'ruby/setup-ruby': (s) => s.with.get('bundler-cache')?.text === 'true',
  'gradle/gradle-build-action': (s) => !!s.with.get('arguments')?.text,
};

function localContext(text: string | undefined): boolean {
  return (
    text !== undefined &&
    text.trim() !== '' &&
    !/^(\{\{\s*defaultContext\s*\}\}|https?:\/\/|git@|git:\/\/)/.test(text.trim())
  );
}

/** Does a step run code that lives in the checked-out repository? */
export function runsRepositoryCode(ctx: CheckContext, step: Step): boolean {
  if (step.uses) {
    if (step.uses.text.trim().startsWith('./')) return true;
    const building = BUILDING_ACTIONS[actionName(step.uses.text)];
    return !!building && building(step);
  }
  if (step.shell && /^python/.test(step.shell)) return true;
  return ctx.commands(step).some((c) => {
    const prog = c.program?.text ?? '';
    if (/^\.{0,2}\//.test(prog) && !prog.startsWith('/usr/') && !prog.startsWith('/bin/')) return true;
    if (c.name === 'docker' || c.name === 'podman')
      return ['build', 'buildx', 'compose'].includes(c.args[0]?.text ?? '');
    if (!BUILD_TOOLS.has(c.name)) return false;
    // an interpreter runs repository code only with a file or module argument (`python -c` is inline)
    if (/^(python3?|node|ruby|perl|bash|sh|zsh|pwsh)$/.test(c.name))
      return c.args.length > 0 && !/^-[ce]$/.test(c.args[0].text) && !c.args.some((a) => a.text === '--version');
    return true;
  });
}

const COSIGN_BOOLEAN = new Set([
  '-y',
  '--yes',
  '-r',
  '--recursive',
  '--upload',
  '--tlog-upload',
  '--allow-insecure-registry',
  '--allow-http-registry',
  '--insecure-ignore-tlog',
  '--insecure-ignore-sct',
  '--insecure-skip-verify',
  '--record-creation-timestamp',
  '--replace',
  '--new-bundle-format',
  '--use-signing-config',
  '--check-claims',
  '--offline',
  '--local-image',
  '--verbose',
  '-d',
  '--debug',
  '--private-infrastructure',
  '--skip-confirmation',
  '--experimental-oci11',
  '--use-signed-timestamps',
]);

export function looksLikeImage(text: string): boolean {
  if (/^(https?|file|env|k8s|gcpkms|awskms|azurekms|hashivault|pkcs11):/.test(text)) return false;
  if (text.includes('${{') || text.startsWith('$')) return true;
  return (
    /^[a-z0-9][\w.-]*(?::\d+)?\/[\w./-]+(?::[\w.${}-]+)?(?:@sha256:[0-9a-f]+)?$/i.test(text) ||
    /^[a-z0-9][\w.-]*:[\w.-]+$/.test(text)
  );
}

/** Positional arguments of a cosign (or similar) invocation, skipping flags and their values. */
export function positionals(args: readonly Word[], booleans: ReadonlySet<string> = COSIGN_BOOLEAN): Word[] {
  const out: Word[] = [];
  for (let k = 0; k < args.length; k++) {
    const t = args[k].text;
    if (t === '--') {
      out.push(...args.slice(k + 1));
      break;
    }
    if (t.startsWith('-') && t.length > 1) {
      if (t.includes('=') || booleans.has(t)) continue;
      const next = args[k + 1];
      if (next && !next.text.startsWith('-') && !(looksLikeImage(next.text) && k + 2 >= args.length)) k++;
      continue;
    }
    out.push(args[k]);
  }
  return out;
}

export function cosignCalls(ctx: CheckContext, step: Step): CosignCall[] {
  const out: CosignCall[] = [];
  for (const cmd of ctx.commands(step)) {
    if (cmd.name !== 'cosign') continue;
    const k = cmd.args.findIndex((a) => !a.text.startsWith('-'));
    if (k < 0) continue;
    out.push({ step, cmd, sub: cmd.args[k].text, subWord: cmd.args[k], args: cmd.args.slice(k + 1) });
  }
  return out;
}

export function isKeyless(call: CosignCall): boolean {
  return (
    !hasFlag(call.args, ['--key', '--sk', '--identity-token', '--certificate']) &&
    !call.cmd.assignments.some((a) => a.text.startsWith('COSIGN_KEY='))
  );
}

export function span(ctx: CheckContext, step: Step, w: { start: number; end: number }): { start: number; end: number } {
  return ctx.scriptSpan(step, w.start, w.end);
}

/** Steps, actions and reusable-workflow calls that need the OIDC token. */
export function oidcUses(ctx: CheckContext, job: Job): Site[] {
  const sites: Site[] = [];
  if (job.uses && isSlsaGenerator(job.uses.text))
    sites.push({ start: job.uses.node.start, end: job.uses.node.end, what: 'the SLSA generator' });
  for (const step of job.steps) {
    if (step.uses) {
      const name = actionName(step.uses.text);
      if (matchesAction(name, OIDC_ACTIONS) || isSlsaGenerator(step.uses.text))
        sites.push({ step, start: step.uses.node.start, end: step.uses.node.end, what: name });
    }
    for (const call of cosignCalls(ctx, step)) {
      if (['sign', 'attest', 'sign-blob', 'attest-blob'].includes(call.sub) && isKeyless(call)) {
        sites.push({
          step,
          ...span(ctx, step, { start: call.cmd.program!.start, end: call.subWord.end }),
          what: `keyless cosign ${call.sub}`,
        });
      }
    }
    for (const cmd of ctx.commands(step)) {
      if ((cmd.name === 'npm' || cmd.name === 'pnpm' || cmd.name === 'yarn') && hasFlag(cmd.args, ['--provenance'])) {
        sites.push({ step, ...span(ctx, step, cmd.program!), what: `${cmd.name} publish --provenance` });
      }
    }
    if (step.run && /ACTIONS_ID_TOKEN_REQUEST_(URL|TOKEN)/.test(step.run.script.text))
      sites.push({ step, start: step.run.node.start, end: step.run.node.start, what: 'a request for the OIDC token' });
  }
  return sites;
}

/**
 * Could anything in the job put the OIDC token to a purpose? Visible users (signing, attestation,
 * provenance, cloud logins), actions not known to leave it alone, reusable workflows, and scripts
 * that name a signing or cloud tool or ask for provenance. Build tools and test runners alone do
 * not count: a token they ask for is exactly what the grant should not allow.
 */
export function mayUseOidc(ctx: CheckContext, job: Job): boolean {
  if (job.uses || oidcUses(ctx, job).length) return true;
  const provenanceEnv = (env: ReadonlyMap<string, MapEntry>) =>
    [...env.keys()].some((k) => /PROVENANCE|OIDC|ID_TOKEN/i.test(k));
  if (provenanceEnv(ctx.wf.env) || provenanceEnv(job.env)) return true;
  for (const step of job.steps) {
    if (step.uses) {
      const u = parseUses(step.uses.text);
      const name = actionName(step.uses.text);
      if (
        u.kind !== 'remote' ||
        !(matchesAction(name, NON_OIDC_ACTIONS) || matchesAction(name, Object.keys(PINNED_ACTIONS)))
      )
        return true;
    }
    if (provenanceEnv(step.env)) return true;
    if (
      /\b(cosign|sigstore|gh\s+attestation|gcloud|aws|az|vault|twine|slsa|id-token|oidc|provenance|semantic-release|changeset)\b|ACTIONS_ID_TOKEN/i.test(
        step.run?.script.text ?? '',
      )
    )
      return true;
  }
  return false;
}

export function attestActionUses(job: Job): Site[] {
  const out: Site[] = [];
  for (const step of job.steps) {
    if (step.uses && matchesAction(actionName(step.uses.text), ATTEST_ACTIONS))
      out.push({ step, start: step.uses.node.start, end: step.uses.node.end, what: actionName(step.uses.text) });
  }
  return out;
}

export interface Push extends Site {
  /** The image or artifact reference pushed to, when visible. */
  target?: string;
  /** The shell command that pushes (absent for actions). */
  cmd?: Command;
}

const ORAS_PUSHING = new Set(['push', 'attach', 'cp', 'copy', 'tag']);
const CRANE_PUSHING = new Set([
  'push',
  'copy',
  'cp',
  'tag',
  'append',
  'mutate',
  'delete',
  'rebase',
  'flatten',
  'index',
]);
const COSIGN_PUSHING = new Set(['sign', 'attest', 'attach', 'copy', 'upload', 'clean']);

/** Commands and actions that write to a container registry. */
export function registryPushes(ctx: CheckContext, job: Job): Push[] {
  const out: Push[] = [];
  for (const step of job.steps) {
    if (step.uses && actionName(step.uses.text) === 'docker/build-push-action') {
      const push = step.with.get('push');
      if (push && push.text !== undefined && push.text !== 'false' && push.text !== '') {
        const tags = step.with
          .get('tags')
          ?.text?.split(/[\s,]+/)
          .find(Boolean);
        out.push({
          step,
          start: step.uses.node.start,
          end: step.uses.node.end,
          what: 'docker/build-push-action with push: true',
          target: tags && expandEnv(tags, envFor(ctx, job, step)),
        });
      }
    }
    for (const cmd of ctx.commands(step)) {
      const name = cmd.name;
      const pos = positionals(cmd.args);
      const sub = pos[0]?.text;
      let target: string | undefined;
      let what = '';
      if ((name === 'docker' || name === 'podman') && sub === 'push') {
        what = `${name} push`;
        target = pos[1]?.text;
      } else if (
        (name === 'docker' || name === 'podman' || name === 'buildah') &&
        (sub === 'build' || sub === 'buildx') &&
        hasFlag(cmd.args, ['--push'])
      ) {
        what = `${name} ${sub} --push`;
        target = flagValue(cmd.args, ['-t', '--tag'])?.text;
      } else if (name === 'oras' && sub && ORAS_PUSHING.has(sub)) {
        what = `oras ${sub}`;
        target = (sub === 'cp' || sub === 'copy' ? pos[2] : pos[1])?.text;
      } else if (name === 'crane' && sub && CRANE_PUSHING.has(sub)) {
        what = `crane ${sub}`;
        target = (sub === 'push' || sub === 'copy' || sub === 'cp' ? pos[2] : pos[1])?.text;
      } else if (name === 'cosign' && sub && COSIGN_PUSHING.has(sub)) {
        if (sub === 'sign' && cmd.args.some((a) => a.text === '--upload=false')) continue; // signs without pushing
        what = `cosign ${sub}`;
        target = pos[pos.length - 1]?.text;
      } else if (name === 'skopeo' && sub === 'copy') {
        what = 'skopeo copy';
        target = pos[2]?.text?.replace(/^docker:\/\//, '');
      } else continue;
      if (target && /^(localhost|127\.0\.0\.1)(:\d+)?\//.test(target)) continue;
      const at = span(ctx, step, { start: cmd.program!.start, end: (pos[0] ?? cmd.program!).end });
      out.push({ step, ...at, what, target: target && expandEnv(target, envFor(ctx, job, step)), cmd });
    }
  }
  return out;
}

export function registryHost(ref: string | undefined): string | undefined {
  if (!ref || ref.startsWith('$')) return undefined;
  const first = ref.split('/')[0];
  if (!ref.includes('/')) return 'docker.io';
  return /[.:]/.test(first) || first === 'localhost' ? first.toLowerCase() : 'docker.io';
}

const LOGIN_PROGRAMS = new Set(['docker', 'podman', 'buildah', 'oras', 'cosign', 'skopeo', 'notation', 'regctl']);

/** The first step (by index) that logs in to a registry, or -1. */
export function loginStepIndex(ctx: CheckContext, job: Job, loginActions: readonly string[]): number {
  for (const step of job.steps) {
    if (step.uses && matchesAction(actionName(step.uses.text), loginActions)) return step.index;
    for (const cmd of ctx.commands(step)) {
      const words = cmd.args.map((a) => a.text);
      if (LOGIN_PROGRAMS.has(cmd.name) && words.includes('login')) return step.index;
      if (cmd.name === 'crane' && words[0] === 'auth' && words[1] === 'login') return step.index;
      if (cmd.name === 'helm' && words[0] === 'registry' && words[1] === 'login') return step.index;
      if (cmd.name === 'gcloud' && words.includes('configure-docker')) return step.index;
      if (cmd.name === 'az' && words[0] === 'acr' && words[1] === 'login') return step.index;
      if (cmd.redirects.some((r) => r.target && /\.docker\/config\.json|auth\.json/.test(r.target.text)))
        return step.index;
    }
  }
  return -1;
}

/**
 * Substitutes `$X`, `${X}` and `${{ env.X }}` with literal values from `env:` maps, so that
 * `"$IMAGE:$TAG"` or `${{ env.REGISTRY }}/${{ env.IMAGE_NAME }}` can be judged. Unknown variables
 * stay as written; values that are themselves expressions are not expanded.
 */
export function expandEnv(text: string, env: ReadonlyMap<string, MapEntry>, depth = 0): string {
  if (depth > 3 || !text.includes('$')) return text;
  const value = (name: string, whole: string) => {
    const v = env.get(name)?.text;
    return v !== undefined && v !== '' && !v.includes('${{') ? expandEnv(v, env, depth + 1) : whole;
  };
  return text
    .replace(/\$\{\{\s*env\.([\w-]+)\s*\}\}/g, (whole, n: string) => value(n, whole))
    .replace(/\$\{([A-Za-z_]\w*)\}|\$([A-Za-z_]\w*)/g, (whole, a: string | undefined, b: string | undefined) =>
      value(a ?? b ?? '', whole),
    );
}

/** Environment visible to a step: workflow, job and step `env:` (later levels win). */
export function envFor(ctx: CheckContext, job: Job, step?: Step): Map<string, MapEntry> {
  const env = new Map<string, MapEntry>(ctx.wf.env);
  for (const [k, v] of job.env) env.set(k, v);
  if (step) for (const [k, v] of step.env) env.set(k, v);
  return env;
}

/** GitHub-hosted runner images (`ubuntu-24.04`, `windows-latest`, `macos-15-xlarge`, `ubuntu-24.04-arm`…). */
export const HOSTED_LABEL = /^(ubuntu|windows|macos)-[\w.-]+$/;

export interface RunnerLabel {
  text: string;
  node: YamlNode;
}

/**
 * The literal labels of a job's `runs-on` (`${{ matrix.X }}` is resolved from the matrix when its
 * values are literal). Undefined when they cannot be known (other expressions, runner groups only).
 */
export function runnerLabels(ctx: CheckContext, job: Job): RunnerLabel[] | undefined {
  const r = ctx.doc.resolveAlias(job.runsOn ?? null);
  if (!r) return undefined;
  const nodes: YamlNode[] = [];
  if (r.kind === 'scalar') nodes.push(r);
  else if (r.kind === 'sequence')
    for (const i of r.items ?? []) {
      const n = ctx.doc.resolveAlias(i);
      if (n) nodes.push(n);
    }
  else if (r.kind === 'mapping') {
    const labels = ctx.doc.resolveAlias(ctx.doc.pair(r, 'labels')?.value);
    if (labels?.kind === 'scalar') nodes.push(labels);
    else
      for (const i of labels?.items ?? []) {
        const n = ctx.doc.resolveAlias(i);
        if (n) nodes.push(n);
      }
    if (!nodes.length) return undefined;
  }
  const out: RunnerLabel[] = [];
  for (const n of nodes) {
    const text = n.kind === 'scalar' ? String(n.value ?? '') : '';
    const m = /^\$\{\{\s*matrix\.([\w-]+)\s*\}\}$/.exec(text.trim());
    if (m) {
      const values = matrixLabels(ctx, job, m[1]);
      if (!values) return undefined;
      for (const v of values) out.push({ text: v, node: n });
      continue;
    }
    if (text.includes('${{')) return undefined;
    out.push({ text, node: n });
  }
  return out;
}

/**
 * The literal labels matrix `key` takes: its list (an item may itself be a list of labels, or a
 * mapping with `labels`) and the same key in `include` entries. Expressions are skipped; undefined
 * when no literal value is left.
 */
function matrixLabels(ctx: CheckContext, job: Job, key: string): string[] | undefined {
  const doc = ctx.doc;
  const out: string[] = [];
  const add = (node: YamlNode | null | undefined, depth: number) => {
    const v = doc.resolveAlias(node);
    if (!v) return;
    if (v.kind === 'scalar') {
      const t = String(v.value ?? '');
      if (t && !t.includes('${{')) out.push(t);
      return;
    }
    if (v.kind === 'mapping') {
      add(doc.pair(v, 'labels')?.value, depth);
      return;
    }
    if (v.kind === 'sequence' && depth < 2) for (const i of v.items ?? []) add(i, depth + 1);
  };
  const own = doc.resolveAlias(doc.pair(job.matrix, key)?.value);
  if (own?.kind === 'sequence') for (const i of own.items ?? []) add(i, 1);
  const include = doc.resolveAlias(doc.pair(job.matrix, 'include')?.value);
  for (const entry of include?.kind === 'sequence' ? (include.items ?? []) : [])
    add(doc.pair(doc.resolveAlias(entry), key)?.value, 1);
  return out.length ? out : undefined;
}

const PUBLISH_ACTIONS = [
  'pypa/gh-action-pypi-publish',
  'softprops/action-gh-release',
  'goreleaser/goreleaser-action',
  'ncipollo/release-action',
  'actions/attest-build-provenance',
  'actions/attest-sbom',
  'actions/attest',
  'sigstore/gh-action-sigstore-python',
  'jreleaser/release-action',
  'rubygems/release-gem',
  'changesets/action',
  'js-devtools/npm-publish',
  'svenstaro/upload-release-action',
  'huggingface/hub-upload',
];

/** Does a job publish, sign, attest or push (what a release job does)? Returns what, for messages. */
export function publishes(ctx: CheckContext, job: Job): string | undefined {
  if (job.uses && isSlsaGenerator(job.uses.text)) return 'generates provenance';
  const push = registryPushes(ctx, job)[0];
  if (push) return push.what;
  const oidc = oidcUses(ctx, job)[0];
  if (oidc) return oidc.what;
  for (const step of job.steps) {
    if (step.uses && matchesAction(actionName(step.uses.text), PUBLISH_ACTIONS)) return actionName(step.uses.text);
    for (const cmd of ctx.commands(step)) {
      const w = cmd.args.map((a) => a.text);
      const sub = w.find((x) => !x.startsWith('-'));
      if (
        (cmd.name === 'npm' ||
          cmd.name === 'pnpm' ||
          cmd.name === 'cargo' ||
          cmd.name === 'poetry' ||
          cmd.name === 'uv' ||
          cmd.name === 'hatch' ||
          cmd.name === 'flit') &&
        sub === 'publish'
      )
        return `${cmd.name} publish`;
      if (cmd.name === 'yarn' && (sub === 'publish' || (sub === 'npm' && w.includes('publish')))) return 'yarn publish';
      if (cmd.name === 'twine' && sub === 'upload') return 'twine upload';
      if (cmd.name === 'gh' && w[0] === 'release' && (w[1] === 'create' || w[1] === 'upload'))
        return `gh release ${w[1]}`;
      if (cmd.name === 'gem' && sub === 'push') return 'gem push';
      if (cmd.name === 'goreleaser' && !w.includes('--snapshot')) return 'goreleaser';
      if ((cmd.name === 'dotnet' || cmd.name === 'nuget') && w.includes('push')) return `${cmd.name} nuget push`;
      if (cmd.name === 'mvn' && w.includes('deploy')) return 'mvn deploy';
      if ((cmd.name === 'huggingface-cli' || cmd.name === 'hf') && sub === 'upload') return `${cmd.name} upload`;
    }
  }
  return undefined;
}

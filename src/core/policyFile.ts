import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Finding, Severity } from './findings.ts';
import { nameMatches } from './area.ts';
import { regularFileStat } from './fsutil/walk.ts';
import { modelCardArea } from './modelcard/area.ts';
import { isWeightFile } from './scan/area.ts';
import { signingArea } from './signing/area.ts';
import type { RuleSettings } from './ruleSettings.ts';
import { decodeUtf8 } from './yaml/decode.ts';
import { frontMatter, looksLikeHfMetadata } from './yaml/frontMatter.ts';
import { parseYaml, type YamlDocument, type YamlNode } from './yaml/document.ts';
import { yamlProblemFindings } from './yaml/findings.ts';

/**
 * The trusted configuration file, `.model-inspect.yaml`, as every face finds it: `--policy`, the
 * `modelInspect.gate.policyFile` setting, or the nearest one *above* the inspected folder (never
 * one inside it: that is the model's own say in how it is judged). Its `gate:` section is the
 * promotion policy (gate/policy.ts); its `rules:` section sets rule severities for every command.
 */

export const POLICY_FILE_NAMES = ['.model-inspect.yaml', '.model-inspect.yml'];
export const MAX_POLICY_BYTES = 1024 * 1024;

/** A policy the upward search passed because the folder it lies in is part of a model. */
export interface PolicyInModel {
  file: string;
  reason: string;
}

/** What the upward search found: the policy to use, and the ones it refused on the way. */
export interface PolicySearch {
  file?: string;
  inModel: PolicyInModel[];
}

/**
 * The nearest `.model-inspect.yaml` (or `.yml`) *above* a folder, up to the repository root (a
 * folder with `.git`) or `stopAt` (the workspace folder). The folder itself is never searched.
 * When it is the repository root or the workspace folder there is nothing above it to search;
 * when it is in no repository and no workspace folder is given, nothing is searched either.
 *
 * The model boundary: a policy that lies in a folder which itself holds model content (weights,
 * a model card, a signature, `model_index.json`…) belongs to that model, as in a downloaded
 * diffusers repository inspected at `dl/unet/` whose `dl/.model-inspect.yaml` the publisher wrote.
 * It is refused (reported as `gate/policy-in-model`) and the search goes on above it.
 */
export async function searchPolicyFile(modelDir: string, stopAt?: string): Promise<PolicySearch> {
  let dir = path.resolve(modelDir);
  const stop = stopAt ? path.resolve(stopAt) : undefined;
  const inModel: PolicyInModel[] = [];
  // Outside a repository (a download in ~/Downloads or /tmp) and without a workspace folder to
  // stop at, every folder above the model may be the download's own: nothing is searched.
  if (!stop && !(await insideRepository(dir))) return { inModel };
  for (;;) {
    let isRepoRoot = false;
    try {
      await fs.stat(path.join(dir, '.git'));
      isRepoRoot = true;
    } catch {
      /* keep climbing */
    }
    const parent = path.dirname(dir);
    if (isRepoRoot || dir === stop || parent === dir) return { inModel };
    dir = parent;
    for (const name of POLICY_FILE_NAMES) {
      const p = path.join(dir, name);
      try {
        if (!(await fs.stat(p)).isFile()) continue;
      } catch {
        continue;
      }
      const reason = await modelContentIn(dir);
      if (!reason) return { file: p, inModel };
      inModel.push({ file: p, reason });
      break; // its .yml twin is the model's as well
    }
  }
}

/** Whether a folder or one above it has `.git` (is inside a repository's work tree). */
async function insideRepository(start: string): Promise<boolean> {
  for (let dir = start; ;) {
    try {
      await fs.stat(path.join(dir, '.git'));
      return true;
    } catch {
      const parent = path.dirname(dir);
      if (parent === dir) return false;
      dir = parent;
    }
  }
}

/** The nearest usable policy above a folder (searchPolicyFile without the refusals). */
export async function findPolicyFile(modelDir: string, stopAt?: string): Promise<string | undefined> {
  return (await searchPolicyFile(modelDir, stopAt)).file;
}

/** The refusal of a policy the search found in a folder that is part of a model (the gate blocks on it). */
export function policyInModelFinding(found: PolicyInModel): Finding {
  return {
    ruleId: 'gate/policy-in-model',
    severity: 'error',
    message: `the policy ${found.file} was found above the inspected folder, but its folder is part of a model (${found.reason}): a model cannot set the policy it is judged by, so it was not used (name your policy with --policy or the modelInspect.gate.policyFile setting, and keep downloaded models outside your repositories)`,
    file: found.file,
  };
}

const CARD_YAML = modelCardArea.files.find((k) => k.id === 'model-card')!;
const SIGNATURE = signingArea.files.find((k) => k.id === 'signature')!;
/** Files only a model (Hugging Face, diffusers) holds beside its weights. */
const MODEL_FILE_NAMES = new Set([
  'model_index.json',
  'generation_config.json',
  'tokenizer_config.json',
  'tokenizer.json',
  'special_tokens_map.json',
  'preprocessor_config.json',
  'scheduler_config.json',
  'adapter_config.json',
]);
const MAX_BOUNDARY_ENTRIES = 10_000;
const INDEX_SUFFIX = '.index.json';

/** A sharded checkpoint's index (`model.safetensors.index.json`, `pytorch_model.bin.index.json`): only a model has one. */
function isWeightIndex(name: string): boolean {
  return name.toLowerCase().endsWith(INDEX_SUFFIX) && isWeightFile(name.slice(0, -INDEX_SUFFIX.length));
}
const MAX_README_BYTES = 64 * 1024;

/**
 * Why a folder is part of a model (the model boundary of the policy search), from its entries'
 * names and a README's front matter; undefined when it holds no model content. A folder that
 * cannot be listed in full counts as a model's: what was not looked at is not known to be a repository.
 */
export async function modelContentIn(dir: string): Promise<string | undefined> {
  let readme: string | undefined;
  let n = 0;
  try {
    for await (const e of await fs.opendir(dir)) {
      if (++n > MAX_BOUNDARY_ENTRIES) return `it holds over ${MAX_BOUNDARY_ENTRIES} entries, not all looked at`;
      const lower = e.name.toLowerCase();
      if (isWeightFile(e.name)) return `it holds the weight file ${e.name}`;
      if (nameMatches(CARD_YAML, e.name)) return `it holds the model card ${e.name}`;
      if (nameMatches(SIGNATURE, e.name)) return `it holds the signature ${e.name}`;
      if (MODEL_FILE_NAMES.has(lower) || isWeightIndex(e.name)) return `it holds ${e.name}`;
      if (lower === 'readme.md') readme = e.name;
    }
  } catch (e) {
    return `its entries cannot be listed: ${(e as Error).message}`;
  }
  if (readme && (await isHuggingFaceCard(path.join(dir, readme)))) return `its ${readme} is a Hugging Face model card`;
  return undefined;
}

async function isHuggingFaceCard(file: string): Promise<boolean> {
  const st = await regularFileStat(file);
  if (!st.ok) return false;
  try {
    const fh = await fs.open(file, 'r');
    try {
      const buf = Buffer.alloc(Math.min(MAX_README_BYTES, st.stat.size));
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      const text = decodeUtf8(buf.subarray(0, bytesRead)).text;
      const fm = frontMatter(text);
      if (fm) return looksLikeHfMetadata(fm.text);
      // Front matter that opens and does not close within what was read: the Hub reads all of it,
      // so what was not looked at may be a card (padding past 64 KiB hid `license:`).
      return bytesRead < st.stat.size && /^(?:\ufeff)?---[ \t]*\r?\n/.test(text);
    } finally {
      await fh.close();
    }
  } catch {
    return false;
  }
}

/**
 * Why a policy file that the upward search found may not be used: it is owned by another user
 * (not you, not root). The search climbs into folders other accounts share
 * (`/tmp`, a shared downloads folder), where another local user can leave a `.model-inspect.yaml`
 * that switches every check off; git refuses repositories of other owners for the same reason.
 * A file named with `--policy` or the setting is the user's choice and is not checked. Undefined:
 * usable (always on systems without POSIX owners).
 */
export function untrustedOwnerReason(file: string, uid: number | undefined = process.getuid?.()): string | undefined {
  if (uid === undefined) return undefined;
  let st: fsSync.Stats;
  try {
    st = fsSync.statSync(file);
  } catch {
    return undefined;
  } // reported when it is read
  // Ownership only, as git's safe.directory: modes say little on mounted Windows drives (0777).
  if (st.uid !== uid && st.uid !== 0) return `it is owned by another user (uid ${st.uid}), not by you or root`;
  return undefined;
}

/** The refusal of a policy the search found that someone else could have written (the gate blocks on it). */
export function untrustedPolicyFinding(file: string, reason: string): Finding {
  return {
    ruleId: 'gate/policy-invalid',
    severity: 'error',
    message: `the policy ${file} was found above the inspected folder, but ${reason}: another local user could have written it, so it was not used (name it with --policy or the modelInspect.gate.policyFile setting if you trust it)`,
    file,
  };
}

/** A policy file's text (bounded, a regular file only), or the finding that says why it was not read. */
export async function readPolicyText(file: string): Promise<{ text: string } | { finding: Finding }> {
  const invalid = (message: string): { finding: Finding } => ({
    finding: { ruleId: 'gate/policy-invalid', severity: 'error', message, file },
  });
  try {
    const st = await regularFileStat(file);
    if (!st.ok) throw new Error(`${file} ${st.message}`);
    if (st.stat.size > MAX_POLICY_BYTES) return invalid('policy file is over 1 MiB; not read');
    const bytes = await fs.readFile(file);
    if (bytes.length > MAX_POLICY_BYTES) return invalid('policy file is over 1 MiB; not read');
    return { text: decodeUtf8(bytes).text };
  } catch (e) {
    return invalid(`cannot read the policy: ${(e as Error).message}`);
  }
}

/** The `rules:` section: rule settings for every face, and whether inline suppression comments count. */
export interface PolicyRules {
  rules?: RuleSettings;
  /** `rules.inline_suppressions` (default true): false ignores every `# model-inspect-disable…` comment. */
  inline: boolean;
  findings: Finding[];
}

const RULE_PATTERN = /^[a-z][a-z0-9]*\/(\*|[\w-]+)$/;
const SEVERITIES: readonly (Severity | 'off')[] = ['error', 'warning', 'info', 'off'];

/**
 * Reads `rules:` of a parsed policy document. Problems are `gate/policy-invalid` findings on the
 * offending node; with `isKnownRule` (the catalogue, src/core/rules.ts), unknown rule ids are warned about.
 */
export function parseRulesSection(doc: YamlDocument, file: string, isKnownRule?: (id: string) => boolean): PolicyRules {
  const findings: Finding[] = [];
  const out: PolicyRules = { inline: true, findings };
  const problem = (node: { start: number; end: number }, message: string, severity: Severity = 'error') =>
    findings.push({ ruleId: 'gate/policy-invalid', severity, message, file, range: doc.range(node) });
  const root = doc.resolveAlias(doc.root);
  const section = root?.kind === 'mapping' ? doc.pair(root, 'rules') : undefined;
  if (!section) return out;
  const node = doc.resolveAlias(section.value);
  if (!node || node.kind !== 'mapping') {
    problem(node ?? section.key, '`rules` must be a mapping with `severity`, `disabled` and `inline_suppressions`');
    return out;
  }
  const source = `rules: of ${path.basename(file)}`;
  const rules: RuleSettings = { severity: {}, disabled: [], source };
  const checkId = (n: YamlNode, id: string): boolean => {
    if (!RULE_PATTERN.test(id)) {
      problem(n, `'${id}' is not a rule id or an area (\`card/placeholder-digest\`, \`card/*\`)`);
      return false;
    }
    if (!id.endsWith('/*') && isKnownRule && !isKnownRule(id))
      problem(n, `unknown rule '${id}' (model-inspect rules lists them)`, 'warning');
    if (id.startsWith('gate/')) {
      problem(
        n,
        `${id}: the gate's own findings are its verdict's reasons and are not changed here; use the \`gate:\` section`,
        'warning',
      );
      return false;
    }
    return true;
  };
  for (const pair of node.pairs ?? []) {
    const value = doc.resolveAlias(pair.value);
    if (pair.keyText === 'severity') {
      if (!value || value.kind !== 'mapping') {
        problem(value ?? pair.key, '`rules.severity` must map rule ids (or `area/*`) to error, warning, info or off');
        continue;
      }
      for (const p of value.pairs ?? []) {
        const v = doc.resolveAlias(p.value);
        const s = v?.kind === 'scalar' ? v.value : undefined;
        if (typeof s !== 'string' || !(SEVERITIES as readonly string[]).includes(s)) {
          problem(v ?? p.key, `rules.severity.${p.keyText}: expected one of ${SEVERITIES.join(', ')}`);
          continue;
        }
        if (checkId(p.key, p.keyText)) rules.severity![p.keyText] = s as Severity | 'off';
      }
    } else if (pair.keyText === 'disabled') {
      if (!value || value.kind !== 'sequence') {
        problem(value ?? pair.key, '`rules.disabled` must be a list of rule ids (or `area/*`)');
        continue;
      }
      const ids: string[] = [];
      for (const item of value.items ?? []) {
        const it = doc.resolveAlias(item);
        if (!it || it.kind !== 'scalar' || typeof it.value !== 'string') {
          problem(it ?? value, 'every item of `rules.disabled` must be a rule id');
          continue;
        }
        if (checkId(it, it.value)) ids.push(it.value);
      }
      rules.disabled = ids;
    } else if (pair.keyText === 'inline_suppressions') {
      if (value?.kind === 'scalar' && typeof value.value === 'boolean') out.inline = value.value;
      else problem(value ?? pair.key, '`rules.inline_suppressions` must be true or false');
    } else problem(pair.key, `unknown key '${pair.keyText}' in rules; known: severity, disabled, inline_suppressions`);
  }
  out.rules = rules;
  return out;
}

/** Where the policy for a folder comes from (the same for the gate and every other command). */
export interface PolicyLookup {
  /** An explicit policy file (`--policy`, the `modelInspect.gate.policyFile` setting). */
  file?: string;
  /** Where the search stops (the workspace folder). */
  stopAt?: string;
  /** False (or a reason): do not search (an untrusted workspace's files decide nothing). */
  search?: boolean | string;
  /**
   * The file or folder being judged. A policy file that lies inside it (named by `--policy` or a
   * setting, or reached through a link) is the model's own say in how it is judged: refused.
   */
  inspected?: string;
}

function real(p: string): string {
  try {
    return fsSync.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/** Whether `p` is `root` or inside it, links resolved. */
function isInside(p: string, root: string): boolean {
  const rel = path.relative(real(root), real(p));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The refusal of a policy that lies inside what it would judge (the gate blocks on it). */
export function policyInsideFinding(file: string, inspected: string): Finding {
  return {
    ruleId: 'gate/policy-in-model',
    severity: 'error',
    message: `the policy ${path.basename(file)} lies inside the inspected ${path.basename(inspected)}: a model cannot set the policy it is judged by, so it was not used (keep the policy outside the model folder)`,
    file,
  };
}

/** The `rules:` of the policy that applies to a folder (the gate's lookup), with the file it came from. */
export async function loadPolicyRules(
  dir: string,
  lookup: PolicyLookup & { isKnownRule?: (id: string) => boolean } = {},
): Promise<PolicyRules & { file?: string }> {
  const search: PolicySearch =
    lookup.file || lookup.search === false || typeof lookup.search === 'string'
      ? { inModel: [] }
      : await searchPolicyFile(dir, lookup.stopAt);
  const refused = search.inModel.map(policyInModelFinding);
  const rules = await policyRulesOf(lookup.file ?? search.file, lookup);
  return { ...rules, findings: [...refused, ...rules.findings] };
}

async function policyRulesOf(
  file: string | undefined,
  lookup: PolicyLookup & { isKnownRule?: (id: string) => boolean },
): Promise<PolicyRules & { file?: string }> {
  if (!file) return { inline: true, findings: [] };
  if (lookup.inspected && isInside(file, lookup.inspected))
    return { file, inline: true, findings: [policyInsideFinding(file, lookup.inspected)] };
  const foreign = lookup.file ? undefined : untrustedOwnerReason(file);
  if (foreign) return { file, inline: true, findings: [untrustedPolicyFinding(file, foreign)] };
  const read = await readPolicyText(file);
  if ('finding' in read) return { file, inline: true, findings: [read.finding] };
  const doc = parseYaml(read.text);
  // A file that does not parse is reported by the gate (gate/policy-invalid); here it has no rules.
  if (doc.problems.length)
    return {
      file,
      inline: true,
      findings: yamlProblemFindings(doc, file).map((f) => ({ ...f, ruleId: 'gate/policy-invalid' })),
    };
  return { file, ...parseRulesSection(doc, file, lookup.isKnownRule) };
}

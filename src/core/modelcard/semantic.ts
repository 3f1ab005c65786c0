import type { Fix } from '../findings.ts';
import type { YamlNode } from '../yaml/document.ts';
import { CardContext, pathLabel, type RoleHit } from './context.ts';
import { classifyDigest, looksLikeDigest } from './digest.ts';
import { formatProblem, parseTime } from './formats.ts';
import { classifyRevision, parseSourceRef } from './gitref.ts';
import { checkLanguageCode } from './iso639.ts';
import { checkSpdxExpression } from './license.ts';
import { parseOciRef } from './ociref.ts';
import { closest } from './suggest.ts';

export interface SemanticOptions {
  now: Date;
  reviewMaxAgeDays: number;
}

/** A digest in the card that belongs to a local file (checked against the file's real SHA-256 later, asynchronously). */
export interface DigestClaim {
  /** The path as written in the card (relative to the card). */
  relPath: string;
  /** The digest value node. */
  node: YamlNode;
  /** Its text. */
  text: string;
}

/** A local path the card refers to (its existence is checked later, with the digests). */
export interface PathRef {
  relPath: string;
  node: YamlNode;
  label: string;
}

export interface SemanticResult {
  claims: DigestClaim[];
  paths: PathRef[];
}

const DAY = 86_400_000;
/** Clocks disagree a little; a timestamp minutes ahead is not "in the future". */
const CLOCK_SKEW = 10 * 60_000;

const PATH_KEYS = new Set([
  'path',
  'file',
  'filename',
  'file_path',
  'local_path',
  'weights',
  'weights_path',
  'model_path',
  'weights_file',
  'model_file',
]);
const DIGEST_KEYS = new Set([
  'hash',
  'digest',
  'sha256',
  'checksum',
  'sha256sum',
  'sha256_digest',
  'file_hash',
  'weights_hash',
]);

/**
 * The rules a security reviewer applies on top of the schema: digests, commits, source pins,
 * transports, references by tag, dates, license, name/version consistency, scan claims. Fields the
 * schema gave a role are checked by role; digests and git URLs are also recognised by their value
 * anywhere in the card, so a card with extra fields is still checked.
 */
export function checkSemantics(ctx: CardContext, options: SemanticOptions): SemanticResult {
  const result: SemanticResult = { claims: [], paths: [] };
  const covered = new Set<YamlNode>();
  const byRole = (role: string) => ctx.roles.filter((r) => r.role === role);

  for (const hit of ctx.roles) {
    covered.add(hit.node);
    switch (hit.role) {
      case 'digest':
        checkDigest(ctx, hit.node, hit.text, `\`${pathLabel(hit.path)}\``);
        break;
      case 'commit':
        checkCommit(ctx, hit);
        break;
      case 'source':
        checkSource(ctx, hit, result);
        break;
      case 'oci-ref':
        checkReference(ctx, hit, result);
        break;
      case 'path':
        if (isLocalPath(hit.text)) result.paths.push({ relPath: hit.text, node: hit.node, label: pathLabel(hit.path) });
        break;
      case 'link-or-path':
        checkLinkOrPath(ctx, hit, result);
        break;
      case 'license':
        checkLicense(ctx, hit);
        break;
      case 'hf-license':
        checkHfLicense(ctx, hit);
        break;
      case 'language':
        checkLanguage(ctx, hit);
        break;
      default:
        break;
    }
  }

  const build = byRole('build-time')[0];
  const buildTime = build ? parseTime(build.text) : undefined;
  for (const hit of [...byRole('build-time'), ...byRole('review-date'), ...byRole('past-date')])
    checkNotFuture(ctx, hit, options.now);
  for (const hit of byRole('review-date')) checkReviewAge(ctx, hit, options, build, buildTime?.time);
  for (const hit of byRole('scan-status')) checkScanClaim(ctx, hit, build, buildTime?.time);
  checkNameVersion(ctx, byRole('model-name')[0], byRole('model-version')[0]);
  for (const ref of byRole('oci-ref')) checkTagVersion(ctx, ref, byRole('model-version')[0]);

  scanValues(ctx, covered, result, options.now);
  return result;
}

// ---- digests ----

export function checkDigest(
  ctx: CardContext,
  node: YamlNode,
  text: string,
  label: string | { toString(): string },
): void {
  const v = classifyDigest(text);
  const shown = JSON.stringify(text.length > 80 ? text.slice(0, 77) + '...' : text);
  switch (v.kind) {
    case 'ok':
    case 'empty':
      return;
    case 'placeholder':
      ctx.report(
        'card/placeholder-digest',
        node,
        `${label}: ${shown} is a placeholder, not a digest (${v.reason}); a SHA-256 digest is \`sha256:\` followed by 64 hex characters`,
      );
      return;
    case 'weak':
      ctx.report(
        'card/weak-digest',
        node,
        `${label}: ${v.algorithm.toUpperCase()} is broken for integrity (practical collisions); use SHA-256 (\`sha256:\` + 64 hex)`,
      );
      return;
    case 'uppercase':
      ctx.report('card/invalid-digest', node, `${label}: digest hex must be lower case`, {
        fixes: [ctx.replace('Write the digest in lower case', node, ctx.styled(node, `${v.algorithm}:${v.hex}`))],
      });
      return;
    case 'no-algorithm':
      ctx.report(
        'card/invalid-digest',
        node,
        `${label}: the digest has no algorithm prefix; write \`sha256:${v.hex.slice(0, 8)}…\``,
        { fixes: [ctx.replace("Prefix with 'sha256:'", node, ctx.styled(node, `sha256:${v.hex}`), false)] },
      );
      return;
    case 'unknown-algorithm':
      ctx.report('card/invalid-digest', node, `${label}: unknown digest algorithm \`${v.algorithm}\`; use \`sha256:\``);
      return;
    case 'malformed':
      ctx.report('card/invalid-digest', node, `${label}: ${shown} is not a valid digest: ${v.reason}`);
      return;
  }
}

// ---- commits and sources ----

function checkCommit(ctx: CardContext, hit: RoleHit): void {
  const t = hit.text.trim();
  if (!t) return;
  const verdict = classifyRevision(t);
  if (verdict === 'full') return;
  const label = `\`${pathLabel(hit.path)}\``;
  const why =
    verdict === 'short'
      ? `\`${t}\` is a short SHA (${t.length} hex digits); short SHAs are ambiguous and collidable`
      : `\`${t}\` is not a commit SHA (a branch or tag name moves)`;
  ctx.report('card/invalid-commit-sha', hit.node, `${label}: ${why}; write the full 40-hex commit`);
}

function checkSource(ctx: CardContext, hit: RoleHit, result: SemanticResult): void {
  const text = hit.text.trim();
  const label = `\`${pathLabel(hit.path)}\``;
  if (isLocalPath(text)) {
    result.paths.push({ relPath: text.replace(/^file:\/\//, ''), node: hit.node, label: pathLabel(hit.path) });
    const sibling = siblingDigest(ctx, hit.parent);
    if (sibling)
      result.claims.push({ relPath: text.replace(/^file:\/\//, ''), node: sibling.node, text: sibling.text });
    return;
  }
  checkGitLike(ctx, hit.node, text, label, true);
}

/** `git://`/`http://` transports and unpinned git revisions. `requirePin`: the field is a source of record. */
function checkGitLike(
  ctx: CardContext,
  node: YamlNode,
  text: string,
  label: string | { toString(): string },
  requirePin: boolean,
): void {
  const ref = parseSourceRef(text);
  if (ref.scheme === 'git' || ref.scheme === 'http' || ref.scheme === 'git+http') {
    const better = ref.scheme === 'http' ? 'https://' : 'git+https://';
    ctx.report(
      'card/insecure-transport',
      node,
      `${label}: \`${ref.scheme}://\` is unauthenticated and unencrypted: anyone on the network path can substitute the content; use \`${better}\``,
    );
  }
  if (!ref.isGit || (!requirePin && ref.revision === undefined)) return;
  const verdict = classifyRevision(ref.revision);
  if (verdict === 'full') return;
  const rev = ref.revision;
  const msg =
    verdict === 'none'
      ? 'names no revision, so the code it describes is whatever the default branch holds when someone looks'
      : verdict === 'short'
        ? `pins the short SHA \`${rev}\`; short SHAs are ambiguous and collidable`
        : `pins \`${rev}\`, a branch or tag name that can be moved`;
  ctx.report('card/unpinned-source', node, `${label} ${msg}; pin the full 40-hex commit (\`…@<commit>\`)`);
}

function checkReference(ctx: CardContext, hit: RoleHit, result: SemanticResult): void {
  const text = hit.text.trim();
  const label = `\`${pathLabel(hit.path)}\``;
  if (!text) return;
  if (looksLikeDigest(text) && !text.includes('/')) {
    checkDigest(ctx, hit.node, text, label); // a bare digest: the reference itself is missing
    return;
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text) && !/^(oci|docker|registry):/i.test(text)) {
    if (/^http:/i.test(text))
      ctx.report('card/insecure-transport', hit.node, `${label}: \`http://\` is unauthenticated; use \`https://\``);
    // a URL is not pinned to content either, unless a digest of what it serves sits beside it
    const digested = hit.parent?.pairs?.some((p) => /(^|_)(digest|hash|sha256)$/i.test(p.keyText));
    if (!digested)
      ctx.report(
        'card/unpinned-reference',
        hit.node,
        `${label} is a URL with no digest beside it, so what it serves can change unnoticed; add its digest (e.g. \`sbom_digest: sha256:…\`) or use an OCI reference pinned by digest`,
        { severity: 'info' },
      );
    return;
  }
  const oci = parseOciRef(text);
  if (!oci) {
    if (isLocalPath(text)) result.paths.push({ relPath: text, node: hit.node, label: pathLabel(hit.path) });
    return;
  }
  if (oci.digest) {
    checkDigest(ctx, hit.node, oci.digest, label);
    return;
  }
  const what = oci.tag ? `by the tag \`${oci.tag}\`` : 'without a tag or digest (that is the `latest` tag)';
  ctx.report(
    'card/unpinned-reference',
    hit.node,
    `${label} refers to \`${oci.name}\` ${what}, which can be re-pointed; pin it by digest: \`${oci.name}@sha256:<64 hex>\``,
  );
}

function checkLinkOrPath(ctx: CardContext, hit: RoleHit, result: SemanticResult): void {
  const text = hit.text.trim();
  if (/^[a-z][a-z0-9+.-]*:/i.test(text)) {
    const problem = formatProblem('uri', text);
    if (problem) ctx.report('card/bad-format', hit.node, `\`${pathLabel(hit.path)}\`: ${problem}`);
    else if (/^http:/i.test(text))
      ctx.report(
        'card/insecure-transport',
        hit.node,
        `\`${pathLabel(hit.path)}\`: \`http://\` is unauthenticated; use \`https://\``,
      );
    return;
  }
  if (isLocalPath(text)) result.paths.push({ relPath: text, node: hit.node, label: pathLabel(hit.path) });
}

// ---- licenses and languages ----

function checkLicense(ctx: CardContext, hit: RoleHit): void {
  const label = `\`${pathLabel(hit.path)}\``;
  const v = checkSpdxExpression(hit.text);
  if (v.kind === 'ok') return;
  if (v.kind === 'case') {
    ctx.report(
      'card/license-not-canonical',
      hit.node,
      `${label}: write the SPDX identifier as the list spells it: \`${v.canonical}\``,
      { fixes: [ctx.replace(`Change to '${v.canonical}'`, hit.node, ctx.styled(hit.node, v.canonical))] },
    );
    return;
  }
  if (v.kind === 'deprecated') {
    const d = v.ids[0];
    let fixed = hit.text;
    for (const x of v.ids) if (x.replacement) fixed = fixed.replace(x.id, x.replacement);
    const fixes: Fix[] = v.ids.every((x) => x.replacement)
      ? [ctx.replace(`Change to '${fixed}'`, hit.node, ctx.styled(hit.node, fixed))]
      : [];
    ctx.report(
      'card/license-not-canonical',
      hit.node,
      `${label}: \`${d.id}\` is a deprecated SPDX identifier${d.replacement ? `; use \`${d.replacement}\`` : ''}`,
      { fixes },
    );
    return;
  }
  const fixes = v.suggestion
    ? [ctx.replace(`Change to '${v.suggestion}'`, hit.node, ctx.styled(hit.node, v.suggestion))]
    : [];
  ctx.report(
    'card/invalid-license',
    hit.node,
    `${label}: ${JSON.stringify(hit.text)} is not a valid SPDX license expression: ${v.reason}${v.suggestion ? `; did you mean \`${v.suggestion}\`?` : ''}`,
    { fixes },
  );
}

function checkHfLicense(ctx: CardContext, hit: RoleHit): void {
  const allowed = (hit.schema.enum ?? []).filter((x): x is string => typeof x === 'string');
  if (allowed.includes(hit.text)) return;
  const lower = hit.text.toLowerCase();
  let guess = allowed.find((a) => a === lower);
  if (!guess) {
    const spdx = checkSpdxExpression(hit.text);
    const canonical =
      spdx.kind === 'case'
        ? spdx.canonical
        : spdx.kind === 'invalid'
          ? spdx.suggestion
          : spdx.kind === 'ok'
            ? hit.text
            : undefined;
    if (canonical && allowed.includes(canonical.toLowerCase())) guess = canonical.toLowerCase();
  }
  guess ??= closest(hit.text, allowed);
  const fixes = guess ? [ctx.replace(`Change to '${guess}'`, hit.node, ctx.styled(hit.node, guess))] : [];
  const tail = guess
    ? `; did you mean \`${guess}\`?`
    : '; use `license: other` with `license_name` and `license_link` for a license not on the list';
  ctx.report(
    'card/invalid-license',
    hit.node,
    `\`license\`: \`${hit.text}\` is not a Hugging Face license id (lower case, e.g. \`apache-2.0\`, \`mit\`, \`llama3.1\`)${tail}`,
    { fixes },
  );
}

function checkLanguage(ctx: CardContext, hit: RoleHit): void {
  const v = checkLanguageCode(hit.text);
  if (v.ok) return;
  const fixes = v.suggestion
    ? [ctx.replace(`Change to '${v.suggestion}'`, hit.node, ctx.styled(hit.node, v.suggestion))]
    : [];
  ctx.report(
    'card/bad-format',
    hit.node,
    `\`${pathLabel(hit.path)}\`: \`${hit.text}\`: ${v.reason}${v.suggestion ? `; did you mean \`${v.suggestion}\`?` : ''}`,
    { fixes },
  );
}

// ---- dates ----

function checkNotFuture(ctx: CardContext, hit: RoleHit, now: Date): void {
  const t = parseTime(hit.text.trim());
  if (!t) return;
  // a date is in the future only from the next day on (UTC), a timestamp beyond clock skew
  const limit = t.dateOnly
    ? Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())
    : now.getTime() + CLOCK_SKEW;
  if (t.time > limit)
    ctx.report(
      'card/future-timestamp',
      hit.node,
      `\`${pathLabel(hit.path)}\` is ${hit.text.trim()}, in the future (now is ${now.toISOString().slice(0, t.dateOnly ? 10 : 19)}${t.dateOnly ? '' : 'Z'})`,
    );
}

function checkReviewAge(
  ctx: CardContext,
  hit: RoleHit,
  options: SemanticOptions,
  build: RoleHit | undefined,
  buildTime: number | undefined,
): void {
  const t = parseTime(hit.text.trim());
  if (!t) return;
  const reasons: string[] = [];
  const ageDays = Math.floor((options.now.getTime() - t.time) / DAY);
  if (ageDays > options.reviewMaxAgeDays)
    reasons.push(`it is ${ageDays} days old (the limit is ${options.reviewMaxAgeDays})`);
  // Compare by day when the review is a date: a review on the build's own day is not "before the build".
  const buildDay = buildTime !== undefined && t.dateOnly ? Math.floor(buildTime / DAY) * DAY : buildTime;
  if (buildDay !== undefined && t.time < buildDay)
    reasons.push(`it predates the build (${build!.text.trim()}), so the released weights were never reviewed`);
  if (!reasons.length) return;
  ctx.report(
    'card/stale-security-review',
    hit.node,
    `\`${pathLabel(hit.path)}\` (${hit.text.trim()}) is stale: ${reasons.join('; ')}`,
    {
      related: build && buildDay !== undefined && t.time < buildDay ? [ctx.related('build timestamp', build.node)] : [],
      data: { ageDays },
    },
  );
}

function checkScanClaim(
  ctx: CardContext,
  hit: RoleHit,
  build: RoleHit | undefined,
  buildTime: number | undefined,
): void {
  if ((hit.text !== 'clean' && hit.text !== 'passed') || !hit.parent) return;
  const evidence = ['scanner', 'scan_date', 'scan_report', 'scanned_at', 'report'].filter((k) =>
    ctx.doc.pair(hit.parent, k),
  );
  if (!evidence.length) {
    ctx.report(
      'card/unsupported-scan-claim',
      hit.node,
      `\`${pathLabel(hit.path)}: ${hit.text}\` is a bare claim: no \`scanner\`, \`scan_date\` or \`scan_report\` records what was scanned, when and by what, so nobody can check it`,
    );
    return;
  }
  const dateNode = ctx.doc.pair(hit.parent, 'scan_date')?.value;
  const d = dateNode && typeof dateNode.value === 'string' ? parseTime(dateNode.value) : undefined;
  if (d && buildTime !== undefined && d.time < (d.dateOnly ? Math.floor(buildTime / DAY) * DAY : buildTime)) {
    ctx.report(
      'card/unsupported-scan-claim',
      hit.node,
      `\`${pathLabel(hit.path)}: ${hit.text}\` comes from a scan on ${String(dateNode!.value)}, before the build (${build!.text.trim()}): it did not scan these artifacts`,
      { severity: 'warning', related: [ctx.related('build timestamp', build!.node)] },
    );
  }
}

// ---- name and version ----

/** The version a name embeds: `-v2.1.0`, `_2.1`, `@1.0.0`, `:v3` at the end, or `-v2-` inside. */
export function versionInName(name: string): string | undefined {
  const end =
    /(?:^|[-_.@:/ ])v?(\d+(?:\.\d+){1,3}(?:-(?:alpha|beta|rc|dev|pre|post)[0-9.]*|\+[0-9A-Za-z.]+)?)$/i.exec(name) ??
    /[-_.@:/ ]v(\d+(?:\.\d+)*)$/i.exec(name);
  if (end) return end[1];
  const mid = /[-_]v(\d+(?:\.\d+)*)(?=[-_])/i.exec(name);
  return mid?.[1];
}

function checkNameVersion(ctx: CardContext, name: RoleHit | undefined, version: RoleHit | undefined): void {
  if (!name || !version) return;
  const inName = versionInName(name.text);
  const v = version.text.trim().replace(/^v/i, '');
  if (!inName || !v) return;
  const a = inName.split('.');
  const b = v.split(/[.+-]/);
  // `model-v2` agrees with 2.1.0: compare only as many components as the name gives
  const agree = a.every((part, i) => Number(part) === Number(b[i]) || part === b[i]);
  if (agree) return;
  ctx.report(
    'card/name-version-mismatch',
    name.node,
    `\`${pathLabel(name.path)}\` says version ${inName} but \`${pathLabel(version.path)}\` is ${version.text.trim()}`,
    { related: [ctx.related('version', version.node)] },
  );
}

/** `ghcr.io/acme/model:v2.0.0.sbom` next to `version: 2.1.0`: the reference is to another release. */
function checkTagVersion(ctx: CardContext, ref: RoleHit, version: RoleHit | undefined): void {
  if (!version) return;
  const tag = parseOciRef(ref.text)?.tag;
  const m = tag ? /(?:^|[^\d.])v?(\d+\.\d+(?:\.\d+)?)(?![\d])/.exec(tag) : null;
  const v = version.text.trim().replace(/^v/i, '');
  if (!m || !v) return;
  const a = m[1].split('.');
  const b = v.split(/[.+-]/);
  if (a.every((part, i) => Number(part) === Number(b[i]))) return;
  ctx.report(
    'card/name-version-mismatch',
    ref.node,
    `\`${pathLabel(ref.path)}\` is tagged ${m[1]} but \`${pathLabel(version.path)}\` is ${version.text.trim()}: it may describe another release`,
    { related: [ctx.related('version', version.node)] },
  );
}

// ---- values anywhere in the card ----

function isLocalPath(text: string): boolean {
  const t = text.trim();
  if (!t || (/\s/.test(t) && !/^\.{0,2}\//.test(t))) return false;
  if (/^file:\/\//i.test(t)) return !t.slice(7).startsWith('/');
  if (/^[a-z][a-z0-9+.-]*:/i.test(t)) return false; // a URL or scheme:ref
  if (t.startsWith('/') || /^[A-Za-z]:[\\/]/.test(t) || t.startsWith('~')) return false; // absolute paths are not followed
  return (
    t.startsWith('./') ||
    t.startsWith('../') ||
    /^[\w.-]+(\/[\w.-]+)*\.[A-Za-z0-9]{1,12}$/.test(t) ||
    /^[\w.-]+\/$/.test(t)
  );
}

function siblingDigest(ctx: CardContext, mapping: YamlNode | null): { node: YamlNode; text: string } | undefined {
  if (!mapping?.pairs) return undefined;
  for (const p of mapping.pairs) {
    if (!DIGEST_KEYS.has(p.keyText.toLowerCase())) continue;
    const v = ctx.doc.resolveAlias(p.value);
    if (v && v.kind === 'scalar' && typeof v.value === 'string') return { node: v, text: v.value };
  }
  return undefined;
}

/**
 * Walk every node once (aliases are not followed; their anchors are in the tree) for digests and
 * git URLs in fields the schema does not know, and for digests that name local files.
 */
function scanValues(ctx: CardContext, covered: Set<YamlNode>, result: SemanticResult, now: Date): void {
  const root = ctx.doc.root;
  if (!root) return;
  const claimed = new Set(result.claims.map((c) => c.node));
  const stack: { node: YamlNode; path: (string | number)[] }[] = [{ node: root, path: [] }];
  let budget = 200_000;
  while (stack.length && budget-- > 0) {
    const { node, path } = stack.pop()!;
    if (node.kind === 'sequence') node.items?.forEach((it, i) => stack.push({ node: it, path: [...path, i] }));
    if (node.kind !== 'mapping' || !node.pairs) {
      if (node.kind === 'scalar' && typeof node.value === 'string' && !covered.has(node))
        scanScalar(ctx, node, node.value, path, now);
      continue;
    }
    // `path:` next to `hash:` in one mapping: the digest of that file
    const pathPair = node.pairs.find(
      (p) => PATH_KEYS.has(p.keyText.toLowerCase()) && typeof p.value?.value === 'string',
    );
    const digest = siblingDigest(ctx, node);
    if (pathPair && digest && isLocalPath(pathPair.value!.value as string) && !claimed.has(digest.node)) {
      result.claims.push({ relPath: pathPair.value!.value as string, node: digest.node, text: digest.text });
      claimed.add(digest.node);
    }
    for (const p of node.pairs) {
      if (!p.value) continue;
      // `model.safetensors: sha256:…`: a file name mapped to its digest
      if (
        p.value.kind === 'scalar' &&
        typeof p.value.value === 'string' &&
        looksLikeDigest(p.value.value) &&
        isLocalPath(p.keyText) &&
        /\.[A-Za-z0-9]{1,12}$/.test(p.keyText) &&
        !claimed.has(p.value)
      ) {
        result.claims.push({ relPath: p.keyText, node: p.value, text: p.value.value });
        claimed.add(p.value);
      }
      stack.push({ node: p.value, path: [...path, p.keyText] });
    }
  }
}

/** Keys that name a commit, a container/SBOM reference, or a past event, in fields the schema does not know. */
const COMMIT_KEY = /(^|[_-])(commit|commit[_-]?sha|git[_-]?sha|sha|revision|rev)$/i;
const REFERENCE_KEY =
  /(^|[_-])(image|images|sbom|sbom[_-]?ref|attestation|signature|container|oci[_-]?ref|provenance[_-]?ref)$/i;
const EVENT_KEY = /(^|[_-])(date|at|time|timestamp|on)$/i;
const NOT_PAST_KEY = /expir|until|valid|next|due|deadline|eol|end[_-]?of|sunset|retire/i;

function scanScalar(ctx: CardContext, node: YamlNode, text: string, path: (string | number)[], now: Date): void {
  const label = { toString: () => `\`${pathLabel(path)}\`` }; // built only for a message
  const t = text.trim();
  if (looksLikeDigest(text) && /^\s*[A-Za-z][\w-]*\s*:/.test(text) && !/^\s*[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    checkDigest(ctx, node, text, label);
    return;
  }
  const key = String(path[path.length - 1] ?? '');
  if (
    /^(git|git\+[a-z]+|ssh):\/\//i.test(t) ||
    (/(^|_)(source|repo|repository|code|commit|revision)(_|$)/i.test(key) && parseSourceRef(text).isGit)
  ) {
    checkGitLike(ctx, node, t, label, false);
    return;
  }
  if (COMMIT_KEY.test(key) && /^[0-9a-f]{7,39}$/i.test(t) && /\d/.test(t)) {
    ctx.report(
      'card/invalid-commit-sha',
      node,
      `${label}: \`${t}\` is a short SHA (${t.length} hex digits); short SHAs are ambiguous and collidable; write the full 40-hex commit`,
    );
    return;
  }
  if (REFERENCE_KEY.test(key)) {
    const oci = parseOciRef(t);
    if (oci && !oci.digest) {
      ctx.report(
        'card/unpinned-reference',
        node,
        `${label} refers to \`${oci.name}\` ${oci.tag ? `by the tag \`${oci.tag}\`` : 'without a tag or digest'}, which can be re-pointed; pin it by digest: \`${oci.name}@sha256:<64 hex>\``,
      );
      return;
    }
    if (oci?.digest) checkDigest(ctx, node, oci.digest, label);
  }
  if (EVENT_KEY.test(key) && !NOT_PAST_KEY.test(key)) {
    const when = parseTime(t);
    if (when) {
      const limit = when.dateOnly
        ? Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())
        : now.getTime() + CLOCK_SKEW;
      if (when.time > limit)
        ctx.report(
          'card/future-timestamp',
          node,
          `${label} is ${t}, in the future (now is ${now.toISOString().slice(0, when.dateOnly ? 10 : 19)}${when.dateOnly ? '' : 'Z'})`,
        );
    }
  }
}

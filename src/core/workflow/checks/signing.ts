import type { Finding, Fix } from '../../findings.ts';
import type { YamlNode } from '../../yaml/document.ts';
import { actionName } from '../actions.ts';
import { cosignCalls, envFor, expandEnv, positionals, span, type CosignCall } from '../analysis.ts';
import type { CheckContext } from '../context.ts';
import { editFix, replace } from '../edits.ts';
import { scalarText, type Job, type MapEntry, type Step } from '../model.ts';
import { flagValue, hasFlag, type Word } from '../shell.ts';

type RefKind = 'digest' | 'tag' | 'unknown';

/** Is an image reference pinned by digest? Resolves `$VAR`, `${{ env.X }}` and `${{ matrix.X }}` where literal. */
function classify(ctx: CheckContext, job: Job, step: Step, raw: string, depth = 0): RefKind {
  const text = expandEnv(raw, envFor(ctx, job, step));
  if (text.includes('@')) return 'digest';
  const only = /^\$\{?([A-Za-z_]\w*)\}?$/.exec(text) ?? /^\$\{\{\s*env\.([\w-]+)\s*\}\}$/.exec(text);
  if (only && depth < 3) {
    const v = envFor(ctx, job, step).get(only[1]);
    return v?.text ? classify(ctx, job, step, v.text, depth + 1) : 'unknown';
  }
  const matrix = /^\$\{\{\s*matrix\.([\w-]+)\s*\}\}$/.exec(text);
  if (matrix) {
    const values = matrixValues(ctx, job, matrix[1]);
    if (!values.length) return 'unknown';
    const kinds = values.map((v) => classify(ctx, job, step, v, depth + 1));
    return kinds.includes('tag') ? 'tag' : kinds.every((k) => k === 'digest') ? 'digest' : 'unknown';
  }
  const lastSegment = text.slice(text.lastIndexOf('/') + 1);
  const withoutExpr = lastSegment.replace(/\$\{\{[^}]*\}\}/g, 'X');
  if (withoutExpr.includes(':')) return 'tag';
  if (/\$/.test(text)) return 'unknown';
  return text.includes('/') ? 'tag' : 'unknown';
}

function matrixValues(ctx: CheckContext, job: Job, key: string): string[] {
  const list = ctx.doc.resolveAlias(ctx.doc.pair(job.matrix, key)?.value);
  if (!list || list.kind !== 'sequence') return [];
  return (list.items ?? []).map((i) => scalarText(ctx.doc, i)).filter((v): v is string => v !== undefined);
}

/** The inner (unquoted) range of a word in the script, when the whole word is one plain or quoted token. */
function innerRange(step: Step, w: Word): { start: number; end: number } | undefined {
  const raw = step.run!.script.text.slice(w.start, w.end);
  const q = raw[0] === '"' || raw[0] === "'" ? raw[0] : '';
  if (q && raw[raw.length - 1] === q && raw.slice(1, -1) === w.text) return { start: w.start + 1, end: w.end - 1 };
  if (!q && raw === w.text) return { start: w.start, end: w.end };
  return undefined;
}

function digestFix(ctx: CheckContext, job: Job, call: CosignCall, image: Word): Fix | undefined {
  const builder = job.steps
    .slice(0, call.step.index)
    .reverse()
    .find((s) => s.id && s.uses && actionName(s.uses.text) === 'docker/build-push-action');
  const inner = innerRange(call.step, image);
  if (!builder || !inner) return undefined;
  const slash = image.text.lastIndexOf('/');
  const colon = image.text.indexOf(':', slash + 1);
  const repo = colon > 0 ? image.text.slice(0, colon) : image.text;
  if (repo.includes('$')) return undefined;
  const at = span(ctx, call.step, inner);
  return editFix(`Sign by digest from step '${builder.id!.text}'`, [
    replace(ctx.doc, at.start, at.end, `${repo}@\${{ steps.${builder.id!.text}.outputs.digest }}`),
  ]);
}

const INSECURE = [
  '--insecure-ignore-tlog',
  '--insecure-ignore-sct',
  '--insecure-skip-verify',
  '--allow-insecure-registry',
  '--allow-http-registry',
  '--skip-tlog-verify',
];
const BROAD = new Set(['.*', '.+', '^.*$', '^.+$', '^.*', '.*$', '.*@.*', '^.*@.*$']);

export function signing(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const job of ctx.wf.jobs) {
    for (const step of job.steps) {
      for (const call of cosignCalls(ctx, step)) {
        const cmdRange = span(ctx, step, { start: call.cmd.program!.start, end: call.subWord.end });
        if (['sign', 'attest', 'attach'].includes(call.sub)) {
          const pos = positionals(call.args);
          const image = pos[pos.length - 1];
          if (image && !image.text.endsWith('.json') && classify(ctx, job, step, image.text) === 'tag') {
            const fix = digestFix(ctx, job, call, image);
            out.push(
              ctx.finding(
                'workflow/sign-by-tag',
                span(ctx, step, image),
                `cosign ${call.sub} ${image.text} refers to the image by tag; the ${call.sub === 'attest' ? 'attestation' : 'signature'} goes to whatever the tag points at when this runs — use IMAGE@sha256:…`,
                { fixes: fix ? [fix] : [] },
              ),
            );
          }
        }
        if (['sign', 'attest', 'sign-blob', 'attest-blob'].includes(call.sub) && needsYes(ctx, job, step, call)) {
          const at = span(ctx, step, { start: call.subWord.end, end: call.subWord.end });
          out.push(
            ctx.finding(
              'workflow/cosign-without-yes',
              cmdRange,
              `cosign ${call.sub} without --yes asks "Are you sure you would like to continue? [y/N]" before the transparency-log upload; in CI the answer is no and the ${call.sub.includes('attest') ? 'attestation' : 'signature'} fails`,
              { fixes: [editFix('Add --yes', [replace(ctx.doc, at.start, at.end, ' --yes')], true)] },
            ),
          );
        }
        if (
          /^verify(-attestation|-blob|-blob-attestation)?$/.test(call.sub) &&
          !hasFlag(call.args, ['--key', '--sk', '--local-image'])
        ) {
          const missing: string[] = [];
          if (!hasFlag(call.args, ['--certificate-identity', '--certificate-identity-regexp']))
            missing.push('--certificate-identity');
          if (!hasFlag(call.args, ['--certificate-oidc-issuer', '--certificate-oidc-issuer-regexp']))
            missing.push('--certificate-oidc-issuer');
          if (missing.length) {
            out.push(
              ctx.finding(
                'workflow/verify-without-identity',
                cmdRange,
                `keyless cosign ${call.sub} without ${missing.join(' and ')}: any Sigstore signer would do (cosign 2.x refuses to run)`,
              ),
            );
          }
        }
        for (const flag of ['--certificate-identity-regexp', '--certificate-oidc-issuer-regexp']) {
          const v = flagValue(call.args, [flag]);
          if (!v) continue;
          // `${{ … }}` is substituted before the shell runs, so the anchors can still be judged;
          // a shell variable is judged from its `env:` value when that is literal
          const expanded = expandEnv(v.text, envFor(ctx, job, step));
          const judged = expanded.replace(/\$\{\{[^}]*\}\}/g, 'X');
          if (/\$[A-Za-z_{(]/.test(judged)) continue;
          const broad = BROAD.has(judged);
          const anchored = judged.startsWith('^') && judged.endsWith('$');
          const anyOwner =
            flag === '--certificate-identity-regexp' && anchored && !broad ? wildcardOwner(judged) : undefined;
          if (!broad && anchored && !anyOwner) continue;
          if (anyOwner) {
            out.push(
              ctx.finding(
                'workflow/unanchored-identity-regexp',
                span(ctx, step, v),
                `${flag} '${expanded}' accepts any ${anyOwner}: every GitHub repository's workflows can obtain a matching certificate`,
              ),
            );
            continue;
          }
          const inner =
            v.text === call.args.find((a) => a.start === v.start)?.text
              ? innerRange(step, v)
              : { start: v.start, end: v.end };
          const fixes: Fix[] = [];
          if (!broad && inner && expanded === v.text) {
            const at = span(ctx, step, inner);
            fixes.push(
              editFix('Anchor the regexp with ^…$', [
                replace(
                  ctx.doc,
                  at.start,
                  at.end,
                  `${v.text.startsWith('^') ? '' : '^'}${v.text}${v.text.endsWith('$') ? '' : '$'}`,
                ),
              ]),
            );
          }
          out.push(
            ctx.finding(
              'workflow/unanchored-identity-regexp',
              span(ctx, step, v),
              broad
                ? `${flag} '${expanded}' accepts any signer`
                : `${flag} '${expanded}' is not anchored (^…$): any identity that merely contains it passes`,
              { fixes },
            ),
          );
        }
        for (const a of call.args) {
          const name = a.text.split('=')[0];
          const value = a.text.includes('=') ? a.text.slice(a.text.indexOf('=') + 1) : 'true';
          const off = (INSECURE.includes(name) && value !== 'false') || (name === '--tlog-upload' && value === 'false');
          if (off)
            out.push(
              ctx.finding(
                'workflow/insecure-flag',
                span(ctx, step, a),
                `cosign ${call.sub} ${a.text} switches off a Sigstore safety check`,
                { fixes: [removeWordFix(ctx, step, a)] },
              ),
            );
        }
      }
      for (const cmd of ctx.commands(step)) {
        if (
          cmd.name === 'gh' &&
          cmd.args[0]?.text === 'attestation' &&
          cmd.args[1]?.text === 'verify' &&
          !hasFlag(cmd.args, ['--owner', '-o', '--repo', '-R', '--bundle-from-oci'])
        ) {
          out.push(
            ctx.finding(
              'workflow/verify-without-identity',
              span(ctx, step, { start: cmd.program!.start, end: cmd.args[1].end }),
              'gh attestation verify without --repo or --owner does not say whose attestation to accept (gh refuses to run)',
            ),
          );
          continue;
        }
        if (cmd.name !== 'oras' && cmd.name !== 'crane' && cmd.name !== 'slsa-verifier') continue;
        if (cmd.name === 'slsa-verifier') {
          const sub = cmd.args.find((a) => !a.text.startsWith('-'));
          if (sub && /^verify-/.test(sub.text) && !hasFlag(cmd.args, ['--source-uri'])) {
            out.push(
              ctx.finding(
                'workflow/verify-without-identity',
                span(ctx, step, { start: cmd.program!.start, end: sub.end }),
                `slsa-verifier ${sub.text} without --source-uri does not check which repository built the artifact`,
              ),
            );
          }
          continue;
        }
        for (const a of cmd.args) {
          if (
            a.text === '--insecure' ||
            a.text === '--plain-http' ||
            a.text === '--insecure=true' ||
            a.text === '--plain-http=true'
          ) {
            out.push(
              ctx.finding(
                'workflow/insecure-flag',
                span(ctx, step, a),
                `${cmd.name} ${a.text} talks to the registry without TLS verification`,
                { fixes: [removeWordFix(ctx, step, a)] },
              ),
            );
          }
        }
      }
    }
  }
  out.push(...experimental(ctx), ...inlineSecrets(ctx));
  return out;
}

/** cosign asks before uploading to Rekor unless told `--yes` (flag or COSIGN_YES), or the upload is off, or stdin is piped. */
function needsYes(ctx: CheckContext, job: Job, step: Step, call: CosignCall): boolean {
  const yes = call.args.find((a) => a.text === '-y' || a.text === '--yes' || a.text.startsWith('--yes='));
  if (yes) return yes.text === '--yes=false';
  if (call.args.some((a) => a.text === '--tlog-upload=false') || call.cmd.prev === '|') return false;
  if (call.cmd.assignments.some((a) => /^COSIGN_YES=(?!false$|0$)/.test(a.text))) return false;
  const env = envFor(ctx, job, step).get('COSIGN_YES');
  if (env && env.text !== 'false' && env.text !== '0' && env.text !== '') return false;
  for (const s of job.steps.slice(0, step.index + 1)) {
    for (const cmd of ctx.commands(s)) {
      if (cmd === call.cmd) break;
      if (cmd.name === 'export' && cmd.args.some((a) => /^COSIGN_YES=(?!false$|0$)/.test(a.text))) return false;
      if (
        cmd.redirects.some((r) => r.target && /GITHUB_ENV/.test(r.target.text)) &&
        cmd.args.some((a) => /COSIGN_YES=(?!false|0)/.test(a.text))
      )
        return false;
    }
  }
  return true;
}

/**
 * For an anchored `^https://github.com/OWNER/…` identity pattern: whether the owner part is a
 * wildcard (`[^/]+`, `.*`, `\w+`), so that a workflow in anybody's repository matches.
 */
function wildcardOwner(re: string): string | undefined {
  const m = /^\^https?:\/\/github\\?\.com\/(.*)$/.exec(re);
  if (!m) return undefined;
  const owner = m[1].split('/')[0];
  // escaped characters are literal; any other regexp syntax in the owner admits other owners
  return /[*+?[\](){}|.]|\\[wWsSdD]/.test(owner.replace(/\\[.\-_]/g, '')) ? 'owner' : undefined;
}

function removeWordFix(ctx: CheckContext, step: Step, w: Word): Fix {
  const text = step.run!.script.text;
  let s = w.start;
  while (s > 0 && (text[s - 1] === ' ' || text[s - 1] === '\t')) s--;
  const at = span(ctx, step, { start: s, end: w.end });
  return editFix(`Remove ${w.text}`, [replace(ctx.doc, at.start, at.end, '')]);
}

function allEnvMaps(ctx: CheckContext): Map<string, MapEntry>[] {
  const maps = [ctx.wf.env];
  for (const j of ctx.wf.jobs) {
    maps.push(j.env);
    for (const s of j.steps) maps.push(s.env);
  }
  return maps;
}

function experimental(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const env of allEnvMaps(ctx)) {
    const e = env.get('COSIGN_EXPERIMENTAL');
    if (e && e.text !== '' && e.text !== '0' && e.text !== 'false')
      out.push(
        ctx.finding(
          'workflow/cosign-experimental',
          e.key,
          'COSIGN_EXPERIMENTAL is a cosign 1.x switch: this workflow was written for cosign 1.x',
        ),
      );
  }
  for (const job of ctx.wf.jobs)
    for (const step of job.steps)
      for (const cmd of ctx.commands(step)) {
        for (const w of [...cmd.assignments, ...(cmd.name === 'export' ? cmd.args : [])]) {
          if (/^COSIGN_EXPERIMENTAL=(?!0$|false$|$)/.test(w.text))
            out.push(
              ctx.finding(
                'workflow/cosign-experimental',
                span(ctx, step, w),
                'COSIGN_EXPERIMENTAL is a cosign 1.x switch: this workflow was written for cosign 1.x',
              ),
            );
        }
      }
  return out;
}

const SECRET_NAME = /(^|[_-])(password|passwd|passphrase|private[_-]?key|secret|token|api[_-]?key)$/i;
const KEY_REFERENCE = /^(\$|env:\/\/|file:|k8s:\/\/|gcpkms:\/\/|awskms:\/\/|azurekms:\/\/|hashivault:\/\/|pkcs11:)/;

function literalSecret(ctx: CheckContext, node: YamlNode | null): string | undefined {
  const n = ctx.doc.resolveAlias(node);
  if (!n || n.kind !== 'scalar' || typeof n.value !== 'string') return undefined;
  const v = n.value.trim();
  if (!v || v.includes('${{') || KEY_REFERENCE.test(v) || /^(true|false|none|null)$/i.test(v)) return undefined;
  if (/\.(key|pem|pub|txt|json)$/i.test(v) || v.startsWith('/') || v.startsWith('./')) return undefined; // a path
  return v;
}

function inlineSecrets(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  const pem =
    /-----BEGIN ((?:ENCRYPTED )?(?:SIGSTORE |COSIGN |RSA |EC |OPENSSH |DSA |PGP )?PRIVATE KEY(?: BLOCK)?)-----/g;
  for (let m = pem.exec(ctx.doc.text); m; m = pem.exec(ctx.doc.text)) {
    out.push(
      ctx.finding(
        'workflow/inline-secret',
        { start: m.index, end: m.index + m[0].length },
        `a ${m[1].toLowerCase()} is written into the workflow`,
      ),
    );
  }
  for (const env of allEnvMaps(ctx)) {
    for (const e of env.values()) {
      if (!SECRET_NAME.test(e.name) && e.name !== 'COSIGN_KEY') continue;
      if (literalSecret(ctx, e.value) !== undefined && !/BEGIN/.test(e.text ?? ''))
        out.push(
          ctx.finding(
            'workflow/inline-secret',
            e.value!,
            `${e.name} is set to a literal value; use \${{ secrets.${e.name} }}`,
          ),
        );
    }
  }
  for (const job of ctx.wf.jobs) {
    const inputs = [job.with, ...job.steps.map((s) => s.with)];
    for (const w of inputs)
      for (const e of w.values()) {
        if (!SECRET_NAME.test(e.name)) continue;
        if (literalSecret(ctx, e.value) !== undefined && !/BEGIN/.test(e.text ?? ''))
          out.push(
            ctx.finding(
              'workflow/inline-secret',
              e.value!,
              `input ${e.name} is a literal value; pass a secret (\${{ secrets.… }})`,
            ),
          );
      }
    for (const step of job.steps)
      for (const cmd of ctx.commands(step)) {
        for (const w of [...cmd.assignments, ...(cmd.name === 'export' ? cmd.args : [])]) {
          const m = /^([A-Za-z_]\w*)=(.+)$/.exec(w.text);
          if (m && SECRET_NAME.test(m[1]) && !m[2].includes('$') && !KEY_REFERENCE.test(m[2]))
            out.push(
              ctx.finding(
                'workflow/inline-secret',
                span(ctx, step, w),
                `${m[1]} is set to a literal value in the script`,
              ),
            );
        }
        if (!cmd.args.some((a) => a.text === 'login')) continue;
        const pw = flagValue(cmd.args, ['--password', '-p', '--registry-password']);
        if (pw && !pw.text.includes('$') && pw.text !== '-')
          out.push(
            ctx.finding(
              'workflow/inline-secret',
              span(ctx, step, pw),
              `${cmd.name} login with a literal password; use --password-stdin with a secret`,
            ),
          );
      }
  }
  return out;
}

import type { Finding, Fix } from '../../findings.ts';
import { actionName } from '../actions.ts';
import { envFor, positionals, span } from '../analysis.ts';
import type { CheckContext } from '../context.ts';
import { appendToMapping, editFix, replace } from '../edits.ts';
import type { Job, Step } from '../model.ts';
import { flagValue, hasFlag, type Command } from '../shell.ts';

export interface UnsafeLoad {
  rule: 'workflow/unsafe-deserialization' | 'workflow/trust-remote-code' | 'workflow/unpinned-model';
  /** Index range in the script text. */
  start: number;
  end: number;
  message: string;
  /** A certain text edit in script indexes: replace [start, end) with text. */
  edit?: { start: number; end: number; text: string; title: string };
}

/** The argument text of a call whose '(' is at `open`, and the index of its ')'. */
function callArgs(text: string, open: number): { args: string; close: number } | undefined {
  let depth = 0;
  let q = '';
  for (let i = open; i < text.length && i < open + 4000; i++) {
    const c = text[i];
    if (q) {
      if (c === '\\') i++;
      else if (c === q) q = '';
      continue;
    }
    if (c === '"' || c === "'") q = c;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return { args: text.slice(open + 1, i), close: i };
  }
  return undefined;
}

/** Model-loading calls in Python code embedded in a script (python -c, heredocs, shell: python). */
export function unsafeLoads(text: string): UnsafeLoad[] {
  const out: UnsafeLoad[] = [];
  const torch = /\btorch\.load\s*\(/g;
  for (let m = torch.exec(text); m; m = torch.exec(text)) {
    const open = m.index + m[0].length - 1;
    const call = callArgs(text, open);
    if (!call) continue;
    const wo = /weights_only\s*=\s*(\w+)/.exec(call.args);
    if (wo?.[1] === 'True') continue;
    const base = { rule: 'workflow/unsafe-deserialization' as const, start: m.index, end: call.close + 1 };
    if (wo) {
      const at = open + 1 + wo.index + wo[0].length - wo[1].length;
      out.push({
        ...base,
        message: `torch.load(…, weights_only=${wo[1]}) unpickles arbitrary objects: a crafted checkpoint runs code in this job`,
        edit:
          wo[1] === 'False'
            ? { start: at, end: at + wo[1].length, text: 'True', title: 'Use weights_only=True' }
            : undefined,
      });
    } else if (call.args.trim()) {
      const insertAt = open + 1 + call.args.replace(/[\s,]+$/, '').length;
      out.push({
        ...base,
        message:
          'torch.load without weights_only=True unpickles arbitrary objects (the default before PyTorch 2.6): a crafted checkpoint runs code in this job',
        edit: { start: insertAt, end: insertAt, text: ', weights_only=True', title: 'Add weights_only=True' },
      });
    }
  }
  const simple: [RegExp, string][] = [
    [
      /\b(?:c?[pP]ickle|_pickle|dill|cloudpickle)\.(?:loads?|Unpickler)\s*\(/g,
      'unpickles the file: loading it runs any code it embeds',
    ],
    [/\bjoblib\.load\s*\(/g, 'joblib.load unpickles the file: loading it runs any code it embeds'],
    [/\b(?:pd|pandas)\.read_pickle\s*\(/g, 'read_pickle unpickles the file: loading it runs any code it embeds'],
  ];
  for (const [re, why] of simple) {
    for (let m = re.exec(text); m; m = re.exec(text)) {
      out.push({
        rule: 'workflow/unsafe-deserialization',
        start: m.index,
        end: m.index + m[0].length - 1,
        message: `${m[0].replace(/\s*\($/, '')}: ${why}`,
      });
    }
  }
  const np = /\b(?:np|numpy)\.load\s*\(/g;
  for (let m = np.exec(text); m; m = np.exec(text)) {
    const call = callArgs(text, m.index + m[0].length - 1);
    if (call && /allow_pickle\s*=\s*True/.test(call.args))
      out.push({
        rule: 'workflow/unsafe-deserialization',
        start: m.index,
        end: call.close + 1,
        message: 'numpy.load(allow_pickle=True) unpickles object arrays: loading the file runs any code it embeds',
      });
  }
  const keras = /\bload_model\s*\(/g;
  for (let m = keras.exec(text); m; m = keras.exec(text)) {
    const call = callArgs(text, m.index + m[0].length - 1);
    if (call && /safe_mode\s*=\s*False/.test(call.args))
      out.push({
        rule: 'workflow/unsafe-deserialization',
        start: m.index,
        end: call.close + 1,
        message: 'load_model(safe_mode=False) lets a Keras file run Lambda-layer code',
      });
  }
  // Hub downloads by repository id without a commit: from_pretrained, hf_hub_download, snapshot_download
  const hub = /\b(from_pretrained|hf_hub_download|snapshot_download|load_dataset)\s*\(/g;
  for (let m = hub.exec(text); m; m = hub.exec(text)) {
    const call = callArgs(text, m.index + m[0].length - 1);
    if (!call || m[1] === 'load_dataset') continue;
    const repo =
      /^\s*(?:repo_id\s*=\s*)?(["'])([A-Za-z0-9][\w.-]*\/[\w.-]+)\1/.exec(call.args)?.[2] ??
      /repo_id\s*=\s*(["'])([A-Za-z0-9][\w.-]*\/[\w.-]+)\1/.exec(call.args)?.[2];
    if (!repo) continue;
    const rev = /revision\s*=\s*(["'])([^"']*)\1/.exec(call.args)?.[2];
    if (rev && /^[0-9a-f]{40}$/.test(rev)) continue;
    if (/revision\s*=\s*[A-Za-z_]/.test(call.args)) continue; // a variable: cannot tell
    out.push({
      rule: 'workflow/unpinned-model',
      start: m.index,
      end: call.close + 1,
      message: `${m[1]}("${repo}") ${rev ? `uses revision "${rev}", a branch or tag,` : 'has no revision='} so it loads whatever the repository holds when the job runs; pin a 40-hex commit`,
    });
  }
  const trc = /\btrust_remote_code\s*=\s*True\b|--trust[-_]remote[-_]code\b/g;
  for (let m = trc.exec(text); m; m = trc.exec(text)) {
    out.push({
      rule: 'workflow/trust-remote-code',
      start: m.index,
      end: m.index + m[0].length,
      message: `${m[0]} downloads and runs Python code from the model repository`,
    });
  }
  return out;
}

/** `huggingface-cli download REPO` / `hf download REPO` without `--revision <commit>`. */
function cliDownloads(ctx: CheckContext, step: Step): Finding[] {
  const out: Finding[] = [];
  for (const cmd of ctx.commands(step)) {
    if (cmd.name !== 'huggingface-cli' && cmd.name !== 'hf') continue;
    const pos = positionals(
      cmd.args,
      new Set(['--quiet', '--resume-download', '--force-download', '--local-dir-use-symlinks']),
    );
    if (pos[0]?.text !== 'download' || !pos[1] || !/^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(pos[1].text)) continue;
    const rev = flagValue(cmd.args, ['--revision'])?.text;
    if (rev && (/^[0-9a-f]{40}$/.test(rev) || rev.includes('$'))) continue;
    out.push(
      ctx.finding(
        'workflow/unpinned-model',
        span(ctx, step, { start: cmd.program!.start, end: pos[1].end }),
        `${cmd.name} download ${pos[1].text} ${rev ? `uses --revision ${rev}, a branch or tag` : 'has no --revision'}; pin a 40-hex commit`,
      ),
    );
  }
  return out;
}

function deserialization(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const job of ctx.wf.jobs)
    for (const step of job.steps) {
      if (!step.run) continue;
      out.push(...cliDownloads(ctx, step));
      for (const u of unsafeLoads(step.run.script.text)) {
        const fixes: Fix[] = [];
        if (u.edit) {
          const at = span(ctx, step, u.edit);
          fixes.push(
            editFix(
              u.edit.title,
              [replace(ctx.doc, at.start, u.edit.end > u.edit.start ? at.end : at.start, u.edit.text)],
              true,
            ),
          );
        }
        out.push(ctx.finding(u.rule, span(ctx, step, u), u.message, { fixes }));
      }
    }
  return out;
}

const TRIVY_SCANS = new Set([
  'image',
  'i',
  'fs',
  'filesystem',
  'repo',
  'repository',
  'rootfs',
  'sbom',
  'config',
  'conf',
  'vm',
  'k8s',
  'kubernetes',
]);
const REPORT_ONLY_FORMATS = /^(cyclonedx|spdx|spdx-json|github)$/i;

function uploadsSarifLater(job: Job, step: Step): boolean {
  return job.steps
    .slice(step.index + 1)
    .some((s) => s.uses && actionName(s.uses.text) === 'github/codeql-action/upload-sarif');
}

function pipefail(ctx: CheckContext, job: Job, step: Step): boolean {
  const root = ctx.doc.at(['defaults', 'run', 'shell']);
  const shell = step.shell ?? job.defaultShell ?? (root?.kind === 'scalar' ? String(root.value ?? '') : undefined);
  // GitHub runs an explicit `shell: bash` with -eo pipefail, but the implicit default with -e only
  if (shell === 'bash' || (shell && /pipefail/.test(shell))) return true;
  return /set\s+-[a-z]*o\s+pipefail|-o\s+pipefail/.test(step.run?.script.text ?? '');
}

function swallowed(
  ctx: CheckContext,
  job: Job,
  step: Step,
  cmds: Command[],
  i: number,
): { why: string; fix?: Fix } | undefined {
  const cmd = cmds[i];
  const after = cmds[i + 1];
  if (
    cmd.next === '||' &&
    after &&
    (after.name === 'true' ||
      after.name === ':' ||
      after.name === 'echo' ||
      (after.name === 'exit' && after.args[0]?.text === '0'))
  ) {
    const text = step.run!.script.text;
    let s = cmd.end;
    while (s > 0 && /[ \t]/.test(text[s - 1])) s--;
    const at = span(ctx, step, { start: s, end: after.end });
    return {
      why: `'|| ${after.words.map((w) => w.text).join(' ')}' ignores its exit code`,
      fix: editFix(`Remove '|| ${after.name}'`, [replace(ctx.doc, at.start, at.end, '')]),
    };
  }
  if (cmd.next === '|' && !pipefail(ctx, job, step))
    return {
      why: "it is piped into another command without `set -o pipefail`, so the pipeline exits with the last command's status",
    };
  return undefined;
}

function scans(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const job of ctx.wf.jobs) {
    for (const step of job.steps) {
      const coe = step.continueOnError?.text === 'true';
      const env = envFor(ctx, job, step);
      const cmds = ctx.commands(step);
      cmds.forEach((cmd, i) => {
        if (cmd.name !== 'trivy' && cmd.name !== 'grype') return;
        const pos = positionals(
          cmd.args,
          new Set([
            '-q',
            '--quiet',
            '--list-all-pkgs',
            '--ignore-unfixed',
            '--no-progress',
            '--skip-db-update',
            '--skip-update',
            '--only-update',
            '--offline-scan',
            '--insecure',
            '-v',
            '--verbose',
            '--add-cpes-if-none',
            '--by-cve',
            '--only-fixed',
            '--only-notfixed',
            '--exclude-dev-deps',
            '--debug',
            '--skip-java-db-update',
            '--dependency-tree',
          ]),
        );
        const sub = pos[0]?.text;
        const format = flagValue(cmd.args, ['-f', '--format', '-o', '--output'])?.text ?? '';
        if (REPORT_ONLY_FORMATS.test(format) || (/sarif/i.test(format) && uploadsSarifLater(job, step))) return;
        if (
          hasFlag(cmd.args, [
            '-c',
            '--config',
            '--download-db-only',
            '--download-java-db-only',
            '--version',
            '-h',
            '--help',
          ])
        )
          return;
        let problem: string | undefined;
        let fix: Fix | undefined;
        const where = span(ctx, step, {
          start: cmd.program!.start,
          end: (cmd.name === 'trivy' && pos[0] ? pos[0] : cmd.program!).end,
        });
        if (cmd.name === 'trivy') {
          if (!sub || !TRIVY_SCANS.has(sub)) return;
          const exit = flagValue(cmd.args, ['--exit-code'])?.text ?? env.get('TRIVY_EXIT_CODE')?.text;
          if (exit === undefined || exit === '0') {
            problem =
              exit === '0'
                ? 'trivy --exit-code 0 never fails'
                : 'trivy exits 0 even when it finds vulnerabilities (no --exit-code)';
            const at = span(ctx, step, { start: pos[0].end, end: pos[0].end });
            if (exit === undefined)
              fix = editFix('Add --exit-code 1', [replace(ctx.doc, at.start, at.end, ' --exit-code 1')], true);
          }
        } else {
          if (sub && ['db', 'version', 'completion', 'explain', 'config', 'help'].includes(sub)) return;
          if (!hasFlag(cmd.args, ['--fail-on', '-f']) && !env.get('GRYPE_FAIL_ON_SEVERITY')?.text) {
            problem = 'grype exits 0 whatever it finds (no --fail-on)';
            const at = span(ctx, step, { start: cmd.program!.end, end: cmd.program!.end });
            fix = editFix('Add --fail-on high', [
              {
                ...replace(ctx.doc, at.start, at.end, ' --fail-on high'),
                snippet: ' --fail-on ${1|high,critical,medium,low,negligible|}',
              },
            ]);
          }
        }
        const sw = swallowed(ctx, job, step, cmds, i);
        if (problem)
          out.push(
            ctx.finding('workflow/scan-cannot-fail', where, `${problem}: the scan cannot fail the job`, {
              fixes: fix ? [fix] : [],
            }),
          );
        else if (sw)
          out.push(
            ctx.finding('workflow/scan-cannot-fail', where, `${cmd.name} cannot fail the job: ${sw.why}`, {
              fixes: sw.fix ? [sw.fix] : [],
            }),
          );
        else if (coe)
          out.push(
            ctx.finding(
              'workflow/scan-cannot-fail',
              step.continueOnError!.node,
              `continue-on-error: true lets the ${cmd.name} scan fail without failing the job`,
            ),
          );
      });
      if (step.uses) {
        const name = actionName(step.uses.text);
        if (name === 'aquasecurity/trivy-action') {
          const exit = step.with.get('exit-code')?.text;
          const format = step.with.get('format')?.text ?? '';
          if (
            REPORT_ONLY_FORMATS.test(format) ||
            (/sarif/i.test(format) && uploadsSarifLater(job, step)) ||
            step.with.has('trivy-config')
          )
            continue;
          if (exit === undefined || exit === '0') {
            const e = step.withNode
              ? appendToMapping(ctx.doc, step.withNode, ["exit-code: '1'"])
              : appendToMapping(ctx.doc, step.node, ['with:', "  exit-code: '1'"]);
            out.push(
              ctx.finding(
                'workflow/scan-cannot-fail',
                step.with.get('exit-code')?.value ?? step.uses.node,
                `aquasecurity/trivy-action ${exit === '0' ? 'with exit-code 0' : 'without exit-code'} never fails on vulnerabilities`,
                { fixes: e && exit === undefined ? [editFix("Add exit-code: '1'", [e], true)] : [] },
              ),
            );
          } else if (coe)
            out.push(
              ctx.finding(
                'workflow/scan-cannot-fail',
                step.continueOnError!.node,
                'continue-on-error: true lets the trivy scan fail without failing the job',
              ),
            );
        } else if (name === 'anchore/scan-action') {
          const fb = step.with.get('fail-build');
          if (fb?.text === 'false')
            out.push(
              ctx.finding(
                'workflow/scan-cannot-fail',
                fb.value ?? fb.key,
                'anchore/scan-action with fail-build: false never fails on vulnerabilities',
              ),
            );
          else if (coe)
            out.push(
              ctx.finding(
                'workflow/scan-cannot-fail',
                step.continueOnError!.node,
                'continue-on-error: true lets the grype scan fail without failing the job',
              ),
            );
        }
      }
    }
  }
  return out;
}

export function modelChecks(ctx: CheckContext): Finding[] {
  return [...deserialization(ctx), ...scans(ctx)];
}

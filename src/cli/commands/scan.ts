import fs from 'node:fs';
import path from 'node:path';
import { displayPath } from '../../core/output/paths.ts';
import { regularFileStat } from '../../core/fsutil/walk.ts';
import { scanPaths } from '../../core/scan/scanner.ts';
import type { ScanLimits } from '../../core/scan/types.ts';
import { UsageError } from '../args.ts';
import type { Command } from '../command.ts';
import { table } from '../table.ts';
import { REGISTRY_FLAGS } from '../registryFlagSpecs.ts';
import { plural } from '../../core/messageText.ts';

function sizeFlag(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]i?b?)?$/i.exec(v.trim());
  if (!m) throw new UsageError(`--${name} must be a size like 512MB or 4GiB, not '${v}'`);
  const mult: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
  return Math.floor(Number(m[1]) * (m[2] ? mult[m[2][0].toLowerCase()] : 1));
}

export const scanCommand: Command = {
  name: 'scan',
  summary:
    'scan model files (pickle, PyTorch, NumPy, joblib, safetensors, GGUF, Keras, archives) for code that runs on load',
  usage:
    'scan PATH… | scan REF [--format text|json|sarif] [--fail-on error|warning|info|never] [--max-member-size SIZE] [--max-depth N] [--max-download-size SIZE]',
  flags: {
    'max-member-size': {
      value: true,
      metavar: 'SIZE',
      description: 'largest decompressed archive member or wrapper scanned (default 8GiB)',
    },
    'max-depth': {
      value: true,
      metavar: 'N',
      description: 'deepest nesting of archives, wrappers and embedded pickles (default 6)',
    },
    'max-ratio': {
      value: true,
      metavar: 'N',
      description: 'largest compression ratio accepted before a member counts as a bomb (default 200)',
    },
    'max-download-size': {
      value: true,
      metavar: 'SIZE',
      description: 'references: most blob bytes read from the registry (default 64GiB)',
    },
    ...REGISTRY_FLAGS,
  },
  positionals: { min: 1, metavar: 'PATH|REF' },
  async run(args, io) {
    const limits: Partial<ScanLimits> = {};
    const ms = sizeFlag(args.get('max-member-size'), 'max-member-size');
    if (ms !== undefined) limits.maxMemberBytes = ms;
    for (const [flag, key] of [
      ['max-depth', 'maxDepth'],
      ['max-ratio', 'maxRatio'],
    ] as const) {
      const v = args.get(flag);
      if (v === undefined) continue;
      if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`--${flag} must be a positive integer, not '${v}'`);
      limits[key] = Number(v);
    }
    // A positional that is no local path may be a registry reference; the registry client loads only then.
    const missing = args.positionals.filter((p) => !fs.existsSync(path.resolve(io.cwd, p)));
    if (missing.length) {
      const { isReferenceArgument } = await import('../registryFlags.ts');
      const refs = missing.filter((p) => isReferenceArgument(p, io.cwd));
      if (refs.length) {
        if (args.positionals.length > 1) throw new UsageError('scan takes one registry reference, or paths; not both');
        const { inspectReferenceArg, remoteReport } = await import('../remote.ts');
        const m = await inspectReferenceArg(args, io, refs[0], {
          scan: true,
          scanOptions: { limits, signal: io.signal },
          maxDownloadBytes: sizeFlag(args.get('max-download-size'), 'max-download-size'),
        });
        return { findings: m.findings, ...remoteReport(m) };
      }
    }
    const paths = args.positionals.map((p) => path.resolve(io.cwd, p));
    for (const [i, p] of paths.entries()) {
      if (!fs.existsSync(p)) throw new Error(`no such file or folder: ${args.positionals[i]}`);
      // FIFOs and devices are refused before anything opens them (a FIFO blocks, /dev/urandom never ends).
      const st = await regularFileStat(p);
      if (!st.ok && st.message !== 'is a folder') throw new Error(`${args.positionals[i]} ${st.message}`);
    }
    const { results, errors, skipped, notAnalysed } = await scanPaths(paths, { limits, signal: io.signal });
    const findings = results.flatMap((r) => r.findings);
    for (const e of errors)
      findings.push({
        ruleId: 'scan/incomplete',
        severity: 'warning',
        message: `could not scan: ${e.message}`,
        file: e.path,
      });
    const files = results.map((r) => {
      const count = { error: 0, warning: 0, info: 0 };
      for (const f of r.findings) count[f.severity]++;
      return {
        file: displayPath(r.path, io.cwd),
        format: r.format,
        size: r.size,
        complete: r.complete,
        verdict: count.error ? 'dangerous' : !r.complete ? 'incomplete' : count.warning ? 'review' : 'clean',
        ...count,
        members: r.members.map((m) => ({ path: m.path, format: m.format, size: m.size })),
        stats: r.stats,
      };
    });
    const unanalysed = notAnalysed.map((n) => ({
      file: displayPath(n.path, io.cwd),
      size: n.size,
      kind: n.kind,
      detail: n.detail,
    }));
    const text = [
      `Scanned ${plural(results.length, 'file')}${skipped ? `; ${plural(skipped, 'text, JSON or empty file')} need${skipped === 1 ? 's' : ''} no scan` : ''}${unanalysed.length ? `; ${unanalysed.length} not analysed (listed below)` : ''}`,
      '',
      table(
        ['file', 'format', 'verdict', 'errors', 'warnings', 'members'],
        files.map((f) => [f.file, f.format, f.verdict, String(f.error), String(f.warning), String(f.members.length)]),
      ),
      ...(unanalysed.length
        ? [
            '',
            'Not analysed:',
            table(
              ['file', 'size', 'what'],
              unanalysed.map((n) => [n.file, String(n.size), n.detail]),
            ),
          ]
        : []),
    ].join('\n');
    return { findings, text, json: { files, skipped, notAnalysed: unanalysed } };
  },
};

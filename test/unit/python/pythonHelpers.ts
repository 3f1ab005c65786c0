import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Fix, TextPosition } from '../../../src/core/findings.ts';

/** Applies a quick fix's edits to the source, as VS Code would (edits do not overlap). */
export function applyFix(source: string, fix: Fix): string {
  if (fix.kind !== 'edit') throw new Error('not an edit fix');
  const offset = (p: TextPosition): number => {
    let at = 0;
    for (let line = 0; line < p.line; line++) {
      const nl = source.indexOf('\n', at);
      if (nl < 0) throw new Error(`line ${p.line} past end`);
      at = nl + 1;
    }
    return at + p.character;
  };
  const edits = fix.edits
    .map((e) => ({ start: offset(e.range.start), end: offset(e.range.end), text: e.newText }))
    .sort((a, b) => b.start - a.start);
  let out = source;
  for (const e of edits) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

let cached: { python?: string; reason: string } | undefined;

/**
 * A Python 3 that can import torch (Debian's python3-torch lives under /usr/bin/python3, which
 * may not be the first python3 on PATH), or the reason there is none.
 */
export function pythonWithTorch(): { python?: string; reason: string } {
  if (cached) return cached;
  for (const candidate of [process.env.MODEL_INSPECT_TEST_PYTHON, 'python3', '/usr/bin/python3'].filter(
    (p): p is string => !!p,
  )) {
    const r = spawnSync(candidate, ['-c', 'import torch, numpy; print(torch.__version__)'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (r.status === 0) return (cached = { python: candidate, reason: `torch ${r.stdout.trim()} via ${candidate}` });
  }
  return (cached = { reason: 'no python3 with torch and numpy (apt-get install python3-torch)' });
}

export function pythonHas(python: string, module: string): boolean {
  return spawnSync(python, ['-c', `import ${module}`], { timeout: 60_000 }).status === 0;
}

/** Runs a Python program in `cwd` and returns its stdout; throws with stderr when it fails. */
export function runPython(python: string, program: string, cwd: string, env: Record<string, string> = {}): string {
  return execFileSync(python, ['-c', program], {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * Runs several Python programs in one interpreter (importing torch once costs seconds), each as
 * its own __main__ with a fresh namespace, and returns what each printed. A failure names the program.
 */
export function runPythonPrograms(
  python: string,
  programs: readonly string[],
  cwd: string,
  env: Record<string, string> = {},
): string[] {
  const files = programs.map((src, i) => {
    const f = path.join(cwd, `program_${i}.py`);
    fs.writeFileSync(f, src);
    return f;
  });
  const driver = [
    'import contextlib, io, json, runpy, sys',
    'out = []',
    'for f in sys.argv[1:]:',
    '    buf = io.StringIO()',
    '    with contextlib.redirect_stdout(buf):',
    '        runpy.run_path(f, run_name="__main__")',
    '    out.append(buf.getvalue())',
    'print(json.dumps(out))',
  ].join('\n');
  const stdout = execFileSync(python, ['-c', driver, ...files], {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as string[];
}

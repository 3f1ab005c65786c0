import fs from 'node:fs';
import path from 'node:path';
import type { Finding } from '../../core/findings.ts';
import { walk } from '../../core/fsutil/walk.ts';
import { displayPath } from '../../core/output/paths.ts';
import { checkPythonFile, pythonFileKind } from '../../core/python/files.ts';
import type { Command } from '../command.ts';
import { plural } from '../../core/messageText.ts';

export const pythonCommand: Command = {
  name: 'python',
  summary: 'check Python files and notebooks for pickle-based model loading and saving (torch.load, pickle, joblib, …)',
  usage: 'python FILE|DIR… [--format text|json|sarif] [--fail-on error|warning|info]',
  flags: {},
  positionals: { min: 1, metavar: 'FILE' },
  async run(args, io) {
    const targets: string[] = [];
    for (const p of args.positionals) {
      const abs = path.resolve(io.cwd, p);
      if (!fs.existsSync(abs)) throw new Error(`no such file or folder: ${p}`);
      if (fs.statSync(abs).isDirectory()) {
        const w = await walk(abs);
        targets.push(...w.files.map((f) => f.path).filter((f) => pythonFileKind(f)));
      } else {
        if (!pythonFileKind(abs)) throw new Error(`not a Python file or notebook (.py, .ipynb): ${p}`);
        targets.push(abs);
      }
    }
    const findings: Finding[] = [];
    for (const t of targets) findings.push(...(await checkPythonFile(t)));
    return {
      findings,
      json: { files: targets.map((t) => displayPath(t, io.cwd)) },
      text: `Checked ${plural(targets.length, 'Python file')}`,
    };
  },
};

import fs from 'node:fs';
import path from 'node:path';
import { convertCheckpoint } from '../../core/convert/convert.ts';
import { displayPath } from '../../core/output/paths.ts';
import type { Command } from '../command.ts';
import { plural } from '../../core/messageText.ts';

export const convertCommand: Command = {
  name: 'convert',
  summary: 'convert a PyTorch checkpoint (.pt .pth .bin .ckpt) to safetensors without running its pickle',
  usage: 'convert IN [OUT] [--format text|json|sarif]',
  flags: {},
  positionals: { min: 1, max: 2, metavar: 'IN [OUT]' },
  async run(args, io) {
    const input = path.resolve(io.cwd, args.positionals[0]);
    if (!fs.existsSync(input) || !fs.statSync(input).isFile()) throw new Error(`no such file: ${args.positionals[0]}`);
    const output = args.positionals[1] ? path.resolve(io.cwd, args.positionals[1]) : undefined;
    const r = await convertCheckpoint(input, { output, signal: io.signal });
    const show = (p: string) => displayPath(p, io.cwd);
    const lines: string[] = [];
    if (r.ok && r.output) {
      lines.push(
        `Converted ${show(input)} (${r.format}) → ${show(r.output)}: ${plural(r.tensors, 'tensor')}, ${r.bytes} bytes, verified tensor by tensor`,
      );
      const aliases = Object.entries(r.aliases);
      if (aliases.length)
        lines.push(`  same tensor, written once: ${aliases.map(([a, k]) => `${a} → ${k}`).join(', ')}`);
      const kept = Object.keys(r.metadata);
      if (kept.length) lines.push(`  kept as __metadata__: ${kept.join(', ')}`);
      if (r.dropped.length) lines.push(`  not kept: ${r.dropped.map((d) => d.name).join(', ')}`);
    } else {
      lines.push(`Not converted: ${show(input)}`);
    }
    return {
      findings: r.findings,
      text: lines.join('\n'),
      json: {
        conversion: {
          ok: r.ok,
          input: show(input),
          output: r.output ? show(r.output) : null,
          format: r.format ?? null,
          tensors: r.tensors,
          bytes: r.bytes,
          aliases: r.aliases,
          metadata: r.metadata,
          dropped: r.dropped,
        },
      },
      exitCode: r.ok ? 0 : 1,
    };
  },
};

import { processIO, runCli } from './main.ts';

runCli(process.argv.slice(2), processIO()).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    process.stderr.write(`model-inspect: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 2;
  },
);

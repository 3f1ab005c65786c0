import type { Command } from '../command.ts';

/**
 * A CLI command by name. Its module, and every engine that module imports, load only when the
 * command runs: the build splits each `import()` here into a chunk of its own (esbuild.js), so
 * `model-inspect scan` never loads the signing stack, the SBOM generator or the workflow checks.
 */
export interface CommandEntry {
  name: string;
  load: () => Promise<Command>;
}

/** Every CLI command, in the order `--help` lists them. Each area adds one line. */
export const COMMANDS: readonly CommandEntry[] = [
  { name: 'inspect', load: async () => (await import('./inspect.ts')).inspectCommand },
  { name: 'scan', load: async () => (await import('./scan.ts')).scanCommand },
  { name: 'card', load: async () => (await import('./card.ts')).cardCommand },
  { name: 'workflow', load: async () => (await import('./workflow.ts')).workflowCommand },
  { name: 'k8s', load: async () => (await import('./k8s.ts')).k8sCommand },
  { name: 'admission', load: async () => (await import('./admission.ts')).admissionCommand },
  { name: 'python', load: async () => (await import('./python.ts')).pythonCommand },
  { name: 'convert', load: async () => (await import('./convert.ts')).convertCommand },
  { name: 'gate', load: async () => (await import('./gate.ts')).gateCommand },
  { name: 'sbom', load: async () => (await import('./sbom.ts')).sbomCommand },
  { name: 'verify', load: async () => (await import('./verify.ts')).verifyCommand },
  { name: 'sign', load: async () => (await import('./sign.ts')).signCommand },
  { name: 'attest', load: async () => (await import('./attest.ts')).attestCommand },
  { name: 'registry', load: async () => (await import('./registry.ts')).registryCommand },
  { name: 'generate-key-pair', load: async () => (await import('./sign.ts')).generateKeyPairCommand },
  { name: 'rules', load: async () => (await import('./rules.ts')).rulesCommand },
];

import type { Finding } from '../findings.ts';
import type { WalkEntry } from '../fsutil/walk.ts';

/** What one engine reports about one file during `inspect`. */
export interface InspectedFile {
  path: string;
  /** What the engine took the file to be, e.g. "model card", "workflow", "pickle", "safetensors". */
  kind: string;
  /** One line for the summary table, e.g. "3 tensors, 12 KiB" or "verified: ml-team@acme.com". */
  summary?: string;
}

export interface InspectContext {
  root: string;
  files: readonly WalkEntry[];
  now: Date;
  signal?: AbortSignal;
  /** Engine options by area (e.g. `card.reviewMaxAgeDays`), from the CLI flags or the extension's settings. */
  options: Readonly<Record<string, unknown>>;
}

export interface InspectResult {
  findings: Finding[];
  files: InspectedFile[];
}

/**
 * One engine's part in `model-inspect inspect DIR` (and the extension's workspace inspection).
 * Every area registers one in `src/core/inspect/inspectors.ts`.
 */
export interface Inspector {
  id: string;
  title: string;
  inspect(ctx: InspectContext): Promise<InspectResult>;
}

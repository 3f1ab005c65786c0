/**
 * What the rest of the engine and the report panel know about the optional external tools: plain
 * data (the panel's type-check has no Node types, so this file imports nothing that needs Node).
 */
export type ToolId = 'syft' | 'grype' | 'trivy';

export interface ToolStatus {
  id: ToolId;
  /** Absolute path when found. */
  path?: string;
  purpose: string;
  install: string;
}

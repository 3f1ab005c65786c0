import assert from 'node:assert/strict';
import type { Finding, Fix, TextEdit } from '../../../src/core/findings.ts';
import { checkWorkflowText } from '../../../src/core/workflow/check.ts';
import { LineIndex } from '../../../src/core/yaml/lines.ts';

export async function check(yaml: string): Promise<Finding[]> {
  return checkWorkflowText(yaml, 'wf.yml');
}

export async function rule(yaml: string, ruleId: string): Promise<Finding[]> {
  return (await check(yaml)).filter((f) => f.ruleId === ruleId);
}

/** The text a finding's range covers. */
export function covered(yaml: string, f: Finding): string {
  const idx = new LineIndex(yaml);
  return yaml.slice(idx.offset(f.range!.start), idx.offset(f.range!.end));
}

/** Applies an edit fix (edits sorted from the end so earlier offsets stay valid). */
export function applyFix(yaml: string, fix: Fix | undefined): string {
  assert.ok(fix && fix.kind === 'edit', 'an edit fix');
  const idx = new LineIndex(yaml);
  const edits = [...fix.edits]
    .map((e: TextEdit) => ({ s: idx.offset(e.range.start), e: idx.offset(e.range.end), t: e.newText }))
    .sort((a, b) => b.s - a.s);
  let out = yaml;
  for (const e of edits) out = out.slice(0, e.s) + e.t + out.slice(e.e);
  return out;
}

/** A one-job workflow with the given steps (each line indented under `steps:`). */
export function job(steps: string, head = 'on: push\npermissions:\n  contents: read\n', jobExtra = ''): string {
  const body = steps
    .replace(/^\n/, '')
    .split('\n')
    .map((l) => (l ? '      ' + l : l))
    .join('\n');
  return `${head}jobs:\n  build:\n    runs-on: ubuntu-latest\n${jobExtra}    steps:\n${body}\n`;
}

export const CHECKOUT = 'uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2';
export const COSIGN = 'uses: sigstore/cosign-installer@d7d6bc7722e3daa8354c50bcb52f4837da5e9b6a # v3.8.1';
export const LOGIN = 'uses: docker/login-action@9780b0c442fbb1117ed29e0efdff1e18412f7567 # v3.3.0';

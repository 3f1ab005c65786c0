import type { Finding, TextEdit } from '../../../src/core/findings.ts';
import { checkK8sTexts } from '../../../src/core/k8s/files.ts';
import { LineIndex } from '../../../src/core/yaml/lines.ts';

export async function check(text: string, file = '/work/x/manifest.yaml'): Promise<Finding[]> {
  return (await checkK8sTexts([{ path: file, text }])).findings;
}

export async function checkMany(files: Record<string, string>): Promise<Finding[]> {
  return (await checkK8sTexts(Object.entries(files).map(([path, text]) => ({ path, text })))).findings;
}

export function rules(findings: readonly Finding[]): string[] {
  return findings.map((f) => f.ruleId);
}

/** `rule@line` (1-based) for compact assertions. */
export function at(findings: readonly Finding[]): string[] {
  return findings.map((f) => `${f.ruleId}@${(f.range?.start.line ?? -1) + 1}`);
}

export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const lines = new LineIndex(text);
  const spans = edits
    .map((e) => ({ start: lines.offset(e.range.start), end: lines.offset(e.range.end), text: e.newText }))
    .sort((a, b) => b.start - a.start);
  let out = text;
  for (const s of spans) out = out.slice(0, s.start) + s.text + out.slice(s.end);
  return out;
}

/** Apply the first edit fix of the first finding of `ruleId`. */
export function applyFix(text: string, findings: readonly Finding[], ruleId: string, index = 0): string {
  const f = findings.filter((x) => x.ruleId === ruleId)[index];
  const fx = f?.fixes?.find((x) => x.kind === 'edit');
  if (!fx || fx.kind !== 'edit') throw new Error(`no edit fix for ${ruleId}`);
  return applyEdits(text, fx.edits);
}

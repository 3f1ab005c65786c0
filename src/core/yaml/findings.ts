import type { Finding } from '../findings.ts';
import type { YamlDocument } from './document.ts';

const CODE_TO_RULE = {
  syntax: 'yaml/syntax',
  'too-deep': 'yaml/syntax',
  'duplicate-key': 'yaml/duplicate-key',
  'multiple-documents': 'yaml/multiple-documents',
} as const;

/** Parser problems of a document as findings (shared by every YAML-based checker). */
export function yamlProblemFindings(doc: YamlDocument, file: string | undefined): Finding[] {
  return doc.problems.map((p) => ({
    ruleId: CODE_TO_RULE[p.code],
    severity: 'error',
    message: p.code === 'syntax' ? `YAML syntax error: ${p.message}` : p.message,
    file,
    range: doc.range(p),
  }));
}

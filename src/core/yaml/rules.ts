import type { RuleInfo } from '../findings.ts';

export const YAML_RULES: readonly RuleInfo[] = [
  {
    id: 'yaml/syntax',
    title: 'YAML syntax error',
    category: 'yaml',
    defaultSeverity: 'error',
    help: 'The file is not valid YAML, so nothing else in it can be checked. The diagnostic sits where the parser stopped; the real mistake is often on the line before (an indentation change, a missing `:` or an unclosed quote).',
  },
  {
    id: 'yaml/duplicate-key',
    title: 'Duplicate key',
    category: 'yaml',
    defaultSeverity: 'error',
    help: 'A mapping has the same key twice. YAML forbids it, and tools disagree on which value wins (js-yaml refuses the file, PyYAML keeps the last one), so a reviewer may read a different value from the one a pipeline uses. Remove or rename one of them.',
  },
  {
    id: 'yaml/alias-limit',
    title: 'Too many aliases expanded',
    category: 'yaml',
    defaultSeverity: 'error',
    help: 'The document uses anchors and aliases (`&a` / `*a`) that expand into more nodes than the validator will follow (a "billion laughs" alias bomb looks like this). Validation of the expanded parts stopped; write the values out instead of aliasing them.',
  },
  {
    id: 'yaml/encoding',
    title: 'File is not UTF-8',
    category: 'yaml',
    defaultSeverity: 'error',
    help: 'The file is not valid UTF-8 (or is UTF-16/32). YAML tooling, GitHub and most parsers expect UTF-8; invalid bytes were replaced before checking, so positions after them may be off. Re-save the file as UTF-8.',
  },
  {
    id: 'yaml/too-large',
    title: 'File too large to validate',
    category: 'yaml',
    defaultSeverity: 'error',
    help: "The file is larger than the validation limit, so it was not checked, and what was not checked is not known to be valid: for a model card this is an error, and the promotion gate's card check fails. Metadata files are normally a few kilobytes; a very large one is worth a look by hand.",
  },
  {
    id: 'yaml/multiple-documents',
    title: 'More than one YAML document',
    category: 'yaml',
    defaultSeverity: 'error',
    help: 'The file holds several YAML documents (separated by `---`). Only the first was checked; most consumers of this file read only one.',
  },
];

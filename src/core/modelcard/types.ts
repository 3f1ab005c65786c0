import type { TextRange } from '../findings.ts';

/**
 * The key facts of a model card that the gate, the ML-BOM and the report use (read by facts.ts).
 * Plain data: the report panel shows them, and its type-check has no Node types, so this file
 * imports nothing that needs Node.
 */
export interface CardFact {
  /** Dotted path in the card, e.g. `model_details.name`. */
  key: string;
  label: string;
  value: string;
  range?: TextRange;
}

export interface CardFacts {
  file: string;
  facts: CardFact[];
  name?: string;
  version?: string;
  task?: string;
  framework?: string;
  license?: string;
  datasets: { name: string; url?: string }[];
  metrics: { type: string; value: string }[];
  limitations: string[];
  /** Source repositories the card claims the model was built from (unverified claims). */
  sourceRepositories: CardFact[];
  sbomRef?: CardFact;
  /** The newest review/build date the card states (ISO 8601), for freshness. */
  reviewed?: { date: string; fact: CardFact };
}

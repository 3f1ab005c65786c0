/**
 * JSON.parse's message, without the excerpt of the input V8 puts in it (`Unexpected token 'S',
 * "SECRET=…" is not valid JSON`): the input may be a file a card pointed at, and its bytes must not
 * be echoed into a report. Positions are kept; they say where without saying what.
 */
export function jsonErrorMessage(e: unknown): string {
  const m = (e as Error)?.message ?? String(e);
  return m
    .replace(/, ".*" is not valid JSON$/s, ': not valid JSON')
    .replace(/, ".*"\.\.\. is not valid JSON$/s, ': not valid JSON')
    .slice(0, 200);
}

/** The YAML front matter of a Markdown file: its text and offset, or undefined when there is none. */
export function frontMatter(markdown: string): { text: string; offset: number } | undefined {
  const m = /^(?:\ufeff)?---[ \t]*\r?\n/.exec(markdown);
  if (!m) return undefined;
  const start = m[0].length;
  const close = /^---[ \t]*$/m;
  close.lastIndex = 0;
  const rest = markdown.slice(start);
  const end = close.exec(rest);
  if (!end) return undefined;
  return { text: rest.slice(0, end.index), offset: start };
}

/**
 * Whether a README's front matter is model metadata (Hugging Face keys), not a static-site page's
 * (`title:`, `layout:`): only then is the README treated as a model card.
 */
export function looksLikeHfMetadata(frontMatterText: string): boolean {
  // block keys, quoted keys (`"license": other`) and flow mappings (`{license: other}`) are all
  // read by the Hub's YAML loader: a card written any of these ways must not pass unchecked
  return /(?:^|[{,])[ \t]*(["']?)(license|licence|license_name|license_link|language|pipeline_tag|library_name|tags|datasets|base_model|base_model_relation|model-index|model_index|metrics|widget|inference|co2_eq_emissions|new_version|thumbnail)\1[ \t]*:/m.test(
    frontMatterText,
  );
}

declare module 'spdx-expression-parse' {
  type SpdxNode =
    | { license: string; plus?: true; exception?: string }
    | { left: SpdxNode; conjunction: 'and' | 'or'; right: SpdxNode };
  /** Throws on anything that is not a valid SPDX license expression. */
  export default function parse(source: string): SpdxNode;
}

// unbzip2-stream ships no types: a factory returning a through-stream (bz2 bytes in, raw bytes out).
declare module 'unbzip2-stream' {
  import type { Duplex } from 'node:stream';
  function unbzip2Stream(): Duplex;
  export default unbzip2Stream;
}

// The block decoder and bit reader inside unbzip2-stream (used directly by ./bzip2.ts).
declare module 'unbzip2-stream/lib/bzip2.js' {
  type Bits = ((n: number | null) => number) & { bytesRead: number };
  const bzip2: {
    header(bits: Bits): number;
    decompress(
      bits: Bits,
      emit: (byte: number) => void,
      buf: Int32Array,
      bufsize: number,
      streamCrc: number | null,
    ): number | null;
  };
  export default bzip2;
}
declare module 'unbzip2-stream/lib/bit_iterator.js' {
  function bitIterator(next: () => Buffer | undefined): ((n: number | null) => number) & { bytesRead: number };
  export default bitIterator;
}

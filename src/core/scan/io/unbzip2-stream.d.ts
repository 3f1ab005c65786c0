// unbzip2-stream ships no types: a factory returning a through-stream (bz2 bytes in, raw bytes out).
declare module 'unbzip2-stream' {
  import type { Duplex } from 'node:stream';
  function unbzip2Stream(): Duplex;
  export default unbzip2Stream;
}

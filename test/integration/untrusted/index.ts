/** The untrusted layer's entry: the same mocha runner as the main suite, over the *.test.js beside it. */
export { run } from '../suite/index.ts';

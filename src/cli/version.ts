/** Replaced at build time by esbuild (`define`); the fallback serves tests run from source. */
declare const __MODEL_INSPECT_VERSION__: string | undefined;
export const VERSION: string = typeof __MODEL_INSPECT_VERSION__ === 'string' ? __MODEL_INSPECT_VERSION__ : '0.0.0-dev';

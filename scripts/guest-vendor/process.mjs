/**
 * The `process` the vendored libraries see (injected by esbuild into the bundle, never a guest global): util reads
 * `process.env` and `process.noDeprecation`, and calls `process.nextTick` in `callbackify`.
 */
export const process = {
  env: {},
  nextTick(fn, ...args) {
    Promise.resolve().then(() => fn(...args));
  },
};

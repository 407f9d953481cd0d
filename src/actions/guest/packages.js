/**
 * The Action's npm dependencies (issue 12; src/actions/packages/): each one CommonJS module bundled at deploy, whose
 * wrapper function the host evaluated into this context (guest-context.ts `load`) and handed over through the
 * prelude's `definePackage`. A package's body runs at its first `require`, once per context, with the same
 * `require` the Action has (for the built-ins the sandbox provides). Called once by prelude.js.
 */
'use strict';
(function packages() {
  const O = Object;
  const factories = O.create(null);
  const loaded = O.create(null);
  return O.freeze({
    define(name, fn) {
      factories[name] = fn;
    },
    has(name) {
      return factories[name] !== undefined;
    },
    load(name, require) {
      const hit = loaded[name];
      if (hit) return hit.exports;
      const mod = { exports: {} };
      // Registered before the body runs, so a cycle through the Action sees the partial exports, as in Node.
      loaded[name] = mod;
      try {
        factories[name].call(mod.exports, mod.exports, require, mod, '/node_modules/' + name + '/index.js', '/');
      } catch (e) {
        delete loaded[name];
        throw e;
      }
      return mod.exports;
    },
  });
});

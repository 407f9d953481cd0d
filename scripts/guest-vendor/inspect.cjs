/**
 * The vendored `inspect` (guest/vendor/inspect.js): `node-inspect-extracted`, Node's own util.inspect and
 * util.format extracted for other engines; guest/node.js puts them on `util`, loaded on their first call.
 */
'use strict';
// The package copies Node's "primordials" from the globals when it loads, `Atomics` among them, which this
// QuickJS build lacks: an empty stand-in while it loads, removed after, so the guest's globals are unchanged.
const noAtomics = !('Atomics' in globalThis);
if (noAtomics) globalThis.Atomics = {};
try {
  module.exports = require('node-inspect-extracted');
} finally {
  if (noAtomics) delete globalThis.Atomics;
}

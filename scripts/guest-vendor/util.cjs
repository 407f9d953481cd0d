/**
 * The vendored `util` (guest/vendor/util.js): the npm package `util` (Node's util for browsers: promisify,
 * callbackify, inherits, deprecate, types, ...) with `inspect` and `format` from `node-inspect-extracted`, Node's
 * own util.inspect extracted, since util@0.12's are those of Node 0.x (no `%i`, `%f`, `%o`; no Map or Set).
 */
'use strict';
const util = require('util/');

// node-inspect-extracted copies Node's "primordials" from the globals when it loads, `Atomics` among them, which
// this QuickJS build lacks: an empty stand-in while it loads, removed after, so the guest's globals are unchanged.
const noAtomics = !('Atomics' in globalThis);
if (noAtomics) globalThis.Atomics = {};
let extracted;
try {
  extracted = require('node-inspect-extracted');
} finally {
  if (noAtomics) delete globalThis.Atomics;
}
const { inspect, format, formatWithOptions, stripVTControlCharacters } = extracted;

module.exports = Object.assign({}, util, { inspect, format, formatWithOptions, stripVTControlCharacters });

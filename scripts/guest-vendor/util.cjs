/**
 * The vendored `util` (guest/vendor/util.js): the npm package `util`, Node's util for browsers (promisify,
 * callbackify, inherits, deprecate, types, ...). Its `inspect` and `format` are those of Node 0.x (no `%i`, `%o`,
 * Map or Set): guest/node.js replaces them with the vendored `inspect` (inspect.cjs).
 */
'use strict';
module.exports = require('util/');

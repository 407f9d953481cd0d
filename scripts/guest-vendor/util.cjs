/** The vendored `util` (guest/vendor/util.js): the npm package `util`, Node's util for browsers. */
'use strict';
module.exports = require('util/');

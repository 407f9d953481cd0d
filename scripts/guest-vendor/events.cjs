/** The vendored `events` (guest/vendor/events.js): Node's EventEmitter, the npm package `events`. */
'use strict';
module.exports = require('events/');

/**
 * What the bundled `url` gets for `qs` (scripts/build-guest-vendor.mjs `alias`): url@0.11 calls
 * `qs.parse(query)` and `qs.stringify(query, {arrayFormat: 'repeat', addQueryPrefix: false})`; Node's own url
 * module uses `querystring` with its defaults for both, which is what they become here (`a[b]=1` stays a flat key).
 */
'use strict';
const querystring = require('querystring-es3');

module.exports = {
  parse: (str) => querystring.parse(str),
  stringify: (obj) => querystring.stringify(obj),
};

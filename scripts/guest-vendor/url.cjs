/**
 * The vendored `url` and `querystring` (guest/vendor/url.js): the npm packages `url` (Node's legacy url.parse,
 * format, resolve) and `querystring-es3`, in one file because url parses queries with querystring.
 */
'use strict';
module.exports = { url: require('url/'), querystring: require('querystring-es3') };

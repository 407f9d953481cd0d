/**
 * The `buffer` npm package (feross) with the one encoding it lacks and Node has had since v15: `base64url`.
 * Decoding needs nothing but the name (the package's base64 decoder already reads `-` and `_`); encoding is base64
 * with the URL alphabet and no padding, as Node's.
 */
'use strict';
const lib = require('buffer/');

const { Buffer } = lib;
const url = (enc) => typeof enc === 'string' && enc.toLowerCase() === 'base64url';
const asBase64 = (enc) => (url(enc) ? 'base64' : enc);

const from = Buffer.from;
Buffer.from = function (value, encodingOrOffset, length) {
  return from.call(this, value, typeof value === 'string' ? asBase64(encodingOrOffset) : encodingOrOffset, length);
};
const alloc = Buffer.alloc;
Buffer.alloc = function (size, fill, encoding) {
  return alloc.call(this, size, fill, asBase64(encoding));
};
const byteLength = Buffer.byteLength;
Buffer.byteLength = function (string, encoding) {
  return byteLength.call(this, string, asBase64(encoding));
};
const isEncoding = Buffer.isEncoding;
Buffer.isEncoding = function (encoding) {
  return url(encoding) || isEncoding.call(this, encoding);
};

const proto = Buffer.prototype;
const toString = proto.toString;
proto.toString = proto.toLocaleString = function (encoding, start, end) {
  if (!url(encoding)) return toString.apply(this, arguments);
  return toString.call(this, 'base64', start, end).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};
const write = proto.write;
proto.write = function (string, offset, length, encoding) {
  const args = Array.prototype.slice.call(arguments);
  for (let i = 1; i < args.length; i++) if (url(args[i])) args[i] = 'base64';
  return write.apply(this, args);
};
const fill = proto.fill;
proto.fill = function (val, offset, end, encoding) {
  const args = Array.prototype.slice.call(arguments);
  for (let i = 1; i < args.length; i++) if (url(args[i])) args[i] = 'base64';
  return fill.apply(this, args);
};

module.exports = lib;

/**
 * Bytes in the guest: base64 (and base64url), hex, UTF-8, `TextEncoder`/`TextDecoder`, `atob`/`btoa` (Node's
 * `Buffer` is the vendored one, node.js). Pure guest code: no host call. Called once by prelude.js.
 */
'use strict';
(function bytes({ makeError }) {
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const B64IDX = {};
  for (let i = 0; i < 64; i++) B64IDX[B64[i]] = i;
  B64IDX['-'] = 62;
  B64IDX['_'] = 63;

  function b64encode(bytes, url) {
    let out = '';
    let i = 0;
    for (; i + 2 < bytes.length; i += 3) {
      const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
      out += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + B64[n & 63];
    }
    if (i < bytes.length) {
      const n = (bytes[i] << 16) | ((i + 1 < bytes.length ? bytes[i + 1] : 0) << 8);
      out += B64[n >> 18] + B64[(n >> 12) & 63] + (i + 1 < bytes.length ? B64[(n >> 6) & 63] : '=') + '=';
    }
    return url ? out.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') : out;
  }
  function b64decode(str) {
    const s = String(str).replace(/[\s=]/g, '');
    const out = new Uint8Array(Math.floor((s.length * 3) / 4));
    let bits = 0,
      acc = 0,
      j = 0;
    for (let i = 0; i < s.length; i++) {
      const v = B64IDX[s[i]];
      if (v === undefined) {
        throw makeError({
          kind: 'dom',
          name: 'InvalidCharacterError',
          message: 'The string to be decoded is not correctly encoded.',
        });
      }
      acc = (acc << 6) | v;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out[j++] = (acc >> bits) & 255;
      }
    }
    return out.subarray(0, j);
  }
  function hexEncode(bytes) {
    let s = '';
    for (let i = 0; i < bytes.length; i++) s += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
    return s;
  }
  function hexDecode(str) {
    const out = new Uint8Array(str.length >> 1);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(str.substr(i * 2, 2), 16);
    return out;
  }
  function utf8Encode(str) {
    str = String(str);
    const out = [];
    for (let i = 0; i < str.length; i++) {
      let c = str.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < str.length) {
        const d = str.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
        } else c = 0xfffd;
      } else if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
      if (c < 0x80) out.push(c);
      else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
      else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
    return new Uint8Array(out);
  }
  function utf8Decode(bytes) {
    let s = '';
    for (let i = 0; i < bytes.length;) {
      const b = bytes[i];
      let c, n;
      if (b < 0x80) ((c = b), (n = 1));
      else if (b >= 0xc2 && b < 0xe0) ((c = b & 31), (n = 2));
      else if (b >= 0xe0 && b < 0xf0) ((c = b & 15), (n = 3));
      else if (b >= 0xf0 && b < 0xf5) ((c = b & 7), (n = 4));
      else {
        s += '\ufffd';
        i++;
        continue;
      }
      if (i + n > bytes.length) {
        s += '\ufffd';
        break;
      }
      let ok = true;
      for (let k = 1; k < n; k++) {
        const x = bytes[i + k];
        if ((x & 0xc0) !== 0x80) {
          ok = false;
          break;
        }
        c = (c << 6) | (x & 63);
      }
      if (!ok) {
        s += '\ufffd';
        i++;
        continue;
      }
      s += String.fromCodePoint(c);
      i += n;
    }
    return s;
  }
  function toBytes(data, enc) {
    if (typeof data === 'string') {
      if (enc === 'hex') return hexDecode(data);
      if (enc === 'base64' || enc === 'base64url') return b64decode(data);
      if (enc === 'latin1' || enc === 'binary') {
        const u = new Uint8Array(data.length);
        for (let i = 0; i < data.length; i++) u[i] = data.charCodeAt(i) & 255;
        return u;
      }
      return utf8Encode(data);
    }
    if (data instanceof Uint8Array) return data;
    if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (data instanceof ArrayBuffer) return new Uint8Array(data);
    throw new TypeError(
      'The "data" argument must be of type string or an instance of Buffer, TypedArray, or DataView.',
    );
  }
  function concat(chunks) {
    let n = 0;
    for (const c of chunks) n += c.length;
    const out = new Uint8Array(n);
    let o = 0;
    for (const c of chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
  /** Bytes as text in one of Node's binary encodings (a digest's `hex`, `base64`, `base64url`, `latin1`). */
  function encodeOut(bytes, enc) {
    if (enc === 'hex') return hexEncode(bytes);
    if (enc === 'base64') return b64encode(bytes, false);
    if (enc === 'base64url') return b64encode(bytes, true);
    if (enc === 'latin1' || enc === 'binary') {
      let s = '';
      for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
      return s;
    }
    throw new TypeError('Unsupported digest encoding: ' + enc);
  }

  class TextEncoder {
    get encoding() {
      return 'utf-8';
    }
    encode(s) {
      return utf8Encode(s === undefined ? '' : s);
    }
  }
  class TextDecoder {
    constructor(label) {
      const l = String(label || 'utf-8').toLowerCase();
      if (l !== 'utf-8' && l !== 'utf8') throw new RangeError('The "' + label + '" encoding is not supported');
    }
    get encoding() {
      return 'utf-8';
    }
    decode(b) {
      return b === undefined ? '' : utf8Decode(toBytes(b));
    }
  }
  function btoa(s) {
    s = String(s);
    const u = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 255) throw makeError({ kind: 'dom', name: 'InvalidCharacterError', message: 'Invalid character' });
      u[i] = c;
    }
    return b64encode(u, false);
  }
  function atob(s) {
    const u = b64decode(s);
    let out = '';
    for (let i = 0; i < u.length; i++) out += String.fromCharCode(u[i]);
    return out;
  }

  return {
    b64encode,
    b64decode,
    utf8Encode,
    utf8Decode,
    toBytes,
    concat,
    encodeOut,
    TextEncoder,
    TextDecoder,
    atob,
    btoa,
  };
});

/**
 * Guest-side JavaScript evaluated in every sandbox context before the Action (DESIGN section 4). It receives the
 * only two host functions as arguments (never as globals) and builds, inside the guest: `require`, the `jose` and
 * `crypto` shims, `fetch`/`Headers`/`Response`, `URL`/`URLSearchParams`, `TextEncoder`/`TextDecoder`,
 * `atob`/`btoa`, `console`, `setTimeout`. Host calls exchange JSON strings only; every error the guest sees is
 * constructed here, in the guest, from a plain `{kind, name, message, code}` description.
 */
import { API_GUEST_SOURCE } from '../triggers/api-guest.js';

export const PRELUDE_SOURCE = String.raw`(function (hostCall, hostAsync) {
'use strict';
const G = globalThis;
const O = Object;
// Intrinsics captured before Action code runs: the Action may replace JSON.stringify, Object.keys or Promise later,
// but the shims and the api recorders keep using the originals.
const stringify = JSON.stringify, parse = JSON.parse, keysOf = Object.keys, isArray = Array.isArray, isFinite = Number.isFinite, P = Promise;

// ---- errors built in the guest ----
class JOSEError extends Error {
  static code = 'ERR_JOSE_GENERIC';
  constructor(message, extra) { super(message); this.name = this.constructor.name; this.code = this.constructor.code; if (extra) O.assign(this, extra); }
}
const joseErrors = { JOSEError };
function defErr(name, code, base) {
  const B = base || JOSEError;
  const C = ({ [name]: class extends B { static code = code; } })[name];
  joseErrors[name] = C;
  return C;
}
defErr('JWTClaimValidationFailed', 'ERR_JWT_CLAIM_VALIDATION_FAILED');
defErr('JWTExpired', 'ERR_JWT_EXPIRED');
defErr('JOSEAlgNotAllowed', 'ERR_JOSE_ALG_NOT_ALLOWED');
defErr('JOSENotSupported', 'ERR_JOSE_NOT_SUPPORTED');
defErr('JWEDecryptionFailed', 'ERR_JWE_DECRYPTION_FAILED');
defErr('JWEInvalid', 'ERR_JWE_INVALID');
defErr('JWSInvalid', 'ERR_JWS_INVALID');
defErr('JWTInvalid', 'ERR_JWT_INVALID');
defErr('JWKInvalid', 'ERR_JWK_INVALID');
defErr('JWKSInvalid', 'ERR_JWKS_INVALID');
defErr('JWKSNoMatchingKey', 'ERR_JWKS_NO_MATCHING_KEY');
defErr('JWKSMultipleMatchingKeys', 'ERR_JWKS_MULTIPLE_MATCHING_KEYS');
defErr('JWKSTimeout', 'ERR_JWKS_TIMEOUT');
defErr('JWSSignatureVerificationFailed', 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
const joseByCode = {};
for (const C of O.values(joseErrors)) joseByCode[C.code] = C;

function makeError(d) {
  if (d.kind === 'jose' && joseByCode[d.code]) {
    const extra = {};
    if (d.claim !== undefined) extra.claim = d.claim;
    if (d.reason !== undefined) extra.reason = d.reason;
    if (d.payload !== undefined) extra.payload = d.payload;
    return new joseByCode[d.code](d.message, extra);
  }
  const Ctor = d.kind === 'type' ? TypeError : d.kind === 'range' ? RangeError : Error;
  const e = new Ctor(d.message);
  if (d.name && d.name !== e.name) e.name = d.name;
  if (d.code !== undefined) e.code = d.code;
  if (d.cause !== undefined) e.cause = d.cause;
  return e;
}
function unpack(s) { const r = parse(s); if (r.e) throw makeError(r.e); return r.v; }
function call(op, payload) { return unpack(hostCall(op, stringify(payload === undefined ? null : payload))); }
function callAsync(op, payload) { return hostAsync(op, stringify(payload === undefined ? null : payload)).then(unpack); }

// ---- bytes, base64, hex, UTF-8 ----
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64IDX = {}; for (let i = 0; i < 64; i++) B64IDX[B64[i]] = i; B64IDX['-'] = 62; B64IDX['_'] = 63;
function b64encode(bytes, url) {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) { const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2]; out += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + B64[n & 63]; }
  if (i < bytes.length) {
    const n = (bytes[i] << 16) | ((i + 1 < bytes.length ? bytes[i + 1] : 0) << 8);
    out += B64[n >> 18] + B64[(n >> 12) & 63] + (i + 1 < bytes.length ? B64[(n >> 6) & 63] : '=') + '=';
  }
  return url ? out.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') : out;
}
function b64decode(str) {
  const s = String(str).replace(/[\s=]/g, '');
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  let bits = 0, acc = 0, j = 0;
  for (let i = 0; i < s.length; i++) {
    const v = B64IDX[s[i]];
    if (v === undefined) throw makeError({ kind: 'error', name: 'InvalidCharacterError', message: 'The string to be decoded is not correctly encoded.' });
    acc = (acc << 6) | v; bits += 6;
    if (bits >= 8) { bits -= 8; out[j++] = (acc >> bits) & 255; }
  }
  return out.subarray(0, j);
}
function hexEncode(bytes) { let s = ''; for (let i = 0; i < bytes.length; i++) s += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16); return s; }
function hexDecode(str) { const out = new Uint8Array(str.length >> 1); for (let i = 0; i < out.length; i++) out[i] = parseInt(str.substr(i * 2, 2), 16); return out; }
function utf8Encode(str) {
  str = String(str);
  const out = [];
  for (let i = 0; i < str.length; i++) {
    let c = str.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < str.length) { const d = str.charCodeAt(i + 1); if (d >= 0xdc00 && d <= 0xdfff) { c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00); i++; } else c = 0xfffd; }
    else if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
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
    if (b < 0x80) { c = b; n = 1; }
    else if (b >= 0xc2 && b < 0xe0) { c = b & 31; n = 2; }
    else if (b >= 0xe0 && b < 0xf0) { c = b & 15; n = 3; }
    else if (b >= 0xf0 && b < 0xf5) { c = b & 7; n = 4; }
    else { s += '\ufffd'; i++; continue; }
    if (i + n > bytes.length) { s += '\ufffd'; break; }
    let ok = true;
    for (let k = 1; k < n; k++) { const x = bytes[i + k]; if ((x & 0xc0) !== 0x80) { ok = false; break; } c = (c << 6) | (x & 63); }
    if (!ok) { s += '\ufffd'; i++; continue; }
    s += String.fromCodePoint(c);
    i += n;
  }
  return s;
}
function toBytes(data, enc) {
  if (typeof data === 'string') {
    if (enc === 'hex') return hexDecode(data);
    if (enc === 'base64' || enc === 'base64url') return b64decode(data);
    if (enc === 'latin1' || enc === 'binary') { const u = new Uint8Array(data.length); for (let i = 0; i < data.length; i++) u[i] = data.charCodeAt(i) & 255; return u; }
    return utf8Encode(data);
  }
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw new TypeError('The "data" argument must be of type string or an instance of Buffer, TypedArray, or DataView.');
}
function concat(chunks) { let n = 0; for (const c of chunks) n += c.length; const out = new Uint8Array(n); let o = 0; for (const c of chunks) { out.set(c, o); o += c.length; } return out; }
/** A Uint8Array with Node Buffer's toString(encoding), for digest() and randomBytes(). */
class ByteBuffer extends Uint8Array {
  toString(enc) {
    if (enc === 'hex') return hexEncode(this);
    if (enc === 'base64') return b64encode(this, false);
    if (enc === 'base64url') return b64encode(this, true);
    if (enc === 'latin1' || enc === 'binary') { let s = ''; for (let i = 0; i < this.length; i++) s += String.fromCharCode(this[i]); return s; }
    return utf8Decode(this);
  }
}
function encodeOut(bytes, enc) {
  if (enc === undefined) { const b = new ByteBuffer(bytes.length); b.set(bytes); return b; }
  if (enc === 'hex' || enc === 'base64' || enc === 'base64url' || enc === 'latin1' || enc === 'binary') return ByteBuffer.prototype.toString.call(bytes, enc);
  throw new TypeError('Unsupported digest encoding: ' + enc);
}

class TextEncoder { get encoding() { return 'utf-8'; } encode(s) { return utf8Encode(s === undefined ? '' : s); } }
class TextDecoder { constructor(label) { const l = String(label || 'utf-8').toLowerCase(); if (l !== 'utf-8' && l !== 'utf8') throw new RangeError('The "' + label + '" encoding is not supported'); } get encoding() { return 'utf-8'; } decode(b) { return b === undefined ? '' : utf8Decode(toBytes(b)); } }
function btoa(s) {
  s = String(s);
  const u = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) { const c = s.charCodeAt(i); if (c > 255) throw makeError({ kind: 'error', name: 'InvalidCharacterError', message: 'Invalid character' }); u[i] = c; }
  return b64encode(u, false);
}
function atob(s) { const u = b64decode(s); let out = ''; for (let i = 0; i < u.length; i++) out += String.fromCharCode(u[i]); return out; }

// ---- URLSearchParams / URL ----
function formEncode(s) { return encodeURIComponent(s).replace(/%20/g, '+').replace(/[!'()~]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()); }
function formDecode(s) { s = s.replace(/\+/g, ' '); try { return decodeURIComponent(s); } catch { return s; } }
const urlOf = new WeakMap();
class URLSearchParams {
  constructor(init) {
    this._list = [];
    if (init === undefined || init === null) return;
    if (typeof init === 'string') { this._parse(init); return; }
    if (init instanceof URLSearchParams) { this._list = init._list.map((p) => [p[0], p[1]]); return; }
    if (typeof init === 'object' && typeof init[Symbol.iterator] === 'function') { for (const p of init) { if (p.length !== 2) throw new TypeError('Each query pair must be an iterable [name, value] tuple'); this._list.push([String(p[0]), String(p[1])]); } return; }
    if (typeof init === 'object') { for (const k of O.keys(init)) this._list.push([k, String(init[k])]); return; }
    this._parse(String(init));
  }
  _parse(s) { if (s[0] === '?') s = s.slice(1); for (const part of s.split('&')) { if (!part) continue; const i = part.indexOf('='); this._list.push(i < 0 ? [formDecode(part), ''] : [formDecode(part.slice(0, i)), formDecode(part.slice(i + 1))]); } }
  _update() { const u = urlOf.get(this); if (u) u._setSearch(this.toString()); }
  get size() { return this._list.length; }
  append(k, v) { this._list.push([String(k), String(v)]); this._update(); }
  delete(k, v) { k = String(k); this._list = this._list.filter((p) => !(p[0] === k && (v === undefined || p[1] === String(v)))); this._update(); }
  get(k) { k = String(k); const p = this._list.find((x) => x[0] === k); return p ? p[1] : null; }
  getAll(k) { k = String(k); return this._list.filter((x) => x[0] === k).map((x) => x[1]); }
  has(k, v) { k = String(k); return this._list.some((x) => x[0] === k && (v === undefined || x[1] === String(v))); }
  set(k, v) { k = String(k); v = String(v); const i = this._list.findIndex((x) => x[0] === k); if (i < 0) this._list.push([k, v]); else { this._list[i][1] = v; this._list = this._list.filter((x, j) => j <= i || x[0] !== k); } this._update(); }
  sort() { this._list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)); this._update(); }
  forEach(fn, thisArg) { for (const [k, v] of this._list) fn.call(thisArg, v, k, this); }
  keys() { return this._list.map((p) => p[0])[Symbol.iterator](); }
  values() { return this._list.map((p) => p[1])[Symbol.iterator](); }
  entries() { return this._list.map((p) => [p[0], p[1]])[Symbol.iterator](); }
  [Symbol.iterator]() { return this.entries(); }
  toString() { return this._list.map((p) => formEncode(p[0]) + '=' + formEncode(p[1])).join('&'); }
}
const URL_PARTS = ['href', 'origin', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash'];
class URL {
  constructor(input, base) {
    const r = call('url.parse', { input: String(input), base: base === undefined ? undefined : String(base) });
    this._p = r;
    this._sp = new URLSearchParams(r.search);
    urlOf.set(this._sp, this);
  }
  static canParse(input, base) { try { new URL(input, base); return true; } catch { return false; } }
  _set(prop, value) { this._p = call('url.set', { href: this._p.href, prop, value: String(value) }); this._sp._list = new URLSearchParams(this._p.search)._list; }
  _setSearch(s) { this._p = call('url.set', { href: this._p.href, prop: 'search', value: s }); }
  get searchParams() { return this._sp; }
  toString() { return this._p.href; }
  toJSON() { return this._p.href; }
}
for (const part of URL_PARTS) {
  O.defineProperty(URL.prototype, part, { get() { return this._p[part]; }, set(v) { if (part !== 'origin') this._set(part, v); }, enumerable: true, configurable: true });
}

// ---- console ----
function fmt(v) {
  if (typeof v === 'string') return v;
  if (v instanceof Error) return (v.name || 'Error') + ': ' + v.message;
  if (typeof v === 'function') return '[Function' + (v.name ? ': ' + v.name : '') + ']';
  if (v === undefined) return 'undefined';
  if (typeof v === 'bigint' || typeof v === 'symbol') return String(v);
  try { const s = JSON.stringify(v); return s === undefined ? String(v) : s; } catch { return String(v); }
}
const console = {};
for (const level of ['log', 'info', 'warn', 'error', 'debug']) {
  console[level] = (...args) => { hostCall('console', stringify({ level, message: args.map(fmt).join(' ') })); };
}
console.trace = console.debug;

// ---- timers (host sleeps, capped per run and cleared when the run ends; the wall-clock limit covers them) ----
let timerSeq = 0;
const timers = new Map();
function setTimeout(fn, ms, ...args) {
  if (typeof fn !== 'function') throw new TypeError('The "callback" argument must be of type function');
  const id = ++timerSeq;
  call('timer.arm', id);
  timers.set(id, true);
  callAsync('sleep', { id, ms: Math.max(0, Number(ms) || 0) }).then(() => { if (timers.delete(id)) fn(...args); }, () => { timers.delete(id); });
  return id;
}
function clearTimeout(id) { if (timers.delete(id)) call('timer.clear', id); }

// ---- Headers / Response / fetch ----
class Headers {
  constructor(init) {
    this._m = new Map();
    if (!init) return;
    if (init instanceof Headers) init.forEach((v, k) => this.append(k, v));
    else if (typeof init[Symbol.iterator] === 'function') for (const [k, v] of init) this.append(k, v);
    else for (const k of O.keys(init)) this.append(k, init[k]);
  }
  append(k, v) { k = String(k).toLowerCase(); v = String(v); const cur = this._m.get(k); this._m.set(k, cur === undefined ? v : cur + ', ' + v); }
  set(k, v) { this._m.set(String(k).toLowerCase(), String(v)); }
  get(k) { const v = this._m.get(String(k).toLowerCase()); return v === undefined ? null : v; }
  has(k) { return this._m.has(String(k).toLowerCase()); }
  delete(k) { this._m.delete(String(k).toLowerCase()); }
  forEach(fn, thisArg) { for (const [k, v] of [...this._m].sort()) fn.call(thisArg, v, k, this); }
  entries() { return [...this._m].sort()[Symbol.iterator](); }
  keys() { return [...this._m.keys()].sort()[Symbol.iterator](); }
  values() { return [...this._m].sort().map((p) => p[1])[Symbol.iterator](); }
  [Symbol.iterator]() { return this.entries(); }
}
class Response {
  constructor(r) {
    this.status = r.status; this.statusText = r.statusText; this.ok = r.status >= 200 && r.status < 300;
    this.url = r.url; this.redirected = r.redirected; this.headers = new Headers(r.headers);
    this.type = 'basic'; this._text = r.text; this._b64 = r.b64; this.bodyUsed = false;
  }
  _consume() { if (this.bodyUsed) throw new TypeError('Body is unusable: Body has already been read'); this.bodyUsed = true; }
  async text() { this._consume(); return this._text !== undefined ? this._text : utf8Decode(b64decode(this._b64)); }
  async json() { return JSON.parse(await this.text()); }
  async arrayBuffer() { this._consume(); const b = this._b64 !== undefined ? b64decode(this._b64) : utf8Encode(this._text); return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength); }
}
async function fetch(input, init) {
  init = init || {};
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input && input.url ? String(input.url) : String(input);
  const headers = new Headers(init.headers);
  let body;
  const b = init.body;
  if (b === undefined || b === null) body = undefined;
  else if (typeof b === 'string') body = { text: b };
  else if (b instanceof URLSearchParams) { body = { text: b.toString() }; if (!headers.has('content-type')) headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8'); }
  else if (b instanceof ArrayBuffer || ArrayBuffer.isView(b)) body = { b64: b64encode(toBytes(b), false) };
  else throw new TypeError('fetch: unsupported body type; send a string, URLSearchParams or bytes');
  const r = await callAsync('fetch', { url, method: init.method ? String(init.method).toUpperCase() : 'GET', headers: [...headers], body });
  return new Response(r);
}

// ---- jose (keys are opaque handles to host keys) ----
const keyIds = new WeakMap();
const jwksIds = new WeakMap();
const release = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry((id) => { try { hostCall('jose.release', JSON.stringify(id)); } catch {} }) : null;
class KeyObject {}
function wrapKey(d) {
  if (d.secret !== undefined) return b64decode(d.secret);
  const k = O.create(KeyObject.prototype, { type: { value: d.type, enumerable: true }, algorithm: { value: d.algorithm, enumerable: true }, extractable: { value: false, enumerable: true }, usages: { value: d.usages, enumerable: true } });
  keyIds.set(k, d.id);
  if (release) release.register(k, d.id);
  return O.freeze(k);
}
function keyRef(key) {
  if (keyIds.has(key)) return { h: keyIds.get(key) };
  if (typeof key === 'function' && jwksIds.has(key)) return { jwks: jwksIds.get(key) };
  if (key instanceof Uint8Array || ArrayBuffer.isView(key) || key instanceof ArrayBuffer) return { secret: b64encode(toBytes(key), false) };
  if (key && typeof key === 'object' && typeof key.kty === 'string') return { jwk: key };
  throw new TypeError('Key must be one of type KeyObject, CryptoKey, JSON Web Key, or Uint8Array.');
}
function verifyOptions(o) {
  if (o === undefined || o === null) return undefined;
  const out = O.assign({}, o);
  if (o.currentDate instanceof Date) out.currentDate = o.currentDate.getTime();
  return out;
}
function wrapJwks(id) {
  const fn = async function jwks(protectedHeader, token) { return wrapKey(await callAsync('jose.jwksResolve', { id, protectedHeader })); };
  jwksIds.set(fn, id);
  if (release) release.register(fn, id);
  return fn;
}
async function jwtVerify(jwt, key, options) {
  if (typeof key === 'function' && !jwksIds.has(key)) key = await key(decodeProtectedHeader(jwt), { payload: String(jwt).split('.')[1] });
  const r = await callAsync('jose.jwtVerify', { jwt: String(jwt), key: keyRef(key), options: verifyOptions(options) });
  const out = { payload: r.payload, protectedHeader: r.protectedHeader };
  if (r.key) out.key = wrapKey(r.key);
  return out;
}
function decodeProtectedHeader(token) { return call('jose.decodeProtectedHeader', String(token)); }
const jose = O.freeze({
  jwtVerify,
  createRemoteJWKSet(url, options) { return wrapJwks(call('jose.createRemoteJWKSet', { url: url instanceof URL ? url.href : String(url), options: options || {} })); },
  createLocalJWKSet(jwks) { return wrapJwks(call('jose.createLocalJWKSet', jwks)); },
  async importSPKI(pem, alg, options) { return wrapKey(await callAsync('jose.import', { kind: 'spki', data: pem, alg, options })); },
  async importPKCS8(pem, alg, options) { return wrapKey(await callAsync('jose.import', { kind: 'pkcs8', data: pem, alg, options })); },
  async importX509(pem, alg, options) { return wrapKey(await callAsync('jose.import', { kind: 'x509', data: pem, alg, options })); },
  async importJWK(jwk, alg, options) { return wrapKey(await callAsync('jose.import', { kind: 'jwk', data: jwk, alg, options })); },
  decodeJwt(token) { return call('jose.decodeJwt', String(token)); },
  decodeProtectedHeader,
  base64url: O.freeze({ encode(x) { return b64encode(toBytes(x), true); }, decode(x) { return b64decode(typeof x === 'string' ? x : utf8Decode(toBytes(x))); } }),
  errors: O.freeze(O.assign({}, joseErrors)),
});

// ---- crypto (Node subset) ----
function hashLike(op, alg, key) {
  const chunks = [];
  let done = false;
  return {
    update(data, enc) { if (done) throw makeError({ kind: 'error', message: 'Digest already called', code: 'ERR_CRYPTO_HASH_FINALIZED' }); chunks.push(toBytes(data, enc)); return this; },
    digest(enc) {
      if (done) throw makeError({ kind: 'error', message: 'Digest already called', code: 'ERR_CRYPTO_HASH_FINALIZED' });
      done = true;
      return encodeOut(b64decode(call(op, { alg: String(alg), key, data: b64encode(concat(chunks), false) })), enc);
    },
  };
}
const crypto = O.freeze({
  createHash(alg) { call('crypto.checkHash', String(alg)); return hashLike('crypto.hash', alg); },
  createHmac(alg, key) { call('crypto.checkHash', String(alg)); return hashLike('crypto.hmac', alg, b64encode(toBytes(key), false)); },
  timingSafeEqual(a, b) { return call('crypto.timingSafeEqual', { a: b64encode(toBytes(a), false), b: b64encode(toBytes(b), false) }); },
  randomUUID() { return call('crypto.randomUUID'); },
  randomBytes(n) { return encodeOut(b64decode(call('crypto.randomBytes', n))); },
});
const webcrypto = O.freeze({
  randomUUID: crypto.randomUUID,
  getRandomValues(arr) { const b = b64decode(call('crypto.randomBytes', arr.byteLength)); new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength).set(b); return arr; },
});

function require(name) {
  switch (name) {
    case 'jose': return jose;
    case 'crypto': case 'node:crypto': return crypto;
    default: { const e = new Error("Cannot find module '" + name + "'"); e.code = 'MODULE_NOT_FOUND'; throw e; }
  }
}

for (const [k, v] of O.entries({ URL, URLSearchParams, TextEncoder, TextDecoder, atob, btoa, console, fetch, Headers, Response, setTimeout, clearTimeout, crypto: webcrypto })) {
  O.defineProperty(G, k, { value: v, writable: true, configurable: true, enumerable: false });
}

const makeApi = (${API_GUEST_SOURCE})(hostCall);
const mod = { exports: {} };
return {
  /** Runs the CommonJS wrapper of the Action's code. */
  load(fn) { fn.call(mod.exports, mod.exports, require, mod, '/action.js', '/'); },
  hasEntry(name) { return typeof mod.exports[name] === 'function'; },
  /** One invocation: fresh event and api objects; returns the handler's promise. */
  start(eventJson, trigger, entry) {
    // The previous run's timers were cleared on the host when it ended.
    timers.clear();
    const event = parse(eventJson);
    const api = makeApi(trigger);
    return new P((resolve) => resolve(mod.exports[entry](event, api)));
  },
  describe(e) {
    if (e instanceof Error) return stringify({ name: String(e.name), message: String(e.message) });
    let m; try { m = typeof e === 'string' ? e : stringify(e); } catch { m = String(e); }
    return stringify({ name: 'Error', message: String(m) });
  },
};
})`;

/**
 * The Node globals and built-in modules of the Action sandbox (issue 12; docs/actions-sandbox.md "What the guest
 * gets"). Each case is one piece of Action code run twice: in the sandbox, and as a plain async function in this
 * (host) Node process with Node's own `require`, `Buffer`, `structuredClone`, `AbortController`, `Request`...; the
 * two JSON results must be equal.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { executor, run } from './helpers.js';

const ex = executor();
after(() => ex.close());

type AsyncFn = (...args: unknown[]) => Promise<unknown>;
const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => AsyncFn;
const nodeRequire = createRequire(import.meta.url);
const OUT = 'OUT:';

/** What `body` (an async function body returning JSON-able data) returns in this Node process. */
async function inNode(body: string): Promise<unknown> {
  return JSON.parse(JSON.stringify(await new AsyncFunction('require', body)(nodeRequire))) as unknown;
}

/** What `body` returns inside the sandbox (the JSON in console lines of at most 2000 characters). */
async function inSandbox(body: string): Promise<unknown> {
  const r = await run(
    ex,
    `const out = JSON.stringify(await (async () => {\n${body}\n})());
for (let i = 0; i < out.length; i += 2000) console.log(${JSON.stringify(OUT)} + out.slice(i, i + 2000));
api.authentication.setUserById('u');`,
  );
  assert.equal(r.kind, 'ok', JSON.stringify(r));
  if (r.kind !== 'ok') return undefined;
  const lines = r.logs.filter((l) => l.message.startsWith(OUT)).map((l) => l.message.slice(OUT.length));
  return JSON.parse(lines.join('')) as unknown;
}

async function sameAsNode(body: string): Promise<unknown> {
  const [guest, host] = await Promise.all([inSandbox(body), inNode(body)]);
  assert.deepEqual(guest, host);
  return guest;
}

test('Buffer: encodings, concat, alloc, byteLength, compare, slices, reads and writes, toJSON, as Node', async () => {
  await sameAsNode(`
const b = Buffer.from('héllo wörld ✓', 'utf8');
const encodings = ['hex', 'base64', 'base64url', 'latin1', 'binary', 'utf8', 'utf-8', 'ascii', 'utf16le', 'ucs2'];
const out = {};
for (const e of encodings) out[e] = b.toString(e);
out.back = encodings.map((e) => Buffer.from(b.toString(e), e).toString('hex'));
out.url = [Buffer.from('-_8_-w', 'base64url').toString('hex'), Buffer.from('aGk=', 'base64url').toString(), Buffer.from('+/8', 'base64').toString('hex')];
out.concat = Buffer.concat([Buffer.from('ab'), new Uint8Array([1, 2]), Buffer.alloc(2, 'x')]).toString('hex');
out.concatLength = Buffer.concat([Buffer.from('abc'), Buffer.from('def')], 4).toString();
out.alloc = [Buffer.alloc(4).toJSON(), Buffer.alloc(5, 'ab').toString(), Buffer.alloc(4, 'aGk', 'base64url').toString(), Buffer.alloc(3, 7).toString('hex')];
out.byteLength = ['✓', 'aGk', 'abcd', 'aGk_-w'].map((s) => [Buffer.byteLength(s), Buffer.byteLength(s, 'base64'), Buffer.byteLength(s, 'base64url'), Buffer.byteLength(s, 'hex'), Buffer.byteLength(s, 'latin1')]);
out.byteLengthBytes = Buffer.byteLength(new Uint8Array(7));
out.isBuffer = [Buffer.isBuffer(b), Buffer.isBuffer(new Uint8Array(2)), Buffer.isBuffer('x'), Buffer.isBuffer(null)];
out.isEncoding = ['utf8', 'UTF-8', 'base64url', 'hex', 'latin1', 'nope', ''].map((e) => Buffer.isEncoding(e));
out.compare = [Buffer.compare(Buffer.from('a'), Buffer.from('b')), Buffer.from('b').compare(Buffer.from('a')), Buffer.from('x').compare(Buffer.from('x')), Buffer.from('x').equals(Buffer.from('x')), Buffer.from('x').equals(Buffer.from('y'))];
out.sort = [Buffer.from('c'), Buffer.from('a'), Buffer.from('b')].sort(Buffer.compare).map(String);
const s = b.slice(1, 4);
const sub = b.subarray(2);
s[0] = 0x41;
out.slices = [Buffer.isBuffer(s), Buffer.isBuffer(sub), b[1], sub.length, s.toString('hex'), b.slice(-3).toString('hex'), b.subarray(2, 5).toString()];
const n = Buffer.alloc(24);
n.writeUInt32BE(0xdeadbeef, 0);
n.writeUInt16LE(0x1234, 4);
n.writeInt32LE(-5, 6);
n.writeDoubleBE(1.5, 10);
n.writeInt8(-2, 18);
n.writeUInt16BE(513, 19);
n.writeFloatLE(0.25, 20);
out.read = [n.readUInt32BE(0), n.readUInt16LE(4), n.readInt32LE(6), n.readDoubleBE(10), n.readUInt8(0), n.readUInt32LE(0), n.readInt8(18), n.readUInt16BE(19), n.readFloatLE(20), n.readInt16BE(0), n.readUIntBE(0, 3), n.toString('hex')];
out.bigint = [n.readBigUInt64BE(0).toString(), n.readBigInt64LE(8).toString()];
out.json = [JSON.stringify(Buffer.from([1, 2, 3])), Buffer.from([1, 2]).toJSON()];
out.search = [b.indexOf('l'), b.lastIndexOf('l'), b.includes('wör'), b.indexOf(Buffer.from('o')), b.indexOf(0x6c), b.includes('zz')];
out.kinds = [b instanceof Uint8Array, Object.getPrototypeOf(Buffer.prototype) === Uint8Array.prototype, Buffer.poolSize, typeof Buffer.allocUnsafe(3).length];
out.from = [Buffer.from(new Uint8Array([5, 6, 7]).buffer, 1, 2).toString('hex'), Buffer.from([256, -1, 65]).toString('hex'), Buffer.from(Buffer.from('copy')).toString(), Buffer.from('00ff', 'hex').toJSON().data];
out.copy = (() => { const t = Buffer.alloc(4); const n = Buffer.from('abcd').copy(t, 1, 0, 2); return [n, t.toString('hex')]; })();
out.write = (() => { const t = Buffer.alloc(6); const w = t.write('hé', 1); const u = t.write('aGk', 3, 'base64url'); return [w, u, t.toString('hex')]; })();
out.fill = [Buffer.alloc(5).fill('ab').toString(), Buffer.alloc(3).fill(0x41).toString()];
out.misc = [String(Buffer.from('hi')), Buffer.from([1, 2, 3, 4]).swap16().toString('hex'), Buffer.from([0xff, 0xfe]).readInt16BE(0), b.toString('utf8', 0, 5), Buffer.from('abc').reverse().toString(), [...Buffer.from('ab').entries()]];
out.require = [require('buffer').Buffer === Buffer, require('node:buffer').Buffer === Buffer, typeof require('buffer').kMaxLength];
return out;`);
});

test('crypto: digest() and randomBytes() give Buffers, timingSafeEqual takes them, webcrypto is the global', async () => {
  await sameAsNode(`
const crypto = require('crypto');
const mac = crypto.createHmac('sha256', Buffer.from('key')).update('data').update(Buffer.from([1, 2])).digest();
const hash = crypto.createHash('sha512').update('abc', 'utf8').digest();
const random = crypto.randomBytes(16);
let lengths;
try { crypto.timingSafeEqual(Buffer.from('a'), Buffer.from('ab')); } catch (e) { lengths = [e.name, e.message]; }
return {
  mac: [Buffer.isBuffer(mac), mac.length, mac.toString('base64url'), mac.toString('hex') === crypto.createHmac('sha256', 'key').update('data').update(new Uint8Array([1, 2])).digest('hex')],
  hash: [Buffer.isBuffer(hash), hash.toString('hex'), crypto.createHash('sha256').update('00ff', 'hex').digest('base64')],
  random: [Buffer.isBuffer(random), random.length],
  timingSafeEqual: [crypto.timingSafeEqual(Buffer.from('abc'), Buffer.from('abc')), crypto.timingSafeEqual(Buffer.from('abc'), Buffer.from('abd')), lengths],
  webcrypto: [crypto.webcrypto === globalThis.crypto, crypto.subtle === globalThis.crypto.subtle, require('node:crypto') === crypto, typeof crypto.getRandomValues],
  subtleDigest: Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode('abc'))).toString('hex'),
};`);
});

test('structuredClone: nested objects, Dates, Maps, Sets, cycles, typed arrays, errors; DataCloneError on functions', async () => {
  await sameAsNode(`
const shared = { s: 1 };
const src = {
  n: 1, s: 'x', b: true, u: undefined, nul: null, neg: -0,
  d: new Date(86400000), re: /a+b/gi,
  m: new Map([['k', { v: 1 }], [2, [3]]]), set: new Set([1, 'two', 3]),
  u8: new Uint8Array([1, 2, 3]), f64: new Float64Array([1.5, -2]),
  err: new TypeError('bad'), boxed: new String('boxed'),
  a: shared, b2: shared, arr: [1, [2, [3, { deep: true }]]], sparse: [1, , 3],
  deep: { a: { b: { c: 'bottom' } } },
};
src.self = src;
const c = structuredClone(src);
const errorOf = (v) => { try { structuredClone(v); return 'cloned'; } catch (e) { return [e.name, e.constructor === DOMException, e.code, e instanceof Error]; } };
class Foo { constructor() { this.x = 1; } method() {} }
const foo = structuredClone(new Foo());
return {
  scalars: [c.n, c.s, c.b, 'u' in c, c.u === undefined, c.nul, Object.is(c.neg, -0)],
  date: [c.d instanceof Date, c.d !== src.d, c.d.getTime()],
  re: [c.re instanceof RegExp, c.re.source, c.re.flags, c.re !== src.re],
  map: [c.m instanceof Map, [...c.m], c.m.get('k') !== src.m.get('k')],
  set: [c.set instanceof Set, [...c.set]],
  typed: [c.u8 instanceof Uint8Array, Array.from(c.u8), c.u8.buffer !== src.u8.buffer, c.f64 instanceof Float64Array, Array.from(c.f64)],
  buffer: Object.getPrototypeOf(structuredClone(Buffer.from('hi'))) === Uint8Array.prototype,
  err: [c.err instanceof TypeError, c.err.message, c.err !== src.err],
  boxed: [typeof c.boxed, c.boxed instanceof String, String(c.boxed)],
  refs: [c.self === c, c.a === c.b2, c.a !== shared, c.deep.a.b.c],
  arr: [c.arr, c.sparse.length, 1 in c.sparse],
  instance: [foo instanceof Foo, foo.x, Object.getPrototypeOf(foo) === Object.prototype],
  refused: [errorOf({ f() {} }), errorOf(() => 1), errorOf(Symbol('x')), errorOf(new WeakMap()), errorOf(Promise.resolve())],
  primitives: [structuredClone(undefined) === undefined, structuredClone(5), structuredClone('s'), structuredClone(null)],
};`);
});

test('AbortController, AbortSignal (abort, timeout, any), DOMException, Event and EventTarget, as Node', async () => {
  await sameAsNode(`
const ac = new AbortController();
const seen = [];
ac.signal.addEventListener('abort', (e) => seen.push(['listener', e.type, e instanceof Event, e.target === ac.signal]));
ac.signal.onabort = () => seen.push(['onabort']);
ac.signal.addEventListener('abort', { handleEvent: (e) => seen.push(['object', e.type]) });
ac.abort();
ac.abort('again');
const r = ac.signal.reason;
const why = new AbortController();
why.abort('why');
const pre = AbortSignal.abort();
const any = AbortSignal.any([new AbortController().signal, why.signal]);
const later = new AbortController();
const any2 = AbortSignal.any([new AbortController().signal, later.signal]);
const before = any2.aborted;
later.abort(new Error('boom'));
const t = AbortSignal.timeout(10);
await new Promise((ok) => t.addEventListener('abort', ok));
const caught = (fn) => { try { fn(); return 'no error'; } catch (e) { return [e.name, e.message]; } };
const et = new EventTarget();
const got = [];
const h = (e) => got.push(e.type);
et.addEventListener('x', h, { once: true });
et.addEventListener('x', h, { once: true });
et.dispatchEvent(new Event('x'));
et.dispatchEvent(new Event('x'));
const ev = new Event('y', { cancelable: true });
ev.preventDefault();
return {
  seen, aborted: ac.signal.aborted,
  reason: [r.name, r.message, r.code, r instanceof DOMException, r instanceof Error],
  custom: why.signal.reason,
  pre: [pre.aborted, pre.reason.name],
  any: [any.aborted, any.reason, before, any2.aborted, any2.reason.message],
  timeout: [t.aborted, t.reason.name, t.reason.message, t.reason.code],
  throwIfAborted: [caught(() => pre.throwIfAborted()), caught(() => new AbortController().signal.throwIfAborted())],
  illegal: caught(() => new AbortSignal())[0],
  dom: [new DOMException('m', 'DataCloneError').code, DOMException.ABORT_ERR, DOMException.TIMEOUT_ERR, new DOMException('x').name, new DOMException('y', { name: 'NotFoundError' }).code, Object.keys(ac.signal)],
  events: [got, ev.defaultPrevented, ev.cancelable, ev.type],
};`);
});

test("events: EventEmitter (on, once, prepend, error, subclasses) and events.once, as Node's", async () => {
  await sameAsNode(`
const EventEmitter = require('events');
const { once } = require('node:events');
const e = new EventEmitter();
const got = [];
e.on('a', (x) => got.push(['on', x]));
e.once('a', (x) => got.push(['once', x]));
e.prependListener('a', () => got.push(['first']));
e.emit('a', 1);
e.emit('a', 2);
const p = once(e, 'b');
e.emit('b', 7, 8);
let err;
try { e.emit('error', new Error('bad')); } catch (x) { err = x.message; }
class Sub extends EventEmitter {}
const off = () => got.push('off');
e.on('c', off);
e.off('c', off);
return { got, onceArgs: await p, count: e.listenerCount('a'), names: e.eventNames(), err, sub: new Sub() instanceof EventEmitter,
  same: EventEmitter.EventEmitter === EventEmitter, max: e.getMaxListeners(), emitted: [e.emit('c'), e.emit('a', 3)] };`);
});

test('util: promisify, format, inspect, types, inherits, deprecate, TextEncoder/TextDecoder, as Node', async () => {
  await sameAsNode(`
const util = require('util');
const double = util.promisify((ms, cb) => setTimeout(() => cb(null, ms * 2), ms));
const fail = util.promisify((cb) => cb(new Error('nope')));
let failed;
try { await fail(); } catch (e) { failed = e.message; }
function A() {}
function B() {}
util.inherits(B, A);
const old = util.deprecate(() => 42, 'old() is deprecated', 'DEP_TEST');
return {
  format: [util.format('%s:%d:%i:%j %%', 'a', 1.5, 2.7, { x: 1 }), util.format('a', 'b', 3), util.format('%s', 'only')],
  inspect: [util.inspect({ a: [1, 2, { b: 'c' }], n: null }), util.inspect('str'), util.inspect(5), util.inspect([1, 'x']), util.inspect({ nested: { deeper: { deepest: { gone: 1 } } } })],
  promisify: [await double(5), failed],
  inherits: [new B() instanceof A, B.super_ === A],
  deprecate: old(),
  types: [util.types.isDate(new Date()), util.types.isRegExp(/x/), util.types.isPromise(Promise.resolve()), util.types.isUint8Array(Buffer.from('x')), util.types.isDate({}), util.types.isTypedArray(new Float32Array(1))],
  text: [new util.TextEncoder().encode('é').length, new util.TextDecoder().decode(new Uint8Array([0xc3, 0xa9])), util.TextEncoder === TextEncoder],
  node: require('node:util') === util,
};`);
});

test('url (legacy parse, format, resolve and the WHATWG URL) and querystring, as Node', async () => {
  await sameAsNode(`
const url = require('url');
const qs = require('querystring');
const p = url.parse('https://user:pw@Example.com:8080/p/a/t/h?query=string&a=1&a=2&x[y]=3#hash', true);
return {
  parsed: [p.protocol, p.slashes, p.auth, p.host, p.hostname, p.port, p.pathname, p.search, { ...p.query }, p.hash, p.href, p.path],
  rawQuery: url.parse('http://x.com/?a=1').query,
  format: [url.format({ protocol: 'https', hostname: 'example.com', pathname: '/x', query: { a: 1, b: ['c', 'd'] } }), url.format(p)],
  resolve: [url.resolve('http://a.com/b/c', '../d'), url.resolve('http://a.com/b/', 'e?x=1'), url.resolve('/one/two', 'three'), url.resolve('http://a.com/', 'https://b.com/z')],
  whatwg: [new url.URL('https://a.com/x?y=1').searchParams.get('y'), url.URL === URL, url.URLSearchParams === URLSearchParams],
  querystring: [{ ...qs.parse('a=1&b=2&a=3&c=%20x+y&d') }, qs.stringify({ a: [1, 2], b: 'x y', c: '', d: true }), qs.escape('a b&c/é'), qs.unescape('a%20b%zz%C3%A9'), { ...qs.parse('x[y]=1') }, { ...qs.parse('a:1;b:2', ';', ':') }, qs.encode({ z: 'é' }), { ...qs.decode('z=%C3%A9') }],
  node: [require('node:url') === url, require('node:querystring') === qs],
};`);
});

test('Request and Response: constructors, bodies read once, clone, Response.json/error/redirect, as Node', async () => {
  await sameAsNode(`
const req = new Request('https://example.com/a?b=1', { method: 'post', headers: { 'X-A': '1' }, body: JSON.stringify({ z: 1 }) });
const copy = req.clone();
const res = new Response('hello', { status: 201, statusText: 'Created', headers: { 'x-b': '2' } });
const resCopy = res.clone();
const json = Response.json({ ok: true }, { status: 202, headers: { 'x-c': '3' } });
const bin = new Response(new Uint8Array([1, 2, 3]));
const caught = async (fn) => { try { await fn(); return 'no error'; } catch (e) { return e.name; } };
const reqInfo = [req.method, req.url, req.headers.get('x-a'), req.headers.get('content-type'), req.bodyUsed, await req.json(), req.bodyUsed, await copy.text(), req.signal.aborted, req.redirect];
return {
  req: reqInfo,
  res: [res.status, res.ok, res.statusText, res.headers.get('x-b'), res.headers.get('content-type'), await resCopy.text(), await res.text(), res.bodyUsed, res.type, res.url, res.redirected],
  json: [json.status, json.headers.get('content-type'), json.headers.get('x-c'), await json.json()],
  bin: [Array.from(new Uint8Array(await bin.arrayBuffer())), bin.headers.get('content-type')],
  empty: [await new Response(null).text(), new Response().status, new Response(null, { status: 204 }).ok, await new Response().arrayBuffer().then((b) => b.byteLength)],
  errors: [await caught(() => res.text()), await caught(() => new Request('https://x.com', { body: 'x' })), await caught(() => new Request('/relative')), await caught(() => new Response('x', { status: 99 })), await caught(() => new Response('x', { status: 204 })), await caught(() => res.clone())],
  error: [Response.error().status, Response.error().type, Response.error().ok],
  redirect: [Response.redirect('https://a.com/x', 301).status, Response.redirect('https://a.com/x').headers.get('location')],
  headers: [...new Headers([['B', '2'], ['a', '1'], ['a', '3']])],
  form: new Request('https://x.com', { method: 'POST', body: new URLSearchParams({ a: 'b c' }) }).headers.get('content-type'),
  methods: [new Request('https://x.com', { method: 'patch' }).method, new Request('https://x.com', { method: 'delete' }).method, await caught(() => new Request('https://x.com', { method: 'TRACE' }))],
  fromRequest: await (async () => { const r = new Request(new Request('https://x.com/y', { method: 'PUT', body: 'b' })); return [r.method, r.url, await r.text()]; })(),
};`);
});

test('setTimeout, setInterval, setImmediate and queueMicrotask run in Node order and return Timeout objects', async () => {
  await sameAsNode(`
const order = [];
await new Promise((done) => {
  let ticks = 0;
  const i = setInterval((tag) => { order.push(tag + ++ticks); if (ticks === 3) { clearInterval(i); done(); } }, 5, 'interval');
  queueMicrotask(() => order.push('microtask'));
  const t = setTimeout(() => order.push('cleared'), 1);
  clearTimeout(t);
});
await new Promise((done) => setImmediate((a, b) => { order.push('immediate ' + a + b); done(); }, 'x', 'y'));
const t = setTimeout(() => {}, 1000);
const kinds = [typeof t, typeof t.ref, t.unref() === t, t.hasRef(), typeof +t, typeof setImmediate(() => {})];
clearTimeout(t);
let bad;
try { setTimeout('code', 1); } catch (e) { bad = [e.name, e.code]; }
return { order, kinds, bad };`);
});

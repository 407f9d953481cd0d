import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import nodeCrypto from 'node:crypto';
import { executor, run } from './helpers.js';

const ex = executor();
after(() => ex.close());
const lines = async (body: string) => {
  const r = await run(ex, `${body}\napi.authentication.setUserById('u');`);
  assert.equal(r.kind, 'ok', JSON.stringify(r));
  return r.logs.map((l) => l.message);
};

test('createHash digests match node:crypto in hex, base64 and base64url, across chained updates', async () => {
  const out = await lines(`const crypto = require('crypto');
console.log(crypto.createHash('sha256').update('héllo ').update('world').digest('hex'));
console.log(crypto.createHash('sha512').update('abc').digest('base64'));
console.log(crypto.createHash('sha1').update(new Uint8Array([1, 2, 3])).digest('base64url'));
console.log(crypto.createHash('md5').update('6869', 'hex').digest().toString('hex'));`);
  assert.deepEqual(out, [
    nodeCrypto.createHash('sha256').update('héllo ').update('world').digest('hex'),
    nodeCrypto.createHash('sha512').update('abc').digest('base64'),
    nodeCrypto
      .createHash('sha1')
      .update(Buffer.from([1, 2, 3]))
      .digest('base64url'),
    nodeCrypto.createHash('md5').update('hi').digest('hex'),
  ]);
});

test('createHmac matches node:crypto for string and byte keys', async () => {
  const out = await lines(`const { createHmac } = require('node:crypto');
console.log(createHmac('sha256', 'key').update('message').digest('hex'));
console.log(createHmac('sha256', new TextEncoder().encode('key')).update('message').digest('base64'));`);
  assert.deepEqual(out, [
    nodeCrypto.createHmac('sha256', 'key').update('message').digest('hex'),
    nodeCrypto.createHmac('sha256', 'key').update('message').digest('base64'),
  ]);
});

test('timingSafeEqual compares equal-length buffers and throws a RangeError on different lengths', async () => {
  const out = await lines(`const crypto = require('crypto');
const e = (s) => new TextEncoder().encode(s);
console.log(crypto.timingSafeEqual(e('abc'), e('abc')), crypto.timingSafeEqual(e('abc'), e('abd')));
try { crypto.timingSafeEqual(e('a'), e('ab')); } catch (err) { console.log(err.name, err.message); }`);
  assert.deepEqual(out, ['true false', 'RangeError Input buffers must have the same byte length']);
});

test('randomUUID and randomBytes', async () => {
  const out = await lines(`const crypto = require('crypto');
const b = crypto.randomBytes(16);
console.log(crypto.randomUUID(), b.length, b.toString('hex').length, b instanceof Uint8Array, globalThis.crypto.randomUUID().length);
console.log(crypto.randomBytes(16).toString('hex') === crypto.randomBytes(16).toString('hex'));`);
  assert.match(out[0]!, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12} 16 32 true 36$/);
  assert.equal(out[1], 'false');
});

test('an unknown digest, a finalized hash and a bad randomBytes size throw', async () => {
  const out = await lines(`const crypto = require('crypto');
try { crypto.createHash('nope'); } catch (e) { console.log(e.message); }
const h = crypto.createHash('sha256'); h.digest('hex');
try { h.digest('hex'); } catch (e) { console.log(e.code); }
try { crypto.randomBytes(1e9); } catch (e) { console.log(e.name); }`);
  assert.deepEqual(out, ['Digest method not supported: nope', 'ERR_CRYPTO_HASH_FINALIZED', 'RangeError']);
});

test('TextEncoder/TextDecoder, atob/btoa, URL and URLSearchParams behave as in Node', async () => {
  const out = await lines(`
console.log(new TextDecoder().decode(new TextEncoder().encode('héllo 🌍')), new TextEncoder().encode('é').length);
console.log(btoa('hello'), atob('aGVsbG8='));
const u = new URL('/path?a=1&b=x y', 'https://Example.com:8443');
u.searchParams.append('c', 'é&');
console.log(u.href, u.hostname, u.port, u.searchParams.get('b'));
console.log(new URLSearchParams({ grant_type: 'client_credentials', scope: 'a b' }).toString());`);
  const u = new URL('/path?a=1&b=x y', 'https://Example.com:8443');
  u.searchParams.append('c', 'é&');
  assert.deepEqual(out, [
    'héllo 🌍 2',
    'aGVsbG8= hello',
    `${u.href} example.com 8443 x y`,
    new URLSearchParams({ grant_type: 'client_credentials', scope: 'a b' }).toString(),
  ]);
});

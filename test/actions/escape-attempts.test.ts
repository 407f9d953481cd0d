import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { executor, run } from './helpers.js';
import type { RunResult } from '../../src/actions/contract.js';

const ex = executor();
after(() => ex.close());

/** Each probe logs what it found; "nothing" means the escape found no host object. */
async function probe(body: string): Promise<RunResult> {
  return run(
    ex,
    `
const seen = (f) => { try { const v = f(); return v === undefined ? 'nothing' : typeof v === 'object' && v && typeof v.exit === 'function' ? 'PROCESS' : typeof v; } catch (e) { return 'threw ' + e.name; } };
${body}
api.authentication.setUserById('auth0|1');`,
  );
}

const messages = (r: RunResult) => r.logs.map((l) => l.message);

test("this.constructor.constructor('return process')() finds nothing", async () => {
  const r = await probe(`console.log(seen(() => this.constructor.constructor('return process')()));
console.log(seen(() => this.constructor.constructor('return typeof process')()));
console.log(seen(() => Function('return globalThis.process')()));`);
  assert.equal(r.kind, 'ok');
  assert.deepEqual(messages(r), ['threw ReferenceError', 'string', 'nothing']);
  const r2 = await probe("console.log(this.constructor.constructor('return typeof process')());");
  assert.deepEqual(messages(r2), ['undefined']);
});

test('globalThis has no process, require, host functions or Node built-ins; Buffer and global are guest-made', async () => {
  const r =
    await probe(`console.log(typeof globalThis.process, typeof process, typeof hostCall, typeof hostAsync, typeof __hostCall, typeof module.constructor._load);
console.log(JSON.stringify(Object.getOwnPropertyNames(globalThis).filter((n) => /^(process|require|module|exports|hostCall|hostAsync|std|os|Deno|Bun|importScripts|postMessage|WebAssembly)$/.test(n))));
console.log(global === globalThis, Buffer.constructor === Function, Object.getPrototypeOf(Buffer.prototype) === Uint8Array.prototype);`);
  assert.equal(r.kind, 'ok');
  assert.deepEqual(messages(r), [
    'undefined undefined undefined undefined undefined undefined',
    '[]',
    'true true true',
  ]);
});

test("require('fs') and require('child_process') are refused at compile time and fail at run time", async () => {
  for (const m of ['fs', 'child_process']) {
    const c = await ex.compile(
      `const x = require('${m}');\nexports.onExecuteCustomTokenExchange = async () => {};`,
      'custom-token-exchange',
    );
    assert.deepEqual(c, {
      message: `Cannot find module '${m}': Baton provides jose, crypto, buffer, events, querystring, url, util; declare any other in the Action's dependencies`,
      line: 1,
      column: 11,
    });
  }
  const r = await probe(
    `for (const m of ['fs', 'child_process', 'node:fs', 'module', 'worker_threads']) { const name = m; try { require(name); console.log('LOADED ' + m); } catch (e) { console.log(e.code + ' ' + e.message); } }`,
  );
  assert.equal(r.kind, 'ok');
  assert.deepEqual(messages(r), [
    "MODULE_NOT_FOUND Cannot find module 'fs'",
    "MODULE_NOT_FOUND Cannot find module 'child_process'",
    "MODULE_NOT_FOUND Cannot find module 'node:fs'",
    "MODULE_NOT_FOUND Cannot find module 'module'",
    "MODULE_NOT_FOUND Cannot find module 'worker_threads'",
  ]);
});

test('an error thrown by a host function is a guest object whose constructor chain finds nothing', async () => {
  const r = await probe(`
for (const f of [() => new URL('not a url'), () => require('crypto').createHash('nope'), () => require('jose').decodeJwt('x.y'), () => require('crypto').timingSafeEqual(new Uint8Array(1), new Uint8Array(2))]) {
  try { f(); console.log('no error'); } catch (e) {
    console.log(e instanceof Error, e.constructor.name, seen(() => e.constructor.constructor('return process')()), seen(() => Object.getPrototypeOf(e).constructor.constructor('return this')().process));
  }
}`);
  assert.equal(r.kind, 'ok');
  assert.deepEqual(messages(r), [
    'true TypeError threw ReferenceError nothing',
    'true Error threw ReferenceError nothing',
    'true JWTInvalid threw ReferenceError nothing',
    'true RangeError threw ReferenceError nothing',
  ]);
});

test('a rejected host promise carries a guest error whose constructor chain finds nothing', async () => {
  const r = await probe(`
const jose = require('jose');
const attempts = [() => jose.jwtVerify('a.b.c', new Uint8Array(32)), () => fetch('http://127.0.0.1:1/'), () => jose.importSPKI('not a pem', 'RS256')];
for (const a of attempts) {
  try { await a(); console.log('resolved'); } catch (e) {
    console.log(e instanceof Error, seen(() => e.constructor.constructor('return process')()), seen(() => e.__proto__.__proto__.constructor.constructor('return process')()));
  }
}`);
  assert.equal(r.kind, 'ok');
  assert.deepEqual(messages(r), [
    'true threw ReferenceError threw ReferenceError',
    'true threw ReferenceError threw ReferenceError',
    'true threw ReferenceError threw ReferenceError',
  ]);
});

test('a key handle is an opaque frozen guest object', async () => {
  const r = await probe(`
const key = await require('jose').importJWK({ kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMy' }, 'HS256');
console.log(key instanceof Uint8Array);
const { publicKey } = { publicKey: await require('jose').importJWK({ kty: 'EC', crv: 'P-256', x: 'MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4', y: '4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM' }, 'ES256') };
console.log(Object.isFrozen(publicKey), JSON.stringify(Object.keys(publicKey)), seen(() => publicKey.constructor.constructor('return process')()));`);
  assert.equal(r.kind, 'ok');
  assert.deepEqual(messages(r), ['true', 'true ["type","algorithm","extractable","usages"] threw ReferenceError']);
});

test('the Node globals and modules are guest objects: their constructor chains find no process', async () => {
  const r = await probe(`
console.log(seen(() => Buffer.constructor.constructor('return process')()));
console.log(seen(() => Buffer.from('x').constructor.constructor.constructor('return globalThis.process')()));
console.log(seen(() => require('util').promisify.constructor('return process')()));
console.log(seen(() => require('events').constructor.constructor('return process')()));
console.log(seen(() => require('url').parse.constructor('return process')()));
console.log(seen(() => structuredClone.constructor('return process')()));
console.log(seen(() => AbortSignal.timeout.constructor('return process')()));
console.log(seen(() => crypto.subtle.constructor.constructor('return process')()));
console.log(seen(() => new Response('x').constructor.constructor('return process')()));
console.log(seen(() => setInterval.constructor('return process')()));
console.log(await crypto.subtle.sign.constructor('return process')().catch((e) => e.name));
console.log(typeof require('buffer').Buffer.from('x').buffer, typeof globalThis.hostCall, globalThis.eval('typeof process'));`);
  assert.equal(r.kind, 'ok');
  assert.deepEqual(messages(r), [
    'threw ReferenceError',
    'nothing',
    ...Array(8).fill('threw ReferenceError'),
    'ReferenceError',
    'object undefined undefined',
  ]);
});

test('WebCrypto and abort errors are guest DOMExceptions, never host objects', async () => {
  const r = await probe(`
const caught = async (f) => { try { await f(); return null; } catch (e) { return e; } };
const key = await crypto.subtle.importKey('raw', new Uint8Array(16), 'AES-GCM', false, ['encrypt']);
const errors = [
  await caught(() => crypto.subtle.exportKey('raw', key)),
  await caught(() => crypto.subtle.importKey('raw', new Uint8Array(3), { name: 'NOPE' }, false, ['sign'])),
  await caught(() => crypto.subtle.digest('NOPE', new Uint8Array(1))),
  await caught(() => fetch('https://example.com/', { signal: AbortSignal.abort() })),
  await caught(() => structuredClone(() => 1)),
];
for (const e of errors)
  console.log(e.name, e instanceof DOMException, Object.getPrototypeOf(e) === DOMException.prototype, seen(() => e.constructor.constructor('return process')()), typeof e.stack);`);
  assert.equal(r.kind, 'ok', JSON.stringify(r));
  assert.deepEqual(messages(r), [
    'InvalidAccessException true true threw ReferenceError string',
    'NotSupportedError true true threw ReferenceError string',
    'NotSupportedError true true threw ReferenceError string',
    'AbortError true true threw ReferenceError string',
    'DataCloneError true true threw ReferenceError string',
  ]);
});

test('the vendored libraries come only from the host’s fixed list: no other file is served', async () => {
  // `vendor` is a host call the Action cannot make (host functions are prelude arguments); what it can reach is
  // require, which knows the provided modules only.
  const r = await probe(`
for (const m of ['node:fs', 'vendor/buffer', '../prelude', 'buffer/', 'node:buffer/']) { try { require(m); console.log('LOADED ' + m); } catch (e) { console.log(e.code); } }`);
  assert.equal(r.kind, 'ok');
  assert.deepEqual(messages(r), Array(5).fill('MODULE_NOT_FOUND'));
});

/**
 * Actions written the usual Node way run unchanged (issue 12): an HMAC check with Buffer and node:crypto, Auth0's
 * cached-JWKS pattern (fetch under an AbortController timeout), an abort that fires on a slow server (the fetch
 * rejects with an AbortError and the host request is closed), setInterval under the run's timer cap, and
 * crypto.subtle interoperating with signatures and keys made by this (host) process.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import nodeCrypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import * as jose from 'jose';
import { DEFAULT_TIMERS_PER_RUN } from '../../src/actions/runtime/egress-run.js';
import { executor, run, SAMPLE_EVENT } from './helpers.js';

const ex = executor();
let server: http.Server;
let base: string;
let jwksHits = 0;
/** Whether the socket of the last `/slow` request was closed, and how many reached the server. */
let slowClosed = false;
let slowHits = 0;
const ISS = 'https://idp.example.com/';
const AUD = 'https://api.example.com';
let rsa: CryptoKeyPair;

before(async () => {
  rsa = await jose.generateKeyPair('RS256', { extractable: true });
  const jwks = { keys: [{ ...(await jose.exportJWK(rsa.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] };
  server = http.createServer((req, res) => {
    if (req.url === '/jwks') {
      jwksHits++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
    } else if (req.url?.startsWith('/slow')) {
      slowHits++;
      slowClosed = false;
      req.socket.on('close', () => (slowClosed = true));
      setTimeout(() => res.end('late'), 3000).unref();
    } else if (req.url === '/closed') {
      res.end(String(slowClosed));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await ex.close();
  server.closeAllConnections();
  await new Promise((ok) => server.close(ok));
});

const messages = (r: Awaited<ReturnType<typeof run>>) => ('logs' in r ? r.logs.map((l) => l.message) : []);

test('an HMAC check written the Node way: Buffer.from(base64url), digest() Buffer, equals, timingSafeEqual', async () => {
  const SECRET = 'whsec_0123456789abcdef';
  const body = JSON.stringify({ user: 'alice', ts: 1700000000 });
  const good = nodeCrypto.createHmac('sha256', SECRET).update(body).digest('base64url');
  const code = `
const crypto = require('node:crypto');
exports.onExecuteCustomTokenExchange = async (event, api) => {
  const [payload, sig] = event.transaction.subject_token.split('.');
  const body = Buffer.from(payload, 'base64url').toString('utf8');
  const given = Buffer.from(sig, 'base64url');
  const expected = crypto.createHmac('sha256', event.secrets.SECRET).update(body).digest();
  if (!Buffer.isBuffer(expected) || given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) {
    return api.access.rejectInvalidSubjectToken('bad signature');
  }
  console.log(given.equals(expected), expected.toString('hex').length);
  api.authentication.setUserById(JSON.parse(body).user);
};`;
  const withToken = (sig: string) => ({
    ...SAMPLE_EVENT,
    transaction: { ...SAMPLE_EVENT.transaction, subject_token: `${Buffer.from(body).toString('base64url')}.${sig}` },
  });
  const ok = await run(ex, code, { raw: true, event: withToken(good), secrets: { SECRET } });
  assert.equal(ok.kind, 'ok', JSON.stringify(ok));
  assert.deepEqual(ok.kind === 'ok' && ok.commands, [{ name: 'authentication.setUserById', args: ['alice'] }]);
  assert.deepEqual(messages(ok), ['true 64']);
  const tampered = `${good.slice(0, -2)}${good.endsWith('AA') ? 'AB' : 'AA'}`;
  const bad = await run(ex, code, { raw: true, event: withToken(tampered), secrets: { SECRET } });
  assert.deepEqual(bad.kind === 'ok' && bad.commands, [
    { name: 'access.rejectInvalidSubjectToken', args: ['bad signature'] },
  ]);
});

/** Auth0's pattern: JWKS fetched under an AbortController timeout, kept in api.cache, the key imported with jose. */
const CACHED_JWKS_ACTION = `
const { importJWK, jwtVerify, decodeProtectedHeader } = require('jose');

async function fetchJwks(url) {
  const controller = new AbortController();
  const timeout = setTimeout(() => controller.abort(), 2000);
  try {
    const response = await fetch(url, { signal: controller.signal });
    if (!response.ok) throw new Error('JWKS request failed: ' + response.status);
    return await response.json();
  } catch (err) {
    if (err.name === 'AbortError') throw new Error('JWKS request timed out');
    throw err;
  } finally {
    clearTimeout(timeout);
  }
}

exports.onExecuteCustomTokenExchange = async (event, api) => {
  const cached = api.cache.get('node-actions-jwks');
  let jwks;
  if (cached) jwks = JSON.parse(cached.value);
  else {
    jwks = await fetchJwks(event.secrets.JWKS_URL);
    api.cache.set('node-actions-jwks', JSON.stringify(jwks), { ttl: 600000 });
  }
  const { kid } = decodeProtectedHeader(event.transaction.subject_token);
  const jwk = jwks.keys.find((k) => k.kid === kid);
  if (!jwk) return api.access.rejectInvalidSubjectToken('unknown key');
  const key = await importJWK(jwk, 'RS256');
  const { payload } = await jwtVerify(event.transaction.subject_token, key, { issuer: '${ISS}', audience: '${AUD}' });
  console.log(cached ? 'from cache' : 'fetched');
  api.authentication.setUserById(payload.sub);
};`;

test("Auth0's cached-JWKS sample: fetch under an AbortController timeout, then api.cache on the next run", async () => {
  const token = await new jose.SignJWT({})
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(ISS)
    .setAudience(AUD)
    .setSubject('user-42')
    .setExpirationTime('5m')
    .sign(rsa.privateKey);
  const event = { ...SAMPLE_EVENT, transaction: { ...SAMPLE_EVENT.transaction, subject_token: token } };
  const secrets = { JWKS_URL: `${base}/jwks` };
  const hits = jwksHits;
  const first = await run(ex, CACHED_JWKS_ACTION, { raw: true, event, secrets });
  assert.equal(first.kind, 'ok', JSON.stringify(first));
  assert.deepEqual(first.kind === 'ok' && first.commands, [{ name: 'authentication.setUserById', args: ['user-42'] }]);
  assert.deepEqual(messages(first), ['fetched']);
  const second = await run(ex, CACHED_JWKS_ACTION, { raw: true, event, secrets });
  assert.deepEqual(messages(second), ['from cache']);
  assert.equal(jwksHits, hits + 1);
});

test('an abort that fires rejects the fetch with an AbortError DOMException and closes the host request', async () => {
  const r = await run(
    ex,
    `
const controller = new AbortController();
setTimeout(() => controller.abort(), 100);
try {
  await fetch('${base}/slow', { signal: controller.signal });
  console.log('answered');
} catch (e) {
  console.log(e.name, e instanceof DOMException, e.code, e.message, e === controller.signal.reason);
}
// The host closed the request: the server saw its socket close.
let closed = 'false';
for (let i = 0; i < 50 && closed !== 'true'; i++) {
  await new Promise((ok) => setTimeout(ok, 20));
  closed = await (await fetch('${base}/closed')).text();
}
console.log('server saw close', closed);
try {
  await fetch('${base}/slow?timeout', { signal: AbortSignal.timeout(100) });
} catch (e) {
  console.log(e.name, e.code, e.message);
}
try {
  await fetch('${base}/slow?pre', { signal: AbortSignal.abort() });
} catch (e) {
  console.log('pre-aborted', e.name);
}
api.authentication.setUserById('u');`,
  );
  assert.equal(r.kind, 'ok', JSON.stringify(r));
  assert.deepEqual(messages(r), [
    'AbortError true 20 This operation was aborted true',
    'server saw close true',
    'TimeoutError 23 The operation was aborted due to timeout',
    'pre-aborted AbortError',
  ]);
  // The pre-aborted fetch never reached the server: two /slow requests did.
  assert.equal(slowHits, 2);
});

test('setInterval holds one place of the timer cap, and the run end clears it: no tick after, places freed', async () => {
  const versionId = `intervals-${process.pid}`;
  const code = `let ticks = 0;
let runs = 0;
exports.onExecuteCustomTokenExchange = async (event, api) => {
  runs++;
  const start = ticks;
  const ids = [];
  for (let i = 0; i < ${DEFAULT_TIMERS_PER_RUN - 1}; i++) ids.push(setInterval(() => ticks++, 5));
  try { setInterval(() => {}, 5); setInterval(() => {}, 5); } catch (e) { console.log(e.name, e.message); }
  clearInterval(ids.pop());
  clearInterval(ids.pop());
  await new Promise((ok) => setTimeout(ok, 60));
  console.log('run', runs, 'ticked', ticks > start, 'ticks between runs', start === 0 ? 'n/a' : String(start - globalThis.lastEnd));
  globalThis.lastEnd = ticks;
  api.authentication.setUserById('u' + runs);
};`;
  const first = await run(ex, code, { raw: true, versionId });
  assert.equal(first.kind, 'ok', JSON.stringify(first));
  const cap = `RangeError setTimeout: too many live timers in one run (at most ${DEFAULT_TIMERS_PER_RUN})`;
  assert.deepEqual(messages(first), [cap, 'run 1 ticked true ticks between runs n/a']);
  await new Promise((ok) => setTimeout(ok, 100));
  const second = await run(ex, code, { raw: true, versionId });
  assert.equal(second.kind, 'ok', JSON.stringify(second));
  // The first run's 98 intervals were left running: none ticked after it ended, and their places were free.
  assert.deepEqual(messages(second), [cap, 'run 2 ticked true ticks between runs 0']);
});

test('AbortSignal.timeout holds a place of the timer cap until it fires', async () => {
  const r = await run(
    ex,
    `
for (let i = 0; i < ${DEFAULT_TIMERS_PER_RUN - 1}; i++) setTimeout(() => {}, 60000);
const last = AbortSignal.timeout(20);
try { AbortSignal.timeout(20); } catch (e) { console.log(e.name, e.message); }
await new Promise((ok) => last.addEventListener('abort', ok));
console.log('fired', last.reason.name, typeof AbortSignal.timeout(20));
api.authentication.setUserById('u');`,
  );
  assert.equal(r.kind, 'ok', JSON.stringify(r));
  assert.deepEqual(messages(r), [
    `RangeError setTimeout: too many live timers in one run (at most ${DEFAULT_TIMERS_PER_RUN})`,
    'fired TimeoutError object',
  ]);
});

test('crypto.subtle verifies host signatures and signs what the host verifies (HMAC, RSA, PSS, ECDSA, Ed25519)', async () => {
  const pair = (type: 'rsa' | 'ec' | 'ed25519') =>
    type === 'rsa'
      ? nodeCrypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
      : type === 'ec'
        ? nodeCrypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : nodeCrypto.generateKeyPairSync('ed25519');
  const rsaKeys = pair('rsa');
  const ecKeys = pair('ec');
  const edKeys = pair('ed25519');
  const der = (k: nodeCrypto.KeyObject) =>
    k.type === 'public'
      ? k.export({ type: 'spki', format: 'der' }).toString('base64')
      : k.export({ type: 'pkcs8', format: 'der' }).toString('base64');
  const data = Buffer.from('the data');
  const hmacKey = nodeCrypto.randomBytes(32);
  const host = {
    hmac: nodeCrypto.createHmac('sha256', hmacKey).update(data).digest('base64'),
    rs256: nodeCrypto.sign('sha256', data, rsaKeys.privateKey).toString('base64'),
    ps256: nodeCrypto
      .sign('sha256', data, {
        key: rsaKeys.privateKey,
        padding: nodeCrypto.constants.RSA_PKCS1_PSS_PADDING,
        saltLength: 32,
      })
      .toString('base64'),
    es256: nodeCrypto.sign('sha256', data, { key: ecKeys.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64'),
    ed25519: nodeCrypto.sign(null, data, edKeys.privateKey).toString('base64'),
  };
  const secrets = {
    HOST: JSON.stringify(host),
    HMAC: hmacKey.toString('base64'),
    RSA_PUB: der(rsaKeys.publicKey),
    RSA_PRIV: der(rsaKeys.privateKey),
    EC_JWK: JSON.stringify(ecKeys.publicKey.export({ format: 'jwk' })),
    EC_PRIV_JWK: JSON.stringify(ecKeys.privateKey.export({ format: 'jwk' })),
    ED_PUB: der(edKeys.publicKey),
    ED_PRIV: der(edKeys.privateKey),
  };
  const r = await run(
    ex,
    `
const { subtle } = require('crypto');
const s = event.secrets;
const host = JSON.parse(s.HOST);
const b = (x) => Buffer.from(x, 'base64');
const data = new TextEncoder().encode('the data');
const cases = {
  hmac: [{ name: 'HMAC' }, await subtle.importKey('raw', b(s.HMAC), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify'])],
  rs256: [{ name: 'RSASSA-PKCS1-v1_5' }, await subtle.importKey('spki', b(s.RSA_PUB), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify']),
    await subtle.importKey('pkcs8', b(s.RSA_PRIV), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign'])],
  ps256: [{ name: 'RSA-PSS', saltLength: 32 }, await subtle.importKey('spki', b(s.RSA_PUB), { name: 'RSA-PSS', hash: 'SHA-256' }, false, ['verify']),
    await subtle.importKey('pkcs8', b(s.RSA_PRIV), { name: 'RSA-PSS', hash: 'SHA-256' }, false, ['sign'])],
  es256: [{ name: 'ECDSA', hash: 'SHA-256' }, await subtle.importKey('jwk', JSON.parse(s.EC_JWK), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']),
    await subtle.importKey('jwk', JSON.parse(s.EC_PRIV_JWK), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign'])],
  ed25519: [{ name: 'Ed25519' }, await subtle.importKey('spki', b(s.ED_PUB), { name: 'Ed25519' }, false, ['verify']),
    await subtle.importKey('pkcs8', b(s.ED_PRIV), { name: 'Ed25519' }, false, ['sign'])],
};
const out = {};
for (const [name, [alg, pub, priv]] of Object.entries(cases)) {
  const sig = await subtle.sign(alg, priv || pub, data);
  out[name] = {
    host: await subtle.verify(alg, pub, b(host[name]), data),
    tampered: await subtle.verify(alg, pub, b(host[name]), new TextEncoder().encode('other data')),
    guest: Buffer.from(sig).toString('base64'),
    key: [pub instanceof CryptoKey, pub.type, pub.algorithm.name, pub.extractable, pub.usages.join()],
  };
}
console.log(JSON.stringify(out));
api.authentication.setUserById('u');`,
    { secrets },
  );
  assert.equal(r.kind, 'ok', JSON.stringify(r));
  const out = JSON.parse(messages(r)[0]!) as Record<
    string,
    { host: boolean; tampered: boolean; guest: string; key: unknown[] }
  >;
  const guest = (name: string) => Buffer.from(out[name]!.guest, 'base64');
  for (const name of Object.keys(host)) {
    assert.equal(out[name]!.host, true, `${name}: the guest verifies the host's signature`);
    assert.equal(out[name]!.tampered, false, `${name}: and refuses it over other data`);
  }
  assert.equal(guest('hmac').toString('base64'), host.hmac);
  assert.ok(nodeCrypto.verify('sha256', data, rsaKeys.publicKey, guest('rs256')));
  assert.ok(
    nodeCrypto.verify(
      'sha256',
      data,
      { key: rsaKeys.publicKey, padding: nodeCrypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
      guest('ps256'),
    ),
  );
  assert.ok(nodeCrypto.verify('sha256', data, { key: ecKeys.publicKey, dsaEncoding: 'ieee-p1363' }, guest('es256')));
  assert.ok(nodeCrypto.verify(null, data, edKeys.publicKey, guest('ed25519')));
  assert.deepEqual(out.rs256!.key, [true, 'public', 'RSASSA-PKCS1-v1_5', false, 'verify']);
  assert.deepEqual(out.hmac!.key, [true, 'secret', 'HMAC', false, 'sign,verify']);
});

test('crypto.subtle: generateKey, exportKey, AES-GCM both ways, a subtle key in jose.jwtVerify, DOMException errors', async () => {
  const aes = nodeCrypto.randomBytes(32);
  const iv = nodeCrypto.randomBytes(12);
  const cipher = nodeCrypto.createCipheriv('aes-256-gcm', aes, iv);
  const sealed = Buffer.concat([cipher.update('from the host'), cipher.final(), cipher.getAuthTag()]);
  const token = await new jose.SignJWT({})
    .setProtectedHeader({ alg: 'RS256' })
    .setSubject('via-subtle')
    .sign(rsa.privateKey);
  const spki = Buffer.from(await crypto.subtle.exportKey('spki', rsa.publicKey)).toString('base64');
  const r = await run(
    ex,
    `
const { subtle } = globalThis.crypto;
const jose = require('jose');
const s = event.secrets;
const b = (x) => Buffer.from(x, 'base64');
const pair = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
const sig = await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, pair.privateKey, new TextEncoder().encode('x'));
const jwk = await subtle.exportKey('jwk', pair.publicKey);
const aes = await subtle.importKey('raw', b(s.AES), 'AES-GCM', false, ['encrypt', 'decrypt']);
const opened = new TextDecoder().decode(await subtle.decrypt({ name: 'AES-GCM', iv: b(s.IV) }, aes, b(s.SEALED)));
const sealed = await subtle.encrypt({ name: 'AES-GCM', iv: b(s.IV) }, aes, new TextEncoder().encode('from the guest'));
const rsaKey = await subtle.importKey('spki', b(s.SPKI), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify']);
const { payload } = await jose.jwtVerify(s.TOKEN, rsaKey);
const errorOf = async (fn) => { try { await fn(); return 'no error'; } catch (e) { return [e.name, e instanceof DOMException, e.constructor === DOMException]; } };
console.log(JSON.stringify({
  pair: [pair.publicKey.type, pair.privateKey.type, pair.privateKey.extractable, jwk.kty, jwk.crv],
  sig: Buffer.from(sig).toString('base64'),
  jwk,
  opened,
  sealed: Buffer.from(sealed).toString('base64'),
  jose: payload.sub,
  digest: Buffer.from(await subtle.digest({ name: 'SHA-1' }, new TextEncoder().encode('abc'))).toString('hex'),
  errors: [
    await errorOf(() => subtle.exportKey('raw', aes)),
    await errorOf(() => subtle.sign('HMAC', rsaKey, new Uint8Array(1))),
    await errorOf(() => subtle.importKey('raw', new Uint8Array(3), { name: 'NOPE' }, false, ['sign'])),
    await errorOf(() => subtle.decrypt({ name: 'AES-GCM', iv: b(s.IV) }, aes, new Uint8Array(40))),
    await errorOf(() => subtle.sign('HMAC', { type: 'secret' }, new Uint8Array(1))),
  ],
}));
api.authentication.setUserById('u');`,
    {
      secrets: {
        AES: aes.toString('base64'),
        IV: iv.toString('base64'),
        SEALED: sealed.toString('base64'),
        TOKEN: token,
        SPKI: spki,
      },
    },
  );
  assert.equal(r.kind, 'ok', JSON.stringify(r));
  const out = JSON.parse(messages(r)[0]!) as {
    pair: unknown[];
    sig: string;
    jwk: nodeCrypto.JsonWebKey;
    opened: string;
    sealed: string;
    jose: string;
    digest: string;
    errors: unknown[];
  };
  assert.deepEqual(out.pair, ['public', 'private', true, 'EC', 'P-256']);
  const pub = nodeCrypto.createPublicKey({ key: out.jwk, format: 'jwk' });
  assert.ok(
    nodeCrypto.verify(
      'sha256',
      Buffer.from('x'),
      { key: pub, dsaEncoding: 'ieee-p1363' },
      Buffer.from(out.sig, 'base64'),
    ),
  );
  assert.equal(out.opened, 'from the host');
  const box = Buffer.from(out.sealed, 'base64');
  const decipher = nodeCrypto.createDecipheriv('aes-256-gcm', aes, iv);
  decipher.setAuthTag(box.subarray(-16));
  assert.equal(Buffer.concat([decipher.update(box.subarray(0, -16)), decipher.final()]).toString(), 'from the guest');
  assert.equal(out.jose, 'via-subtle');
  assert.equal(out.digest, nodeCrypto.createHash('sha1').update('abc').digest('hex'));
  assert.deepEqual(out.errors, [
    // Node's own name for this one (lib/internal/crypto/webcrypto.js), passed through as Node reports it.
    ['InvalidAccessException', true, true],
    ['InvalidAccessError', true, true],
    ['NotSupportedError', true, true],
    ['OperationError', true, true],
    ['TypeError', false, false],
  ]);
});

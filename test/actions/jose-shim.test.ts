import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as jose from 'jose';
import { executor, run, SAMPLE_EVENT } from './helpers.js';

const ex = executor();
let server: http.Server;
let jwksUrl: string;
let jwksHits = 0;
const keys: Record<string, CryptoKeyPair> = {};
const HS_SECRET = 'a-shared-secret-of-at-least-32-bytes!!';
const ISS = 'https://idp.example.com/';
const AUD = 'https://api.example.com';

before(async () => {
  for (const alg of ['RS256', 'PS256', 'ES256']) keys[alg] = await jose.generateKeyPair(alg, { extractable: true });
  const jwks = {
    keys: await Promise.all(
      ['RS256', 'ES256'].map(async (alg) => ({
        ...(await jose.exportJWK(keys[alg]!.publicKey)),
        kid: `k-${alg}`,
        alg,
        use: 'sig',
      })),
    ),
  };
  server = http.createServer((req, res) => {
    jwksHits++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
});
after(async () => {
  await ex.close();
  await new Promise((ok) => server.close(ok));
});

async function sign(
  alg: string,
  claims: Record<string, unknown> = {},
  opts: { exp?: string | number; aud?: string; kid?: string } = {},
): Promise<string> {
  const key = alg === 'HS256' ? new TextEncoder().encode(HS_SECRET) : keys[alg]!.privateKey;
  return new jose.SignJWT({ ...claims })
    .setProtectedHeader({ alg, kid: opts.kid ?? `k-${alg}` })
    .setIssuer(ISS)
    .setAudience(opts.aud ?? AUD)
    .setSubject('user-123')
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? '5m')
    .sign(key);
}

const withToken = (token: string) => ({
  ...SAMPLE_EVENT,
  transaction: { ...SAMPLE_EVENT.transaction, subject_token: token },
});
const spki = async (alg: string) => jose.exportSPKI(keys[alg]!.publicKey);

const VERIFY_WITH_SPKI = `
const jose = require('jose');
const key = await jose.importSPKI(event.secrets.PEM, event.secrets.ALG);
const { payload, protectedHeader } = await jose.jwtVerify(event.transaction.subject_token, key, { issuer: '${ISS}', audience: '${AUD}' });
console.log(protectedHeader.alg, payload.sub);
api.authentication.setUserById('auth0|' + payload.sub);`;

for (const alg of ['RS256', 'PS256', 'ES256']) {
  test(`verifies an ${alg} JWT with a key imported by importSPKI`, async () => {
    const r = await run(ex, VERIFY_WITH_SPKI, {
      event: withToken(await sign(alg)),
      secrets: { PEM: await spki(alg), ALG: alg },
    });
    assert.equal(r.kind, 'ok', JSON.stringify(r));
    assert.deepEqual(r.logs, [{ level: 'log', message: `${alg} user-123` }]);
    assert.deepEqual(r.commands, [{ name: 'authentication.setUserById', args: ['auth0|user-123'] }]);
  });
}

test('verifies an HS256 JWT with a TextEncoder-encoded secret and with importJWK', async () => {
  const token = await sign('HS256');
  const r = await run(
    ex,
    `
const jose = require('jose');
const a = await jose.jwtVerify(event.transaction.subject_token, new TextEncoder().encode(event.secrets.HS), { algorithms: ['HS256'] });
const k = await jose.importJWK({ kty: 'oct', k: jose.base64url.encode(event.secrets.HS) }, 'HS256');
const b = await jose.jwtVerify(event.transaction.subject_token, k, { audience: '${AUD}' });
console.log(a.payload.sub, b.payload.iss);
api.authentication.setUserById(a.payload.sub);`,
    { event: withToken(token), secrets: { HS: HS_SECRET } },
  );
  assert.equal(r.kind, 'ok', JSON.stringify(r));
  assert.deepEqual(r.logs, [{ level: 'log', message: `user-123 ${ISS}` }]);
});

test('verifies ES256 with importJWK and RS256/ES256 with a local JWKS', async () => {
  const esJwk = await jose.exportJWK(keys.ES256!.publicKey);
  const r = await run(
    ex,
    `
const jose = require('jose');
const k = await jose.importJWK(JSON.parse(event.secrets.JWK), 'ES256');
const jwks = jose.createLocalJWKSet(JSON.parse(event.secrets.JWKS));
const [es, rs] = event.transaction.subject_token.split(' ');
console.log((await jose.jwtVerify(es, k)).payload.sub, (await jose.jwtVerify(es, jwks)).protectedHeader.kid, (await jose.jwtVerify(rs, jwks)).protectedHeader.kid);
api.authentication.setUserById('u');`,
    {
      event: withToken(`${await sign('ES256')} ${await sign('RS256')}`),
      secrets: {
        JWK: JSON.stringify(esJwk),
        JWKS: JSON.stringify({
          keys: [
            { ...(await jose.exportJWK(keys.RS256!.publicKey)), kid: 'k-RS256' },
            { ...esJwk, kid: 'k-ES256' },
          ],
        }),
      },
    },
  );
  assert.equal(r.kind, 'ok', JSON.stringify(r));
  assert.deepEqual(r.logs, [{ level: 'log', message: 'user-123 k-ES256 k-RS256' }]);
});

test('verifies RS256 and ES256 JWTs with createRemoteJWKSet over a local JWKS endpoint, fetched once per version', async () => {
  const code = `
const jose = require('jose');
const JWKS = jose.createRemoteJWKSet(new URL('${jwksUrl}'));
exports.onExecuteCustomTokenExchange = async (event, api) => {
  const { payload, protectedHeader } = await jose.jwtVerify(event.transaction.subject_token, JWKS, { issuer: '${ISS}', audience: '${AUD}' });
  console.log(protectedHeader.kid, payload.sub);
  api.authentication.setUserById(payload.sub);
};`;
  jwksHits = 0;
  const r1 = await run(ex, code, { raw: true, versionId: 'remote-jwks', event: withToken(await sign('RS256')) });
  const r2 = await run(ex, code, { raw: true, versionId: 'remote-jwks', event: withToken(await sign('ES256')) });
  assert.equal(r1.kind, 'ok', JSON.stringify(r1));
  assert.equal(r2.kind, 'ok', JSON.stringify(r2));
  assert.deepEqual(
    [...r1.logs, ...r2.logs].map((l) => l.message),
    ['k-RS256 user-123', 'k-ES256 user-123'],
  );
  assert.equal(jwksHits, 1);
});

const CLASSIFY = `
const jose = require('jose');
const key = await jose.importSPKI(event.secrets.PEM, 'RS256');
try {
  await jose.jwtVerify(event.transaction.subject_token, key, { issuer: '${ISS}', audience: '${AUD}' });
  console.log('valid');
} catch (e) {
  console.log(e.code, e.name, e instanceof jose.errors.JWTExpired, e instanceof jose.errors.JWTClaimValidationFailed, e instanceof jose.errors.JWSSignatureVerificationFailed, e instanceof jose.errors.JOSEError, e instanceof Error, String(e.claim), String(e.reason));
  api.access.rejectInvalidSubjectToken(e.message);
}`;

test('an expired JWT throws JWTExpired with code ERR_JWT_EXPIRED, usable with instanceof', async () => {
  const r = await run(ex, CLASSIFY, {
    event: withToken(await sign('RS256', {}, { exp: Math.floor(Date.now() / 1000) - 60 })),
    secrets: { PEM: await spki('RS256') },
  });
  assert.equal(r.kind, 'ok', JSON.stringify(r));
  assert.deepEqual(
    r.logs.map((l) => l.message),
    ['ERR_JWT_EXPIRED JWTExpired true false false true true exp check_failed'],
  );
  assert.deepEqual(r.commands, [
    { name: 'access.rejectInvalidSubjectToken', args: ['"exp" claim timestamp check failed'] },
  ]);
});

test('a wrong audience throws JWTClaimValidationFailed with code ERR_JWT_CLAIM_VALIDATION_FAILED', async () => {
  const r = await run(ex, CLASSIFY, {
    event: withToken(await sign('RS256', {}, { aud: 'https://other' })),
    secrets: { PEM: await spki('RS256') },
  });
  assert.deepEqual(
    r.logs.map((l) => l.message),
    ['ERR_JWT_CLAIM_VALIDATION_FAILED JWTClaimValidationFailed false true false true true aud check_failed'],
  );
});

test('a bad signature throws JWSSignatureVerificationFailed with code ERR_JWS_SIGNATURE_VERIFICATION_FAILED', async () => {
  const good = await sign('RS256');
  const [h, p] = good.split('.');
  const forged = `${h}.${p}.${jose.base64url.encode(new Uint8Array(256))}`;
  const r = await run(ex, CLASSIFY, { event: withToken(forged), secrets: { PEM: await spki('RS256') } });
  assert.deepEqual(
    r.logs.map((l) => l.message),
    [
      'ERR_JWS_SIGNATURE_VERIFICATION_FAILED JWSSignatureVerificationFailed false false true true true undefined undefined',
    ],
  );
});

test('decodeJwt and decodeProtectedHeader; a garbage token throws JWTInvalid; error classes carry static codes', async () => {
  const r = await run(
    ex,
    `
const jose = require('jose');
const p = jose.decodeJwt(event.transaction.subject_token);
const h = jose.decodeProtectedHeader(event.transaction.subject_token);
console.log(p.sub, p.iss, h.alg, h.kid);
try { jose.decodeJwt('garbage'); } catch (e) { console.log(e.code, e instanceof jose.errors.JWTInvalid); }
console.log(jose.errors.JWTExpired.code, jose.errors.JWKSNoMatchingKey.code, new jose.errors.JWTExpired('m').code);
api.authentication.setUserById('u');`,
    { event: withToken(await sign('ES256')) },
  );
  assert.equal(r.kind, 'ok', JSON.stringify(r));
  assert.deepEqual(
    r.logs.map((l) => l.message),
    [
      `user-123 ${ISS} ES256 k-ES256`,
      'ERR_JWT_INVALID true',
      'ERR_JWT_EXPIRED ERR_JWKS_NO_MATCHING_KEY ERR_JWT_EXPIRED',
    ],
  );
});

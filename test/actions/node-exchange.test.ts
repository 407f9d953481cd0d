/**
 * An Action using Node's Buffer, `node:buffer` and a digest Buffer, created and deployed through the Management API
 * as an operator would, answering a real token exchange (issue 12: Node Action code runs unchanged).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import nodeCrypto from 'node:crypto';
import { decodeJwt } from 'jose';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { setupExchange, type ExchangeFixture } from '../helpers/exchange.js';

const ACTION = `
const { Buffer: NodeBuffer } = require('node:buffer');
const crypto = require('crypto');
exports.onExecuteCustomTokenExchange = async (event, api) => {
  const [body, mac] = event.transaction.subject_token.split('.');
  const expected = crypto.createHash('sha256').update(NodeBuffer.from(body, 'base64url')).digest();
  if (!Buffer.isBuffer(expected) || !expected.equals(Buffer.from(mac || '', 'hex'))) {
    return api.access.rejectInvalidSubjectToken('Subject token digest does not match');
  }
  const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  api.authentication.setUserByConnection('legacy-idp', { user_id: claims.uid, email: claims.email },
    { creationBehavior: 'create_if_not_exists', updateBehavior: 'none' });
};`;

let t: TestApp;
let fx: ExchangeFixture;
before(async () => {
  t = await startTestApp();
  fx = await setupExchange(t, { code: ACTION });
});
after(() => t.close());

const subjectToken = (claims: Record<string, unknown>) => {
  const body = Buffer.from(JSON.stringify(claims));
  return `${body.toString('base64url')}.${nodeCrypto.createHash('sha256').update(body).digest('hex')}`;
};

test('a deployed Action using Buffer answers the exchange with 200 and the user it named', async () => {
  const res = await fx.exchange({ subject_token: subjectToken({ uid: 'buf-1', email: 'buf-1@example.com' }) });
  assert.equal(res.statusCode, 200, res.body);
  const body = res.json<{ access_token: string; token_type: string; issued_token_type: string }>();
  assert.equal(body.token_type, 'Bearer');
  assert.equal(body.issued_token_type, 'urn:ietf:params:oauth:token-type:access_token');
  assert.equal(decodeJwt(body.access_token).sub, 'oidc|legacy-idp|buf-1');
});

test("the same Action's Buffer check refuses a tampered token: 400 invalid_request with its reason", async () => {
  const good = subjectToken({ uid: 'buf-2' });
  const res = await fx.exchange({ subject_token: `${good.slice(0, -1)}${good.endsWith('0') ? '1' : '0'}` });
  assert.equal(res.statusCode, 400, res.body);
  assert.deepEqual(res.json(), {
    error: 'invalid_request',
    error_description: 'Subject token digest does not match',
  });
});

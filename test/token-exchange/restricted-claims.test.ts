/**
 * L4 (issue 10): a post-login Action cannot set the claims Auth0 restricts ("Create Custom Claims", General
 * restrictions: `amr`, `acr`, `may_act`, `c_hash`, ...). As on Auth0, the transaction does not fail: the custom claim
 * is left out of the token, and every other custom claim is kept.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { setupExchange, deployAction, bindPostLogin, type ExchangeFixture } from '../helpers/exchange.js';
import { RESTRICTED_CLAIMS } from '../../src/tokens/user-claims.js';

// Auth0's list, as its documentation spells it (https://auth0.com/docs/secure/tokens/json-web-tokens/create-custom-claims).
const AUTH0_RESTRICTED = [
  'acr',
  'act',
  'active',
  'amr',
  'at_hash',
  'ath',
  'attest',
  'aud',
  'auth_time',
  'authorization_details',
  'azp',
  'c_hash',
  'client_id',
  'cnf',
  'cty',
  'dest',
  'entitlements',
  'events',
  'exp',
  'groups',
  'gty',
  'htm',
  'htu',
  'iat',
  'internalService',
  'iss',
  'jcard',
  'jku',
  'jti',
  'jwe',
  'jwk',
  'kid',
  'may_act',
  'mky',
  'nbf',
  'nonce',
  'object_id',
  'org_id',
  'org_name',
  'orig',
  'origid',
  'permissions',
  'roles',
  'rph',
  's_hash',
  'sid',
  'sip_callid',
  'sip_cseq_num',
  'sip_date',
  'sip_from_tag',
  'sip_via_branch',
  'sub',
  'sub_jwk',
  'toe',
  'txn',
  'typ',
  'uuid',
  'vot',
  'vtm',
  'x5t#S256',
];
const FORGED = 'forged-by-action';

const ACTION = `
exports.onExecuteCustomTokenExchange = async (event, api) => {
  api.authentication.setUserByConnection('legacy-idp', { user_id: 'rc-1', email: 'rc1@example.com' },
    { creationBehavior: 'create_if_not_exists', updateBehavior: 'none' });
};`;

let t: TestApp;
let fx: ExchangeFixture;

before(async () => {
  t = await startTestApp();
  fx = await setupExchange(t, { code: ACTION });
  const claims = await deployAction(
    t,
    'restricted-claims',
    `
const names = ${JSON.stringify(AUTH0_RESTRICTED)};
exports.onExecutePostLogin = async (event, api) => {
  for (const n of names) { api.accessToken.setCustomClaim(n, '${FORGED}'); api.idToken.setCustomClaim(n, '${FORGED}'); }
  api.accessToken.setCustomClaim('https://example.com/tier', 'gold');
  api.idToken.setCustomClaim('tier', 'gold');
};`,
    'post-login',
  );
  await bindPostLogin(t, [claims]);
});
after(() => t.close());

test('every claim Auth0 restricts is in Baton’s restricted set', () => {
  assert.deepEqual(
    AUTH0_RESTRICTED.filter((c) => !RESTRICTED_CLAIMS.has(c)),
    [],
  );
});

test('post-login cannot set amr, acr, may_act, c_hash or any other restricted claim; other custom claims pass', async () => {
  const res = await fx.exchange({ scope: 'openid' });
  assert.equal(res.statusCode, 200, res.body);
  const at = decodeJwt(res.json().access_token);
  const id = decodeJwt(res.json().id_token);
  for (const [name, token] of [
    ['access token', at],
    ['ID token', id],
  ] as const) {
    const forged = AUTH0_RESTRICTED.filter((c) => JSON.stringify(token[c]) === JSON.stringify(FORGED));
    assert.deepEqual(forged, [], `restricted claims set by the Action in the ${name}`);
  }
  for (const c of ['amr', 'acr', 'may_act', 'c_hash', 'roles', 'groups', 'sid', 'auth_time', 'cnf']) {
    assert.equal(at[c], undefined, `access token ${c}`);
    assert.equal(id[c], undefined, `ID token ${c}`);
  }
  assert.equal(at['https://example.com/tier'], 'gold');
  assert.equal(id.tier, 'gold');
  assert.equal(at.sub, 'oidc|legacy-idp|rc-1');
  assert.equal(id.aud, fx.clientId);
});

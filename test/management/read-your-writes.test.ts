/**
 * Read-your-writes on one node (issue 13, docs/deployment.md "Consistency: what a node reads"): login counters and
 * tenant log entries are written behind the response, yet a Management API read right after an exchange sees it.
 * Long write-behind intervals make the point: without the flush before the read, both reads would be stale.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { DIALECTS, startTestApp, type TestApp } from '../helpers/app.js';
import { setupExchange, type ExchangeFixture } from '../helpers/exchange.js';

const ACTION = `
exports.onExecuteCustomTokenExchange = async (event, api) => {
  const id = event.transaction.subject_token.split(':')[1];
  api.authentication.setUserByConnection('legacy-idp', { user_id: id, email: id + '@example.com' },
    { creationBehavior: 'create_if_not_exists', updateBehavior: 'none' });
};`;

for (const dialect of DIALECTS) {
  describe(`read-your-writes (${dialect})`, () => {
    let t: TestApp;
    let fx: ExchangeFixture;
    before(async () => {
      t = await startTestApp({ dialect });
      fx = await setupExchange(t, { code: ACTION });
    });
    after(() => t.close());

    async function exchanged(user: string) {
      const res = await fx.exchange({ subject_token: `legacy:${user}` });
      assert.equal(res.statusCode, 200, res.body);
      return decodeJwt(res.json<{ access_token: string }>().access_token);
    }

    test('two exchanges, then GET /users/{id}, the list and the search show logins_count 2', async () => {
      await exchanged('ryw-1');
      const { sub } = await exchanged('ryw-1');
      const user = await t.api('GET', `/users/${encodeURIComponent(String(sub))}`);
      assert.equal(user.statusCode, 200, user.body);
      assert.equal(user.json<{ logins_count: number }>().logins_count, 2);
      assert.ok(user.json<{ last_login?: string }>().last_login);
      await exchanged('ryw-1');
      const search = await t.api('GET', `/users?q=${encodeURIComponent('email:"ryw-1@example.com"')}`);
      assert.equal(search.statusCode, 200, search.body);
      assert.deepEqual(
        search.json<Array<{ logins_count: number }>>().map((u) => u.logins_count),
        [3],
      );
      await exchanged('ryw-1');
      const byEmail = await t.api('GET', `/users-by-email?email=ryw-1%40example.com`);
      assert.deepEqual(
        byEmail.json<Array<{ logins_count: number }>>().map((u) => u.logins_count),
        [4],
      );
    });

    test('an exchange, then GET /api/v2/logs and /logs/{id} show its secte entry', async () => {
      const { jti } = await exchanged('ryw-2');
      const list = await t.api('GET', '/logs?q=type:secte&per_page=1');
      assert.equal(list.statusCode, 200, list.body);
      const [entry] = list.json<Array<{ log_id: string; details: { access_token_jti: string } }>>();
      assert.equal(entry?.details.access_token_jti, jti);
      const { jti: next } = await exchanged('ryw-2');
      const again = await t.api('GET', '/logs?q=type:secte&per_page=1');
      const [newest] = again.json<Array<{ log_id: string; details: { access_token_jti: string } }>>();
      assert.equal(newest?.details.access_token_jti, next);
      const one = await t.api('GET', `/logs/${newest!.log_id}`);
      assert.equal(one.statusCode, 200);
    });
  });
}

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, DIALECTS, type TestApp } from '../helpers/app.js';
import { isReservedTokenType, validateSubjectTokenType } from '../../src/token-exchange/profiles.js';

/**
 * Actions rows are written straight into the `actions` table: the profile API reads only `id`, `trigger_id` and
 * `deployed_version_id` (spec section 3.5), and these tests must not depend on how Actions are deployed.
 */
async function insertAction(
  t: TestApp,
  id: string,
  opts: { trigger?: string; deployed?: boolean } = {},
): Promise<void> {
  const now = new Date().toISOString();
  await t.ctx.storage.db
    .insertInto('actions')
    .values({
      id,
      name: `action-${id}`,
      trigger_id: opts.trigger ?? 'custom-token-exchange',
      trigger_version: 'v1',
      code: 'exports.onExecuteCustomTokenExchange = async () => {};',
      runtime: 'node22',
      dependencies: '[]',
      secrets_enc: '',
      secret_names: '[]',
      status: 'built',
      deployed_version_id: opts.deployed === false ? null : `${id}-v1`,
      all_changes_deployed: opts.deployed === false ? 0 : 1,
      created_at: now,
      updated_at: now,
    })
    .execute();
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const bad = (message: string, errorCode = 'invalid_body') => ({
  statusCode: 400,
  error: 'Bad Request',
  message,
  errorCode,
});

describe('subject_token_type rules (spec 3.1, 4.3; DESIGN D3, D4)', () => {
  test('reserved namespaces are refused case-insensitively; others are not', () => {
    for (const v of [
      'http://auth0.com/x',
      'https://auth0.com/x',
      'http://okta.com/x',
      'https://okta.com/x',
      'urn:ietf:params:oauth:token-type:jwt',
      'urn:auth0:thing',
      'urn:okta:thing',
      'URN:IETF:params:x',
      'HTTPS://Auth0.com/x',
      'Urn:Okta:x',
    ])
      assert.equal(isReservedTokenType(v), true, v);
    for (const v of [
      'urn:acme:legacy-token',
      'https://acme.com/legacy-token',
      'http://acme.com/legacy-token',
      'urn:fastmcp:mcp',
    ]) {
      assert.equal(isReservedTokenType(v), false, v);
    }
  });

  test('8 to 100 characters, http(s) or urn URIs only', () => {
    for (const v of [
      'urn:acme:legacy-token',
      'https://acme.com/legacy-token',
      'http://acme.com/legacy-token',
      'urn:fastmcp:mcp',
      `urn:acme:${'x'.repeat(91)}`,
    ]) {
      assert.equal(validateSubjectTokenType(v), null, v);
    }
    assert.equal(validateSubjectTokenType('urn:a:b'), 'must be at least 8 characters');
    assert.equal(validateSubjectTokenType(`urn:acme:${'x'.repeat(92)}`), 'must be at most 100 characters');
    assert.equal(
      validateSubjectTokenType('ftp://acme.com/token'),
      'must be a URI starting with https://, http:// or urn:',
    );
    assert.equal(
      validateSubjectTokenType('acme-legacy-token'),
      'must be a URI starting with https://, http:// or urn:',
    );
    assert.equal(validateSubjectTokenType('https:acme.com/x'), 'must be an absolute http(s) URL');
    assert.equal(validateSubjectTokenType('urn:acme legacy:x'), 'must be a URI without spaces or control characters');
    assert.equal(validateSubjectTokenType('urn:-acme:token'), 'must be a valid URN (urn:<namespace>:<name>)');
    assert.equal(validateSubjectTokenType('urn:acmetoken'), 'must be a valid URN (urn:<namespace>:<name>)');
    assert.equal(validateSubjectTokenType(42), 'must be a string');
  });
});

for (const dialect of DIALECTS) {
  describe(`token exchange profiles (${dialect})`, () => {
    let t: TestApp;
    const body = (over: Record<string, unknown> = {}) => ({
      name: 'Legacy tokens',
      subject_token_type: 'urn:acme:legacy-token',
      action_id: 'act_cte',
      type: 'custom_authentication',
      ...over,
    });
    before(async () => {
      t = await startTestApp({ dialect });
      await insertAction(t, 'act_cte');
      await insertAction(t, 'act_cte2');
      await insertAction(t, 'act_draft', { deployed: false });
      await insertAction(t, 'act_login', { trigger: 'post-login' });
    });
    after(() => t.close());

    test('create (201), read, list, update (200, no body) and delete (204)', async () => {
      const created = await t.api(
        'POST',
        '/token-exchange-profiles',
        body({ subject_token_type: 'https://acme.com/legacy-token' }),
      );
      assert.equal(created.statusCode, 201);
      const p = created.json();
      assert.match(p.id, /^tep_[A-Za-z0-9]{16}$/);
      assert.match(p.created_at, ISO);
      assert.deepEqual(p, {
        id: p.id,
        name: 'Legacy tokens',
        subject_token_type: 'https://acme.com/legacy-token',
        action_id: 'act_cte',
        type: 'custom_authentication',
        created_at: p.created_at,
        updated_at: p.created_at,
      });

      const got = await t.api('GET', `/token-exchange-profiles/${p.id}`);
      assert.equal(got.statusCode, 200);
      assert.deepEqual(got.json(), p);
      assert.deepEqual((await t.api('GET', '/token-exchange-profiles')).json(), { token_exchange_profiles: [p] });

      // The token endpoint's lookup sees the new profile at once, by exact match only (spec 3.4).
      assert.equal((await t.ctx.profileLookup.find('https://acme.com/legacy-token'))?.id, p.id);
      assert.equal(await t.ctx.profileLookup.find('https://ACME.com/legacy-token'), undefined);

      await new Promise((r) => setTimeout(r, 5));
      const patched = await t.api('PATCH', `/token-exchange-profiles/${p.id}`, {
        name: 'Renamed',
        subject_token_type: 'urn:acme:renamed',
      });
      assert.equal(patched.statusCode, 200);
      assert.equal(patched.body, '');
      const after = (await t.api('GET', `/token-exchange-profiles/${p.id}`)).json();
      assert.equal(after.name, 'Renamed');
      assert.equal(after.subject_token_type, 'urn:acme:renamed');
      assert.equal(after.action_id, 'act_cte');
      assert.equal(after.created_at, p.created_at);
      assert.ok(after.updated_at > p.updated_at, 'updated_at moves');
      assert.equal(
        await t.ctx.profileLookup.find('https://acme.com/legacy-token'),
        undefined,
        'cache invalidated on PATCH',
      );
      assert.equal((await t.ctx.profileLookup.find('urn:acme:renamed'))?.name, 'Renamed');

      const del = await t.api('DELETE', `/token-exchange-profiles/${p.id}`);
      assert.equal(del.statusCode, 204);
      assert.equal(del.body, '');
      assert.equal(await t.ctx.profileLookup.find('urn:acme:renamed'), undefined, 'cache invalidated on DELETE');
      const gone = await t.api('GET', `/token-exchange-profiles/${p.id}`);
      assert.equal(gone.statusCode, 404);
      assert.deepEqual(gone.json(), {
        statusCode: 404,
        error: 'Not Found',
        message: 'Token Exchange Profile not found.',
        errorCode: 'inexistent_entity',
      });
      assert.equal(
        (await t.api('DELETE', `/token-exchange-profiles/${p.id}`)).statusCode,
        204,
        'deleting again is idempotent',
      );
    });

    test('POST: every field is required, no others are allowed, and each is validated', async () => {
      for (const field of ['name', 'subject_token_type', 'action_id', 'type']) {
        const b = body();
        delete (b as Record<string, unknown>)[field];
        const res = await t.api('POST', '/token-exchange-profiles', b);
        assert.equal(res.statusCode, 400, field);
        assert.deepEqual(res.json(), bad(`Payload validation error: 'Missing required property: ${field}'.`));
      }
      const extra = await t.api('POST', '/token-exchange-profiles', body({ id: 'tep_mine' }));
      assert.deepEqual(extra.json(), bad("Payload validation error: 'Additional properties not allowed: id'."));
      const shortName = await t.api('POST', '/token-exchange-profiles', body({ name: 'ab' }));
      assert.deepEqual(
        shortName.json(),
        bad("Payload validation error: 'must NOT have fewer than 3 characters' on property name."),
      );
      const longName = await t.api('POST', '/token-exchange-profiles', body({ name: 'x'.repeat(51) }));
      assert.deepEqual(
        longName.json(),
        bad("Payload validation error: 'must NOT have more than 50 characters' on property name."),
      );
      const shortType = await t.api('POST', '/token-exchange-profiles', body({ subject_token_type: 'urn:a:b' }));
      assert.deepEqual(
        shortType.json(),
        bad("Payload validation error: 'must NOT have fewer than 8 characters' on property subject_token_type."),
      );
      const longType = await t.api(
        'POST',
        '/token-exchange-profiles',
        body({ subject_token_type: `urn:acme:${'x'.repeat(92)}` }),
      );
      assert.deepEqual(
        longType.json(),
        bad("Payload validation error: 'must NOT have more than 100 characters' on property subject_token_type."),
      );
      const notUri = await t.api(
        'POST',
        '/token-exchange-profiles',
        body({ subject_token_type: 'ftp://acme.com/token' }),
      );
      assert.deepEqual(
        notUri.json(),
        bad(
          "Payload validation error: 'subject_token_type must be a URI starting with https://, http:// or urn:' on property subject_token_type.",
        ),
      );
      const longAction = await t.api('POST', '/token-exchange-profiles', body({ action_id: 'a'.repeat(37) }));
      assert.deepEqual(
        longAction.json(),
        bad("Payload validation error: 'must NOT have more than 36 characters' on property action_id."),
      );
      const wrongType = await t.api('POST', '/token-exchange-profiles', body({ type: 'custom' }));
      assert.deepEqual(wrongType.json(), bad('Type field must be custom', 'invalid_type'));
      const objectName = await t.api('POST', '/token-exchange-profiles', body({ name: { first: 'x' } }));
      assert.deepEqual(objectName.json(), bad("Payload validation error: 'must be string' on property name."));
      assert.deepEqual(
        (await t.api('GET', '/token-exchange-profiles')).json(),
        { token_exchange_profiles: [] },
        'nothing was written',
      );
    });

    test('POST also accepts form-urlencoded (spec 3.2); a non-object JSON body is a 400', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v2/token-exchange-profiles',
        headers: {
          authorization: `Bearer ${await t.mgmtToken()}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        payload: new URLSearchParams({
          name: 'Form made',
          subject_token_type: 'urn:acme:form-token',
          action_id: 'act_cte',
          type: 'custom_authentication',
        }).toString(),
      });
      assert.equal(res.statusCode, 201, res.body);
      assert.equal(res.json().subject_token_type, 'urn:acme:form-token');
      const extra = await t.app.inject({
        method: 'POST',
        url: '/api/v2/token-exchange-profiles',
        headers: {
          authorization: `Bearer ${await t.mgmtToken()}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        payload: 'name=Form+made&subject_token_type=urn:acme:form-2&action_id=act_cte&type=custom_authentication&x=1',
      });
      assert.deepEqual(extra.json(), bad("Payload validation error: 'Additional properties not allowed: x'."));
      const arr = await t.api('POST', '/token-exchange-profiles', [body()]);
      assert.deepEqual(arr.json(), bad("Payload validation error: 'must be object'."));
      assert.equal((await t.api('DELETE', `/token-exchange-profiles/${res.json().id}`)).statusCode, 204);
    });

    test('reserved subject_token_type namespaces are refused on create and update', async () => {
      for (const v of [
        'urn:ietf:params:oauth:token-type:jwt',
        'URN:IETF:params:oauth:token-type:access_token',
        'https://auth0.com/token',
        'HTTP://Okta.com/token',
        'urn:auth0:token',
        'urn:okta:token',
      ]) {
        const res = await t.api('POST', '/token-exchange-profiles', body({ subject_token_type: v }));
        assert.equal(res.statusCode, 400, v);
        const prefix = ['urn:ietf', 'https://auth0.com', 'http://okta.com', 'urn:auth0', 'urn:okta'].find((p) =>
          v.toLowerCase().startsWith(p),
        );
        assert.deepEqual(
          res.json(),
          bad(
            `subject_token_type cannot use a reserved namespace: '${prefix}' is reserved.`,
            'invalid_subject_token_type',
          ),
        );
      }
      const p = (
        await t.api('POST', '/token-exchange-profiles', body({ subject_token_type: 'urn:acme:reserved-test' }))
      ).json();
      const res = await t.api('PATCH', `/token-exchange-profiles/${p.id}`, {
        subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      });
      assert.deepEqual(
        res.json(),
        bad(
          "subject_token_type cannot use a reserved namespace: 'urn:ietf' is reserved.",
          'invalid_subject_token_type',
        ),
      );
      assert.equal((await t.api('DELETE', `/token-exchange-profiles/${p.id}`)).statusCode, 204);
    });

    test('the Action must exist, be deployed and target custom-token-exchange', async () => {
      const missing = await t.api('POST', '/token-exchange-profiles', body({ action_id: 'act_nope' }));
      assert.deepEqual(missing.json(), bad('Action not found', 'action_not_found'));
      const draft = await t.api('POST', '/token-exchange-profiles', body({ action_id: 'act_draft' }));
      assert.deepEqual(draft.json(), bad('Action is not deployed', 'action_not_deployed'));
      const login = await t.api('POST', '/token-exchange-profiles', body({ action_id: 'act_login' }));
      assert.deepEqual(
        login.json(),
        bad('Action must have supported_triggers: custom-token-exchange', 'invalid_action_trigger'),
      );
      assert.deepEqual((await t.api('GET', '/token-exchange-profiles')).json(), { token_exchange_profiles: [] });
    });

    test('subject_token_type is unique per tenant: 409 on create and on update', async () => {
      const a = (await t.api('POST', '/token-exchange-profiles', body({ subject_token_type: 'urn:acme:one' }))).json();
      const b = (
        await t.api(
          'POST',
          '/token-exchange-profiles',
          body({ subject_token_type: 'urn:acme:two', action_id: 'act_cte2' }),
        )
      ).json();
      const dup = await t.api(
        'POST',
        '/token-exchange-profiles',
        body({ subject_token_type: 'urn:acme:one', action_id: 'act_cte2' }),
      );
      assert.equal(dup.statusCode, 409);
      assert.deepEqual(dup.json(), {
        statusCode: 409,
        error: 'Conflict',
        message: 'subject_token_type already exists for tenant',
        errorCode: 'conflict',
      });
      const clash = await t.api('PATCH', `/token-exchange-profiles/${b.id}`, { subject_token_type: 'urn:acme:one' });
      assert.equal(clash.statusCode, 409);
      assert.deepEqual(clash.json(), {
        statusCode: 409,
        error: 'Conflict',
        message: 'Token exchange profile with the same subject_token_type already exists',
        errorCode: 'conflict',
      });
      // Setting a profile's own value again is not a clash.
      assert.equal(
        (await t.api('PATCH', `/token-exchange-profiles/${a.id}`, { subject_token_type: 'urn:acme:one' })).statusCode,
        200,
      );
      for (const p of [a, b]) await t.api('DELETE', `/token-exchange-profiles/${p.id}`);
    });

    test('PATCH: action_id and type are immutable; at least one known property; unknown ids are 404', async () => {
      const p = (
        await t.api('POST', '/token-exchange-profiles', body({ subject_token_type: 'urn:acme:patch-test' }))
      ).json();
      for (const change of [
        { action_id: 'act_cte2' },
        { type: 'custom_authentication' },
        { name: 'Fine name', action_id: 'act_cte2' },
      ]) {
        const res = await t.api('PATCH', `/token-exchange-profiles/${p.id}`, change);
        assert.equal(res.statusCode, 400);
        assert.deepEqual(res.json(), bad('Unable to update field.', 'invalid_update'));
      }
      const empty = await t.api('PATCH', `/token-exchange-profiles/${p.id}`, {});
      assert.deepEqual(empty.json(), bad("Payload validation error: 'must NOT have fewer than 1 properties'."));
      const extra = await t.api('PATCH', `/token-exchange-profiles/${p.id}`, { created_at: 'x' });
      assert.deepEqual(extra.json(), bad("Payload validation error: 'Additional properties not allowed: created_at'."));
      const shortName = await t.api('PATCH', `/token-exchange-profiles/${p.id}`, { name: 'x' });
      assert.deepEqual(
        shortName.json(),
        bad("Payload validation error: 'must NOT have fewer than 3 characters' on property name."),
      );
      const notUri = await t.api('PATCH', `/token-exchange-profiles/${p.id}`, {
        subject_token_type: 'plain-token-type',
      });
      assert.deepEqual(
        notUri.json(),
        bad(
          "Payload validation error: 'subject_token_type must be a URI starting with https://, http:// or urn:' on property subject_token_type.",
        ),
      );
      const unknown = await t.api('PATCH', '/token-exchange-profiles/tep_doesnotexist0000', { name: 'Whatever' });
      assert.equal(unknown.statusCode, 404);
      assert.deepEqual(unknown.json(), {
        statusCode: 404,
        error: 'Not Found',
        message: 'Token exchange profile not found.',
        errorCode: 'inexistent_entity',
      });
      const unchanged = (await t.api('GET', `/token-exchange-profiles/${p.id}`)).json();
      assert.deepEqual(unchanged, p, 'refused updates changed nothing');
      await t.api('DELETE', `/token-exchange-profiles/${p.id}`);
    });

    test('checkpoint paging: take, from and next (only when more)', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await t.api(
          'POST',
          '/token-exchange-profiles',
          body({ name: `Profile ${i}`, subject_token_type: `urn:acme:page-${i}` }),
        );
        assert.equal(res.statusCode, 201);
        ids.push(res.json().id);
      }
      const seen: string[] = [];
      let from: string | undefined;
      let pages = 0;
      do {
        const res = await t.api(
          'GET',
          `/token-exchange-profiles?take=2${from ? `&from=${encodeURIComponent(from)}` : ''}`,
        );
        assert.equal(res.statusCode, 200);
        const page = res.json<{ token_exchange_profiles: Array<{ id: string }>; next?: string }>();
        pages++;
        assert.equal(page.token_exchange_profiles.length, pages < 3 ? 2 : 1);
        if (pages < 3) assert.equal(typeof page.next, 'string');
        else assert.equal('next' in page, false, 'no next on the last page');
        seen.push(...page.token_exchange_profiles.map((p) => p.id));
        from = page.next;
      } while (from);
      assert.deepEqual(seen.sort(), [...ids].sort());

      const exact = (await t.api('GET', '/token-exchange-profiles?take=5')).json();
      assert.equal(exact.token_exchange_profiles.length, 5);
      assert.equal('next' in exact, false, 'exactly take rows left: no next');
      assert.equal(
        (await t.api('GET', '/token-exchange-profiles')).json().token_exchange_profiles.length,
        5,
        'default take 50',
      );

      const zero = await t.api('GET', '/token-exchange-profiles?take=0');
      assert.deepEqual(
        zero.json(),
        bad("Query validation error: 'must be >= 1' on property take.", 'invalid_query_string'),
      );
      const big = await t.api('GET', '/token-exchange-profiles?take=101');
      assert.deepEqual(
        big.json(),
        bad("Query validation error: 'must be <= 100' on property take.", 'invalid_query_string'),
      );
      const nan = await t.api('GET', '/token-exchange-profiles?take=ten');
      assert.deepEqual(
        nan.json(),
        bad("Query validation error: 'must be integer' on property take.", 'invalid_query_string'),
      );
      const garbage = await t.api('GET', '/token-exchange-profiles?from=not-a-checkpoint');
      assert.deepEqual(
        garbage.json(),
        bad(
          "Query validation error: 'Invalid checkpoint: use the value of next from a previous page' on property from.",
          'invalid_query_string',
        ),
      );
      for (const id of ids) await t.api('DELETE', `/token-exchange-profiles/${id}`);
    });

    test('401 without a valid token, 403 without the scope of each endpoint', async () => {
      const none = await t.app.inject({ method: 'GET', url: '/api/v2/token-exchange-profiles' });
      assert.equal(none.statusCode, 401);
      assert.deepEqual(none.json(), { statusCode: 401, error: 'Unauthorized', message: 'Missing authentication' });
      const forged = await t.app.inject({
        method: 'GET',
        url: '/api/v2/token-exchange-profiles',
        headers: { authorization: 'Bearer abc.def.ghi' },
      });
      assert.equal(forged.statusCode, 401);

      const p = (
        await t.api('POST', '/token-exchange-profiles', body({ subject_token_type: 'urn:acme:scopes' }))
      ).json();
      const wrong = await t.mgmtToken(['read:clients']);
      const cases: Array<[string, string, unknown, string]> = [
        ['GET', '/token-exchange-profiles', undefined, 'read:token_exchange_profiles'],
        ['GET', `/token-exchange-profiles/${p.id}`, undefined, 'read:token_exchange_profiles'],
        [
          'POST',
          '/token-exchange-profiles',
          body({ subject_token_type: 'urn:acme:other' }),
          'create:token_exchange_profiles',
        ],
        ['PATCH', `/token-exchange-profiles/${p.id}`, { name: 'Nope nope' }, 'update:token_exchange_profiles'],
        ['DELETE', `/token-exchange-profiles/${p.id}`, undefined, 'delete:token_exchange_profiles'],
      ];
      for (const [method, path, b, scope] of cases) {
        const res = await t.api(method, path, b, wrong);
        assert.equal(res.statusCode, 403, `${method} ${path}`);
        assert.deepEqual(res.json(), {
          statusCode: 403,
          error: 'Forbidden',
          message: `Insufficient scope; expected any of: ${scope}.`,
          errorCode: 'insufficient_scope',
        });
        const allowed = await t.api(method, path, b, await t.mgmtToken([scope]));
        assert.ok(allowed.statusCode < 300, `${method} ${path} with ${scope}: ${allowed.statusCode} ${allowed.body}`);
      }
      for (const prof of (await t.api('GET', '/token-exchange-profiles')).json().token_exchange_profiles) {
        await t.api('DELETE', `/token-exchange-profiles/${prof.id}`);
      }
    });
  });
}

describe('at most 100 profiles per tenant (spec 3.3)', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
    await insertAction(t, 'act_cte');
  });
  after(() => t.close());

  test('the 101st create is 403; deleting one makes room again', async () => {
    for (let i = 0; i < 100; i++) {
      const res = await t.api('POST', '/token-exchange-profiles', {
        name: `Profile ${i}`,
        subject_token_type: `urn:acme:limit-${i}`,
        action_id: 'act_cte',
        type: 'custom_authentication',
      });
      assert.equal(res.statusCode, 201, res.body);
    }
    const extra = {
      name: 'One too many',
      subject_token_type: 'urn:acme:limit-100',
      action_id: 'act_cte',
      type: 'custom_authentication',
    };
    const over = await t.api('POST', '/token-exchange-profiles', extra);
    assert.equal(over.statusCode, 403);
    assert.deepEqual(over.json(), {
      statusCode: 403,
      error: 'Forbidden',
      message: 'You reached the limit of entities of this type for this tenant.',
      errorCode: 'entity_limit_exceeded',
    });
    const page = (await t.api('GET', '/token-exchange-profiles?take=100')).json();
    assert.equal(page.token_exchange_profiles.length, 100);
    assert.equal('next' in page, false);
    assert.equal(
      (await t.api('DELETE', `/token-exchange-profiles/${page.token_exchange_profiles[0].id}`)).statusCode,
      204,
    );
    assert.equal((await t.api('POST', '/token-exchange-profiles', extra)).statusCode, 201);
  });
});

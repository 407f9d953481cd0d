import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, DIALECTS, type TestApp } from '../helpers/app.js';
import { openSecrets, secretsRecord } from '../../src/actions/secrets.js';

const CODE = `exports.onExecuteCustomTokenExchange = async (event, api) => {\n  api.authentication.setUserById('user-' + event.secrets.SUFFIX);\n};\n`;
const CODE_V2 = `exports.onExecuteCustomTokenExchange = async (event, api) => {\n  api.access.deny('invalid_request', 'no');\n};\n`;
const CTE = [{ id: 'custom-token-exchange', version: 'v1' }];
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

for (const dialect of DIALECTS) {
  describe(`actions management (${dialect})`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp({ dialect });
    });
    after(() => t.close());

    const create = (body: Record<string, unknown>) =>
      t.api('POST', '/actions/actions', { supported_triggers: CTE, code: CODE, ...body });

    test('create returns the Action in Auth0 shape, with secret names only', async () => {
      const res = await create({
        name: 'create-shape',
        secrets: [{ name: 'SUFFIX', value: 's3cr3t-value' }],
        dependencies: [{ name: 'jose', version: '6.0.0' }],
      });
      assert.equal(res.statusCode, 201);
      const a = res.json();
      assert.match(a.id, UUID);
      assert.match(a.created_at, ISO);
      assert.match(a.secrets[0].updated_at, ISO);
      assert.deepEqual(a, {
        id: a.id,
        name: 'create-shape',
        supported_triggers: [{ id: 'custom-token-exchange', version: 'v1' }],
        all_changes_deployed: false,
        created_at: a.created_at,
        updated_at: a.created_at,
        code: CODE,
        dependencies: [{ name: 'jose', version: '6.0.0' }],
        runtime: 'node22',
        secrets: [{ name: 'SUFFIX', updated_at: a.secrets[0].updated_at }],
        status: 'built',
        built_at: a.created_at,
      });
      assert.ok(!res.body.includes('s3cr3t-value'));

      const got = await t.api('GET', `/actions/actions/${a.id}`);
      assert.equal(got.statusCode, 200);
      assert.deepEqual(got.json(), a);
    });

    test('secrets are encrypted at rest (compact JWE) and never returned', async () => {
      const res = await create({
        name: 'secret-at-rest',
        secrets: [{ name: 'API_KEY', value: 'plaintext-api-key-123' }],
        deploy: true,
      });
      assert.equal(res.statusCode, 201);
      const id = res.json().id as string;
      const row = await t.ctx.storage.db
        .selectFrom('actions')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      assert.equal(row.secrets_enc.split('.').length, 5);
      assert.ok(!JSON.stringify(row).includes('plaintext-api-key-123'));
      const versions = await t.ctx.storage.db
        .selectFrom('action_versions')
        .selectAll()
        .where('action_id', '=', id)
        .execute();
      assert.equal(versions.length, 1);
      assert.ok(!JSON.stringify(versions).includes('plaintext-api-key-123'));
      assert.equal(
        JSON.parse(await t.ctx.sealer.open(row.secrets_enc, { purpose: 'action-secrets', id }))[0].value,
        'plaintext-api-key-123',
      );
      for (const path of [
        `/actions/actions/${id}`,
        '/actions/actions',
        `/actions/actions/${id}/versions`,
        `/actions/actions/${id}/versions/${versions[0]!.id}`,
      ]) {
        const r = await t.api('GET', path);
        assert.equal(r.statusCode, 200, path);
        assert.ok(!r.body.includes('plaintext-api-key-123'), path);
        assert.ok(r.body.includes('API_KEY'), path);
      }
    });

    test('deploy: true at creation deploys version 1 at once', async () => {
      const res = await create({ name: 'deploy-at-create', deploy: true });
      assert.equal(res.statusCode, 201);
      const a = res.json();
      assert.equal(a.all_changes_deployed, true);
      assert.equal(a.deployed_version.number, 1);
      assert.equal(a.deployed_version.deployed, true);
      assert.equal(a.deployed_version.code, CODE);
      assert.equal(a.deployed_version.action_id, a.id);
    });

    test('update, deploy, versions and roll back', async () => {
      const a = (
        await create({
          name: 'lifecycle',
          secrets: [
            { name: 'SUFFIX', value: 'one' },
            { name: 'OTHER', value: 'x' },
          ],
        })
      ).json();

      const d1 = await t.api('POST', `/actions/actions/${a.id}/deploy`);
      assert.equal(d1.statusCode, 202);
      const v1 = d1.json();
      assert.match(v1.id, UUID);
      assert.deepEqual(v1, {
        id: v1.id,
        action_id: a.id,
        code: CODE,
        dependencies: [],
        deployed: true,
        runtime: 'node22',
        secrets: a.secrets,
        status: 'built',
        number: 1,
        errors: [],
        action: {
          id: a.id,
          name: 'lifecycle',
          supported_triggers: CTE,
          all_changes_deployed: true,
          created_at: a.created_at,
          updated_at: a.updated_at,
        },
        built_at: v1.created_at,
        created_at: v1.created_at,
        updated_at: v1.created_at,
        supported_triggers: CTE,
      });

      // PATCH: new code, secrets resent by name (value omitted keeps the old one), OTHER dropped, NEW added.
      const p = await t.api('PATCH', `/actions/actions/${a.id}`, {
        code: CODE_V2,
        secrets: [{ name: 'SUFFIX' }, { name: 'NEW', value: 'n' }],
      });
      assert.equal(p.statusCode, 200);
      const patched = p.json();
      assert.equal(patched.code, CODE_V2);
      assert.equal(patched.all_changes_deployed, false);
      assert.deepEqual(
        patched.secrets.map((s: { name: string }) => s.name),
        ['SUFFIX', 'NEW'],
      );
      assert.equal(patched.secrets[0].updated_at, a.secrets[0].updated_at, 'an unchanged secret keeps its date');
      assert.equal(patched.deployed_version.number, 1);
      assert.equal(patched.deployed_version.code, CODE, 'the deployed version is immutable');
      const row = await t.ctx.storage.db
        .selectFrom('actions')
        .select('secrets_enc')
        .where('id', '=', a.id)
        .executeTakeFirstOrThrow();
      assert.deepEqual(
        JSON.parse(await t.ctx.sealer.open(row.secrets_enc, { purpose: 'action-secrets', id: a.id })).map(
          (s: { name: string; value: string }) => [s.name, s.value],
        ),
        [
          ['SUFFIX', 'one'],
          ['NEW', 'n'],
        ],
      );

      const v2 = (await t.api('POST', `/actions/actions/${a.id}/deploy`)).json();
      assert.equal(v2.number, 2);
      assert.equal(v2.code, CODE_V2);

      const list = await t.api('GET', `/actions/actions/${a.id}/versions`);
      assert.equal(list.statusCode, 200);
      const body = list.json();
      assert.equal(body.total, 2);
      assert.equal(body.page, 0);
      assert.equal(body.per_page, 20);
      assert.deepEqual(
        body.versions.map((v: { number: number; deployed: boolean }) => [v.number, v.deployed]),
        [
          [2, true],
          [1, false],
        ],
      );

      const one = await t.api('GET', `/actions/actions/${a.id}/versions/${v1.id}`);
      assert.equal(one.statusCode, 200);
      assert.equal(one.json().code, CODE);
      assert.equal(one.json().deployed, false);

      // Roll back to v1: a new version 3 identical to 1, deployed; the draft stays as it was.
      const rb = await t.api('POST', `/actions/actions/${a.id}/versions/${v1.id}/deploy`, {});
      assert.equal(rb.statusCode, 202);
      assert.equal(rb.json().number, 3);
      assert.equal(rb.json().code, CODE);
      assert.deepEqual(rb.json().secrets, a.secrets);
      const after = (await t.api('GET', `/actions/actions/${a.id}`)).json();
      assert.equal(after.code, CODE_V2);
      assert.equal(after.all_changes_deployed, false);
      assert.equal(after.deployed_version.id, rb.json().id);

      // Roll back with update_draft copies the version into the draft.
      const rb2 = await t.api('POST', `/actions/actions/${a.id}/versions/${v2.id}/deploy`, { update_draft: true });
      assert.equal(rb2.statusCode, 202);
      assert.equal(rb2.json().number, 4);
      const after2 = (await t.api('GET', `/actions/actions/${a.id}`)).json();
      assert.equal(after2.code, CODE_V2);
      assert.equal(after2.all_changes_deployed, true);

      const missing = await t.api('GET', `/actions/actions/${a.id}/versions/00000000-0000-0000-0000-000000000000`);
      assert.equal(missing.statusCode, 404);
      assert.deepEqual(missing.json(), {
        statusCode: 404,
        error: 'Not Found',
        message: 'The action version does not exist.',
        errorCode: 'inexistent_entity',
      });
    });

    test('the pipeline reads the deployed version, decrypted, and sees a new deploy at once', async () => {
      const a = (await create({ name: 'pipeline-read', secrets: [{ name: 'SUFFIX', value: 'abc' }] })).json();
      assert.equal(await t.ctx.deployedActions.version(a.id), undefined, 'not deployed yet');
      const v1 = (await t.api('POST', `/actions/actions/${a.id}/deploy`)).json();
      assert.deepEqual(await t.ctx.deployedActions.version(a.id), {
        actionId: a.id,
        name: 'pipeline-read',
        versionId: v1.id,
        code: CODE,
        secrets: { SUFFIX: 'abc' },
        trigger: 'custom-token-exchange',
        packages: [],
      });
      await t.api('PATCH', `/actions/actions/${a.id}`, { code: CODE_V2, secrets: [{ name: 'SUFFIX', value: 'def' }] });
      assert.equal((await t.ctx.deployedActions.version(a.id))!.code, CODE, 'an undeployed draft does not run');
      const v2 = (await t.api('POST', `/actions/actions/${a.id}/deploy`)).json();
      assert.deepEqual(await t.ctx.deployedActions.version(a.id), {
        actionId: a.id,
        name: 'pipeline-read',
        versionId: v2.id,
        code: CODE_V2,
        secrets: { SUFFIX: 'def' },
        trigger: 'custom-token-exchange',
        packages: [],
      });
      assert.equal(await t.ctx.deployedActions.version('no-such-action'), undefined);
    });

    test('list filters by triggerId, actionName, deployed, installed and pages', async () => {
      await create({ name: 'list-a', deploy: true });
      await create({ name: 'list-b' });
      await t.api('POST', '/actions/actions', {
        name: 'list-c',
        supported_triggers: [{ id: 'post-login', version: 'v3' }],
        code: 'exports.onExecutePostLogin = async () => {};',
      });
      const all = (await t.api('GET', '/actions/actions?per_page=100')).json();
      const names = (r: { actions: Array<{ name: string }> }) =>
        r.actions.map((a) => a.name).filter((n) => n.startsWith('list-'));
      assert.deepEqual(names(all), ['list-a', 'list-b', 'list-c']);
      assert.deepEqual(names((await t.api('GET', '/actions/actions?per_page=100&triggerId=post-login')).json()), [
        'list-c',
      ]);
      const byName = (await t.api('GET', '/actions/actions?actionName=list-b')).json();
      assert.equal(byName.total, 1);
      assert.equal(byName.actions[0].name, 'list-b');
      assert.deepEqual(names((await t.api('GET', '/actions/actions?per_page=100&deployed=true')).json()), ['list-a']);
      assert.deepEqual(names((await t.api('GET', '/actions/actions?per_page=100&deployed=false')).json()), [
        'list-b',
        'list-c',
      ]);
      assert.deepEqual((await t.api('GET', '/actions/actions?installed=true')).json(), {
        actions: [],
        total: 0,
        page: 0,
        per_page: 20,
      });
      const p0 = (await t.api('GET', '/actions/actions?per_page=1&page=0')).json();
      const p1 = (await t.api('GET', '/actions/actions?per_page=1&page=1')).json();
      assert.equal(p0.actions.length, 1);
      assert.equal(p0.per_page, 1);
      assert.equal(p1.page, 1);
      assert.equal(p0.total, all.total);
      assert.notEqual(p0.actions[0].id, p1.actions[0].id);
      const bad = await t.api('GET', '/actions/actions?per_page=0');
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().errorCode, 'invalid_query_string');
    });

    test('the name is unique: 409 on create and on rename', async () => {
      assert.equal((await create({ name: 'unique-name' })).statusCode, 201);
      const dup = await create({ name: 'unique-name' });
      assert.equal(dup.statusCode, 409);
      assert.deepEqual(dup.json(), {
        statusCode: 409,
        error: 'Conflict',
        message: "An action with the name 'unique-name' already exists.",
        errorCode: 'conflict',
      });
      const other = (await create({ name: 'unique-name-2' })).json();
      const rename = await t.api('PATCH', `/actions/actions/${other.id}`, { name: 'unique-name' });
      assert.equal(rename.statusCode, 409);
      const ok = await t.api('PATCH', `/actions/actions/${other.id}`, { name: 'unique-name-3' });
      assert.equal(ok.statusCode, 200);
      assert.equal(ok.json().name, 'unique-name-3');
      assert.equal(ok.json().all_changes_deployed, false);
    });

    test('triggers: exactly one, known id and version; post-login accepts v2 and v3', async () => {
      const cases: Array<[unknown, string]> = [
        [[], 'An action must support exactly one trigger.'],
        [[...CTE, { id: 'post-login', version: 'v3' }], 'An action must support exactly one trigger.'],
        [
          [{ id: 'pre-user-registration', version: 'v2' }],
          "Trigger 'pre-user-registration' is not supported; supported triggers: custom-token-exchange, post-login.",
        ],
        [
          [{ id: 'custom-token-exchange', version: 'v2' }],
          "Trigger 'custom-token-exchange' has no version 'v2'; supported: v1.",
        ],
        [[{ id: 'post-login', version: 'v1' }], "Trigger 'post-login' has no version 'v1'; supported: v3, v2."],
      ];
      for (const [triggers, message] of cases) {
        const res = await t.api('POST', '/actions/actions', {
          name: 'bad-trigger',
          supported_triggers: triggers,
          code: CODE,
        });
        assert.equal(res.statusCode, 400, message);
        assert.deepEqual(res.json(), { statusCode: 400, error: 'Bad Request', message, errorCode: 'invalid_body' });
      }
      const v2 = await t.api('POST', '/actions/actions', {
        name: 'pl-v2',
        supported_triggers: [{ id: 'post-login', version: 'v2' }],
        code: 'exports.onExecutePostLogin = async () => {};',
      });
      assert.equal(v2.statusCode, 201);
      assert.deepEqual(v2.json().supported_triggers, [{ id: 'post-login', version: 'v2' }]);
      const change = await t.api('PATCH', `/actions/actions/${v2.json().id}`, { supported_triggers: CTE });
      assert.equal(change.statusCode, 400);
      assert.equal(change.json().message, 'The trigger of an action cannot be changed.');
    });

    test('a missing code gets the trigger template', async () => {
      const res = await t.api('POST', '/actions/actions', { name: 'template', supported_triggers: CTE });
      assert.equal(res.statusCode, 201);
      assert.match(res.json().code, /exports\.onExecuteCustomTokenExchange = async \(event, api\) => \{/);
    });

    test('dependencies: a bad spec or a foreign registry_url is a 400 naming it; provided modules are kept', async () => {
      // Installing real packages is test/actions/dependencies*.test.ts; these are refused before npm runs.
      const res = await create({
        name: 'dep-bad',
        dependencies: [
          { name: 'jose', version: '6.0.0' },
          { name: 'lodash', version: 'file:../lodash' },
        ],
      });
      assert.equal(res.statusCode, 400);
      assert.deepEqual(res.json(), {
        statusCode: 400,
        error: 'Bad Request',
        message:
          "Dependency 'lodash' has an invalid version 'file:../lodash': use an exact version, a semver range or a tag such as 'latest'.",
        errorCode: 'invalid_dependency',
      });
      assert.equal((await t.api('GET', '/actions/actions?actionName=dep-bad')).json().total, 0, 'nothing was created');
      const ok = (await create({ name: 'dep-ok' })).json();
      const patch = await t.api('PATCH', `/actions/actions/${ok.id}`, {
        dependencies: [{ name: 'axios', version: '1.0.0', registry_url: 'https://npm.example.com' }],
      });
      assert.equal(patch.statusCode, 400);
      assert.equal(
        patch.json().message,
        "Dependency 'axios' names the registry https://npm.example.com: Baton installs only from the one its operator configured (BATON_ACTION_NPM_REGISTRY).",
      );
      const withRegistry = await t.api('PATCH', `/actions/actions/${ok.id}`, {
        dependencies: [{ name: 'crypto', version: '1.0.0', registry_url: 'https://registry.npmjs.org' }],
      });
      assert.equal(withRegistry.statusCode, 200);
      assert.deepEqual(withRegistry.json().dependencies, [
        { name: 'crypto', version: '1.0.0', registry_url: 'https://registry.npmjs.org' },
      ]);
    });

    test('runtime defaults to node22; an unknown runtime is a 400', async () => {
      const res = await create({ name: 'rt-bad', runtime: 'python3' });
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().message, "Runtime 'python3' is not supported; supported runtimes: node18, node22.");
      const ok = await create({ name: 'rt-18', runtime: 'node18' });
      assert.equal(ok.json().runtime, 'node18');
    });

    test('limits: 100 kB of code, 30 secrets, secret name 128 and value 4096 characters', async () => {
      const pad = '\n'.repeat(100 * 1024 - CODE.length);
      assert.equal((await create({ name: 'code-max', code: CODE + pad })).statusCode, 201);
      const big = await create({ name: 'code-big', code: CODE + pad + '\n' });
      assert.equal(big.statusCode, 400);
      assert.equal(big.json().message, 'Action code exceeds the limit of 102400 bytes.');

      const secrets = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `S${i}`, value: 'v' }));
      assert.equal((await create({ name: 'secrets-30', secrets: secrets(30) })).statusCode, 201);
      const many = await create({ name: 'secrets-31', secrets: secrets(31) });
      assert.equal(many.statusCode, 400);
      assert.equal(many.json().message, 'An action can have at most 30 secrets.');

      assert.equal(
        (await create({ name: 'sn-128', secrets: [{ name: 'N'.repeat(128), value: 'v'.repeat(4096) }] })).statusCode,
        201,
      );
      const longName = await create({ name: 'sn-129', secrets: [{ name: 'N'.repeat(129), value: 'v' }] });
      assert.equal(longName.statusCode, 400);
      assert.equal(longName.json().message, 'Secret names must be 1 to 128 characters.');
      const longValue = await create({ name: 'sv-4097', secrets: [{ name: 'K', value: 'v'.repeat(4097) }] });
      assert.equal(longValue.statusCode, 400);
      assert.equal(longValue.json().message, "Secret 'K' exceeds the limit of 4096 characters.");
      const dup = await create({
        name: 'sdup',
        secrets: [
          { name: 'K', value: 'a' },
          { name: 'K', value: 'b' },
        ],
      });
      assert.equal(dup.statusCode, 400);
      assert.equal(dup.json().message, "Secret 'K' is listed more than once.");
      // A secret by name only (how Auth0's Deploy CLI exports them) is declared with an empty value.
      const noValue = await create({ name: 'snovalue', secrets: [{ name: 'K' }] });
      assert.equal(noValue.statusCode, 201, noValue.body);
      assert.deepEqual(
        noValue.json().secrets.map((s: { name: string }) => s.name),
        ['K'],
      );
      const record = (await t.ctx.repos.actions.get(noValue.json().id))!;
      assert.deepEqual(secretsRecord(await openSecrets(t.ctx, record.id, record.secrets_enc)), { K: '' });
    });

    test('payload validation: unknown properties and missing required ones', async () => {
      const extra = await create({ name: 'extra', modules: [] });
      assert.equal(extra.statusCode, 400);
      assert.deepEqual(extra.json(), {
        statusCode: 400,
        error: 'Bad Request',
        message: "Payload validation error: 'Additional properties not allowed: modules'.",
        errorCode: 'invalid_body',
      });
      const noName = await t.api('POST', '/actions/actions', { supported_triggers: CTE });
      assert.equal(noName.statusCode, 400);
      assert.equal(noName.json().message, "Payload validation error: 'Missing required property: name'.");
      const a = (await create({ name: 'patch-extra' })).json();
      const patch = await t.api('PATCH', `/actions/actions/${a.id}`, { deploy: true });
      assert.equal(patch.statusCode, 400);
      assert.equal(patch.json().message, "Payload validation error: 'Additional properties not allowed: deploy'.");
    });

    test('unknown ids are 404', async () => {
      const nf = {
        statusCode: 404,
        error: 'Not Found',
        message: 'The action does not exist.',
        errorCode: 'inexistent_entity',
      };
      for (const [method, path, body] of [
        ['GET', '/actions/actions/nope', undefined],
        ['PATCH', '/actions/actions/nope', { name: 'x-nope' }],
        ['DELETE', '/actions/actions/nope', undefined],
        ['POST', '/actions/actions/nope/deploy', undefined],
        ['GET', '/actions/actions/nope/versions', undefined],
        ['GET', '/actions/actions/nope/versions/v', undefined],
        ['POST', '/actions/actions/nope/versions/v/deploy', {}],
      ] as const) {
        const res = await t.api(method, path, body);
        assert.equal(res.statusCode, 404, `${method} ${path}`);
        assert.deepEqual(res.json(), nf, `${method} ${path}`);
      }
    });

    test('delete: 204, then gone; 409 while a token exchange profile refers to it, even with force', async () => {
      const a = (await create({ name: 'to-delete', deploy: true })).json();
      const now = new Date().toISOString();
      await t.ctx.storage.db
        .insertInto('token_exchange_profiles')
        .values({
          id: 'tep_deletetest0001',
          name: 'p',
          subject_token_type: 'urn:test:delete',
          action_id: a.id,
          type: 'custom_authentication',
          created_at: now,
          updated_at: now,
        })
        .execute();
      for (const q of ['', '?force=true']) {
        const res = await t.api('DELETE', `/actions/actions/${a.id}${q}`);
        assert.equal(res.statusCode, 409);
        assert.deepEqual(res.json(), {
          statusCode: 409,
          error: 'Conflict',
          message: 'The action is used by a token exchange profile; delete the profile first.',
          errorCode: 'action_in_use',
        });
      }
      assert.equal((await t.api('GET', `/actions/actions/${a.id}`)).statusCode, 200);
      await t.ctx.storage.db.deleteFrom('token_exchange_profiles').where('id', '=', 'tep_deletetest0001').execute();
      const del = await t.api('DELETE', `/actions/actions/${a.id}`);
      assert.equal(del.statusCode, 204);
      assert.equal(del.body, '');
      assert.equal((await t.api('GET', `/actions/actions/${a.id}`)).statusCode, 404);
      const versions = await t.ctx.storage.db
        .selectFrom('action_versions')
        .select('id')
        .where('action_id', '=', a.id)
        .execute();
      assert.equal(versions.length, 0);
    });

    test('at most 50 versions are kept (spec 5.1): the oldest undeployed one makes room', async () => {
      const a = (await create({ name: 'many-versions' })).json();
      for (let i = 1; i <= 51; i++)
        assert.equal((await t.api('POST', `/actions/actions/${a.id}/deploy`)).statusCode, 202);
      const page = (await t.api('GET', `/actions/actions/${a.id}/versions?per_page=100`)).json();
      assert.equal(page.total, 50);
      assert.equal(page.versions[0].number, 51);
      assert.equal(page.versions[0].deployed, true);
      assert.equal(page.versions[49].number, 2);
    });

    test('at most 100 Actions per tenant (spec 5.1): the 101st is a 403', async () => {
      const total = (await t.api('GET', '/actions/actions?per_page=1')).json().total as number;
      for (let i = total; i < 100; i++) assert.equal((await create({ name: `fill-${i}` })).statusCode, 201);
      const res = await create({ name: 'one-too-many' });
      assert.equal(res.statusCode, 403);
      assert.deepEqual(res.json(), {
        statusCode: 403,
        error: 'Forbidden',
        message: 'You reached the limit of entities of this type for this tenant.',
        errorCode: 'too_many_entities',
      });
    });

    test('401 without or with a bad token; 403 without the scope', async () => {
      const none = await t.app.inject({ method: 'GET', url: '/api/v2/actions/actions' });
      assert.equal(none.statusCode, 401);
      assert.deepEqual(none.json(), { statusCode: 401, error: 'Unauthorized', message: 'Missing authentication' });
      const bad = await t.api('GET', '/actions/actions', undefined, 'not-a-token');
      assert.equal(bad.statusCode, 401);
      const readOnly = await t.mgmtToken(['read:actions']);
      assert.equal((await t.api('GET', '/actions/actions', undefined, readOnly)).statusCode, 200);
      const cases: Array<[string, string, unknown, string]> = [
        ['POST', '/actions/actions', { name: 'x', supported_triggers: CTE }, 'create:actions'],
        ['PATCH', '/actions/actions/x', { name: 'y' }, 'update:actions'],
        ['DELETE', '/actions/actions/x', undefined, 'delete:actions'],
        ['POST', '/actions/actions/x/deploy', undefined, 'create:actions'],
        ['POST', '/actions/actions/x/test', { payload: {} }, 'create:actions'],
        ['PATCH', '/actions/triggers/post-login/bindings', { bindings: [] }, 'update:actions'],
      ];
      for (const [method, path, body, scope] of cases) {
        const res = await t.api(method, path, body, readOnly);
        assert.equal(res.statusCode, 403, `${method} ${path}`);
        assert.deepEqual(res.json(), {
          statusCode: 403,
          error: 'Forbidden',
          message: `Insufficient scope; expected any of: ${scope}.`,
          errorCode: 'insufficient_scope',
        });
      }
      const noRead = await t.mgmtToken(['create:actions']);
      const r = await t.api('GET', '/actions/actions', undefined, noRead);
      assert.equal(r.statusCode, 403);
      assert.equal(r.json().message, 'Insufficient scope; expected any of: read:actions.');
    });
  });
}

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { executor, run } from './helpers.js';
import { validateCommands, RULES } from '../../src/actions/triggers/commands.js';

const ex = executor();
after(() => ex.close());

async function invalid(body: string, command: string, rule: string, message: string, trigger?: 'post-login') {
  const r = await run(ex, body, { trigger });
  assert.equal(r.kind, 'invalid_command', JSON.stringify(r));
  if (r.kind !== 'invalid_command') return;
  assert.equal(r.command, command);
  assert.equal(r.rule, rule);
  assert.equal(r.message, message);
}

test('setUserById records the user id and refuses a non-string', async () => {
  const r = await run(ex, "const same = api.authentication.setUserById('auth0|abc'); console.log(same === api);");
  assert.equal(r.kind, 'ok');
  assert.deepEqual(r.commands, [{ name: 'authentication.setUserById', args: ['auth0|abc'] }]);
  assert.deepEqual(r.logs, [{ level: 'log', message: 'true' }]);
  await invalid(
    'api.authentication.setUserById(42);',
    'authentication.setUserById',
    RULES.userId,
    'user_id must be a non-empty string of at most 1024 characters',
  );
  await invalid(
    "api.authentication.setUserById('');",
    'authentication.setUserById',
    RULES.userId,
    'user_id must be a non-empty string of at most 1024 characters',
  );
});

test('setUserByConnection validates the connection, attribute names and types, and options', async () => {
  const ok = await run(
    ex,
    "api.authentication.setUserByConnection('db', { user_id: '42', email: 'a@b.c', email_verified: true, phone_number: '+14155550100', picture: 'https://x/p.png' }, { creationBehavior: 'create_if_not_exists', updateBehavior: 'replace' });",
  );
  assert.equal(ok.kind, 'ok', JSON.stringify(ok));
  assert.deepEqual(ok.commands, [
    {
      name: 'authentication.setUserByConnection',
      args: [
        'db',
        {
          user_id: '42',
          email: 'a@b.c',
          email_verified: true,
          phone_number: '+14155550100',
          picture: 'https://x/p.png',
        },
        { creationBehavior: 'create_if_not_exists', updateBehavior: 'replace' },
      ],
    },
  ]);
  const c = 'authentication.setUserByConnection';
  const opts = "{ creationBehavior: 'none', updateBehavior: 'none' }";
  await invalid(
    `api.authentication.setUserByConnection('', { user_id: '1' }, ${opts});`,
    c,
    RULES.connectionName,
    'connection_name must be a non-empty string of at most 512 characters',
  );
  await invalid(
    `api.authentication.setUserByConnection('x'.repeat(513), { user_id: '1' }, ${opts});`,
    c,
    RULES.connectionName,
    'connection_name must be a non-empty string of at most 512 characters',
  );
  await invalid(
    `api.authentication.setUserByConnection('db', { email: 'a@b.c' }, ${opts});`,
    c,
    RULES.userAttributes,
    'user_attributes.user_id is required and must be a non-empty string',
  );
  await invalid(
    `api.authentication.setUserByConnection('db', { user_id: '1', app_metadata: {} }, ${opts});`,
    c,
    RULES.userAttributes,
    'unknown user attribute "app_metadata" (metadata is set with api.user.setAppMetadata/setUserMetadata)',
  );
  await invalid(
    `api.authentication.setUserByConnection('db', { user_id: '1', email_verified: 'yes' }, ${opts});`,
    c,
    RULES.userAttributes,
    'user attribute "email_verified" must be a boolean',
  );
  await invalid(
    `api.authentication.setUserByConnection('db', { user_id: '1', phone_number: '555' }, ${opts});`,
    c,
    RULES.userAttributes,
    'phone_number must be in E.164 format',
  );
  await invalid(
    `api.authentication.setUserByConnection('db', { user_id: '1', picture: 'not a uri' }, ${opts});`,
    c,
    RULES.userAttributes,
    'picture must be a URI',
  );
  await invalid(
    "api.authentication.setUserByConnection('db', { user_id: '1' });",
    c,
    RULES.connectionOptions,
    'options must be an object with creationBehavior and updateBehavior',
  );
  await invalid(
    "api.authentication.setUserByConnection('db', { user_id: '1' }, { creationBehavior: 'always', updateBehavior: 'none' });",
    c,
    RULES.connectionOptions,
    "options.creationBehavior must be 'create_if_not_exists' or 'none'",
  );
  await invalid(
    "api.authentication.setUserByConnection('db', { user_id: '1' }, { creationBehavior: 'none', updateBehavior: 'merge' });",
    c,
    RULES.connectionOptions,
    "options.updateBehavior must be 'replace' or 'none'",
  );
});

test('exactly one user: a second user call or no user call is invalid; a denial wins over both', async () => {
  await invalid(
    "api.authentication.setUserById('a'); api.authentication.setUserById('b');",
    'authentication.setUserById',
    RULES.exactlyOneUser,
    'a user was already set with setUserById(); call exactly one of setUserById() or setUserByConnection(), once',
  );
  await invalid(
    "api.authentication.setUserById('a'); api.authentication.setUserByConnection('db', { user_id: '1' }, { creationBehavior: 'none', updateBehavior: 'none' });",
    'authentication.setUserByConnection',
    RULES.exactlyOneUser,
    'a user was already set with setUserById(); call exactly one of setUserById() or setUserByConnection(), once',
  );
  await invalid(
    "console.log('nothing');",
    'authentication.setUserById',
    RULES.exactlyOneUser,
    'the Action set no user: call exactly one of setUserById() or setUserByConnection()',
  );
  await invalid(
    "api.authentication.setActor({ sub: 'agent' });",
    'authentication.setActor',
    RULES.actorNeedsUser,
    'setActor() must be used together with setUserById() or setUserByConnection()',
  );
  const denied = await run(ex, "api.access.deny('unauthorized_actor', 'no'); api.authentication.setUserById('a');");
  assert.equal(denied.kind, 'ok');
  assert.deepEqual(denied.commands, [
    { name: 'access.deny', args: ['unauthorized_actor', 'no'] },
    { name: 'authentication.setUserById', args: ['a'] },
  ]);
});

test('a broken rule is thrown in the guest too, and stays invalid_command if the guest catches it', async () => {
  const r = await run(
    ex,
    "try { api.authentication.setUserById(1); } catch (e) { console.log(e.message); }\napi.authentication.setUserById('ok');",
  );
  assert.equal(r.kind, 'invalid_command');
  assert.deepEqual(r.logs, [
    {
      level: 'log',
      message:
        'api.authentication.setUserById: user_id must be a non-empty string of at most 1024 characters [setUserById.user_id]',
    },
  ]);
  assert.deepEqual(r.commands, [{ name: 'authentication.setUserById', args: ['ok'] }]);
});

test('setActor: sub required, at most 5 actors, at most 5 scalar custom properties per level', async () => {
  const nest = (n: number) => {
    let a = `{ sub: 'a${n}' }`;
    for (let i = n - 1; i >= 1; i--) a = `{ sub: 'a${i}', act: ${a} }`;
    return a;
  };
  const ok = await run(ex, `api.authentication.setUserById('u').authentication.setActor(${nest(5)});`);
  assert.equal(ok.kind, 'ok', JSON.stringify(ok));
  assert.deepEqual(ok.commands[1], {
    name: 'authentication.setActor',
    args: [{ sub: 'a1', act: { sub: 'a2', act: { sub: 'a3', act: { sub: 'a4', act: { sub: 'a5' } } } } }],
  });
  const a = 'authentication.setActor';
  await invalid(
    `api.authentication.setUserById('u'); api.authentication.setActor(${nest(6)});`,
    a,
    RULES.actorShape,
    'at most 5 actors: the root actor and 4 nested act levels',
  );
  await invalid(
    "api.authentication.setUserById('u'); api.authentication.setActor({ act: { sub: 'x' } });",
    a,
    RULES.actorShape,
    'actor.sub is required and must be a non-empty string',
  );
  await invalid(
    "api.authentication.setUserById('u'); api.authentication.setActor({ sub: 'x', act: { sub: 7 } });",
    a,
    RULES.actorShape,
    'actor.sub is required and must be a non-empty string (at act level 1)',
  );
  await invalid(
    "api.authentication.setUserById('u'); api.authentication.setActor({ sub: 'x', a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 });",
    a,
    RULES.actorShape,
    'at most 5 custom properties per actor level (found 6)',
  );
  await invalid(
    "api.authentication.setUserById('u'); api.authentication.setActor({ sub: 'x', roles: ['a'] });",
    a,
    RULES.actorShape,
    'custom actor property "roles" must be a string, number or boolean',
  );
  await invalid(
    "api.authentication.setUserById('u'); api.authentication.setActor('agent');",
    a,
    RULES.actorShape,
    'actor must be an object',
  );
});

test('setOrganization, deny, rejectInvalidSubjectToken and metadata validate their arguments', async () => {
  const ok = await run(
    ex,
    "api.authentication.setUserById('u'); api.authentication.setOrganization('org_1'); api.user.setAppMetadata('plan', { tier: 2 }).user.setUserMetadata('old', null);",
  );
  assert.deepEqual(ok.commands.slice(1), [
    { name: 'authentication.setOrganization', args: ['org_1'] },
    { name: 'user.setAppMetadata', args: ['plan', { tier: 2 }] },
    { name: 'user.setUserMetadata', args: ['old', null] },
  ]);
  await invalid(
    'api.authentication.setOrganization(null);',
    'authentication.setOrganization',
    RULES.organization,
    'organization must be a non-empty organization id or name',
  );
  await invalid("api.access.deny('', 'x');", 'access.deny', RULES.denyArgs, 'code must be a non-empty string');
  await invalid("api.access.deny('invalid_request');", 'access.deny', RULES.denyArgs, 'reason must be a string');
  await invalid(
    'api.access.rejectInvalidSubjectToken();',
    'access.rejectInvalidSubjectToken',
    RULES.rejectArgs,
    'reason must be a string',
  );
  await invalid(
    "api.user.setAppMetadata('', 1);",
    'user.setAppMetadata',
    RULES.metadata,
    'key must be a non-empty string',
  );
  await invalid(
    "api.user.setUserMetadata('k', undefined);",
    'user.setUserMetadata',
    RULES.metadata,
    'value must be a JSON value (null deletes the key)',
  );
  await invalid(
    "api.user.setUserMetadata('k', 'x'.repeat(40000));",
    'user.setUserMetadata',
    RULES.metadata,
    'value exceeds 32 kB',
  );
});

test('post-login api: claims, scopes, deny, multifactor, challengeWith/enrollWith are recorded and validated', async () => {
  const r = await run(
    ex,
    `
api.accessToken.setCustomClaim('https://x/roles', ['a']).idToken.setCustomClaim('n', 1);
api.accessToken.addScope('read:x').accessToken.removeScope('write:x');
api.multifactor.enable('any', { allowRememberBrowser: false });
api.authentication.challengeWith({ type: 'otp' });
api.access.deny('blocked');`,
    { trigger: 'post-login' },
  );
  assert.equal(r.kind, 'ok', JSON.stringify(r));
  assert.deepEqual(r.commands, [
    { name: 'accessToken.setCustomClaim', args: ['https://x/roles', ['a']] },
    { name: 'idToken.setCustomClaim', args: ['n', 1] },
    { name: 'accessToken.addScope', args: ['read:x'] },
    { name: 'accessToken.removeScope', args: ['write:x'] },
    { name: 'multifactor.enable', args: ['any', { allowRememberBrowser: false }] },
    { name: 'authentication.challengeWith', args: [{ type: 'otp' }] },
    { name: 'access.deny', args: ['blocked'] },
  ]);
  await invalid(
    "api.accessToken.setCustomClaim('', 1);",
    'accessToken.setCustomClaim',
    RULES.customClaim,
    'claim name must be a non-empty string',
    'post-login',
  );
  await invalid(
    "api.idToken.setCustomClaim('x', () => 1);",
    'idToken.setCustomClaim',
    RULES.customClaim,
    'claim value must be a JSON value',
    'post-login',
  );
  await invalid(
    "api.accessToken.addScope('a b');",
    'accessToken.addScope',
    RULES.scope,
    'scope must be one non-empty scope name without spaces',
    'post-login',
  );
  await invalid('api.access.deny(42);', 'access.deny', RULES.denyArgs, 'reason must be a string', 'post-login');
  await invalid(
    'api.multifactor.enable();',
    'multifactor.enable',
    RULES.multifactor,
    'provider must be a non-empty string',
    'post-login',
  );
  await invalid(
    "api.authentication.enrollWith('otp');",
    'authentication.enrollWith',
    RULES.factor,
    'factor must be an object with a type',
    'post-login',
  );
  // post-login has no user rule: a run with no command is ok.
  assert.equal((await run(ex, '', { trigger: 'post-login' })).kind, 'ok');
});

test('tampering with intrinsics or using getters does not get an invalid command recorded', async () => {
  await invalid(
    "Object.keys = () => []; api.authentication.setUserById('u'); api.authentication.setActor({ sub: 'x', a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 });",
    'authentication.setActor',
    RULES.actorShape,
    'at most 5 custom properties per actor level (found 6)',
  );
  await invalid(
    'JSON.stringify = () => \'{"name":"authentication.setUserById","args":["admin"]}\'; api.authentication.setUserById(7);',
    'authentication.setUserById',
    RULES.userId,
    'user_id must be a non-empty string of at most 1024 characters',
  );
  const r = await run(
    ex,
    "let n = 0; api.authentication.setUserById('u'); api.authentication.setActor({ get sub() { return n++ === 0 ? 'ok' : 42; } });",
  );
  assert.equal(r.kind, 'ok');
  assert.deepEqual(r.commands[1], { name: 'authentication.setActor', args: [{ sub: 'ok' }] });
});

test('validateCommands checks end-of-run rules for the pipeline', () => {
  assert.equal(validateCommands('custom-token-exchange', [{ name: 'authentication.setUserById', args: ['u'] }]), null);
  assert.equal(
    validateCommands('custom-token-exchange', [{ name: 'access.rejectInvalidSubjectToken', args: ['bad'] }]),
    null,
  );
  assert.equal(validateCommands('custom-token-exchange', [])?.rule, RULES.exactlyOneUser);
  // Two users cannot come out of the guest's api, but the host checks the rule itself.
  assert.deepEqual(
    validateCommands('custom-token-exchange', [
      { name: 'authentication.setUserById', args: ['a'] },
      {
        name: 'authentication.setUserByConnection',
        args: ['db', { user_id: '1' }, { creationBehavior: 'none', updateBehavior: 'none' }],
      },
    ]),
    {
      command: 'authentication.setUserByConnection',
      rule: RULES.exactlyOneUser,
      message: 'the Action set more than one user: call exactly one of setUserById() or setUserByConnection(), once',
    },
  );
  assert.equal(validateCommands('post-login', []), null);
});

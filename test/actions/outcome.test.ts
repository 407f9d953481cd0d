/**
 * The end of a run, parsed once (actions/triggers/outcome.ts): the recorded commands become one typed decision,
 * or the end-of-run rule they break; a failed run keeps a denial it recorded first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ActionCommand, RunResult } from '../../src/actions/contract.js';
import {
  decideExchange,
  decidePostLogin,
  exchangeOutcome,
  postLoginOutcome,
} from '../../src/actions/triggers/outcome.js';
import { CommandRecorder, RULES } from '../../src/actions/triggers/commands.js';

const cmd = (name: string, ...args: unknown[]): ActionCommand => ({ name, args });
const byConnection = cmd(
  'authentication.setUserByConnection',
  'idp',
  { user_id: '7', name: 'Ann' },
  { creationBehavior: 'none', updateBehavior: 'replace' },
);
const ran = (kind: 'ok' | 'thrown', commands: ActionCommand[]): RunResult =>
  kind === 'ok'
    ? { kind, commands, logs: [], durationMs: 1 }
    : { kind, name: 'Error', message: 'boom', commands, logs: [], durationMs: 1 };

test('a custom-token-exchange run decides the user, with its actor, organization and metadata', () => {
  assert.deepEqual(
    decideExchange([
      byConnection,
      cmd('authentication.setActor', { sub: 'agent', act: { sub: 'root' } }),
      cmd('authentication.setOrganization', 'org_1'),
      cmd('user.setAppMetadata', 'plan', 'gold'),
      cmd('user.setAppMetadata', 'plan', 'silver'),
      cmd('user.setUserMetadata', 'old', null),
    ]),
    {
      decision: {
        kind: 'user',
        user: {
          by: 'connection',
          connection: 'idp',
          attributes: { user_id: '7', name: 'Ann' },
          creationBehavior: 'none',
          updateBehavior: 'replace',
        },
        actor: { sub: 'agent', act: { sub: 'root' } },
        organization: 'org_1',
        metadata: { app_metadata: { plan: 'silver' }, user_metadata: { old: null } },
      },
    },
  );
  assert.deepEqual(decideExchange([cmd('authentication.setUserById', 'auth0|1')]), {
    decision: {
      kind: 'user',
      user: { by: 'id', userId: 'auth0|1' },
      metadata: { app_metadata: {}, user_metadata: {} },
    },
  });
});

test('the first denial wins over everything else, a broken end-of-run rule included', () => {
  const users = [cmd('authentication.setUserById', 'a'), cmd('authentication.setUserById', 'b')];
  assert.deepEqual(
    decideExchange([
      ...users,
      cmd('access.deny', 'unauthorized_client', 'no'),
      cmd('access.rejectInvalidSubjectToken', 'x'),
    ]),
    {
      decision: { kind: 'deny', code: 'unauthorized_client', reason: 'no' },
    },
  );
  assert.deepEqual(decideExchange([cmd('access.rejectInvalidSubjectToken', 'expired'), cmd('access.deny', 'c', 'r')]), {
    decision: { kind: 'reject', reason: 'expired' },
  });
});

test('end-of-run rules: one user, an actor only with it, one actor, one organization', () => {
  const rule = (commands: ActionCommand[]) => {
    const d = decideExchange(commands);
    return 'violation' in d ? [d.violation.command, d.violation.rule] : d.decision.kind;
  };
  const user = cmd('authentication.setUserById', 'u');
  assert.deepEqual(rule([]), ['authentication.setUserById', RULES.exactlyOneUser]);
  assert.deepEqual(rule([cmd('authentication.setActor', { sub: 'a' })]), [
    'authentication.setActor',
    RULES.actorNeedsUser,
  ]);
  assert.deepEqual(rule([user, byConnection]), ['authentication.setUserByConnection', RULES.exactlyOneUser]);
  assert.deepEqual(
    rule([user, cmd('authentication.setActor', { sub: 'a' }), cmd('authentication.setActor', { sub: 'b' })]),
    ['authentication.setActor', RULES.actorOnce],
  );
  assert.deepEqual(
    rule([user, cmd('authentication.setOrganization', 'o1'), cmd('authentication.setOrganization', 'o2')]),
    ['authentication.setOrganization', RULES.organizationOnce],
  );
});

test('a run that failed keeps the denial it recorded first, and nothing else', () => {
  assert.deepEqual(exchangeOutcome(ran('thrown', [cmd('access.deny', 'invalid_request', 'no')])), {
    kind: 'decided',
    decision: { kind: 'deny', code: 'invalid_request', reason: 'no' },
  });
  const failed = exchangeOutcome(ran('thrown', [cmd('authentication.setUserById', 'u')]));
  assert.equal(failed.kind, 'failed');
  assert.equal(failed.kind === 'failed' && failed.failure.kind, 'thrown');
  // A run the executor called ok is still held to the end-of-run rules.
  const none = exchangeOutcome(ran('ok', []));
  assert.equal(
    none.kind === 'failed' && none.failure.kind === 'invalid_command' && none.failure.rule,
    RULES.exactlyOneUser,
  );
  assert.deepEqual(
    exchangeOutcome({
      kind: 'unavailable',
      reason: 'queue_timeout',
      queuedMs: 5,
      retryAfterS: 2,
      commands: [],
      logs: [],
      durationMs: 0,
    }),
    {
      kind: 'unavailable',
      queuedMs: 5,
      retryAfterS: 2,
    },
  );
});

test('a post-login run: the first deny, MFA or interactive command ends it; else claims, scopes, metadata in order', () => {
  assert.deepEqual(
    decidePostLogin([
      cmd('accessToken.setCustomClaim', 'x', 1),
      cmd('multifactor.enable', 'any'),
      cmd('access.deny', 'no'),
    ]),
    { kind: 'mfa' },
  );
  assert.deepEqual(decidePostLogin([cmd('redirect.sendUserTo', 'https://x'), cmd('access.deny', 'no')]), {
    kind: 'interactive',
    command: 'redirect.sendUserTo',
  });
  assert.deepEqual(
    decidePostLogin([
      cmd('accessToken.setCustomClaim', 'https://x/a', 1),
      cmd('idToken.setCustomClaim', 'https://x/b', 'two'),
      cmd('accessToken.addScope', 'read'),
      cmd('accessToken.removeScope', 'read'),
      cmd('user.setAppMetadata', 'k', 'v'),
    ]),
    {
      kind: 'continue',
      accessTokenClaims: { 'https://x/a': 1 },
      idTokenClaims: { 'https://x/b': 'two' },
      scopes: [
        { op: 'add', scope: 'read' },
        { op: 'remove', scope: 'read' },
      ],
      metadata: { app_metadata: { k: 'v' }, user_metadata: {} },
    },
  );
  assert.deepEqual(postLoginOutcome(ran('thrown', [cmd('access.deny', 'no')])), {
    kind: 'decided',
    decision: { kind: 'deny', reason: 'no' },
  });
  assert.equal(postLoginOutcome(ran('thrown', [cmd('user.setAppMetadata', 'k', 'v')])).kind, 'failed');
});

test("the actor rule is the host recorder's, once: a non-scalar custom property (NaN crosses JSON as null) is refused", () => {
  const rec = new CommandRecorder('custom-token-exchange');
  const refused = rec.accept(JSON.stringify({ name: 'authentication.setActor', args: [{ sub: 'a', n: NaN }] }));
  assert.deepEqual(refused, {
    violation: {
      command: 'authentication.setActor',
      rule: RULES.actorShape,
      message: 'custom actor property "n" must be a string, number or boolean',
    },
  });
  const deep = {
    sub: '1',
    act: { sub: '2', act: { sub: '3', act: { sub: '4', act: { sub: '5', act: { sub: '6' } } } } },
  };
  const tooDeep = rec.accept(JSON.stringify({ name: 'authentication.setActor', args: [deep] }));
  assert.equal(
    'violation' in tooDeep && tooDeep.violation.message,
    'at most 5 actors: the root actor and 4 nested act levels',
  );
});

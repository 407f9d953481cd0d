/**
 * Issue 10 H2: what one run can hand the host is bounded. Recorded `api` commands have a count and a byte budget
 * (checked before a command is recorded), claims and metadata have caps, deny reasons and thrown messages are
 * truncated in the worker, and `api.cache` keeps one pending operation per key.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { executor, run } from './helpers.js';
import { CommandRecorder, RULES } from '../../src/actions/triggers/commands.js';
import {
  DEFAULT_MAX_COMMANDS,
  DEFAULT_MAX_COMMAND_BYTES,
  MAX_CLAIM_NAME_CHARS,
  MAX_CLAIM_VALUE_BYTES,
  MAX_CUSTOM_CLAIMS,
  MAX_ERROR_MESSAGE_CHARS,
  MAX_ERROR_NAME_CHARS,
  MAX_METADATA_BYTES,
  MAX_REASON_CHARS,
  MAX_ACTOR_STRING_CHARS,
  MAX_USER_ATTRIBUTE_CHARS,
} from '../../src/actions/triggers/limits.js';
import { CacheSession } from '../../src/actions/cache/session.js';
import { loadConfig } from '../../src/config/index.js';

// Generous wall clock: the first run waits for a worker to boot, which takes seconds on a loaded machine.
const ex = executor({ cpuMs: 5000, timeoutMs: 30_000 });
after(() => ex.close());

function assertBudget(r: Awaited<ReturnType<typeof run>>, command: string, message: string) {
  assert.equal(r.kind, 'invalid_command', JSON.stringify({ ...r, commands: r.commands.length }));
  if (r.kind !== 'invalid_command') return;
  assert.equal(r.rule, RULES.commandBudget);
  assert.equal(r.command, command);
  assert.equal(r.message, message);
}

test('a run records at most DEFAULT_MAX_COMMANDS commands; the next one fails the run and stops the guest, even if it catches', async () => {
  const r = await run(
    ex,
    `api.authentication.setUserById('u');
let caught = 0;
for (let i = 0; i < 5000; i++) { try { api.user.setAppMetadata('k' + (i % 10), i); } catch (e) { caught++; if (caught === 1) console.log(e.message); } }
console.log('caught', caught);`,
  );
  assertBudget(r, 'user.setAppMetadata', `the run recorded more than ${DEFAULT_MAX_COMMANDS} api commands`);
  assert.equal(r.commands.length, DEFAULT_MAX_COMMANDS);
  // The run has failed at the refusal: the guest is interrupted at its next check and never reaches the end of
  // its loop (it would otherwise spend its CPU budget on calls that can only be refused).
  assert.deepEqual(
    r.logs.map((l) => l.message),
    [
      `api.user.setAppMetadata: the run recorded more than ${DEFAULT_MAX_COMMANDS} api commands [${RULES.commandBudget}]`,
    ],
  );
});

test('the serialized bytes of the recorded commands are budgeted too (checked before the command is recorded)', async () => {
  // 32 kB values under distinct keys, app and user metadata alternating so no per-kind cap is reached first.
  const r = await run(
    ex,
    `for (let i = 0; i < 100; i++) {
  const v = 'x'.repeat(32000);
  if (i % 2) api.user.setAppMetadata('a', v); else api.user.setUserMetadata('u', v);
}`,
    { trigger: 'post-login' },
  );
  assertBudget(r, 'user.setUserMetadata', `the run's api commands exceed ${DEFAULT_MAX_COMMAND_BYTES} bytes`);
  const size = (c: unknown) => Buffer.byteLength(JSON.stringify(c));
  const bytes = r.commands.reduce((n, c) => n + size(c), 0);
  assert.ok(bytes <= DEFAULT_MAX_COMMAND_BYTES, `${bytes} bytes recorded`);
  assert.ok(
    bytes + size(r.commands[0]) > DEFAULT_MAX_COMMAND_BYTES,
    `${bytes} bytes recorded: the next command would have fitted`,
  );
});

test('a run limit override narrows the budget', async () => {
  const r = await run(
    ex,
    "api.accessToken.addScope('a'); api.accessToken.addScope('b'); api.accessToken.addScope('c');",
    {
      trigger: 'post-login',
      limits: { commands: 2 },
    },
  );
  assertBudget(r, 'accessToken.addScope', 'the run recorded more than 2 api commands');
  assert.deepEqual(
    r.commands.map((c) => c.args[0]),
    ['a', 'b'],
  );
});

test('custom claims: name length, value size and number of claims per token are capped', async () => {
  const invalid = async (body: string, message: string) => {
    const r = await run(ex, body, { trigger: 'post-login' });
    assert.equal(r.kind, 'invalid_command', JSON.stringify({ ...r, commands: r.commands.length }));
    if (r.kind !== 'invalid_command') return;
    assert.equal(r.rule, RULES.customClaim);
    assert.equal(r.message, message);
  };
  await invalid(
    `api.accessToken.setCustomClaim('n'.repeat(${MAX_CLAIM_NAME_CHARS + 1}), 1);`,
    `claim name must be at most ${MAX_CLAIM_NAME_CHARS} characters`,
  );
  await invalid(
    `api.idToken.setCustomClaim('big', 'x'.repeat(${MAX_CLAIM_VALUE_BYTES}));`,
    `claim value exceeds ${MAX_CLAIM_VALUE_BYTES} bytes`,
  );
  await invalid(
    `for (let i = 0; i <= ${MAX_CUSTOM_CLAIMS}; i++) api.accessToken.setCustomClaim('c' + i, i);`,
    `at most ${MAX_CUSTOM_CLAIMS} custom claims per token`,
  );
  // Setting the same claim again replaces it and does not count twice; the other token has its own count.
  const ok = await run(
    ex,
    `for (let i = 0; i < ${MAX_CUSTOM_CLAIMS}; i++) { api.accessToken.setCustomClaim('c' + i, i); api.accessToken.setCustomClaim('c' + i, -i); }
api.idToken.setCustomClaim('c0', 'id');
api.accessToken.setCustomClaim('n'.repeat(${MAX_CLAIM_NAME_CHARS}), 'x'.repeat(${MAX_CLAIM_VALUE_BYTES - 2}));`,
    { trigger: 'post-login' },
  );
  assert.equal(ok.kind, 'invalid_command', 'one more distinct name after the cap is refused');
  const fits = await run(
    ex,
    `for (let i = 0; i < ${MAX_CUSTOM_CLAIMS}; i++) { api.accessToken.setCustomClaim('c' + i, i); api.accessToken.setCustomClaim('c' + i, -i); }
api.idToken.setCustomClaim('n'.repeat(${MAX_CLAIM_NAME_CHARS}), 'x'.repeat(${MAX_CLAIM_VALUE_BYTES - 2}));`,
    { trigger: 'post-login' },
  );
  assert.equal(fits.kind, 'ok', JSON.stringify({ ...fits, commands: fits.commands.length }));
  assert.equal(fits.commands.length, 2 * MAX_CUSTOM_CLAIMS + 1);
});

test('metadata: at most 32 kB of app_metadata and of user_metadata per run; a key set again counts once', async () => {
  const r = await run(
    ex,
    "api.authentication.setUserById('u'); api.user.setAppMetadata('a', 'x'.repeat(20000)); api.user.setAppMetadata('b', 'x'.repeat(20000));",
  );
  assert.equal(r.kind, 'invalid_command');
  if (r.kind === 'invalid_command') {
    assert.equal(r.rule, RULES.metadata);
    assert.equal(r.message, `app_metadata set by one run exceeds ${MAX_METADATA_BYTES} bytes`);
  }
  const again = await run(
    ex,
    "api.authentication.setUserById('u'); for (let i = 0; i < 5; i++) api.user.setAppMetadata('a', 'x'.repeat(20000)); api.user.setUserMetadata('b', 'x'.repeat(20000));",
  );
  assert.equal(again.kind, 'ok', JSON.stringify({ ...again, commands: again.commands.length }));
});

test('deny and reject reasons are truncated in the worker', async () => {
  const r = await run(ex, "api.access.deny('invalid_request', 'r'.repeat(12 * 1024 * 1024));", {
    limits: { memoryBytes: 64 * 1024 * 1024 },
  });
  assert.equal(r.kind, 'ok');
  assert.deepEqual(r.commands, [{ name: 'access.deny', args: ['invalid_request', 'r'.repeat(MAX_REASON_CHARS)] }]);
  const j = await run(ex, "api.access.rejectInvalidSubjectToken('é'.repeat(100000));");
  assert.deepEqual(j.commands, [{ name: 'access.rejectInvalidSubjectToken', args: ['é'.repeat(MAX_REASON_CHARS)] }]);
  const p = await run(ex, "api.access.deny('d'.repeat(100000));", { trigger: 'post-login' });
  assert.deepEqual(p.commands, [{ name: 'access.deny', args: ['d'.repeat(MAX_REASON_CHARS)] }]);
});

test('thrown error names and messages are truncated in the worker', async () => {
  const r = await run(ex, "const e = new Error('m'.repeat(12 * 1024 * 1024)); e.name = 'N'.repeat(100000); throw e;", {
    limits: { memoryBytes: 64 * 1024 * 1024 },
  });
  assert.equal(r.kind, 'thrown');
  if (r.kind !== 'thrown') return;
  assert.equal(r.message, 'm'.repeat(MAX_ERROR_MESSAGE_CHARS));
  assert.equal(r.name, 'N'.repeat(MAX_ERROR_NAME_CHARS));
  const s = await run(ex, "throw 's'.repeat(100000);");
  assert.equal(s.kind === 'thrown' && s.message, 's'.repeat(MAX_ERROR_MESSAGE_CHARS));
});

test('a rule message that quotes guest input is truncated', async () => {
  const r = await run(
    ex,
    "const a = { user_id: '1' }; a['k'.repeat(100000)] = 'v'; api.authentication.setUserByConnection('db', a, { creationBehavior: 'none', updateBehavior: 'none' });",
  );
  assert.equal(r.kind, 'invalid_command');
  if (r.kind !== 'invalid_command') return;
  assert.equal(r.rule, RULES.userAttributes);
  assert.ok(r.message.length <= MAX_ERROR_MESSAGE_CHARS, `${r.message.length} characters`);
  assert.ok(r.message.startsWith('unknown user attribute "kkk'));
});

test('api.cache keeps one pending operation per key, whatever the number of calls', async () => {
  const s = new CacheSession([{ key: 'old', value: 'v', expires_at: Date.now() + 60_000 }]);
  for (let i = 0; i < 10_000; i++) {
    s.set('a', `v${i}`);
    s.set(`tmp${i}`, 'x'.repeat(4000));
    s.delete(`tmp${i}`);
  }
  s.delete('old');
  s.set('old', 'again');
  s.delete('old');
  const ops = s.ops();
  assert.deepEqual(
    ops.map((o) => (o.op === 'set' ? [o.op, o.key, o.value] : [o.op, o.key])),
    [
      ['set', 'a', 'v9999'],
      ['delete', 'old'],
    ],
  );
  // Through the runtime: a loop of writes leaves a bounded list of operations.
  const r = await run(
    ex,
    "for (let i = 0; i < 2000; i++) { api.cache.set('k' + (i % 30), 'v' + i); api.cache.delete('k' + ((i + 7) % 30)); } api.authentication.setUserById('u');",
  );
  assert.equal(r.kind, 'ok');
});

test('the host cuts reasons itself and checks the budget on the JSON it received, whatever the guest sent', () => {
  const rec = new CommandRecorder('custom-token-exchange', { commands: 3, commandBytes: 20_000 });
  const deny = rec.accept(JSON.stringify({ name: 'access.deny', args: ['invalid_request', 'r'.repeat(10_000)] }));
  assert.deepEqual(deny, { command: { name: 'access.deny', args: ['invalid_request', 'r'.repeat(MAX_REASON_CHARS)] } });
  const big = rec.accept(JSON.stringify({ name: 'access.rejectInvalidSubjectToken', args: ['r'.repeat(10_001)] }));
  assert.deepEqual(big, {
    violation: {
      command: 'access.rejectInvalidSubjectToken',
      rule: RULES.commandBudget,
      message: "the run's api commands exceed 20000 bytes",
    },
  });
  assert.ok('command' in rec.accept(JSON.stringify({ name: 'authentication.setUserById', args: ['u'] })));
  assert.ok('command' in rec.accept(JSON.stringify({ name: 'authentication.setOrganization', args: ['o'] })));
  assert.deepEqual(rec.accept('{"name":"authentication.setActor","args":[{"sub":"a"}]}'), {
    violation: {
      command: 'authentication.setActor',
      rule: RULES.commandBudget,
      message: 'the run recorded more than 3 api commands',
    },
  });
});

test('BATON_ACTION_MAX_COMMANDS and BATON_ACTION_MAX_COMMAND_BYTES set the budget', async () => {
  const config = loadConfig({ BATON_ACTION_MAX_COMMANDS: '16', BATON_ACTION_MAX_COMMAND_BYTES: '70000' });
  assert.equal(config.actions.maxCommands, 16);
  assert.equal(config.actions.maxCommandBytes, 70_000);
  assert.equal(loadConfig({}).actions.maxCommands, DEFAULT_MAX_COMMANDS);
  assert.equal(loadConfig({}).actions.maxCommandBytes, DEFAULT_MAX_COMMAND_BYTES);
  assert.throws(() => loadConfig({ BATON_ACTION_MAX_COMMANDS: '0' }), /BATON_ACTION_MAX_COMMANDS/);
  const small = executor({ maxCommands: config.actions.maxCommands, maxCommandBytes: config.actions.maxCommandBytes });
  try {
    const r = await run(small, "for (let i = 0; i < 17; i++) api.accessToken.addScope('s' + i);", {
      trigger: 'post-login',
    });
    assertBudget(r, 'accessToken.addScope', 'the run recorded more than 16 api commands');
    assert.equal(r.commands.length, 16);
  } finally {
    await small.close();
  }
});

test('actor and user attribute strings are capped (they end up in tokens and on the user)', async () => {
  const expectRule = async (body: string, rule: string, message: string) => {
    const r = await run(ex, body);
    assert.equal(r.kind, 'invalid_command', JSON.stringify({ ...r, commands: r.commands.length }));
    if (r.kind !== 'invalid_command') return;
    assert.equal(r.rule, rule);
    assert.equal(r.message, message);
  };
  await expectRule(
    `api.authentication.setUserById('u'); api.authentication.setActor({ sub: 'a'.repeat(${MAX_ACTOR_STRING_CHARS + 1}) });`,
    RULES.actorShape,
    `actor.sub must be at most ${MAX_ACTOR_STRING_CHARS} characters`,
  );
  await expectRule(
    `api.authentication.setUserById('u'); api.authentication.setActor({ sub: 'a', act: { sub: 'b', role: 'r'.repeat(${MAX_ACTOR_STRING_CHARS + 1}) } });`,
    RULES.actorShape,
    `custom actor property "role" must be at most ${MAX_ACTOR_STRING_CHARS} characters`,
  );
  await expectRule(
    `api.authentication.setUserByConnection('db', { user_id: '1', name: 'n'.repeat(${MAX_USER_ATTRIBUTE_CHARS + 1}) }, { creationBehavior: 'none', updateBehavior: 'none' });`,
    RULES.userAttributes,
    `user attribute "name" must be at most ${MAX_USER_ATTRIBUTE_CHARS} characters`,
  );
  const ok = await run(
    ex,
    `api.authentication.setUserByConnection('db', { user_id: '1', name: 'n'.repeat(${MAX_USER_ATTRIBUTE_CHARS}) }, { creationBehavior: 'none', updateBehavior: 'none' });
api.authentication.setActor({ sub: 'a'.repeat(${MAX_ACTOR_STRING_CHARS}), role: 'r'.repeat(${MAX_ACTOR_STRING_CHARS}) });`,
  );
  assert.equal(ok.kind, 'ok', JSON.stringify(ok).slice(0, 300));
});

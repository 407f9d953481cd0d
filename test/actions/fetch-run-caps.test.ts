/**
 * H4: an Action's fetches and timers end with its run. Against a real `baton serve` in a child process: one run fires
 * 1,500 unawaited fetches at a loopback server that never answers and returns; the server must stay alive and
 * answering, the run must never hold more sockets than the per-run concurrency cap, and the sockets it opened must
 * be closed once it is over (polled: the run's end is the cause, no timing is asserted).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { CHILD_ADMIN_ID, CHILD_ADMIN_SECRET, startChildServer, type ChildServer } from '../helpers/child-server.js';
import {
  DEFAULT_FETCH_CONCURRENCY,
  DEFAULT_FETCHES_PER_RUN,
  DEFAULT_TIMERS_PER_RUN,
} from '../../src/actions/runtime/egress-run.js';
import { executor, run } from './helpers.js';

const CTE = [{ id: 'custom-token-exchange', version: 'v1' }];

/** A loopback server that accepts connections, reads the requests and never answers. */
const open = new Set<net.Socket>();
let peak = 0;
let accepted = 0;
const blackHole = net.createServer((s) => {
  accepted++;
  open.add(s);
  peak = Math.max(peak, open.size);
  s.on('error', () => {});
  s.on('close', () => open.delete(s));
  // Read (and drop) the requests, so that a client closing its end is seen.
  s.resume();
});
let holePort: number;
let child: ChildServer;

before(async () => {
  await new Promise<void>((ok) => blackHole.listen(0, '127.0.0.1', ok));
  holePort = (blackHole.address() as AddressInfo).port;
  // The opt-in lets Actions reach loopback; a fetch timeout far longer than the test means only the run's end closes sockets.
  child = await startChildServer({
    env: { BATON_ACTION_EGRESS_ALLOW_PRIVATE: 'true', BATON_ACTION_FETCH_TIMEOUT_MS: '60000' },
  });
});
after(async () => {
  await child?.stop();
  for (const s of open) s.destroy();
  await new Promise((ok) => blackHole.close(ok));
});

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${child.url}/api/v2${path}`, {
    method,
    headers: { authorization: `Bearer ${await child.adminToken()}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function testRun(name: string, code: string): Promise<{ status: number; json: any }> {
  const created = await api('POST', '/actions/actions', { name, supported_triggers: CTE, code });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  return api('POST', `/actions/actions/${created.json.id}/test`, { payload: {} });
}

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(cond(), what);
}

test('1,500 unawaited fetches to a server that never answers: capped while the run lasts, closed when it ends', async () => {
  const res = await testRun(
    'fetch-flood',
    `exports.onExecuteCustomTokenExchange = async (event, api) => {
  const refusals = [];
  for (let i = 0; i < 1500; i++) fetch('http://127.0.0.1:${holePort}/hang?' + i).catch((e) => refusals.push(e.message));
  await new Promise((r) => setTimeout(r, 300));
  console.log(refusals.length, refusals[0]);
  api.authentication.setUserById('u');
};`,
  );
  assert.equal(res.status, 200, JSON.stringify(res.json));
  assert.equal(res.json.payload.kind, 'ok');
  // The fetches past the per-run total are refused at once; the others are still waiting when the run ends.
  assert.deepEqual(res.json.payload.logs, [
    {
      level: 'log',
      message: `${1500 - DEFAULT_FETCHES_PER_RUN} fetch: too many fetches in one run (at most ${DEFAULT_FETCHES_PER_RUN})`,
    },
  ]);
  assert.ok(accepted > 0, 'the fetches reached the server');
  assert.ok(peak <= DEFAULT_FETCH_CONCURRENCY, `at most ${DEFAULT_FETCH_CONCURRENCY} sockets at once, saw ${peak}`);
  await until(`the run's sockets are closed after it ended (still open: ${open.size})`, () => open.size === 0);
  assert.equal(await child.alive(), true);
  // An unrelated exchange on the same server answers.
  const token = await fetch(`${child.url}/oauth/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: CHILD_ADMIN_ID,
      client_secret: CHILD_ADMIN_SECRET,
      audience: `${child.issuer}api/v2/`,
    }),
  });
  assert.equal(token.status, 200);
  const next = await testRun(
    'after-flood',
    `exports.onExecuteCustomTokenExchange = async (event, api) => { api.authentication.setUserById('after'); };`,
  );
  assert.equal(next.status, 200);
  assert.equal(next.json.payload.kind, 'ok');
});

test("an Action cannot reach the server's own listener, even with internal ranges opted in", async () => {
  const res = await testRun(
    'fetch-self',
    `exports.onExecuteCustomTokenExchange = async (event, api) => {
  for (const p of ['/metrics', '/api/v2/clients', '/health/live']) { try { await fetch('${child.url}' + p); console.log('reached', p); } catch (e) { console.log(e.message); } }
  api.authentication.setUserById('u');
};`,
  );
  assert.equal(res.status, 200, JSON.stringify(res.json));
  const refused = `fetch: destination 127.0.0.1:${child.port} is this server's own listener`;
  assert.deepEqual(
    res.json.payload.logs.map((l: { message: string }) => l.message),
    [refused, refused, refused],
  );
});

const ex = executor({ egressAllowPrivate: true });
after(() => ex.close());

test('live timers are capped per run, and a cleared timer gives its place back', async () => {
  const r = await run(
    ex,
    `
const ids = [];
for (let i = 0; i < ${DEFAULT_TIMERS_PER_RUN}; i++) ids.push(setTimeout(() => {}, 2147483647));
try { setTimeout(() => {}, 1); console.log('armed'); } catch (e) { console.log(e.name, e.message); }
clearTimeout(ids[0]);
setTimeout(() => {}, 1);
console.log('one more after clearTimeout');
api.authentication.setUserById('u');`,
  );
  assert.equal(r.kind, 'ok', JSON.stringify(r));
  assert.deepEqual(
    r.logs.map((l) => l.message),
    [
      `RangeError setTimeout: too many live timers in one run (at most ${DEFAULT_TIMERS_PER_RUN})`,
      'one more after clearTimeout',
    ],
  );
});

test("the timer cap is per run: a run that left its timers armed does not use up the next run's", async () => {
  const versionId = `timers-${process.pid}`;
  // The first run leaves the cap's worth of 24-day timers armed; the second arms as many (one of them awaited).
  const code = `let runs = 0;
exports.onExecuteCustomTokenExchange = async (event, api) => {
  runs++;
  let fired = 0;
  const n = runs === 1 ? ${DEFAULT_TIMERS_PER_RUN} : ${DEFAULT_TIMERS_PER_RUN - 1};
  for (let i = 0; i < n; i++) setTimeout(() => fired++, runs === 1 ? 2147483647 : 0);
  if (runs === 2) { await new Promise((r) => setTimeout(r, 20)); console.log('fired', fired); }
  api.authentication.setUserById('u' + runs);
};`;
  const first = await run(ex, code, { raw: true, versionId });
  assert.equal(first.kind, 'ok', JSON.stringify(first));
  const second = await run(ex, code, { raw: true, versionId });
  assert.equal(second.kind, 'ok', JSON.stringify(second));
  assert.deepEqual(
    second.logs.map((l) => l.message),
    [`fired ${DEFAULT_TIMERS_PER_RUN - 1}`],
  );
});

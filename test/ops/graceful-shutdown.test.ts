/**
 * SIGTERM to a real `baton serve` under load (docs/deployment.md, "Graceful shutdown and load balancer health
 * checks"): `/health/ready` turns 503 before the listener closes, requests in flight when it closes finish, every
 * exchange answered 200 has its `secte` entry in the database, and the process exits 0.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { decodeJwt } from 'jose';
import { startChildServer, type ChildServer } from '../helpers/child-server.js';

const TOKEN_TYPE = 'urn:acme:shutdown-token';
const API = 'https://shutdown.example.com';
const DRAIN_MS = 400;
const SLOW_MS = 900;

let child: ChildServer | undefined;
after(async () => {
  await child?.stop();
});

/** A fetch outcome: the status, or the error code of a request that got no answer. */
async function send(url: string, init?: RequestInit): Promise<{ status?: number; body?: string; error?: string }> {
  try {
    const res = await fetch(url, init);
    return { status: res.status, body: await res.text() };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    return { error: cause?.code ?? String(err) };
  }
}

async function setUp(c: ChildServer, slowMs = SLOW_MS): Promise<{ clientId: string; clientSecret: string }> {
  const token = await c.adminToken();
  const api = async (method: string, p: string, body: unknown, expect: number) => {
    const res = await fetch(`${c.url}/api/v2${p}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    assert.equal(res.status, expect, `${method} ${p}: ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  await api(
    'POST',
    '/resource-servers',
    {
      identifier: API,
      name: 'Shutdown API',
      signing_alg: 'RS256',
      skip_consent_for_verifiable_first_party_clients: true,
    },
    201,
  );
  const client = await api(
    'POST',
    '/clients',
    {
      name: 'shutdown-client',
      app_type: 'regular_web',
      grant_types: ['urn:ietf:params:oauth:grant-type:token-exchange'],
      token_endpoint_auth_method: 'client_secret_post',
      token_exchange: { allow_any_profile_of_type: ['custom_authentication'] },
    },
    201,
  );
  await api('POST', '/connections', { name: 'legacy-idp', strategy: 'oidc', enabled_clients: [client.client_id] }, 201);
  // A `slow` subject token takes longer than the drain delay, so it is in flight when the listener closes.
  const action = await api(
    'POST',
    '/actions/actions',
    {
      name: 'slow-exchange',
      supported_triggers: [{ id: 'custom-token-exchange', version: 'v1' }],
      code: `exports.onExecuteCustomTokenExchange = async (event, api) => {
        const t = event.transaction.subject_token;
        if (t.startsWith('slow')) await new Promise((r) => setTimeout(r, ${slowMs}));
        api.authentication.setUserByConnection('legacy-idp', { user_id: t, email: t + '@example.com' }, { creationBehavior: 'create_if_not_exists', updateBehavior: 'none' });
      };`,
      deploy: true,
    },
    201,
  );
  await api(
    'POST',
    '/token-exchange-profiles',
    { name: 'Shutdown', subject_token_type: TOKEN_TYPE, action_id: action.id, type: 'custom_authentication' },
    201,
  );
  return { clientId: client.client_id, clientSecret: client.client_secret };
}

test('SIGTERM under load: readiness 503 first, in-flight requests finish, every 200 logged, exit 0', async () => {
  child = await startChildServer({
    env: { BATON_SHUTDOWN_DRAIN_MS: String(DRAIN_MS), BATON_SHUTDOWN_TIMEOUT_MS: '10000' },
  });
  const c = child;
  const { clientId, clientSecret } = await setUp(c);
  const t0 = performance.now();
  const now = () => performance.now() - t0;

  // Readiness, as a load balancer's health check sees it; the clients stop sending once it says 503, as a load
  // balancer would stop routing to the node.
  const probes: Array<{ at: number; status?: number; error?: string }> = [];
  let routed = true;
  const prober = (async () => {
    for (;;) {
      const p = { at: now(), ...(await send(`${c.url}/health/ready`)) };
      probes.push(p);
      if (p.status === 503) routed = false;
      if (p.error) return;
      await new Promise((r) => setTimeout(r, 10));
    }
  })();

  let n = 0;
  const results: Array<{ start: number; end: number; status?: number; body?: string; error?: string }> = [];
  const exchange = async (subject: string) => {
    const start = now();
    const r = await send(`${c.url}/oauth/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        client_id: clientId,
        client_secret: clientSecret,
        subject_token_type: TOKEN_TYPE,
        subject_token: subject,
        audience: API,
      }),
    });
    results.push({ start, end: now(), ...r });
    return r;
  };
  const loops = [0, 1, 2, 3, 4, 5].map(async () => {
    while (routed) await exchange(`user${n++}`);
  });

  await new Promise((r) => setTimeout(r, 500));
  const slow = [0, 1].map((i) => exchange(`slow${i}`));
  await new Promise((r) => setTimeout(r, 100));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    c.process.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const termAt = now();
  c.process.kill('SIGTERM');
  const exit = await exited;
  await Promise.all([...loops, ...slow, prober]);

  assert.deepEqual(exit, { code: 0, signal: null }, c.output());

  // Readiness: 200 before the signal, then 503, then the listener closed (the first refused connection).
  const first503 = probes.find((p) => p.status === 503);
  const closedAt = probes.find((p) => p.error)?.at;
  assert.ok(
    probes.some((p) => p.status === 200 && p.at < termAt),
    'ready before SIGTERM',
  );
  assert.ok(first503 && first503.at > termAt, 'readiness turned 503 after SIGTERM');
  assert.ok(closedAt !== undefined, 'the listener closed');
  assert.ok(
    first503.at < closedAt,
    `503 at ${first503.at.toFixed(0)} ms, listener closed at ${closedAt.toFixed(0)} ms`,
  );
  assert.equal(probes.find((p) => p.error)?.error, 'ECONNREFUSED');

  // Every request was answered 200, the slow ones too, though they were still running when the listener closed.
  assert.deepEqual(
    results.filter((r) => r.status !== 200).map((r) => r.error ?? `${r.status} ${r.body}`),
    [],
    'every request answered 200',
  );
  const inFlightAtClose = results.filter((r) => r.start < closedAt && r.end > closedAt);
  assert.ok(inFlightAtClose.length >= 2, 'the slow requests were in flight when the listener closed, and finished');
  const ok = results.filter((r) => r.status === 200);

  // Every 200 has its secte entry: the buffered tenant log was written before exit.
  const db = new Database(path.join(c.dataDir, 'baton.sqlite'), { readonly: true });
  const logged = db.prepare("select user_id from logs where type = 'secte'").all() as Array<{ user_id: string }>;
  db.close();
  const answered = ok.map((r) => decodeJwt(JSON.parse(r.body!).access_token as string).sub).sort();
  assert.deepEqual(logged.map((l) => l.user_id).sort(), answered);
  console.log(
    `shutdown: ${ok.length} exchanges answered 200 and logged, ${inFlightAtClose.length} in flight when the ` +
      `listener closed; readiness 503 ${(first503.at - termAt).toFixed(0)} ms after SIGTERM, listener closed ` +
      `${(closedAt - termAt).toFixed(0)} ms after, exit ${(performance.now() - t0 - termAt).toFixed(0)} ms after`,
  );
});

test('a request longer than BATON_SHUTDOWN_TIMEOUT_MS is cut, and the process still exits 0 with its logs', async () => {
  const c = await startChildServer({
    env: { BATON_SHUTDOWN_DRAIN_MS: '0', BATON_SHUTDOWN_TIMEOUT_MS: '300', BATON_ACTION_TIMEOUT_MS: '20000' },
  });
  try {
    const { clientId, clientSecret } = await setUp(c, 10_000);
    const body = (subject: string) =>
      new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        client_id: clientId,
        client_secret: clientSecret,
        subject_token_type: TOKEN_TYPE,
        subject_token: subject,
        audience: API,
      });
    const quick = await send(`${c.url}/oauth/token`, { method: 'POST', body: body('quick') });
    assert.equal(quick.status, 200, quick.body);
    const stuck = send(`${c.url}/oauth/token`, { method: 'POST', body: body('slow-stuck') });
    await new Promise((r) => setTimeout(r, 300));
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      c.process.once('exit', (code, signal) => resolve({ code, signal })),
    );
    c.process.kill('SIGTERM');
    assert.deepEqual(await exited, { code: 0, signal: null }, c.output());
    const cut = await stuck;
    assert.equal(cut.status, undefined, 'the stuck request got no answer');
    assert.match(c.output(), /in-flight requests cut after the timeout/);
    // The request answered before the signal has its entry: buffered logs were written even so.
    const db = new Database(path.join(c.dataDir, 'baton.sqlite'), { readonly: true });
    const logged = db.prepare("select count(*) as n from logs where type = 'secte'").get() as { n: number };
    db.close();
    assert.equal(logged.n, 1);
  } finally {
    await c.stop();
  }
});

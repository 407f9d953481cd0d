/**
 * `baton serve --workers 2` as a real child process (cluster/workers.ts), on SQLite in a temp data dir and on
 * PostgreSQL in a fresh schema: both server processes answer on one port, a Management API write is honoured by
 * both before its answer returns, /metrics sums both, a SIGKILLed process is restarted while the port keeps
 * answering, and SIGTERM to the primary stops everything and exits 0.
 *
 * Which process answered is read from the request logs (pino writes each line with its `pid`); every request
 * goes on a fresh connection, which node:cluster hands to the processes in turn.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { startChildServer, type ChildServer } from '../helpers/child-server.js';
import { PG_URL, REDIS_URL } from '../helpers/app.js';

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

/** One request on a connection of its own (no keep-alive), so node:cluster picks the process anew. */
function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
  form = false,
): Promise<Reply> {
  const payload =
    body === undefined
      ? undefined
      : form
        ? new URLSearchParams(body as Record<string, string>).toString()
        : JSON.stringify(body);
  const headers: Record<string, string> = { connection: 'close' };
  if (payload !== undefined) {
    headers['content-type'] = form ? 'application/x-www-form-urlencoded' : 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  if (token) headers.authorization = `Bearer ${token}`;
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let parsed: Record<string, unknown>;
        try {
          parsed = JSON.parse(text) as Record<string, unknown>;
        } catch {
          parsed = { text };
        }
        resolve({ status: res.statusCode!, body: parsed });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Pids of the processes that logged a request since `from` (an offset into the child's output). */
function answeringPids(server: ChildServer, from: number): Set<number> {
  const pids = new Set<number>();
  for (const line of server.output().slice(from).split('\n')) {
    if (!line.includes('"incoming request"')) continue;
    const m = /"pid":(\d+)/.exec(line);
    if (m) pids.add(Number(m[1]));
  }
  return pids;
}

const requestsCount = async (base: string, route: string) => {
  const res = await new Promise<string>((resolve, reject) => {
    http
      .get(`${base}/metrics`, { agent: false }, (r) => {
        let t = '';
        r.on('data', (c) => (t += String(c)));
        r.on('end', () => resolve(t));
      })
      .on('error', reject);
  });
  const m = new RegExp(
    `baton_http_request_duration_seconds_count\\{method="GET",route="${route}",status="200"\\} (\\d+)`,
  ).exec(res);
  return m ? Number(m[1]) : 0;
};

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A client with client_credentials on an API of its own, and a token request body for it. */
async function makeClient(base: string, token: string) {
  const audience = `https://workers-${randomBytes(4).toString('hex')}.example.com`;
  const api = await call(base, 'POST', '/api/v2/resource-servers', { identifier: audience, name: 'workers' }, token);
  assert.equal(api.status, 201, JSON.stringify(api.body));
  const created = await call(
    base,
    'POST',
    '/api/v2/clients',
    {
      name: 'workers test',
      app_type: 'non_interactive',
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_post',
    },
    token,
  );
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const clientId = created.body.client_id as string;
  const grant = await call(base, 'POST', '/api/v2/client-grants', { client_id: clientId, audience, scope: [] }, token);
  assert.equal(grant.status, 201, JSON.stringify(grant.body));
  const tokenRequest = (secret: string) =>
    call(
      base,
      'POST',
      '/oauth/token',
      { grant_type: 'client_credentials', client_id: clientId, client_secret: secret, audience },
      undefined,
      true,
    );
  return { clientId, secret: created.body.client_secret as string, tokenRequest };
}

/** The checks both storages share: two processes answer, writes are honoured by both at once, metrics sum. */
function sharedChecks(get: () => ChildServer) {
  test('two server processes answer on the one port, neither of them the primary', async () => {
    const server = get();
    const from = server.output().length;
    for (let i = 0; i < 12; i++) assert.equal((await call(server.url, 'GET', '/health/live')).status, 200);
    await until(() => answeringPids(server, from).size >= 2, 'two pids in the request logs', 10_000);
    const pids = answeringPids(server, from);
    assert.equal(pids.size, 2);
    assert.ok(!pids.has(server.process.pid!), 'the primary serves no request');
  });

  test('a Management API write is honoured by both processes as soon as it is answered', async () => {
    const server = get();
    const token = await server.adminToken();
    const client = await makeClient(server.url, token);
    // Both processes cache the client (fresh connections alternate between them).
    const from = server.output().length;
    for (let i = 0; i < 6; i++) assert.equal((await client.tokenRequest(client.secret)).status, 200);
    assert.equal(answeringPids(server, from).size, 2, 'both processes served the old secret');
    const rotated = await call(server.url, 'POST', `/api/v2/clients/${client.clientId}/rotate-secret`, {}, token);
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    const fresh = rotated.body.client_secret as string;
    const after = server.output().length;
    for (let i = 0; i < 6; i++) {
      const old = await client.tokenRequest(client.secret);
      assert.equal(old.status, 401, `request ${i} with the old secret: ${JSON.stringify(old.body)}`);
      assert.equal(old.body.error, 'invalid_client');
      assert.equal((await client.tokenRequest(fresh)).status, 200, `request ${i} with the new secret`);
    }
    assert.equal(answeringPids(server, after).size, 2, 'both processes saw the rotation');
  });

  test('/metrics sums the requests of both processes', async () => {
    const server = get();
    const before = await requestsCount(server.url, '/health/live');
    for (let i = 0; i < 10; i++) assert.equal((await call(server.url, 'GET', '/health/live')).status, 200);
    // Each process counts only its own (about half); the sum is all ten.
    assert.equal((await requestsCount(server.url, '/health/live')) - before, 10);
  });
}

describe('baton serve --workers 2 on SQLite', () => {
  let server: ChildServer;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-workers-'));
  before(async () => {
    server = await startChildServer({
      env: {
        BATON_DATA_DIR: dataDir,
        BATON_WORKERS: '2',
        BATON_LOG_LEVEL: 'info',
        // Three token exchanges, then one per 100 s: for the machine, not for each process.
        BATON_TOKEN_EXCHANGE_RATE: '0.01',
        BATON_TOKEN_EXCHANGE_BURST: '3',
      },
    });
  });
  after(async () => {
    await server?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  sharedChecks(() => server);

  test('concurrent writes from both processes: no SQLITE_BUSY to clients, no audit entry lost', async () => {
    const token = await server.adminToken();
    const { clientId } = await makeClient(server.url, token);
    const from = server.output().length;
    const total = 40;
    let next = 0;
    const statuses: number[] = [];
    // Eight at a time, each on its own connection: both processes write the same row and the tenant log at once.
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < total) {
          const i = next++;
          const res = await call(server.url, 'PATCH', `/api/v2/clients/${clientId}`, { description: `w${i}` }, token);
          statuses.push(res.status);
        }
      }),
    );
    assert.deepEqual(statuses, new Array<number>(total).fill(200));
    assert.equal(answeringPids(server, from).size, 2);
    // Each update is a `sapi` entry, written behind the response by whichever process served it.
    const db = new Database(path.join(dataDir, 'baton.sqlite'), { readonly: true });
    try {
      const count = () =>
        (
          db
            .prepare(
              "select count(*) as n from logs where type = 'sapi' and description = 'Update a client' and client_id is not null",
            )
            .get() as { n: number }
        ).n;
      await until(() => count() >= total, `${total} audit entries`, 10_000);
      assert.equal(count(), total);
    } finally {
      db.close();
    }
  });

  test('without Redis the exchange rate limit holds for the machine, not per process', async () => {
    const token = await server.adminToken();
    const created = await call(
      server.url,
      'POST',
      '/api/v2/clients',
      {
        name: 'workers rate',
        app_type: 'regular_web',
        grant_types: ['urn:ietf:params:oauth:grant-type:token-exchange'],
        token_endpoint_auth_method: 'client_secret_post',
        token_exchange: { allow_any_profile_of_type: ['custom_authentication'] },
      },
      token,
    );
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const from = server.output().length;
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await call(
        server.url,
        'POST',
        '/oauth/token',
        {
          grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
          client_id: created.body.client_id as string,
          client_secret: created.body.client_secret as string,
          subject_token: 'x',
          subject_token_type: 'urn:acme:no-such-profile',
        },
        undefined,
        true,
      );
      statuses.push(res.status);
    }
    assert.equal(answeringPids(server, from).size, 2, 'both processes took requests');
    // Per-process buckets would let three through on each process (six); the primary's buckets let three in all.
    assert.equal(statuses.filter((s) => s !== 429).length, 3, JSON.stringify(statuses));
    assert.deepEqual(statuses.slice(3), [429, 429, 429, 429, 429]);
  });

  test('a server process killed with SIGKILL is restarted and the port keeps answering', async () => {
    const from = server.output().length;
    for (let i = 0; i < 4; i++) await call(server.url, 'GET', '/health/live');
    const [victim] = [...answeringPids(server, from)];
    assert.ok(victim);
    process.kill(victim, 'SIGKILL');
    await until(() => server.output().slice(from).includes('server process exited; restarting'), 'restart logged');
    assert.match(server.output(), new RegExp(`"pid":${victim},"code":null,"signal":"SIGKILL"`));
    for (let i = 0; i < 6; i++) assert.equal((await call(server.url, 'GET', '/health/live')).status, 200);
    // The new process listens, then takes its turn of the connections.
    await until(async () => {
      const mark = server.output().length;
      for (let i = 0; i < 4; i++) await call(server.url, 'GET', '/health/live');
      const pids = answeringPids(server, mark);
      return pids.size === 2 && !pids.has(victim);
    }, 'a new process answers beside the survivor');
  });

  test('SIGTERM to the primary stops every process and exits 0', async () => {
    const from = server.output().length;
    for (let i = 0; i < 4; i++) await call(server.url, 'GET', '/health/live');
    const workers = [...answeringPids(server, from)];
    assert.equal(workers.length, 2);
    const exited = new Promise<number | null>((resolve) => server.process.once('exit', (code) => resolve(code)));
    server.process.kill('SIGTERM');
    assert.equal(await exited, 0);
    for (const pid of workers) assert.equal(alive(pid), false, `server process ${pid} is gone`);
    assert.match(server.output(), /all server processes stopped/);
  });
});

describe('baton serve --workers 2 on PostgreSQL', { skip: PG_URL ? false : 'needs PostgreSQL' }, () => {
  let server: ChildServer;
  const schema = `w_${randomBytes(6).toString('hex')}`;
  const admin = async (query: string) => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      await c.query(query);
    } finally {
      await c.end();
    }
  };
  before(async () => {
    await admin(`create schema ${schema}`);
    const url = new URL(PG_URL!);
    url.searchParams.set('options', `-c search_path=${schema}`);
    server = await startChildServer({
      env: {
        BATON_WORKERS: '2',
        BATON_LOG_LEVEL: 'info',
        BATON_DATABASE_URL: url.toString(),
        // With Redis the processes also publish there; their own siblings' messages they take over IPC only.
        ...(REDIS_URL ? { BATON_REDIS_URL: REDIS_URL } : {}),
      },
    });
  });
  after(async () => {
    await server?.stop();
    await admin(`drop schema if exists ${schema} cascade`);
  });

  sharedChecks(() => server);

  test('SIGTERM to the primary exits 0', async () => {
    const exited = new Promise<number | null>((resolve) => server.process.once('exit', (code) => resolve(code)));
    server.process.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(server.output(), /all server processes stopped/);
  });
});

/**
 * `npm run cluster` (scripts/cluster.ts), smoke level: three nodes on the machine's PostgreSQL and Redis behind the
 * round-robin proxy, in a database of the test's own on a free port. An exchange through the proxy works, the
 * proxy's X-Forwarded-For is the one the nodes trust (a client's own is overwritten), and SIGINT stops everything,
 * exits 0 and drops the database.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../helpers/child-server.js';
import { PG_URL, REDIS_URL } from '../helpers/app.js';

const skip = !PG_URL || !REDIS_URL ? 'needs PostgreSQL and Redis' : false;
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const database = `baton_cluster_t${randomBytes(5).toString('hex')}`;

let proc: ChildProcess;
let out = '';
let base = '';
let adminSecret = '';

async function databaseExists(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    return (await c.query('select 1 from pg_database where datname = $1', [database])).rowCount === 1;
  } finally {
    await c.end();
  }
}

before(async () => {
  if (skip) return;
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('BATON_')) delete env[k];
  Object.assign(env, {
    CLUSTER_PORT: String(port),
    CLUSTER_DATABASE: database,
    CLUSTER_PG_URL: PG_URL,
    CLUSTER_REDIS_URL: REDIS_URL,
  });
  proc = spawn(process.execPath, ['--import', 'tsx', 'scripts/cluster.ts'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (c) => (out += String(c)));
  proc.stderr!.on('data', (c) => (out += String(c)));
  const deadline = Date.now() + 120_000;
  while (!/Baton cluster is up: (\S+)/.test(out)) {
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`cluster did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  base = /Baton cluster is up: (\S+)/.exec(out)![1]!;
  adminSecret = /Management API client secret: (\S+)/.exec(out)![1]!;
});

after(async () => {
  if (skip || !proc) return;
  if (proc.exitCode === null && proc.signalCode === null) {
    proc.kill('SIGKILL');
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`drop database if exists ${database} with (force)`);
    await c.end();
  }
});

const form = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(`${base}oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields),
  });

test(
  'a token through the proxy, and the client IP is the proxy’s peer, not a header the client sent',
  { skip },
  async () => {
    assert.match(base, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const tokenRes = await form({
      grant_type: 'client_credentials',
      client_id: 'cluster-admin',
      client_secret: adminSecret,
      audience: `${base}api/v2/`,
    });
    assert.equal(tokenRes.status, 200);
    const token = ((await tokenRes.json()) as { access_token: string }).access_token;

    const refused = await form(
      {
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        client_id: 'cluster-admin',
        client_secret: 'not-the-secret',
        subject_token: 'x',
        subject_token_type: 'urn:acme:cluster-smoke',
      },
      { 'x-forwarded-for': '203.0.113.9' },
    );
    assert.equal(refused.status, 401);
    assert.equal(((await refused.json()) as { error: string }).error, 'invalid_client');
    // The failure is a tenant log entry (written behind the response) carrying the IP the node settled on.
    let entry: { type: string; ip: string } | undefined;
    const deadline = Date.now() + 10_000;
    while (!entry && Date.now() < deadline) {
      const logs = await fetch(`${base}api/v2/logs`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(logs.status, 200);
      entry = ((await logs.json()) as Array<{ type: string; ip: string }>).find((e) => e.type === 'fecte');
      if (!entry) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(entry, 'the failed exchange was logged');
    assert.equal(entry.ip, '127.0.0.1');
  },
);

test('SIGINT stops the nodes, exits 0 and drops the database', { skip }, async () => {
  assert.equal(await databaseExists(), true);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  proc.kill('SIGINT');
  assert.equal(await exited, 0, out);
  assert.match(out, /\[cluster\] stopped/);
  assert.equal(await databaseExists(), false);
});

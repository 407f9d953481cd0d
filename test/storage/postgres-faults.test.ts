/**
 * PostgreSQL faults under load (issue 13, docs/deployment.md "Faults: PostgreSQL" and "Audit trail"): a real
 * `baton serve` child on a throwaway PostgreSQL cluster of this file's own (never the machine's shared server),
 * reached through a TCP proxy that can go silent. The database is restarted, stopped and silenced while exchanges
 * run; the node must never exit, answer every failed request within 2 s with 503 `temporarily_unavailable` and
 * Retry-After (the Management API in Auth0's shape), be not ready, serve again within 5 s of the database's return,
 * and leave no `secte` entry missing for an exchange answered 200 (matched by the access token's `jti`).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { decodeJwt } from 'jose';
import { startChildServer, type ChildServer } from '../helpers/child-server.js';
import { startThrowawayPg, throwawayPgAvailable, type ThrowawayPg } from '../helpers/throwaway-pg.js';
import { startSilentProxy, type SilentProxy } from '../helpers/silent-proxy.js';
import { setupExchange, API_ID, EXCHANGE_GRANT, TOKEN_TYPE } from '../helpers/exchange.js';
import type { TestApp } from '../helpers/app.js';

const ACTION = `
exports.onExecuteCustomTokenExchange = async (event, api) => {
  const id = event.transaction.subject_token.split(':')[1];
  api.authentication.setUserByConnection('legacy-idp', { user_id: id, email: id + '@example.com' },
    { creationBehavior: 'create_if_not_exists', updateBehavior: 'none' });
};`;

/** A failed request must be answered within 2 s; slack for a loaded CI machine (a behaviour bound, not perf). */
const FAIL_WITHIN_MS = 2500;
/** Every node serves again within 5 s of the database's return. */
const RECOVER_WITHIN_MS = 5000;

interface Answer {
  status: number;
  ms: number;
  body: Record<string, unknown>;
  retryAfter: string | null;
  jti?: string;
  startedAt: number;
}

/** The Management API of a child over HTTP, in the shape test/helpers/exchange.ts drives. */
function overHttp(node: ChildServer, token: string): TestApp {
  const wrap = async (res: Response) => {
    const body = await res.text();
    return { statusCode: res.status, body, json: () => JSON.parse(body) as unknown };
  };
  return {
    api: async (method: string, path: string, body?: unknown) =>
      wrap(
        await fetch(`${node.url}/api/v2${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        }),
      ),
    form: async (path: string, fields: Record<string, string>) =>
      wrap(await fetch(`${node.url}${path}`, { method: 'POST', body: new URLSearchParams(fields) })),
  } as unknown as TestApp;
}

async function timed(url: string, init: RequestInit = {}): Promise<Answer> {
  const startedAt = Date.now();
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) });
    const text = await res.text();
    const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
    const answer: Answer = {
      status: res.status,
      ms: Date.now() - startedAt,
      body,
      retryAfter: res.headers.get('retry-after'),
      startedAt,
    };
    if (res.status === 200 && typeof body.access_token === 'string')
      answer.jti = String(decodeJwt(body.access_token).jti);
    return answer;
  } catch (err) {
    return {
      status: 0,
      ms: Date.now() - startedAt,
      body: { fetch: (err as Error).message },
      retryAfter: null,
      startedAt,
    };
  }
}

function exchange(node: ChildServer, client: { id: string; secret: string }, user: string): Promise<Answer> {
  return timed(`${node.url}/oauth/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: EXCHANGE_GRANT,
      client_id: client.id,
      client_secret: client.secret,
      subject_token_type: TOKEN_TYPE,
      subject_token: `legacy:${user}`,
      audience: API_ID,
    }),
  });
}

/** `workers` loops of exchanges until `stop` resolves; every answer, in order of completion. */
function load(node: ChildServer, client: { id: string; secret: string }, workers: number) {
  const answers: Answer[] = [];
  let running = true;
  const loops = Array.from({ length: workers }, async (_, w) => {
    for (let i = 0; running; i++) {
      answers.push(await exchange(node, client, `u${w}-${i % 5}`));
    }
  });
  return {
    answers,
    async stop() {
      running = false;
      await Promise.all(loops);
      return answers;
    },
  };
}

/** Polls until an exchange answers 200; the milliseconds it took. */
async function recovery(node: ChildServer, client: { id: string; secret: string }): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < 20_000) {
    const a = await exchange(node, client, 'recovery');
    if (a.status === 200) return Date.now() - start;
    await sleep(100);
  }
  return Infinity;
}

/** Each failed answer: 503 temporarily_unavailable with Retry-After, within the bound. */
function assertFailuresInShape(answers: Answer[]) {
  const failed = answers.filter((a) => a.status !== 200);
  for (const a of failed) {
    assert.equal(a.status, 503, JSON.stringify(a));
    assert.deepEqual(Object.keys(a.body).sort(), ['error', 'error_description']);
    assert.equal(a.body.error, 'temporarily_unavailable');
    assert.ok(a.retryAfter && Number(a.retryAfter) > 0, 'Retry-After');
    assert.ok(a.ms <= FAIL_WITHIN_MS, `a failed request took ${a.ms} ms`);
  }
  return failed.length;
}

describe(
  'PostgreSQL faults under load (issue 13)',
  { skip: !throwawayPgAvailable() && 'no PostgreSQL 15 binaries' },
  () => {
    let db: ThrowawayPg | undefined;
    let proxy: SilentProxy | undefined;
    let node: ChildServer | undefined;
    let client: { id: string; secret: string };
    let adminToken: string;

    before(async () => {
      db = await startThrowawayPg();
      proxy = await startSilentProxy({ host: '127.0.0.1', port: db.port });
      node = await startChildServer({
        env: { BATON_DATABASE_URL: `postgres://postgres@127.0.0.1:${proxy.port}/postgres`, BATON_LOG_LEVEL: 'error' },
      });
      adminToken = await node.adminToken();
      const fx = await setupExchange(overHttp(node, adminToken), { code: ACTION });
      client = { id: fx.clientId, secret: fx.clientSecret };
    });

    after(async () => {
      await node?.stop();
      await proxy?.close();
      await db?.destroy();
    });

    /** The `jti` of every stored `secte` entry, read straight from the database (not through the node). */
    async function storedSecteJtis(): Promise<Set<string>> {
      // A connection per read: the database restarts between tests.
      const direct = new pg.Client({ connectionString: db!.url });
      direct.on('error', () => undefined);
      await direct.connect();
      try {
        const { rows } = await direct.query<{ details: string }>(`select details from logs where type = 'secte'`);
        return new Set(
          rows.map((r) => String((JSON.parse(r.details) as { access_token_jti: string }).access_token_jti)),
        );
      } finally {
        await direct.end();
      }
    }

    /** Every 200 has its `secte` entry once the node has written its buffer (it retries until it has). */
    async function assertNoSecteMissing(answers: Answer[]) {
      const jtis = answers.filter((a) => a.status === 200).map((a) => a.jti!);
      let missing: string[] = [];
      for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(200)) {
        const stored = await storedSecteJtis();
        missing = jtis.filter((j) => !stored.has(j));
        if (missing.length === 0) break;
      }
      assert.deepEqual(missing, [], `${missing.length} of ${jtis.length} exchanges answered 200 have no secte entry`);
      return jtis.length;
    }

    async function mgmtAndReady(): Promise<{ mgmt: Answer; ready: Answer }> {
      const [mgmt, ready] = await Promise.all([
        timed(`${node!.url}/api/v2/users?per_page=1`, { headers: { authorization: `Bearer ${adminToken}` } }),
        timed(`${node!.url}/health/ready`),
      ]);
      return { mgmt, ready };
    }

    function assertUnavailable({ mgmt, ready }: { mgmt: Answer; ready: Answer }) {
      assert.equal(mgmt.status, 503, JSON.stringify(mgmt));
      assert.deepEqual(mgmt.body, {
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'The service is temporarily unavailable; retry after the delay in Retry-After.',
        errorCode: 'temporarily_unavailable',
      });
      assert.ok(mgmt.retryAfter, 'Retry-After on the Management API');
      assert.ok(mgmt.ms <= FAIL_WITHIN_MS, `the Management API took ${mgmt.ms} ms`);
      assert.equal(ready.status, 503);
      assert.ok(ready.ms <= FAIL_WITHIN_MS, `readiness took ${ready.ms} ms`);
    }

    test('audit backlog bound: past it exchanges answer 503 and ready is 503; after, every entry is written in order', async () => {
      // A second node on the same database, with a small bound, straight to the database (no proxy).
      const small = await startChildServer({
        env: { BATON_DATABASE_URL: db!.url, BATON_LOG_LEVEL: 'error', BATON_AUDIT_MAX_BUFFERED_ENTRIES: '10' },
      });
      const sql = async (text: string) => {
        const c = new pg.Client({ connectionString: db!.url });
        await c.connect();
        try {
          return (await c.query(text)).rows as Array<Record<string, unknown>>;
        } finally {
          await c.end();
        }
      };
      try {
        const before = Number((await sql(`select count(*) as n from logs`))[0]!.n);
        // The database takes everything but tenant log entries: their table is away.
        await sql(`alter table logs rename to logs_away`);
        const answers: Answer[] = [];
        for (let i = 0; i < 14; i++) answers.push(await exchange(small, client, `bound-${i}`));
        const statuses = answers.map((a) => a.status);
        assert.deepEqual(statuses, [...Array(10).fill(200), ...Array(4).fill(503)], JSON.stringify(statuses));
        assertFailuresInShape(answers);
        const ready = await timed(`${small.url}/health/ready`);
        assert.equal(ready.status, 503);
        assert.deepEqual(ready.body, { status: 'unavailable', storage: 'postgres', audit: 'backlog full' });
        // The refusals and retries come with the writer's next flushes (every 200 ms): wait for the first retry.
        const failedOnce = /^baton_audit_write_retries_total\{buffer="logs"\} [1-9]\d*$/m;
        let metrics = await (await fetch(`${small.url}/metrics`)).text();
        for (const t0 = Date.now(); !failedOnce.test(metrics) && Date.now() - t0 < 5000;) {
          await sleep(50);
          metrics = await (await fetch(`${small.url}/metrics`)).text();
        }
        assert.match(metrics, /^baton_audit_buffered_entries\{buffer="logs"\} 10$/m);
        assert.match(metrics, /^baton_audit_write_failures_total\{buffer="logs"\} [1-9]\d*$/m);
        assert.match(metrics, /^baton_audit_write_retries_total\{buffer="logs"\} [1-9]\d*$/m);

        await sql(`alter table logs_away rename to logs`);
        const start = Date.now();
        while ((await timed(`${small.url}/health/ready`)).status !== 200 && Date.now() - start < 10_000)
          await sleep(100);
        assert.ok(Date.now() - start <= RECOVER_WITHIN_MS, `ready again after ${Date.now() - start} ms`);
        // Ready is 200 again once the backlog is under its bound, which may be a chunk before it is all written.
        const buffered = async () =>
          /^baton_audit_buffered_entries\{buffer="logs"\} (\d+)$/m.exec(
            await (await fetch(`${small.url}/metrics`)).text(),
          )?.[1];
        while ((await buffered()) !== '0' && Date.now() - start < 10_000) await sleep(50);
        const rows = await sql(`select type, details from logs order by seq offset ${before}`);
        assert.deepEqual(
          rows.map((r) => [r.type, (JSON.parse(String(r.details)) as { access_token_jti?: string }).access_token_jti]),
          answers.filter((a) => a.status === 200).map((a) => ['secte', a.jti]),
          'the ten entries, in the order their exchanges were answered, and nothing for the refused ones',
        );
        assert.equal((await exchange(small, client, 'bound-after')).status, 200);
      } finally {
        await sql(`alter table if exists logs_away rename to logs`).catch(() => undefined);
        await small.stop();
      }
    });

    test('restarted repeatedly under load, the node never exits and serves after each restart', async () => {
      const run = load(node!, client, 4);
      for (let i = 0; i < 3; i++) {
        await sleep(400);
        await db!.restart();
      }
      await sleep(300);
      const answers = await run.stop();
      assert.ok(node!.running(), `the node exited:\n${node!.output()}`);
      assert.doesNotMatch(node!.output(), /Unhandled 'error' event|uncaught/i);
      assert.ok((await recovery(node!, client)) <= RECOVER_WITHIN_MS);
      assertFailuresInShape(answers);
      assert.ok(answers.filter((a) => a.status === 200).length > 0);
      await assertNoSecteMissing(answers);
    });

    test('stopped for 3 s under load: 503 within 2 s, not ready, back within 5 s, no secte entry missing', async () => {
      const run = load(node!, client, 4);
      await sleep(500);
      await db!.stop();
      await sleep(1000);
      assertUnavailable(await mgmtAndReady());
      await sleep(2000);
      await db!.start();
      const recoveredIn = await recovery(node!, client);
      const answers = await run.stop();
      assert.ok(recoveredIn <= RECOVER_WITHIN_MS, `served again after ${recoveredIn} ms`);
      assert.ok(node!.running());
      const failed = assertFailuresInShape(answers);
      assert.ok(failed > 0, 'requests were made while the database was down');
      const ok = await assertNoSecteMissing(answers);
      assert.ok(ok > 0);
      assert.equal((await mgmtAndReady()).ready.status, 200);
    });

    test('silent (packets dropped, no FIN or RST) under load: 503 within 2 s, back after', async () => {
      const run = load(node!, client, 4);
      await sleep(500);
      proxy!.silence();
      await sleep(1000);
      assertUnavailable(await mgmtAndReady());
      await sleep(2000);
      proxy!.restore();
      const recoveredIn = await recovery(node!, client);
      const answers = await run.stop();
      assert.ok(recoveredIn <= RECOVER_WITHIN_MS, `served again after ${recoveredIn} ms`);
      assert.ok(node!.running());
      assert.ok(assertFailuresInShape(answers) > 0, 'requests were made while the database was silent');
      await assertNoSecteMissing(answers);
      assert.equal((await mgmtAndReady()).ready.status, 200);
    });
  },
);

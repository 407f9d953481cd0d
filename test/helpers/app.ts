/**
 * Test harness: a real Baton app over a fresh database (in-memory SQLite, a SQLite file, or a fresh PostgreSQL schema), with the
 * admin client bootstrapped, plus helpers to get Management API tokens through /oauth/token.
 */
import type { Clock } from '../../src/clock.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { loadConfig, type Config } from '../../src/config/index.js';
import { createContext, type AppContext } from '../../src/context.js';
import { buildApp, type BuildAppOptions } from '../../src/app.js';
import { bootstrap } from '../../src/bootstrap.js';
import type { RedisEventLog } from '../../src/cluster/redis.js';

export const ADMIN_ID = 'test-admin-client';
/** 256 random bits after the prefix: an operator-chosen admin secret must carry at least 256 estimated bits (L2). */
export const ADMIN_SECRET = 'test-admin-Tp2V0SY1ipE4MHPOgbotRsGjqOalE-gREiEKIuImxNE';
export const ISSUER = 'http://localhost:3000/';

/** `sqlite-file`: SQLite in a temporary file, where hot reads use the second, read-only connection (database.ts). */
export type Dialect = 'sqlite' | 'sqlite-file' | 'postgres';

/** The PostgreSQL URL when the test runner found a server; undefined means skip. */
export const PG_URL = process.env.BATON_TEST_PG_URL;
export const REDIS_URL = process.env.BATON_TEST_REDIS_URL;

/** Dialects to run a conformance suite on: SQLite always, PostgreSQL when it answers. */
export const DIALECTS: Dialect[] = PG_URL ? ['sqlite', 'postgres'] : ['sqlite'];

export interface TestApp {
  app: FastifyInstance;
  ctx: AppContext;
  config: Config;
  close(): Promise<void>;
  /** A Management API token with the given scopes (all when omitted), obtained by client_credentials. */
  mgmtToken(scopes?: string[]): Promise<string>;
  /** JSON request against /api/v2 with an all-scopes token. */
  api(method: string, path: string, body?: unknown, token?: string): Promise<LightMyRequestResponse>;
  /** Form POST to /oauth/token (or another path). */
  form(path: string, fields: Record<string, string>, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
}

/** A fresh PostgreSQL schema; the connection string pins search_path to it. */
async function freshPgSchema(): Promise<{ url: string; drop: () => Promise<void> }> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = new URL(PG_URL!);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`drop schema ${schema} cascade`);
      await c.end();
    },
  };
}

export async function startTestApp(
  opts: {
    dialect?: Dialect;
    env?: Record<string, string>;
    clock?: Clock;
    log?: RedisEventLog;
    https?: BuildAppOptions['https'];
  } = {},
): Promise<TestApp> {
  const dialect = opts.dialect ?? 'sqlite';
  let dropSchema: (() => Promise<void>) | undefined;
  const env: Record<string, string> = {
    BATON_ISSUER: ISSUER,
    BATON_ADMIN_CLIENT_ID: ADMIN_ID,
    BATON_ADMIN_CLIENT_SECRET: ADMIN_SECRET,
    BATON_SECRET_KEY: 'test-master-key-0123456789abcdef0123456789',
    BATON_LOG_LEVEL: 'silent',
    ...opts.env,
  };
  if (dialect === 'postgres') {
    if (!PG_URL) throw new Error('PostgreSQL is not available');
    const fresh = await freshPgSchema();
    env.BATON_DATABASE_URL = fresh.url;
    dropSchema = fresh.drop;
  }
  let sqliteFile = ':memory:';
  if (dialect === 'sqlite-file') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-test-'));
    sqliteFile = path.join(dir, 'baton.sqlite');
    dropSchema = async () => fs.rmSync(dir, { recursive: true, force: true });
  }
  const config = loadConfig(env);
  const ctx = await createContext(config, {
    sqliteFile,
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.log ? { log: opts.log } : {}),
  });
  await bootstrap(ctx);
  const app = await buildApp(ctx, { logger: false, ...(opts.https ? { https: opts.https } : {}) });
  await app.ready();

  const tokenCache = new Map<string, string>();
  const t: TestApp = {
    app,
    ctx,
    config,
    async close() {
      await app.close();
      await ctx.close();
      if (dropSchema) await dropSchema();
    },
    async mgmtToken(scopes) {
      const key = scopes ? scopes.join(' ') : '*';
      const cached = tokenCache.get(key);
      if (cached) return cached;
      const fields: Record<string, string> = {
        grant_type: 'client_credentials',
        client_id: ADMIN_ID,
        client_secret: ADMIN_SECRET,
        audience: ctx.managementAudience,
      };
      if (scopes) fields.scope = scopes.join(' ');
      const res = await t.form('/oauth/token', fields);
      if (res.statusCode !== 200) throw new Error(`mgmt token: ${res.statusCode} ${res.body}`);
      const token = res.json().access_token as string;
      tokenCache.set(key, token);
      return token;
    },
    async api(method, path, body, token) {
      const bearer = token ?? (await t.mgmtToken());
      return app.inject({
        method: method as 'GET',
        url: `/api/v2${path}`,
        headers: {
          authorization: `Bearer ${bearer}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
      });
    },
    async form(path, fields, headers = {}) {
      return app.inject({
        method: 'POST',
        url: path,
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        payload: new URLSearchParams(fields).toString(),
      });
    },
  };
  return t;
}

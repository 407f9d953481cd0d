/**
 * `npx tsx bench/crash-loss.ts`: what a crash loses of the audit trail (issue 13, docs/deployment.md "Audit
 * trail"). A child `baton serve` runs exchanges from CRASH_WORKERS (default 8) loops, is SIGKILLed after
 * CRASH_AFTER_MS (default 3000), then the database is read directly: every exchange answered 200 should have its
 * `secte` entry (by the access token's `jti`); the ones missing are what the crash lost. CRASH_RUNS (default 5)
 * runs, on SQLite, and on a throwaway PostgreSQL cluster when the PostgreSQL 15 binaries are installed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { decodeJwt } from 'jose';
import { startChildServer, type ChildServer } from '../test/helpers/child-server.js';
import { startThrowawayPg, throwawayPgAvailable } from '../test/helpers/throwaway-pg.js';
import { setupExchange, API_ID, EXCHANGE_GRANT, TOKEN_TYPE } from '../test/helpers/exchange.js';
import type { TestApp } from '../test/helpers/app.js';

const WORKERS = Number(process.env.CRASH_WORKERS ?? 8);
const AFTER_MS = Number(process.env.CRASH_AFTER_MS ?? 3000);
const RUNS = Number(process.env.CRASH_RUNS ?? 5);

const ACTION = `
exports.onExecuteCustomTokenExchange = async (event, api) => {
  const id = event.transaction.subject_token.split(':')[1];
  api.authentication.setUserByConnection('legacy-idp', { user_id: id, email: id + '@example.com' },
    { creationBehavior: 'create_if_not_exists', updateBehavior: 'none' });
};`;

function overHttp(node: ChildServer, token: string): TestApp {
  const wrap = async (res: Response) => {
    const body = await res.text();
    return { statusCode: res.status, body, json: () => JSON.parse(body) as unknown };
  };
  return {
    api: async (method: string, p: string, body?: unknown) =>
      wrap(
        await fetch(`${node.url}/api/v2${p}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        }),
      ),
  } as unknown as TestApp;
}

async function oneRun(env: Record<string, string>, storedJtis: () => Promise<Set<string>>) {
  const node = await startChildServer({ env: { BATON_LOG_LEVEL: 'error', ...env } });
  try {
    const fx = await setupExchange(overHttp(node, await node.adminToken()), { code: ACTION });
    const answered: string[] = [];
    let running = true;
    const loops = Array.from({ length: WORKERS }, async (_, w) => {
      for (let i = 0; running; i++) {
        try {
          const res = await fetch(`${node.url}/oauth/token`, {
            method: 'POST',
            body: new URLSearchParams({
              grant_type: EXCHANGE_GRANT,
              client_id: fx.clientId,
              client_secret: fx.clientSecret,
              subject_token_type: TOKEN_TYPE,
              subject_token: `legacy:w${w}-${i % 20}`,
              audience: API_ID,
            }),
          });
          const body = (await res.json()) as { access_token?: string };
          if (res.status === 200 && body.access_token) answered.push(String(decodeJwt(body.access_token).jti));
        } catch {
          // the node is gone
        }
      }
    });
    await sleep(AFTER_MS);
    node.process.kill('SIGKILL');
    running = false;
    await Promise.all(loops);
    await sleep(200);
    const stored = await storedJtis();
    const lost = answered.filter((j) => !stored.has(j)).length;
    return { answered: answered.length, lost };
  } finally {
    await node.stop();
  }
}

async function main() {
  const results: Array<{ backend: string; answered: number; lost: number }> = [];
  for (let r = 0; r < RUNS; r++) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-crash-'));
    const file = path.join(dataDir, 'baton.sqlite');
    const res = await oneRun({ BATON_DATA_DIR: dataDir }, async () => {
      const db = new SQLite(file, { readonly: true });
      const rows = db.prepare(`select details from logs where type = 'secte'`).all() as Array<{ details: string }>;
      db.close();
      return new Set(rows.map((x) => String((JSON.parse(x.details) as { access_token_jti: string }).access_token_jti)));
    });
    fs.rmSync(dataDir, { recursive: true, force: true });
    results.push({ backend: 'sqlite', ...res });
    console.log('sqlite', res);
  }
  if (throwawayPgAvailable()) {
    const db = await startThrowawayPg();
    try {
      for (let r = 0; r < RUNS; r++) {
        const name = `crash${r}`;
        const admin = new pg.Client({ connectionString: db.url });
        await admin.connect();
        await admin.query(`create database ${name}`);
        await admin.end();
        const url = db.url.replace(/\/postgres$/, `/${name}`);
        const res = await oneRun({ BATON_DATABASE_URL: url }, async () => {
          const c = new pg.Client({ connectionString: url });
          await c.connect();
          const { rows } = await c.query<{ details: string }>(`select details from logs where type = 'secte'`);
          await c.end();
          return new Set(
            rows.map((x) => String((JSON.parse(x.details) as { access_token_jti: string }).access_token_jti)),
          );
        });
        results.push({ backend: 'postgres', ...res });
        console.log('postgres', res);
      }
    } finally {
      await db.destroy();
    }
  }
  for (const backend of ['sqlite', 'postgres']) {
    const mine = results.filter((r) => r.backend === backend);
    if (!mine.length) continue;
    const lost = mine.map((r) => r.lost);
    const answered = mine.map((r) => r.answered);
    console.log(
      `${backend}: ${mine.length} runs, ${WORKERS} workers, SIGKILL after ${AFTER_MS} ms: answered 200 ${answered.join('/')}, secte lost ${lost.join('/')} (max ${Math.max(...lost)})`,
    );
  }
}

await main();

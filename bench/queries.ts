/**
 * Diagnostic: the SQL one steady-state exchange runs, counted at better-sqlite3's statement execution (`all`, `get`,
 * `run`, `iterate`: statements are cached, so `prepare` alone would miss them), over a real listening app on an
 * in-memory database, seeded like the bench. `npx tsx bench/queries.ts`.
 */
import SQLite from 'better-sqlite3';
import { startTestApp, ADMIN_ID, ADMIN_SECRET } from '../test/helpers/app.js';
import { startIdp } from './idp.js';
import { freePort } from './procs.js';
import { seedExchange, exchangeBody } from './seed.js';
import { ADMIN_ID as BENCH_ADMIN, ADMIN_SECRET as BENCH_SECRET } from './targets.js';

const seen: string[] = [];
// better-sqlite3 does not export its Statement class; take its prototype from a statement.
const probe = new SQLite(':memory:');
const statementProto = Object.getPrototypeOf(probe.prepare('select 1')) as Record<string, (...a: unknown[]) => unknown>;
probe.close();
for (const method of ['all', 'get', 'run', 'iterate']) {
  const original = statementProto[method]!;
  statementProto[method] = function (this: { source: string }, ...args: unknown[]) {
    seen.push(this.source);
    return original.apply(this, args);
  };
}

const port = await freePort();
const base = `http://127.0.0.1:${port}/`;
const t = await startTestApp({
  env: { BATON_ISSUER: base, BATON_ADMIN_CLIENT_ID: BENCH_ADMIN, BATON_ADMIN_CLIENT_SECRET: BENCH_SECRET },
});
void ADMIN_ID;
void ADMIN_SECRET;
await t.app.listen({ port, host: '127.0.0.1' });
const idp = await startIdp();
try {
  const seeded = await seedExchange(base, idp.jwksUrl);
  const [token] = idp.mintPool(1, 3600);
  const body = exchangeBody(seeded, token!);
  const send = async () => {
    const r = await fetch(`${base}oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    if (r.status !== 200) throw new Error(`${r.status} ${await r.text()}`);
  };
  await send(); // creates the user
  await send();
  await t.ctx.logs.flush();
  seen.length = 0;
  await send();
  const onPath = seen.length;
  const counts = new Map<string, number>();
  for (const s of seen) counts.set(s, (counts.get(s) ?? 0) + 1);
  console.log(`${onPath} statements on the request path of one steady-state exchange:`);
  for (const [sql, n] of counts) console.log(`  ${n} × ${sql.length > 220 ? `${sql.slice(0, 220)}…` : sql}`);
  seen.length = 0;
  await t.ctx.logs.flush();
  console.log(`${seen.length} statements when the log writer flushes:`);
  for (const sql of seen) console.log(`  ${sql.length > 160 ? `${sql.slice(0, 160)}…` : sql}`);
} finally {
  await idp.close();
  await t.close();
}

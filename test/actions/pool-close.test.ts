/**
 * Closing the sandbox while its workers are still booting. A terminating worker holds no handle on the event loop,
 * so a close() that only awaited terminate() let the loop run empty: the process (or a test) ended with the close
 * still pending ("Promise resolution is still pending but the event loop has already resolved", seen in CI).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/index.js';
import { createContext } from '../../src/context.js';
import { bootstrap } from '../../src/bootstrap.js';
import { buildApp } from '../../src/app.js';
import { ADMIN_ID, ADMIN_SECRET, ISSUER } from '../helpers/app.js';

test('a context closed while its sandbox workers are still booting closes', async () => {
  const config = loadConfig({
    BATON_ISSUER: ISSUER,
    BATON_ADMIN_CLIENT_ID: ADMIN_ID,
    BATON_ADMIN_CLIENT_SECRET: ADMIN_SECRET,
    BATON_SECRET_KEY: 'k'.repeat(40),
  });
  const ctx = await createContext(config, { sqliteFile: ':memory:' });
  await bootstrap(ctx);
  const app = await buildApp(ctx, { logger: false });
  await app.close();
  let closed = false;
  await ctx.close().then(() => (closed = true));
  assert.equal(closed, true);
});

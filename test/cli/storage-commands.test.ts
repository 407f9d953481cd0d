/**
 * `baton migrate` and `baton keys rotate` open storage and nothing else (issue 11, item 2): they run while Redis is
 * unreachable, start no sandbox worker, and leave the database as a server then finds it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { openStorage } from '../../src/storage/index.js';

const run = promisify(execFile);
const cli = path.resolve(import.meta.dirname, '../../src/cli/index.ts');

test('baton migrate and baton keys rotate need only the database', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'baton-cli-'));
  try {
    // Nothing listens on port 1: a command that connected Redis would fail.
    const env: NodeJS.ProcessEnv = { ...process.env, BATON_DATA_DIR: dataDir, BATON_REDIS_URL: 'redis://127.0.0.1:1' };
    delete env.BATON_DATABASE_URL;
    const baton = (...args: string[]) => run(process.execPath, ['--import', 'tsx', cli, ...args], { env });

    const migrated = await baton('migrate');
    assert.equal(migrated.stdout, 'database schema is up to date\n');

    const rotated = await baton('keys', 'rotate');
    const lines = rotated.stdout.trim().split('\n');
    assert.deepEqual(lines.map((l) => l.split('\t')[0]).sort(), ['ES256', 'PS256', 'RS256']);

    const storage = await openStorage({ dataDir });
    try {
      const rows = await storage.repos.signingKeys.list();
      const current = rows.filter((r) => r.status === 'current').map((r) => r.kid);
      assert.deepEqual(current.sort(), lines.map((l) => l.split('\t')[1]).sort());
    } finally {
      await storage.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

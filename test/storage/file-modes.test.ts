/**
 * L5 (issue 10): the data folder is 0700 and the SQLite files (database, -wal, -shm) and master.key are 0600,
 * whatever the umask, for a new data folder and for one an earlier version left group- and world-readable.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { createContext } from '../../src/context.js';

let root: string;
let dataDir: string;
const FILES = ['baton.sqlite', 'baton.sqlite-wal', 'baton.sqlite-shm', 'master.key'];
const modeOf = (p: string) => fs.statSync(p).mode & 0o777;

before(() => {
  process.umask(0o022);
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'baton-modes-'));
  dataDir = path.join(root, 'data');
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

async function openAndWrite(env: Record<string, string> = {}, files = FILES): Promise<void> {
  const config = loadConfig({ BATON_DATA_DIR: dataDir, BATON_LOG_LEVEL: 'silent', ...env });
  const ctx = await createContext(config);
  try {
    // A write, so the WAL holds something while the files are checked.
    await ctx.repos.settings.set('file-modes-test', { at: Date.now() });
    for (const f of files) assert.ok(fs.existsSync(path.join(dataDir, f)), `${f} exists while open`);
    assert.equal(modeOf(dataDir).toString(8), '700', 'data folder');
    for (const f of files) assert.equal(modeOf(path.join(dataDir, f)).toString(8), '600', f);
  } finally {
    await ctx.close();
  }
}

test('a new data folder is 0700 and its files 0600 under umask 022', async () => {
  await openAndWrite();
});

test('an existing data folder and files with loose modes are made owner-only at start', async () => {
  fs.chmodSync(dataDir, 0o755);
  for (const f of FILES) if (fs.existsSync(path.join(dataDir, f))) fs.chmodSync(path.join(dataDir, f), 0o644);
  await openAndWrite();
});

test('with BATON_SECRET_KEY (no master.key) the database alone makes the folder 0700', async () => {
  dataDir = path.join(root, 'data-with-secret-key', 'nested');
  await openAndWrite(
    { BATON_SECRET_KEY: 'file-modes-master-key-0123456789abcdef' },
    FILES.filter((f) => f !== 'master.key'),
  );
  assert.equal(fs.existsSync(path.join(dataDir, 'master.key')), false);
});
